"""Request parsing: property tests that any input gets a ChatRequest or a 400 naming a field."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sekimori.gateway.errors import HttpError
from sekimori.gateway.parse import ROLES, parse_chat, parse_embedding, read_body

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
content = st.text(max_size=50) | st.lists(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=20)}), max_size=3
)
valid_message = st.fixed_dictionaries({"role": st.sampled_from(sorted(ROLES)), "content": content})
valid_request = st.fixed_dictionaries(
    {
        "model": st.text(min_size=1, max_size=30),
        "messages": st.lists(valid_message, min_size=1, max_size=8),
    },
    optional={
        "stream": st.booleans(),
        "temperature": st.floats(min_value=0, max_value=2),
        "max_tokens": st.integers(min_value=1, max_value=10_000),
        "extra_field": json_values,
    },
)


@settings(max_examples=150, deadline=None)
@given(valid_request)
def test_valid_requests_parse_and_keep_their_text(request: dict[str, Any]) -> None:
    parsed = parse_chat(orjson.dumps(request), max_messages=100)
    assert parsed.model == request["model"]
    assert parsed.stream is request.get("stream", False)
    assert len(parsed.messages) == len(request["messages"])
    for message, original in zip(parsed.messages, request["messages"], strict=True):
        assert message.role == original["role"]
        if isinstance(original["content"], str):
            assert message.content == original["content"]
        else:
            assert message.content == "\n".join(p["text"] for p in original["content"])
    assert parsed.body == request


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | json_values.map(orjson.dumps))
def test_any_other_input_is_a_400_never_a_crash(body: bytes) -> None:
    try:
        parse_chat(body, max_messages=100)
    except HttpError as exc:
        assert exc.status == 400
        error = orjson.loads(exc.body())["error"]
        assert error["message"] and error["type"] == "invalid_request_error"


@settings(max_examples=150, deadline=None)
@given(
    valid_request,
    st.sampled_from(["model", "messages", "stream", "temperature", "max_tokens"]),
    json_values,
)
def test_a_broken_field_is_named(request: dict[str, Any], field: str, value: Any) -> None:
    request = {**request, field: value}
    try:
        parse_chat(orjson.dumps(request), max_messages=100)
    except HttpError as exc:
        assert exc.param is not None and exc.param.startswith(field)


@pytest.mark.parametrize("stream", [True, {}, 0, "", []])
def test_an_embeddings_stream_that_is_not_false_is_refused(stream: Any) -> None:
    body = orjson.dumps({"model": "m", "input": "x", "stream": stream})
    with pytest.raises(HttpError) as refused:
        parse_embedding(body, max_messages=8)
    assert refused.value.status == 400 and refused.value.param == "stream"
    for fine in (False, None):
        parse_embedding(orjson.dumps({"model": "m", "input": "x", "stream": fine}), max_messages=8)


def test_body_limit_counts_while_reading() -> None:
    parts = [b"x" * 600, b"x" * 600]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts)}

    with pytest.raises(HttpError) as info:
        asyncio.run(read_body(receive, None, 1000))
    assert info.value.status == 413
    assert parts == []  # it stopped at the second chunk, the first that crossed the limit
