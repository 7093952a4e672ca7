"""HarmBench's copyright items through the offline `ModelScorer` (policy scale), the committed
n-gram detector alone (N) against the model folder's detector with its copyright head: items
whose `ip.copyright` reaches hold (0.5) and sure (0.75), and how many get no encoder pass.
``--head DIR`` reads the head from DIR (a head not adopted into the model folder).
Evaluation-only: measured once after the decision (bench/classifier/COPYRIGHT_HEAD_RULE.md),
nothing chosen on it; the texts are neither printed nor stored.

    PYTHONPATH=src python bench/classifier/copyright_head_harmbench.py [--head DIR]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from sekimori.classify.copyright_head import CopyrightHead
from sekimori.classify.evalsets import harmbench
from sekimori.gateway.screening.scorers import ModelScorer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--head", type=Path)
    args = parser.parse_args()
    root = Path(os.environ["SEKIMORI_SHARED_DATA"])
    texts = [i.text for i in harmbench(root).items if i.label == "copyright"]
    out = {"n": len(texts)}
    for name in ("with head", "N"):
        scorer = ModelScorer(second_opinion=False)
        classifier = scorer._prompt_classifier()
        if name == "N":
            classifier.copyright_head = None
        elif args.head is not None:
            classifier.copyright_head = CopyrightHead.load(args.head)
        elif classifier.copyright_head is None:
            raise SystemExit("the model folder has no copyright head")
        verdicts = [
            v for i in range(0, len(texts), 16) for v in scorer.score_prompts(texts[i : i + 16])
        ]
        scores = [v.categories.get("ip.copyright", 0.0) for v in verdicts]
        sure = [(v.certain or v).categories.get("ip.copyright", 0.0) for v in verdicts]
        out[name] = {
            "hold": sum(s >= 0.5 for s in scores),
            "sure": sum(s >= 0.75 for s in sure),
            "unencoded": sum(not classifier.encoded_pieces(t) for t in texts),
        }
        print(name, out[name], flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
