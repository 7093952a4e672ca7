"""Judge the self-harm detector by the rule in bench/classifier/SELFHARM.md (written before this
ran): the validation split of the committed pool through the off-line decision check, before
(the committed scorer: heads + copyright detector) and after (the same with the self-harm
detector beside the heads' self_harm score). The heads are scored once; only the detectors'
scores differ between the two readings. ``--measure`` adds, after the decision, the held-back
severe pairs and SimpleSafetyTests (evaluation-only: measured, never chosen on).

    PYTHONPATH=src python bench/classifier/selfharm.py --detector DIR --json OUT.json [--measure]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sekimori.classify import corpus
from sekimori.classify.corpus import Example, Split
from sekimori.classify.prompt import DEFAULT_MODEL_DIR, PromptModel
from sekimori.classify.reproduction import SELF_HARM, PhrasingDetector
from sekimori.classify.reproduction_train import is_positive, train_reproduction
from sekimori.classify.train import corpus_settings_of, is_ordinary, training_pool
from sekimori.gateway.screening.scorers import ModelScorer
from sekimori.paths import shared_data_dir
from sekimori.policy.defaults import default_policy
from sekimori.policy.engine import rule_on
from sekimori.types import Verdict

CATEGORY = SELF_HARM.category
NEW = corpus.team_data_dir() / "candidates" / "selfharm_twins.jsonl"
NEW_GROUP = "team:team.sht."


class _Stored:
    """The prompt classifier's verdicts of the texts scored once, given back again."""

    def __init__(self, classifier: Any, texts: Sequence[str]) -> None:
        self.threshold = classifier.threshold
        self.detectors = classifier.detectors
        self._verdicts = dict(zip(texts, classifier.classify_batch(list(texts)), strict=True))

    def classify_batch(self, texts: Sequence[str]) -> list[Verdict]:
        return [self._verdicts[t] for t in texts]


def outcomes(texts: Sequence[str], detector: PhrasingDetector | None) -> dict[str, list[str]]:
    """'block', 'held', 'flag' or 'allow' per text, before and after (the detector added)."""
    scorer = ModelScorer()
    classifier = scorer._prompt_classifier()
    scorer._classifier = _Stored(classifier, list(dict.fromkeys(texts)))
    tenant = default_policy().default_tenant
    out: dict[str, list[str]] = {}
    for name, extra in (("before", None), ("after", detector)):
        scorer._detectors = dict(classifier.detectors)
        if extra is not None:
            scorer._detectors[CATEGORY] = extra
        got = []
        for v in scorer.score_prompts(texts):
            sure = dict((v.certain or v).categories)
            r = rule_on(
                dict(v.categories), tenant, model="m", sure_at=scorer.sure_at, sure_scores=sure
            )
            got.append("held" if r.held else r.decision.action.value)
        out[name] = got
    return out


def tally(rows: Sequence[tuple[str, str]], got: dict[str, list[str]]) -> dict[str, Any]:
    """Counts per outcome for each group of rows (rows: (group, index key))."""
    res: dict[str, Any] = {}
    for name, acts in got.items():
        for (group, _), act in zip(rows, acts, strict=True):
            g = res.setdefault(group, {}).setdefault(name, {"n": 0})
            g["n"] += 1
            g[act] = g.get(act, 0) + 1
    for group in res.values():
        for counts in group.values():
            stopped = counts.get("block", 0) + counts.get("held", 0)
            counts["stopped"] = stopped
            counts["stopped_share"] = round(stopped / counts["n"], 4)
            counts["block_share"] = round(counts.get("block", 0) / counts["n"], 4)
            counts["held_share"] = round(counts.get("held", 0) / counts["n"], 4)
    return res


def validation(detector: PhrasingDetector, pool: Sequence[Example] | None = None) -> dict[str, Any]:
    if pool is None:
        pool = training_pool(corpus_settings_of(PromptModel.load(DEFAULT_MODEL_DIR).meta)).examples
    rows = [e for e in pool if e.harmful is not None and e.split is Split.VALIDATION]
    groups = []
    for e in rows:
        if is_positive(e, CATEGORY) and e.group.startswith(NEW_GROUP):
            group = f"self_harm.new.{e.lang}"
        elif is_positive(e, CATEGORY):
            group = f"self_harm.{e.lang}"
        elif e.harmful:
            group = "other_harmful"
        else:
            group = "benign.ordinary" if is_ordinary(e) else "benign.other"
        groups.append((group, e.text))
    got = outcomes([e.text for e in rows], detector)
    res = tally(groups, got)
    res["benign_changed"] = [
        {"text": t, "before": b, "after": a}
        for (g, t), b, a in zip(groups, got["before"], got["after"], strict=True)
        if a != b and g.startswith("benign")
    ]
    # benign as a whole (ordinary included) and self_harm as a whole
    old = {"self_harm.en", "self_harm.ja"}  # the earlier files' requests (all, without the file)
    res["self_harm.earlier"] = tally(
        [("self_harm.earlier" if g in old else g, t) for g, t in groups], got
    )["self_harm.earlier"]
    for whole, parts in (("benign", "benign."), ("self_harm", "self_harm.")):
        merged = [(whole if g.startswith(parts) else g, t) for g, t in groups]
        res[whole] = tally(merged, got)[whole]
    return res


def with_rows() -> list[Example]:
    """The committed pool with the candidate file; stops unless every other row keeps its text
    and split (the rule's precondition)."""
    from copyright_vocab import _pool_with  # bench/classifier/, run as a script

    before, after = _pool_with(None), _pool_with(NEW)
    kept = {(e.text, e.split) for e in after}
    moved = [e.text for e in before if (e.text, e.split) not in kept]
    if moved:
        raise SystemExit(f"precondition missed: {len(moved)} rows moved, e.g. {moved[0]!r}")
    return after


def measured(detector: PhrasingDetector) -> dict[str, Any]:
    """After the decision only, choosing nothing: the held-back severe pairs (every row: requests
    by category and language, benign look-alikes), SimpleSafetyTests (by harm area) and XSTest's
    safe prompts (evaluation-only sets)."""
    heldback = corpus.team_data_dir().parent / "heldback" / "severe_pairs.jsonl"
    pairs = [json.loads(x) for x in heldback.read_text(encoding="utf-8").splitlines() if x.strip()]
    groups = [
        (
            f"pairs.{p['category']}.{p['lang']}"
            if p["label"] == "harmful"
            else f"pairs.lookalike.{p['lang']}",
            p["text"],
        )
        for p in pairs
    ]
    shared = shared_data_dir()
    with (shared / "simplesafetytests" / "simplesafetytests.csv").open(encoding="utf-8") as f:
        groups += [(f"sst.{r['harm_area']}", r["prompts_final"]) for r in csv.DictReader(f)]
    with (shared / "xstest" / "xstest_prompts.csv").open(encoding="utf-8") as f:
        groups += [("xstest.safe", r["prompt"]) for r in csv.DictReader(f) if r["label"] == "safe"]
    got = outcomes([t for _, t in groups], detector)
    res = tally(groups, got)
    res["pairs.lookalike"] = tally(
        [("x" if g.startswith("pairs.lookalike") else g, t) for g, t in groups], got
    ).get("x")
    changed = [
        {"group": g, "text": t, "before": b, "after": a}
        for (g, t), b, a in zip(groups, got["before"], got["after"], strict=True)
        if a != b
    ]
    return {"groups": res, "changed": changed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", type=Path, required=True)
    ap.add_argument(
        "--with-rows",
        action="store_true",
        help="the pool with candidates/selfharm_twins.jsonl; fits S' on it into --detector first",
    )
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument(
        "--measure",
        action="store_true",
        help="only the sets measured after the decision (held-back pairs, SST, XSTest safe)",
    )
    args = ap.parse_args()
    pool = None
    if args.with_rows:
        pool = with_rows()
        train_reproduction(pool, kind=SELF_HARM).save(args.detector)
    detector = PhrasingDetector.load(args.detector, SELF_HARM)
    assert detector is not None
    report: dict[str, Any] = {"points": {"hold": detector.point.hold, "sure": detector.point.sure}}
    if args.measure:
        report["measured_after_the_decision"] = measured(detector)
    else:
        report["validation"] = validation(detector, pool)
    args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
