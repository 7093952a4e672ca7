"""The PII scanner's findings are pinned: speed work must not change a single span.

`pii_findings.json` was recorded from the scanner before the speed work of 2026-12-02
(commit a201d08): a digest of every finding (start, end, type, score) on the labelled bench
and dev sets, on the bench set concatenated as the speed benchmark scans it, and on a fixed
set of spliced texts (pieces of both sets cut at arbitrary offsets and joined with values and
look-alikes, some upper-cased or full-width), plus the per-type precision/recall counts of
`bench/pii/run.py`'s evaluation. A change that alters findings on purpose re-records it:

    cd tests/classify && PYTHONPATH=../../src python test_pii_findings_unchanged.py \\
        > pii_findings.json
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sekimori.classify.pii import scan

ROOT = Path(__file__).resolve().parents[2]
RECORD = Path(__file__).with_name("pii_findings.json")

PIECES = [
    "090-1234-5678",
    "０３－１２３４－５６７８",
    "+81 3-1234-5678",
    "(415) 555-0100",
    "Tel: 415-555-0100",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "注文番号 4111111111111111",
    "マイナンバー：1234 5678 9018",
    "口座番号 1234567",
    "IBAN DE89 3704 0044 0532 0130 00",
    "passport TK1234567",
    "taro@example.co.jp",
    "192.168.0.1",
    "fe80::1",
    "2001:db8::ff00:42:8329",
    "version 1.2.3.4",
    "生年月日：1990年1月2日",
    "1985/03/04生まれ",
    "DOB: March 3, 1985",
    "〒100-0005 東京都千代田区丸の内1-2-3",
    "Address: 1600 Pine Street, Springfield, IL 62704",
    "氏名：山田太郎",
    "山田 太郎 様",
    "営業部の高橋です",
    "Dear Ms. Smith,",
    "Best regards,\nJohn Smith\n",
    "password: Tr0ub4dor&3",
    "eyJ",
    "ORDER ",
    "Invoice No. ",
    "Card: ",
    "İıſ\u212a",
    "様",
    "生",
    "ー",
    "：",
    ":",
    "-",
    " ",
    "\u3000",
    "\n",
]


def _rows(split: str) -> list[dict[str, Any]]:
    path = ROOT / "data" / "pii" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _spliced(texts: list[str], count: int) -> Iterator[str]:
    """`count` texts cut and joined from `texts` and PIECES, the same on every platform (a
    fixed linear congruential generator, not `random`)."""
    state = 20261202
    whole = "\n".join(texts)
    fullwidth = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}

    def draw(n: int) -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        return (state >> 33) % n

    for _ in range(count):
        parts = []
        for _ in range(1 + draw(6)):
            if draw(10) < 6:
                at = draw(len(whole))
                parts.append(whole[at : at + 1 + draw(160)])
            else:
                parts.append(PIECES[draw(len(PIECES))])
        text = "".join(parts)
        kind = draw(10)
        if kind == 0:
            text = text.translate(fullwidth)
        elif kind == 1:
            text = text.upper()
        elif kind == 2:
            text = text.lower()
        yield text


def _digest(texts: Iterator[str] | list[str]) -> str:
    h = hashlib.sha256()
    for text in texts:
        found = [[s.start, s.end, s.type.value, s.score] for s in scan(text)]
        h.update(json.dumps(found).encode())
        h.update(b"\n")
    return h.hexdigest()


def _evaluation(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    spec = importlib.util.spec_from_file_location(
        "pii_bench_run", ROOT / "bench" / "pii" / "run.py"
    )
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = run  # its dataclasses look their module up
    spec.loader.exec_module(run)
    tp, fp, fn, exact, _errors = run.evaluate(rows)
    types = sorted(set(tp) | set(fp) | set(fn))
    return {t: [tp[t], fp[t], fn[t], exact[t]] for t in types}


def current() -> dict[str, Any]:
    bench, dev = _rows("bench"), _rows("dev")
    texts = [str(r["text"]) for r in bench + dev]
    return {
        "bench": _digest([str(r["text"]) for r in bench]),
        "dev": _digest([str(r["text"]) for r in dev]),
        "bench_concatenated": _digest(["\n\n".join(str(r["text"]) for r in bench)]),
        "spliced_2000": _digest(_spliced(texts, 2000)),
        "evaluation_bench": _evaluation(bench),
        "evaluation_dev": _evaluation(dev),
    }


@pytest.fixture(scope="module")
def now() -> dict[str, Any]:
    return current()


@pytest.mark.parametrize(
    "key",
    ["bench", "dev", "bench_concatenated", "spliced_2000", "evaluation_bench", "evaluation_dev"],
)
def test_findings_unchanged(now: dict[str, Any], key: str) -> None:
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    assert now[key] == recorded[key]


if __name__ == "__main__":
    json.dump(current(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
