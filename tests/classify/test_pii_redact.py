"""Reversible redaction: round trip, stable placeholders per conversation, split placeholders."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sekimori.classify.pii import PiiType, RedactionSession, StreamRestorer, redact, restore

TEXT = "氏名：山田太郎、カード 4111 1111 1111 1111、携帯 090-1234-5678。Contact john@example.com"


def test_round_trip_restores_the_original() -> None:
    r = redact(TEXT)
    assert "山田太郎" not in r.text and "4111" not in r.text and "john@" not in r.text
    assert "<PERSON_1>" in r.text and "<CARD_1>" in r.text and "<PHONE_1>" in r.text
    assert restore(r.text, r.mapping) == TEXT


def test_same_value_same_placeholder_across_turns() -> None:
    session = RedactionSession()
    first = redact("携帯 090-1234-5678 / 03-1234-5678", session)
    # A different spelling of the same number (full width, no hyphens) is the same value.
    second = redact("折り返しは ０９０１２３４５６７８ へ", session)
    assert first.text == "携帯 <PHONE_1> / <PHONE_2>"
    assert second.text == "折り返しは <PHONE_1> へ"
    assert session.mapping["<PHONE_1>"] == "090-1234-5678"


def test_only_requested_types_are_redacted() -> None:
    r = redact(TEXT, types=[PiiType.CARD])
    assert "山田太郎" in r.text and "<CARD_1>" in r.text and list(r.mapping) == ["<CARD_1>"]


def test_unknown_placeholders_are_left_alone() -> None:
    assert restore("see <CARD_9> and <b>", {"<CARD_1>": "x"}) == "see <CARD_9> and <b>"


def test_stream_restorer_handles_a_placeholder_split_across_chunks() -> None:
    mapping = {"<PERSON_1>": "山田太郎", "<CARD_12>": "4111 1111 1111 1111"}
    restorer = StreamRestorer(mapping)
    out = [restorer.feed(c) for c in ["Hello <PER", "SON_1>, card <CARD_1", "2> ok <", "b>"]]
    out.append(restorer.flush())
    assert "".join(out) == "Hello 山田太郎, card 4111 1111 1111 1111 ok <b>"
    assert out[0] == "Hello "  # only the partial placeholder is held back


def test_stream_restorer_does_not_hold_text_that_cannot_be_a_placeholder() -> None:
    restorer = StreamRestorer({"<PERSON_1>": "x"})
    assert restorer.feed("a < b and <X") == "a < b and <X"


@given(
    st.lists(
        st.sampled_from(["<PERSON_1>", "<CARD_1>", "abc", "<", ">", "_", "1", "日本"]), max_size=12
    ),
    st.lists(st.integers(min_value=0, max_value=60), max_size=6),
)
def test_stream_restorer_equals_whole_restore_for_any_chunking(
    parts: list[str], cuts: list[int]
) -> None:
    mapping = {"<PERSON_1>": "山田太郎", "<CARD_1>": "4242"}
    text = "".join(parts)
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    restorer = StreamRestorer(mapping)
    streamed = "".join(restorer.feed(text[a:b]) for a, b in itertools.pairwise(bounds))
    assert streamed + restorer.flush() == restore(text, mapping)


PLUGIN = """
from sekimori.classify.pii import DETECTORS, PiiSpan, PiiType, redact, scan

@DETECTORS.register("employee-id")
def employee_ids(text):
    i = text.find("EMP-")
    return [PiiSpan(i, i + 9, PiiType.PERSON, 0.9)] if i != -1 else []

assert [s.type for s in scan("id EMP-12345")] == [PiiType.PERSON]
print(redact("id EMP-12345").text)
"""


def test_a_registered_plugin_detector_is_used_by_scan_and_redact() -> None:
    # In its own process: the registry is global and has no way to unregister.
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-c", PLUGIN],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "id <PERSON_1>"
