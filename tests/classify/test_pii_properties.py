"""Invariants on arbitrary text: spans in bounds, sorted, disjoint; redaction round-trips."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from sekimori.classify.pii import RedactionSession, redact, restore, scan

PIECES = [
    "090-1234-5678",
    "０９０－１２３４－５６７８",
    "4111 1111 1111 1111",
    "マイナンバー：1234 5678 9018",
    "taro@example.co.jp",
    "氏名：山田太郎",
    "様",
    "Dear Ms. Smith,",
    "192.168.0.1",
    "::",
    "〒100-0005 東京都千代田区丸の内1-2-3",
    "password: Tr0ub4dor&3",
    "<PERSON_1>",
    " ",
    "\n",
    "-",
    "0",
    "注文番号",
    "eyJ",
    "@",
]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=15).map("".join)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_spans_are_in_bounds_sorted_and_disjoint(text: str) -> None:
    spans = scan(text)
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert 0.0 < s.score <= 1.0
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


@settings(max_examples=150, deadline=None)
@given(texts)
def test_redaction_round_trips_when_the_text_has_no_placeholder_of_its_own(text: str) -> None:
    red = redact(text, RedactionSession())
    if "<" not in text:
        assert restore(red.text, red.mapping) == text
    assert all(red.mapping[p] in text for p in red.mapping)
