"""The copyright head's figures (bench/classifier/COPYRIGHT_HEAD_RULE.md, COPYRIGHT_HEAD.md).

Fits the head (`sekimori.classify.copyright_head_train`) on the committed prompt model's
training split and reads the validation split as the gateway reads it, for the candidates of
the rule: N (the committed n-gram detector alone), M (max of head and detector where the
encoder ran, detector elsewhere), S (head where the encoder ran, detector elsewhere) and
H-always (head on every text, the first stage's clearing ignored; reported only). Embeddings
come from the on-disk cache (`.sekimori/cache/embeddings`); a cold cache takes about 15 minutes
of one core. ``--probe`` also scores the held-back probe (measurement only, once) with N and the
chosen candidate; ``--write DIR`` saves the chosen head there.

    PYTHONPATH=src python bench/classifier/copyright_head.py [--probe] [--write DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sekimori.classify.copyright_head import CopyrightHead, Mode
from sekimori.classify.copyright_head_train import (
    CopyrightHeadSettings,
    read_rows,
    train_copyright_head,
)
from sekimori.classify.corpus import Example, Split
from sekimori.classify.embedcache import EmbeddingCache
from sekimori.classify.operating import HOLD_LEVEL, SURE_LEVEL
from sekimori.classify.prompt import PromptClassifier, segments, views
from sekimori.classify.second_opinion import first_piece, prompt_model_digest
from sekimori.classify.train import corpus_settings_of, training_pool

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "data" / "heldback" / "copyright_probe.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    clf = PromptClassifier.load()
    detector = clf.reproduction
    assert detector is not None
    size = clf.model.meta.segment_chars
    examples = training_pool(corpus_settings_of(clf.model.meta)).examples
    cache = EmbeddingCache(clf.encoder)

    def always(text: str) -> list[tuple[str, bool]]:
        whole = [(s, True) for v in views(text) for s in segments(v, size)]
        return whole + [(s.text, s.may_be_sure) for s in clf.plan(text).segments]

    def first(text: str) -> str:
        return first_piece(text, size)

    digest = prompt_model_digest(clf.model.meta)
    out: dict[str, Any] = {}
    heads: dict[str, CopyrightHead] = {}
    for name, mode, pieces in (
        ("N", Mode.MAX, lambda _t: []),
        ("M", Mode.MAX, clf.encoded_pieces),
        ("S", Mode.SWITCH, clf.encoded_pieces),
        ("H-always", Mode.SWITCH, always),
    ):
        head = train_copyright_head(
            examples,
            first,
            pieces,
            cache.embed,
            detector.policy_scores,
            CopyrightHeadSettings(mode=mode),
            prompt_model=digest,
        )
        heads[name] = head
        out[name] = {"points": [head.point.hold, head.point.sure], **head.figures}
        req = head.figures["requests"]
        print(name, head.point, "requests at hold", req["hold"], "sure", req["sure"])
    m, s = (out[k]["requests"]["hold"]["all"] for k in ("M", "S"))
    chosen = "S" if s > m else "M"
    out["chosen"] = chosen
    print("chosen", chosen)
    if args.probe:
        rows = [json.loads(x) for x in PROBE.read_text(encoding="utf-8").splitlines() if x]
        probe = [
            Example(
                text=r["text"],
                lang=r["lang"],
                harmful=r["label"] == "harmful",
                categories=(r["category"],) if r["category"] else (),
                jailbreak=None,
                source="copyright-probe",
                group=r["id"],
                split=Split.VALIDATION,
            )
            for r in rows
        ]
        head = heads[chosen]
        read = read_rows(
            probe, head.weight, head.bias, clf.encoded_pieces, cache.embed, detector.policy_scores
        )
        per_row = []
        for r, x in zip(rows, read, strict=True):
            n = x.ngram
            c = head.combine(x.head, x.ngram)
            per_row.append(
                {
                    "id": r["id"],
                    "family": r["family"],
                    "encoded": x.head is not None,
                    "n": n[0],
                    "n_sure": n[1],
                    chosen: c[0],
                    f"{chosen}_sure": c[1],
                }
            )
        summary: dict[str, Any] = {}
        for lang in ("en", "ja"):
            for label, harmful in (("requests", True), ("benign", False)):
                sel = [
                    p
                    for p, r in zip(per_row, rows, strict=True)
                    if r["lang"] == lang and (r["label"] == "harmful") is harmful
                ]
                summary[f"{lang} {label}"] = {
                    "n": len(sel),
                    "unencoded": sum(not p["encoded"] for p in sel),
                    "N hold": sum(p["n"] >= HOLD_LEVEL for p in sel),
                    "N sure": sum(p["n_sure"] >= SURE_LEVEL for p in sel),
                    f"{chosen} hold": sum(p[chosen] >= HOLD_LEVEL for p in sel),
                    f"{chosen} sure": sum(p[f"{chosen}_sure"] >= SURE_LEVEL for p in sel),
                }
        print(json.dumps(summary, indent=1))
        out["probe"] = {"summary": summary, "rows": per_row}
    if args.write:
        heads[chosen].save(args.write)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
