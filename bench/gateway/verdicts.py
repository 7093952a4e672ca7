"""Verdict equivalence: the screen's prompt and answer verdicts on a fixed sample, saved, compared.

A performance change to the screening path must not change a verdict. This screens a fixed
sample through `ModelScorer` (what the gateway's `model` scorer calls) and records, per text,
the prompt classifier's raw scores (harm, per-category, jailbreak, gated, evidence), the
policy-scale verdict (harmful, score, category scores) and, for a share of them, the answer
judge's verdict on an answer and on the windows a streamed answer is judged on
(`passes.stream_windows`). The sample (about 400 texts):

- the team's validation prompts (harmful and benign, every fourth row),
- the same harmful ones padded with ordinary sentences, glued (`testing.padding.padded`),
- Dolly (EN and JA) and oasst1 prompts, first rows of each file,
- `screening.py`'s throughput prompts (the ~200-token ordinary request the benches send).

    python bench/gateway/verdicts.py save FILE      # e.g. on main before the change
    python bench/gateway/verdicts.py check FILE     # fails (exit 1) on any difference

Scores must agree within 1e-6 (`--exact`: bit for bit) and every decision (harmful, gated, top
category) and what the encoder reads (the whole's pieces and the segments chosen) exactly.
`--set validation` screens the prompt model's whole validation split instead (about 5,500
texts, EN and JA; the answer judge on every fourth), then the throughput prompts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from passes import stream_windows  # noqa: E402
from screening import prompt, unique_answer  # noqa: E402

from sekimori.classify.answers.model import JUDGE_PROMPT_CHARS  # noqa: E402

TOLERANCE = 1e-6


def _jsonl_texts(path: Path, n: int, *, skip: int = 0) -> list[str]:
    out: list[str] = []
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i < skip:
                continue
            text = str(json.loads(line)["text"])
            if text.strip():
                out.append(text)
            if len(out) == n:
                break
    return out


def sample() -> list[tuple[str, str]]:
    """(kind, text) pairs, always the same ones for the same data."""
    from sekimori.classify.corpus import CorpusSettings, Split, load_corpus
    from sekimori.paths import shared_data_dir
    from sekimori.testing.padding import padded

    corpus = load_corpus(CorpusSettings())
    val = [e for e in corpus if e.source == "team" and e.split is Split.VALIDATION]
    val = sorted(val, key=lambda e: e.text)[::4][:120]
    out = [("team", e.text) for e in val]
    harmful = [e for e in val if e.harmful][:80]
    for i, e in enumerate(harmful):
        count = (5, 10, 20)[i % 3]
        out.append(("padded", padded(e.text, e.lang, count, where="after", offset=i, glued=True)))
    data = shared_data_dir()
    out += [("dolly", t) for t in _jsonl_texts(data / "dolly-15k" / "prompts.jsonl", 60)]
    out += [("dolly-ja", t) for t in _jsonl_texts(data / "dolly-15k-ja" / "prompts.jsonl", 40)]
    out += [("oasst1", t) for t in _jsonl_texts(data / "oasst1-en" / "prompts.jsonl", 80)]
    out += [("bench", prompt(700_000 + i)) for i in range(20)]
    return out


def validation_sample() -> list[tuple[str, str]]:
    """The prompt model's validation split (as its training pool splits it), then the
    throughput prompts."""
    from sekimori.classify.corpus import Split
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR, PromptModel
    from sekimori.classify.train import corpus_settings_of, training_pool

    meta = PromptModel.load(DEFAULT_MODEL_DIR).meta
    pool = training_pool(corpus_settings_of(meta))
    out = [(f"val-{e.lang}", e.text) for e in pool.examples if e.split is Split.VALIDATION]
    return out + [("bench", prompt(700_000 + i)) for i in range(20)]


def screen(items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    from sekimori.classify.api import default_classifier
    from sekimori.gateway.screening.scorers import ModelScorer

    classifier = default_classifier()
    scorer = ModelScorer()
    out: list[dict[str, Any]] = []
    for n, (kind, text) in enumerate(items):
        raw = classifier.scores_batch([text])[0]
        verdict = scorer.score_prompts([text])[0]
        plan = classifier.plan(text)
        row: dict[str, Any] = {
            "kind": kind,
            "text": text,
            "harm": raw.harm,
            "jailbreak": raw.jailbreak,
            "gated": raw.gated,
            "categories": raw.categories,
            "evidence": raw.evidence,
            "harmful": verdict.harmful,
            "score": verdict.score,
            "top": verdict.top,
            "policy": verdict.categories,
            "encoded": [list(plan.whole), list(plan.segment_texts)],
        }
        if n % 4 == 0:  # the answer judge on a share: a whole answer and a stream's windows
            answer = unique_answer(n)
            judged = scorer.judge_answers([text[-JUDGE_PROMPT_CHARS:]], [answer])
            streamed = [
                scorer.judge_answers([text[-JUDGE_PROMPT_CHARS:]], [w])[0]
                for w in stream_windows(answer)
            ]
            row["answers"] = [
                {"harmful": v.harmful, "score": v.score, "categories": v.categories}
                for v in (*judged, *streamed)
            ]
        out.append(row)
    return out


def _diff(path: str, a: Any, b: Any, out: list[str], tolerance: float = TOLERANCE) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            out.append(f"{path}: keys {sorted(a)} != {sorted(b)}")
            return
        for k in a:
            _diff(f"{path}.{k}", a[k], b[k], out, tolerance)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items != {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(f"{path}[{i}]", x, y, out, tolerance)
    elif isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool):
        if abs(a - b) > tolerance:
            out.append(f"{path}: {a!r} != {b!r}")
    elif a != b:
        out.append(f"{path}: {a!r} != {b!r}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("save", "check"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--set", choices=("sample", "validation"), default="sample")
    parser.add_argument("--exact", action="store_true", help="scores equal bit for bit")
    args = parser.parse_args()
    items = validation_sample() if args.set == "validation" else sample()
    started = time.process_time()
    rows = screen(items)
    took = time.process_time() - started
    print(f"{len(rows)} texts screened, {took:.1f} s CPU", file=sys.stderr)
    if args.mode == "save":
        args.file.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    before = json.loads(args.file.read_text(encoding="utf-8"))
    diffs: list[str] = []
    _diff("rows", before, json.loads(json.dumps(rows)), diffs, 0.0 if args.exact else TOLERANCE)
    for line in diffs[:40]:
        print(line)
    print(f"{len(diffs)} differences over {len(rows)} texts")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
