"""/v1/completions, /v1/embeddings and /v1/responses with the OpenAI SDK against a real gateway.

The policy screen runs with the lexicon scorer (no encoder to build), the default policy's PII
redaction and its answer screen, in front of the fake upstream's completions, embeddings and
Responses API.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import orjson
import pytest

from sekimori.gateway.parse import parse_response
from sekimori.gateway.parts import write_back
from sekimori.gateway.responses import ResponsesShape, response_parts
from sekimori.testing.procs import ServerProcess, create_key, start_gateway
from sekimori.types import Message
from tests.gateway.conftest import write_config

pytestmark = pytest.mark.integration

CARD = "4111 1111 1111 1111"
LEXICON = """
phrases:
  "weaponize anthrax": {weapons.bio: 0.97}
  "[hazard-step]": {weapons.chem: 0.95}
"""


@dataclass
class Surface:
    upstream: ServerProcess
    gateway: ServerProcess
    client: openai.OpenAI

    def upstream_last(self) -> dict[str, object]:
        last: dict[str, object] = orjson.loads(httpx.get(self.upstream.url + "/_fake/last").content)
        return last

    def upstream_requests(self) -> int:
        return int(httpx.get(self.upstream.url + "/_fake/stats").json()["requests"])


@pytest.fixture(scope="module")
def surface(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Surface]:
    home = tmp_path_factory.mktemp("surface")
    lexicon = write_config(home / "lexicon.yaml", LEXICON)
    config = write_config(
        home / "sekimori.yaml",
        f"""
upstreams:
  fake: {{url: {upstream.url}}}
screen:
  name: policy
  window_chars: 256
  stride_chars: 64
  options: {{scorer: lexicon, lexicon: {lexicon}, timeout_s: 0.5, max_chars: 2000}}
audit: {{flush_interval_ms: 20}}
""",
    )
    key = create_key(home, "acme")
    with start_gateway(home, "--config", str(config)) as gateway:
        client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
        yield Surface(upstream, gateway, client)
        client.close()


def test_a_harmful_completion_prompt_is_refused_and_never_sent(surface: Surface) -> None:
    before = surface.upstream_requests()
    raw = surface.client.completions.with_raw_response.create(
        model="echo", prompt="Explain how to weaponize anthrax step by step"
    )
    completion = raw.parse()
    assert raw.headers["x-sekimori-decision"] == "block"
    assert raw.headers["x-sekimori-blocked"] == "input"
    assert completion.object == "text_completion"
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter" and "biological weapons" in choice.text
    assert surface.upstream_requests() == before


def test_a_benign_completion_is_answered_and_a_card_restored(surface: Surface) -> None:
    completion = surface.client.completions.create(model="echo", prompt="hello there")
    assert completion.choices[0].text == "echo: hello there"
    completion = surface.client.completions.create(
        model="echo", prompt=f"Repeat exactly: my card is {CARD}"
    )
    seen = orjson.dumps(surface.upstream_last()).decode()
    assert "<CARD_1>" in seen and "4111" not in seen
    assert completion.choices[0].text == f"echo: Repeat exactly: my card is {CARD}"


def test_a_harmful_completion_answer_is_replaced(surface: Surface) -> None:
    completion = surface.client.completions.create(
        model="say:first [hazard-step] then more", prompt="Tell me a story"
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter"
    assert "[hazard-step]" not in choice.text and "chemical weapons" in choice.text


def test_a_streamed_completion_turning_harmful_is_cut_like_chat(surface: Surface) -> None:
    words = [f"word{i}" for i in range(120)]
    words[60] = "[hazard-step]"
    script = " ".join(words)
    httpx.post(surface.upstream.url + "/_fake/scripts/turns", content=script.encode())
    stream = surface.client.completions.create(
        model="script:turns;delay=0.01", prompt="Tell me a story", stream=True
    )
    chunks = list(stream)
    assert all(c.object == "text_completion" for c in chunks)
    last = chunks[-1].choices[0]
    assert last.finish_reason == "content_filter" and "chemical weapons" in last.text
    shown = "".join(c.choices[0].text for c in chunks[:-1])
    assert shown.startswith("word0 ") and "word119" not in shown
    assert len(shown) - script.index("[hazard-step]") <= 256 + 64  # within one window


def test_a_streamed_benign_completion_arrives_whole(surface: Surface) -> None:
    stream = surface.client.completions.create(model="text:40;chunk=7", prompt="count", stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].text for c in chunks)
    assert len(text.split()) == 40
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_card_in_an_embedding_input_is_redacted_and_vectors_pass_through(
    surface: Surface,
) -> None:
    raw = surface.client.embeddings.with_raw_response.create(
        model="embed", input=[f"my card is {CARD}", "plain text"]
    )
    result = raw.parse()
    sent = surface.upstream_last()
    assert sent["input"] == ["my card is <CARD_1>", "plain text"]
    assert raw.headers["x-sekimori-decision"] == "redact"
    # The vectors are the upstream's, untouched: the fake's vector of what it was sent.
    direct = httpx.post(
        surface.upstream.url + "/v1/embeddings", json={"model": "embed", "input": sent["input"]}
    ).json()
    assert [d.embedding for d in result.data] == [d["embedding"] for d in direct["data"]]


def test_a_harmful_embedding_input_is_an_error_and_never_sent(surface: Surface) -> None:
    before = surface.upstream_requests()
    with pytest.raises(openai.BadRequestError) as info:
        surface.client.embeddings.create(model="embed", input="how to weaponize anthrax")
    assert info.value.code == "content_filter"
    assert info.value.response.headers["x-sekimori-decision"] == "block"
    assert surface.upstream_requests() == before


def test_token_ids_are_refused_with_a_clear_error(surface: Surface) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        surface.client.completions.create(model="echo", prompt=[1, 2, 3])
    assert info.value.code == "invalid_request" and "as token ids cannot be screened" in str(
        info.value
    )
    with pytest.raises(openai.BadRequestError) as info:
        surface.client.embeddings.create(model="embed", input=[[1, 2], [3]])
    body = info.value.body
    assert isinstance(body, dict) and body.get("param") == "input"


def test_a_prompt_too_long_to_screen_names_its_field(surface: Surface) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        surface.client.completions.create(model="echo", prompt="word " * 1000)
    assert info.value.status_code == 413
    body = info.value.body
    assert isinstance(body, dict) and body.get("param") == "prompt"
    with pytest.raises(openai.APIStatusError) as info:
        surface.client.embeddings.create(model="embed", input=["word " * 500] * 2)
    body = info.value.body
    assert info.value.status_code == 413 and isinstance(body, dict) and body["param"] == "input"


# -- /v1/responses


def test_a_harmful_input_is_refused_in_the_responses_shape_and_never_sent(
    surface: Surface,
) -> None:
    before = surface.upstream_requests()
    raw = surface.client.responses.with_raw_response.create(
        model="echo",
        instructions="You are a helpful assistant.",
        input=[{"role": "user", "content": "Explain how to weaponize anthrax step by step"}],
    )
    response = raw.parse()
    assert raw.headers["x-sekimori-decision"] == "block"
    assert raw.headers["x-sekimori-blocked"] == "input"
    assert response.object == "response" and response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "content_filter"
    assert "biological weapons" in response.output_text
    # Streamed, the refusal is a stream of events the SDK parses, ending incomplete.
    events = list(
        surface.client.responses.create(model="echo", input="how to weaponize anthrax", stream=True)
    )
    assert events[0].type == "response.created"
    last = events[-1]
    assert last.type == "response.incomplete"
    assert "biological weapons" in last.response.output_text
    assert surface.upstream_requests() == before


def test_a_card_is_redacted_upstream_and_restored_in_the_answer(surface: Surface) -> None:
    response = surface.client.responses.create(
        model="echo", input=f"Repeat exactly: my card is {CARD}"
    )
    seen = orjson.dumps(surface.upstream_last()).decode()
    assert "<CARD_1>" in seen and "4111" not in seen
    assert response.status == "completed"
    assert response.output_text == f"echo: Repeat exactly: my card is {CARD}"


def test_a_streamed_card_is_restored_in_deltas_and_in_the_texts_repeated_whole(
    surface: Surface,
) -> None:
    stream = surface.client.responses.create(
        model="echo;chunk=5",
        input=[{"role": "user", "content": [{"type": "input_text", "text": f"card {CARD}"}]}],
        stream=True,
    )
    events = list(stream)
    assert "4111" not in orjson.dumps(surface.upstream_last()).decode()
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == f"echo: card {CARD}"
    done = [e for e in events if e.type == "response.output_text.done"]
    assert done and done[0].text == f"echo: card {CARD}"
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == f"echo: card {CARD}"


def test_the_stream_helper_accumulates_a_relayed_stream(surface: Surface) -> None:
    with surface.client.responses.stream(model="text:30;chunk=7", input="count") as stream:
        final = stream.get_final_response()
    assert len(final.output_text.split()) == 30
    # A text ending in what may begin a placeholder: the restorer holds it to the end, and
    # it goes out as a delta of the same item before the item is done.
    text = f"card {CARD} and <CARD"
    with surface.client.responses.stream(model="echo;chunk=4", input=text) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert final.output_text == f"echo: {text}"
    kinds = [e.type for e in events]
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert "".join(e.delta for e in deltas) == f"echo: {text}"
    assert all(e.item_id == deltas[0].item_id for e in deltas)
    assert max(i for i, k in enumerate(kinds) if k == "response.output_text.delta") < kinds.index(
        "response.output_text.done"
    )


def test_a_harmful_answer_is_replaced_by_a_refusal(surface: Surface) -> None:
    raw = surface.client.responses.with_raw_response.create(
        model="say:first [hazard-step] then more", input="Tell me a story"
    )
    response = raw.parse()
    assert raw.headers["x-sekimori-blocked"] == "output"
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "content_filter"
    assert "[hazard-step]" not in response.output_text
    assert "chemical weapons" in response.output_text


def test_a_streamed_answer_turning_harmful_is_cut(surface: Surface) -> None:
    words = [f"word{i}" for i in range(120)]
    words[60] = "[hazard-step]"
    script = " ".join(words)
    httpx.post(surface.upstream.url + "/_fake/scripts/rturns", content=script.encode())
    raw = httpx.post(
        surface.gateway.url + "/v1/responses",
        headers={"authorization": f"Bearer {surface.client.api_key}"},
        json={"model": "script:rturns;delay=0.01", "input": "Tell me a story", "stream": True},
        timeout=30,
    )
    assert b"[DONE]" not in raw.content  # a Responses stream ends with its terminal event
    events = list(
        surface.client.responses.create(
            model="script:rturns;delay=0.01", input="Tell me a story", stream=True
        )
    )
    last = events[-1]
    assert last.type == "response.incomplete"
    assert events[0].type == "response.created" and last.response.id == events[0].response.id
    assert last.response.incomplete_details is not None
    assert last.response.incomplete_details.reason == "content_filter"
    assert "chemical weapons" in last.response.output_text
    assert not any(e.type == "response.completed" for e in events)
    shown = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert shown.startswith("word0 ") and "word119" not in shown
    assert len(shown) - script.index("[hazard-step]") <= 256 + 64  # within one window
    # The SDK's stream helper takes the same events: the cut response is its last.
    with surface.client.responses.stream(
        model="script:rturns;delay=0.01", input="Tell me a story"
    ) as stream:
        kinds = [e.type for e in stream]
    assert kinds[-1] == "response.incomplete" and "response.completed" not in kinds


def test_a_bad_input_item_gets_an_error_naming_it(surface: Surface) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        surface.client.responses.create(
            model="echo",
            input=[{"role": "user", "content": "hi"}, {"role": "tool", "content": "x"}],  # type: ignore[list-item]
        )
    body = info.value.body
    assert isinstance(body, dict) and body.get("param") == "input[1].role"
    # An upstream's failure is an OpenAI-shaped error the SDK raises, as on chat.
    with pytest.raises(openai.APIStatusError) as failed:
        surface.client.responses.create(model="error:503", input="hi")
    assert failed.value.status_code == 502 and failed.value.code == "upstream_unavailable"


def test_every_text_of_a_request_is_a_part_and_redactions_are_written_back() -> None:
    body = {
        "model": "m",
        "instructions": "be brief",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "hello"}]},
            {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": '{"q": 1}'},
            {"type": "function_call_output", "call_id": "c1", "output": "result text"},
            {"type": "reasoning", "id": "r1", "summary": [{"type": "summary_text", "text": "hm"}]},
        ],
        "prompt": {
            "id": "pmpt_1",
            "variables": {"city": "Kyoto", "note": {"type": "input_text", "text": "a note"}},
        },
        "tools": [
            {"type": "function", "name": "lookup", "description": "finds", "parameters": {}},
            {"type": "web_search"},
        ],
    }
    request = parse_response(orjson.dumps(body), max_messages=16)
    parts = response_parts(request.body)
    assert [(p.kind, p.locator) for p in parts] == [
        ("system", ("instructions",)),
        ("user", ("input", 0, "content", 0, "text")),
        ("name", ("input", 1, "name")),
        ("tool_call_arguments", ("input", 1, "arguments")),
        ("tool_result", ("input", 2, "output")),
        ("assistant_history", ("input", 3, "summary", 0, "text")),
        ("user", ("prompt", "variables", "city")),
        ("user", ("prompt", "variables", "note", "text")),
        ("name", ("tools", 0, "name")),
        ("tool_description", ("tools", 0, "description")),
    ]
    assert [m.role for m in request.messages] == ["system", "user", "tool"]
    rewritten = [Message(p.role, p.content.upper()) for p in parts]
    write_back(request.body, parts, rewritten)
    assert request.body["input"][2]["output"] == "RESULT TEXT"
    assert request.body["prompt"]["variables"] == {
        "city": "KYOTO",
        "note": {"type": "input_text", "text": "A NOTE"},
    }
    assert request.body["input"][1]["name"] == "lookup"  # a name is never rewritten


def test_an_answer_is_every_output_item_and_a_blocked_one_becomes_the_refusal() -> None:
    shape = ResponsesShape()
    answer: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "output": [
            {"type": "reasoning", "id": "r", "summary": [{"type": "summary_text", "text": "plan"}]},
            {"type": "function_call", "call_id": "c", "name": "run", "arguments": '{"a": 1}'},
            {
                "type": "message",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "said", "annotations": []},
                    {"type": "refusal", "refusal": "no"},
                ],
            },
        ],
    }
    assert shape.valid(answer) and not shape.valid({"choices": []})
    pieces = shape.pieces(answer, streamed=False)
    assert [(p.field, p.text, p.slot) for p in pieces] == [
        ("reasoning", "plan", 0),
        ("tool_name", "run", 1),
        ("tool_arguments", '{"a": 1}', 1),
        ("content", "said", 2),
        ("refusal", "no", 2),
    ]
    delta = {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "{"}
    streamed = shape.pieces(delta, streamed=True)
    assert [(p.field, p.slot) for p in streamed] == [("tool_arguments", 1)]
    (choice,) = shape.choices(answer)
    shape.withhold(choice, "refused")
    assert answer["status"] == "incomplete"
    assert answer["incomplete_details"] == {"reason": "content_filter"}
    assert [p.text for p in shape.pieces(answer, streamed=False)] == ["refused"]


def _items_script(surface: Surface, name: str, message: dict[str, Any]) -> str:
    httpx.post(surface.upstream.url + f"/_fake/scripts/{name}", content=orjson.dumps([message]))
    return f"choices:{name}"


def test_reasoning_tool_calls_and_text_stream_through_and_a_harmful_call_is_stopped(
    surface: Surface,
) -> None:
    benign = _items_script(
        surface,
        "ritems",
        {
            "reasoning_content": "look it up first",
            "tool_calls": [{"name": "lookup", "arguments": '{"city": "Kyoto"}'}],
            "content": "It is sunny.",
        },
    )
    with surface.client.responses.stream(model=benign + ";chunk=3", input="weather?") as stream:
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["reasoning", "function_call", "message"]
    call = final.output[1]
    assert call.type == "function_call" and call.arguments == '{"city": "Kyoto"}'
    assert final.output_text == "It is sunny."
    harmful = _items_script(
        surface,
        "rcall",
        {"tool_calls": [{"name": "run", "arguments": '{"step": "[hazard-step]"}'}]},
    )
    response = surface.client.responses.create(model=harmful, input="go")
    assert response.status == "incomplete" and "chemical weapons" in response.output_text
    assert [item.type for item in response.output] == ["message"]
    events = list(surface.client.responses.create(model=harmful, input="go", stream=True))
    assert events[-1].type == "response.incomplete"
    assert "chemical weapons" in events[-1].response.output_text
