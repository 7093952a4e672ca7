"""The upstream event splitter: only JSON-object data events come out; the rest is counted."""

from __future__ import annotations

from sekimori.gateway.sse import DONE, EventSplitter


def test_events_split_across_reads_and_crlf_come_out_whole() -> None:
    splitter = EventSplitter()
    assert splitter.feed(b'data: {"a"') == []
    events = splitter.feed(b": 1}\r\n\r\ndata: [DONE]\r\n\r\n")
    assert [(e.raw, e.data, e.done) for e in events] == [
        (b'data: {"a": 1}\n\n', {"a": 1}, False),
        (DONE, {}, True),
    ]
    assert splitter.dropped == 0


def test_invalid_lines_are_dropped_and_counted_comments_silently() -> None:
    splitter = EventSplitter()
    junk = (
        b"data: {not json\n\n"
        b"data: [1, 2]\n\n"
        b"garbage\n\n"
        b"event: ping\n\n"
        b": keep-alive\n\n"
        b'event: message\nid: 7\ndata: {"ok": true}\n\n'
    )
    events = splitter.feed(junk)
    # The event with extra lines is kept, as one data line only.
    assert [e.raw for e in events] == [b'data: {"ok": true}\n\n']
    assert splitter.dropped == 4


def test_end_delivers_a_last_event_without_its_blank_line() -> None:
    splitter = EventSplitter()
    first = splitter.feed(b'data: {"i": 1}\n\ndata: {"i": 2}\n')
    assert [e.data for e in first] == [{"i": 1}]
    assert [(e.raw, e.data) for e in splitter.end()] == [(b'data: {"i": 2}\n\n', {"i": 2})]
    assert splitter.end() == []
    broken = EventSplitter()
    broken.feed(b'data: {"cut')
    assert broken.end() == [] and broken.dropped == 1
