"""/v1/completions and /v1/embeddings with the OpenAI SDK against a real gateway and policy screen.

The policy screen runs with the lexicon scorer (no encoder to build), the default policy's PII
redaction and its answer screen, in front of the fake upstream's completions and embeddings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openai
import orjson
import pytest

from sekimori.testing.procs import ServerProcess, create_key, start_gateway
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
