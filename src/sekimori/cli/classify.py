"""`sekimori classify --input IN.jsonl --output OUT.jsonl`: a stable contract other tools use.

Each input line is `{"id": ..., "text": ...}` (`id` optional: the line number then). Each output
line is `{"id", "harmful", "score", "categories": {taxonomy id: score}, "top", "lang"}`, in input
order. A line with an `"answer"` (a model's answer to `text`) also gets the answer judges' fields:
`answer_harmful`, `answer_score`, `answer_categories`, `refusal` (refusal|compliance|partial) and
`refusal_score`.
With `--judge-url` (or `--guard URL --guard-model KIND`, a guard model: docs/guards.md), prompts
whose score falls in the uncertain band go to that judge (the cascade) and their lines get
`"judged": true`; a judge that fails leaves the classifier's verdict.
Streams in batches (constant memory); a progress bar only on a terminal; the first bad line stops
the run with an error naming it (`IN.jsonl:LINE`), after the lines before it were written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sekimori.classify.cascade import BatchClassifier, CascadeClassifier
from sekimori.cli.jsonl import text_row
from sekimori.cli.judge import add_judge_arguments, cascade_of
from sekimori.errors import InputError
from sekimori.lang import Text

BATCH = 32

_BAD_ANSWER = Text(
    en="field 'answer' must be a non-empty string",
    ja="フィールド 'answer' は空でない文字列でなければなりません",
)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "classify",
        help="Classify prompts in a JSONL file. / JSONL ファイルのプロンプトを分類します。",
        description='Reads {"id", "text"} lines and writes one verdict line per input. / '
        '{"id", "text"} の各行を読み、1 行ごとに判定を書き出します。',
    )
    p.add_argument("--input", required=True, help="JSONL file, or - for standard input")
    p.add_argument("--output", required=True, help="JSONL file, or - for standard output")
    p.add_argument("--model", type=Path, default=None, help="artefact folder (default: built-in)")
    p.add_argument("--lang", choices=("en", "ja"), default="en", help="language of error messages")
    add_judge_arguments(p)
    p.set_defaults(func=run)


@dataclass(frozen=True, slots=True)
class Item:
    line: int
    id: Any
    text: str
    answer: str | None = None


class _Counted:
    """Lines of a stream, counting the bytes read so far (for the progress bar)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.bytes = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.stream:
            self.bytes += len(line.encode("utf-8"))
            yield line


def read_items(stream: Iterable[str], source: str, lang: str = "en") -> Iterator[Item]:
    """Parse input lines lazily; blank lines are skipped; a bad line raises InputError naming it."""
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        row = text_row(line, source=source, number=n, lang=lang)
        answer = row.get("answer")
        if answer is not None and (not isinstance(answer, str) or not answer.strip()):
            raise InputError(_BAD_ANSWER(lang), source=source, line=n)
        yield Item(n, row.get("id", n), row["text"], answer)


def _batches(items: Iterator[Item]) -> Iterator[list[Item]]:
    """Batches of BATCH items; on a bad line, the good lines before it still come out first."""
    batch: list[Item] = []
    try:
        for item in items:
            batch.append(item)
            if len(batch) == BATCH:
                yield batch
                batch = []
    except InputError:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def _open(path: str, mode: str) -> IO[str]:
    try:
        return open(path, mode, encoding="utf-8")
    except OSError as exc:
        verb = "read" if mode == "r" else "write"
        raise InputError(f"cannot {verb}: {exc.strerror}", source=path) from None


def _judge_answers(batch: list[Item], source: str) -> dict[int, dict[str, object]]:
    """The answer judges' fields for the lines of `batch` that carry an answer, by line number."""
    with_answer = [it for it in batch if it.answer is not None]
    if not with_answer:
        return {}
    from sekimori.classify.answers.lines import AnswerLine, answer_fields

    fields = answer_fields([AnswerLine(it.line, it.text, it.answer) for it in with_answer], source)
    return {it.line: f for it, f in zip(with_answer, fields, strict=True)}


def run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from sekimori.classify.api import default_classifier
    from sekimori.classify.prompt import PromptClassifier

    judge = cascade_of(args)
    model = PromptClassifier.load(args.model) if args.model else default_classifier()
    clf: BatchClassifier = model
    cascade: CascadeClassifier | None = None
    if judge is not None:
        cascade = CascadeClassifier(clf, judge.judge, model.band_or(judge.band))
        clf = cascade
    source = "<stdin>" if args.input == "-" else args.input
    columns = (
        TextColumn("classify"),
        BarColumn(),
        TextColumn("{task.fields[n]} lines"),
        TimeRemainingColumn(),
    )
    with ExitStack() as stack:
        inp = sys.stdin if args.input == "-" else stack.enter_context(_open(args.input, "r"))
        out = sys.stdout if args.output == "-" else stack.enter_context(_open(args.output, "w"))
        size = 0 if inp is sys.stdin else os.fstat(inp.fileno()).st_size
        show = sys.stderr.isatty() and size > 0
        bar = stack.enter_context(Progress(*columns, disable=not show, transient=True))
        task = bar.add_task("classify", total=size, n=0)
        done = 0
        lines = _Counted(inp)
        for batch in _batches(read_items(lines, source, args.lang)):
            verdicts = clf.classify_batch([it.text for it in batch])
            judged = _judge_answers(batch, source)
            for it, v in zip(batch, verdicts, strict=True):
                row: dict[str, object] = {
                    "id": it.id,
                    "harmful": v.harmful,
                    "score": v.score,
                    "categories": dict(v.categories),
                    "top": v.top,
                    "lang": v.lang,
                    **judged.get(it.line, {}),
                }
                if cascade is not None:
                    row["judged"] = v.source.endswith("+judge")
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            done += len(batch)
            out.flush()
            bar.update(task, completed=lines.bytes, n=done)
    if cascade is not None:
        st = cascade.stats
        print(
            f"judge: {st.escalated} escalated, {st.overturned} overturned, "
            f"{st.failed} without a ruling / 判定器: {st.escalated} 件送信, "
            f"{st.overturned} 件変更, {st.failed} 件回答なし",
            file=sys.stderr,
        )
    return 0
