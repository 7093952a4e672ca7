"""`sekimori pii`: find PII and secrets in a JSONL file and write spans and redacted text."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sekimori.classify.pii import RedactionSession, default_scanner, parse_types, redact
from sekimori.cli.jsonl import text_row
from sekimori.errors import InputError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "pii",
        help="find personal data and secrets; write spans and redacted text "
        "(個人情報・秘密情報の検出とマスキング)",
        description='Reads JSONL lines {"id", "text"} and writes {"id", "spans", "redacted"}. '
        'JSONL の各行 {"id", "text"} から個人情報と秘密情報を検出し、'
        "位置とマスク済みテキストを書き出します。",
    )
    p.add_argument("--input", required=True, help="JSONL input, '-' for stdin (入力ファイル)")
    p.add_argument("--output", required=True, help="JSONL output, '-' for stdout (出力ファイル)")
    p.add_argument(
        "--types",
        default="all",
        help="comma-separated entity types to report, 'secrets' for all secret kinds (default all)",
    )
    p.add_argument(
        "--min-score", type=float, default=0.5, help="confidence threshold (default 0.5)"
    )
    p.add_argument(
        "--with-mapping",
        action="store_true",
        help="also write placeholder -> original value (contains the personal data; "
        "元の値を含みます)",
    )
    p.set_defaults(func=run)


@contextmanager
def _open(path: str, mode: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin if "r" in mode else sys.stdout
        return
    try:
        f = Path(path).open(mode, encoding="utf-8")  # noqa: SIM115  (closed below)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror} (開けません)", source=path) from None
    with f:
        yield f


def run(args: argparse.Namespace) -> int:
    if not 0.0 <= args.min_score <= 1.0:
        raise InputError("--min-score must be between 0 and 1 (0〜1 で指定してください)")
    scanner = default_scanner(min_score=args.min_score, types=parse_types(args.types))
    progress = sys.stderr.isatty()
    source = "<stdin>" if args.input == "-" else args.input
    count = 0
    with _open(args.input, "r") as src, _open(args.output, "w") as dst:
        for number, line in enumerate(src, start=1):
            if not line.strip():
                continue
            text, row_id = _parse(line, source, number)
            red = redact(text, RedactionSession(), scanner=scanner)
            out: dict[str, object] = {
                "id": row_id,
                "spans": [
                    {"start": s.start, "end": s.end, "type": s.type.value, "score": s.score}
                    for s in red.spans
                ],
                "redacted": red.text,
            }
            if args.with_mapping:
                out["mapping"] = dict(red.mapping)
            dst.write(json.dumps(out, ensure_ascii=False) + "\n")
            count += 1
            if progress and count % 500 == 0:
                print(f"\r{count} lines", end="", file=sys.stderr, flush=True)
    if progress:
        print(f"\r{count} lines done (完了)", file=sys.stderr)
    return 0


def _parse(line: str, source: str, number: int) -> tuple[str, object]:
    row = text_row(line, source=source, number=number)
    return row["text"], row.get("id", number)
