"""Score two prompt-classifier folders on the validation split of the current training pool.

Each model at its own chosen threshold, by the same code; prints JSON with F1 (all, EN, JA),
recall per tier and language, and false alarms on the team's benign rows and on ordinary traffic.
Used for the prompt model card's adoption rules (experiment G). Never scores an evaluation set.

    python scripts/compare_prompt_models.py OLD_DIR NEW_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Split
from sekimori.classify.prompt import PromptClassifier, PromptModel
from sekimori.classify.train import corpus_settings_of, is_ordinary, training_pool
from sekimori.taxonomy import Tier, in_tier

Mask = NDArray[np.bool_]


def _f1(y: Mask, pred: Mask) -> float:
    tp = int((y & pred).sum())
    return round(2 * tp / max(1, int(y.sum()) + int(pred.sum())), 4)


def _count(pred: Mask, mask: Mask) -> list[int]:
    return [int(pred[mask].sum()), int(mask.sum())]


def main(old: Path, new: Path) -> dict[str, Any]:
    pool = training_pool(corpus_settings_of(PromptModel.load(new).meta))
    val = [e for e in pool.examples if e.split is Split.VALIDATION and e.harmful is not None]
    y = np.array([bool(e.harmful) for e in val])
    lang = np.array([e.lang for e in val])
    tier = {t: np.array([bool(set(e.categories) & set(in_tier(t))) for e in val]) & y for t in Tier}
    team_benign = np.array([e.source == "team" for e in val]) & ~y
    constitution = np.array([e.group.startswith("team:team.cn.") for e in val])
    ordinary = np.array([is_ordinary(e) for e in val]) & ~y
    texts = [e.text for e in val]
    out: dict[str, Any] = {"items": len(val), "harmful": int(y.sum())}
    for name, folder in (("old", old), ("new", new)):
        clf = PromptClassifier.load(folder)
        pred = np.array([s.harm for s in clf.scores_batch(texts)]) >= clf.threshold
        r: dict[str, Any] = {"threshold": clf.threshold, "f1": _f1(y, pred)}
        for lg in ("en", "ja"):
            r[f"f1_{lg}"] = _f1(y[lang == lg], pred[lang == lg])
            for t in Tier:
                r[f"recall_{t.value}_{lg}"] = _count(pred, tier[t] & (lang == lg))
        r["team_benign_false_alarms"] = _count(pred, team_benign)
        r["ordinary_false_alarms"] = _count(pred, ordinary)
        r["constitution_harmful_caught"] = _count(pred, constitution & y)
        r["constitution_benign_flagged"] = _count(pred, constitution & ~y)
        out[name] = r
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2])), indent=1))
