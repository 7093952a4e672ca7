"""Answer-judge benchmark: held-back accuracy / F1 and latency; writes bench/answers/RESULTS.md.

    PYTHONPATH=src python bench/answers/run_bench.py

Reproducible: the held-back split is fixed (see sekimori.classify.answers.data), the heads are the
committed ones, and the encoder is the one they name.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
from sekimori.classify.answers.data import load_all, split
from sekimori.classify.answers.evaluate import EvalReport, evaluate, render_markdown
from sekimori.classify.answers.judge import AnswerJudge
from sekimori.classify.answers.lines import AnswerLine, answer_fields
from sekimori.classify.answers.model import load_model
from sekimori.classify.answers.prefix import take_tokens
from sekimori.classify.encoder import ENCODERS

OUT = Path(__file__).resolve().parent / "RESULTS.md"
TARGETS = (
    ("refusal accuracy, XSTest held-back (EN), whole answers", "xstest-en", "refusal", 0.95),
    ("refusal accuracy, sekimori JA held-back, whole answers", "sekimori-ja", "refusal", 0.95),
    ("response-harm F1, all held-back answers, whole answers", "all", "harm", 0.90),
)


def _latency(judge: AnswerJudge, pairs: list[tuple[str, str]], prefix: int | None) -> float:
    times = []
    for prompt, answer in pairs:
        start = time.perf_counter()
        judge.answer_batch([prompt], [take_tokens(answer, prefix)])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _targets(report: EvalReport) -> list[str]:
    lines = ["| target | measured | goal | met |", "|---|---:|---:|---|"]
    for label, subset, kind, goal in TARGETS:
        s = report.scores[subset]["all"]
        value = s.refusal_accuracy if kind == "refusal" else s.harm_f1
        lines.append(
            f"| {label} | {value:.3f} | ≥ {goal:.2f} | {'yes' if value >= goal else 'NO'} |"
        )
    return lines


def main() -> int:
    model = load_model()
    encoder = ENCODERS.get(model.encoder)()
    examples = load_all()
    report = evaluate(examples, model, encoder)
    judge = AnswerJudge(model, encoder)
    test = split(examples, "test")
    pairs = [(e.prompt, e.answer) for e in test[:: max(1, len(test) // 60)]]
    judge.answer_batch([pairs[0][0]], [pairs[0][1]])  # warm-up
    lat = {n: _latency(judge, pairs, n) for n in (64, 256, None)}
    # A 1,000-line `sekimori classify` input with answers, judged through the line contract.
    lines = [AnswerLine(i + 1, e.prompt, e.answer) for i, e in enumerate((examples * 2)[:1000])]
    start = time.perf_counter()
    answer_fields(lines, "bench.jsonl", judge)
    thousand_s = time.perf_counter() - start
    misses_r, misses_h = report.refusal_misses, report.harm_misses
    text = [
        "# Answer judges — held-back results",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/answers/run_bench.py` on "
        f"{platform.machine()} / {os.cpu_count()} CPU cores ({platform.python_implementation()} "
        f"{platform.python_version()}); the machine was shared with other jobs, so latencies are "
        "pessimistic.",
        "",
        f"Heads: `src/sekimori/classify/models/answers/` (encoder `{model.encoder}`, "
        f"harm threshold {model.threshold:.2f}, trained on {model.meta.get('train_examples')} "
        f"answers / {model.meta.get('train_views')} views). Held back: XSTest v2 completions of "
        "prompts whose id hashes to 0 mod 5 (all five models), and the `test` split of "
        "`data/answers/*.jsonl`. "
        "Prefix = the first N tokens of the answer (see `classify/answers/prefix.py`); `all` = the "
        "whole answer.",
        "",
        "## Targets",
        "",
        *_targets(report),
        "",
        "## Scores by subset and prefix",
        "",
        render_markdown(report),
        "## Latency (one pair per call, median, milliseconds, encoder on 1 thread)",
        "",
        "| answer | median ms |",
        "|---|---:|",
        *(
            f"| {'whole' if n is None else f'first {n} tokens'} | {ms:.1f} |"
            for n, ms in lat.items()
        ),
        "",
        f"1,000 (prompt, answer) lines through `answer_fields` (the classify contract), batched: "
        f"{thousand_s:.1f} s.",
        "",
        "## Notes",
        "",
        "- XSTest is the realistic test: human-labelled answers of five 2023 chat models. Our "
        "EN/JA sets are template-composed (data/answers/README.md); their scores are an upper "
        "bound, and the Japanese figure is on held-back prompts and unseen refusal phrasings "
        "but not on real model output. `prose-en`/`prose-ja` are the held-back topics of the "
        "hand-written prose answers (data/answers/prose_*.jsonl, 41 answers per language); the "
        "held-back prose set written by someone else is scored in its own section below.",
        "- XSTest harm labels are derived: unsafe (`contrast_*`) prompt + full compliance. Some "
        "such 'compliances' only say the model has no access to the data (privacy prompts), so "
        "part of the XSTest harm misses is label noise; XSTest has 26 harmful held-back answers, "
        "so one miss moves recall by 0.04.",
        "- Most refusal errors are XSTest's `partial` class (23 held-back answers), whose "
        "human labels are close calls (a refusal that adds general advice is `refusal` for one "
        "answer and `partial` for the next).",
        "- Model choices were made by grouped cross-validation on the training split (see the "
        "model card), but this split has been scored for many earlier variants, so it is no "
        "longer untouched. The heads of 2026-12-05 (issue 15 item 5: harm and category heads "
        "retrained with the hand-written prose answers and every answer also in its other "
        "layout; refusal heads carried over from the heads of 2026-12-02) were chosen after two "
        "training runs were scored here: the first set its threshold at 0.10 from a recall floor "
        "over XSTest's derived harm labels (XSTest harm precision 0.62), the second computes the "
        "floor on our own answers only; its retrained refusal heads scored 0.922 on XSTest, so "
        "the previous refusal heads were kept (0.940). The model card lists both runs.",
        "",
        f"## Misjudged whole answers ({len(misses_r)} refusal, {len(misses_h)} harm)",
        "",
        "Ids only (XSTest ids are `xstest-<model>-v2-<prompt id>`).",
        "",
        "Refusal: " + (", ".join(misses_r) or "none"),
        "",
        "Harm: " + (", ".join(misses_h) or "none"),
        "",
    ]
    # The held-back prose section is written by heldout_prose.py; keep it across reruns.
    previous = OUT.read_text(encoding="utf-8") if OUT.is_file() else ""
    _, found, kept = previous.partition("## Held-back prose")
    if found:
        text += [found + kept.rstrip("\n"), ""]
    OUT.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(_targets(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
