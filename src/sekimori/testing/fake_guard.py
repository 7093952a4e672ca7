"""A test server that answers like the published guard models, each in its card's format.

Run it as `python -m sekimori.testing.fake_guard --port 0`; the first stdout line is `PORT=<n>`.
It speaks the APIs the adapters use: OpenAI-compatible `/v1/chat/completions` and
`/v1/completions` (with log-probabilities when asked) and Ollama's `/api/chat` and
`/api/generate`. The request's model name picks the guard and how it misbehaves:

    KIND[:MODE][;delay=SECONDS]

    KIND   llama_guard_3 | llama_guard_4 | qwen3guard | shieldgemma | granite_guardian
           | granite_guardian_3.3 (answers `<score> yes </score>`) | wildguard
    MODE   ok          the card's format (default)
           extra       chatter around the verdict, as an untuned prompt or sampling gives
           unknown     category codes the card does not define (S99, `Teleportation`)
           nologprobs  no log-probabilities although they were asked for
           garbage     an answer in no known format
           think       Granite Guardian 3.3's thinking trace before the score
           error       HTTP 500
           notjson     HTTP 200 whose body is not JSON

Any other kind is answered 404 (a wrong model name). What the fake finds harmful comes from a
small keyword table (`HARMS`, English and Japanese), so tests and `sekimori guard check` see
verdicts that depend on the text; an answer that starts like a refusal is a harmless refusal.
`GET /_fake/last` returns the last request body; `GET /_fake/stats` counts requests.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

import orjson

from sekimori.sockets import bind_socket
from sekimori.testing.fake_upstream import (
    Receive,
    Scope,
    Send,
    _error,
    _json,
    _lifespan,
    _read_body,
)

KINDS = (
    "llama_guard_3",
    "llama_guard_4",
    "qwen3guard",
    "shieldgemma",
    "granite_guardian",
    "granite_guardian_3.3",
    "wildguard",
)

# keyword (lower case) -> harm family; the first family found names the text.
HARMS: tuple[tuple[str, str], ...] = (
    ("nerve agent", "weapons"),
    ("sarin", "weapons"),
    ("anthrax", "weapons"),
    ("pipe bomb", "weapons"),
    ("神経剤", "weapons"),
    ("爆弾の作り方", "weapons"),
    ("ransomware", "cyber"),
    ("keylogger", "cyber"),
    ("ランサムウェア", "cyber"),
    ("murder", "violent"),
    ("kill someone", "violent"),
    ("殺害", "violent"),
    ("launder", "crime"),
    ("counterfeit", "crime"),
    ("資金洗浄", "crime"),
    ("kill myself", "self_harm"),
    ("自殺", "self_harm"),
    ("inferior race", "hate"),
    ("劣った民族", "hate"),
    ("explicit sex", "sexual"),
    ("home address of", "privacy"),
    ("住所を特定", "privacy"),
    ("ignore all previous instructions", "jailbreak"),
)
_REFUSAL = re.compile(r"^\s*(i can'?t|i cannot|i won'?t|sorry|申し訳|お答えできません)", re.I)

LLAMA = {
    "weapons": "S9",
    "cyber": "S14",
    "violent": "S1",
    "crime": "S2",
    "self_harm": "S11",
    "hate": "S10",
    "sexual": "S12",
    "privacy": "S7",
    "jailbreak": "S2",
}
QWEN = {
    "weapons": "Violent",
    "violent": "Violent",
    "cyber": "Non-violent Illegal Acts",
    "crime": "Non-violent Illegal Acts",
    "self_harm": "Suicide & Self-Harm",
    "hate": "Unethical Acts",
    "sexual": "Sexual Content or Sexual Acts",
    "privacy": "PII",
    "jailbreak": "Jailbreak",
}
SHIELD = {  # policy title -> families it covers
    "No Dangerous Content": {"weapons", "cyber", "violent", "self_harm", "crime"},
    "No Harassment": {"privacy", "hate"},
    "No Hate Speech": {"hate"},
    "No Sexually Explicit Information": {"sexual"},
}
GRANITE = {  # risk name -> families it covers
    "harm": {f for _, f in HARMS},
    "violence": {"weapons", "violent"},
    "social_bias": {"hate"},
    "jailbreak": {"jailbreak"},
    "sexual_content": {"sexual"},
    "unethical_behavior": {"crime", "cyber"},
    "profanity": set(),
}
P_HARM, P_SAFE = 0.93, 0.04
_EXTRA_HEAD = "Sure. Here is my assessment of the conversation.\n\n"
_EXTRA_TAIL = "\n\nThe text was assessed against the policy above."


def family(text: str) -> str | None:
    low = text.lower()
    for word, fam in HARMS:
        if word in low:
            return fam
    return None


@dataclass(frozen=True, slots=True)
class Ask:
    kind: str
    mode: str
    prompt: str
    answer: str | None
    risk: str = ""  # granite guardian
    policy: str = ""  # shieldgemma


@dataclass(frozen=True, slots=True)
class Said:
    text: str
    # (chosen token, {token: probability}) per generated position; empty: no log-probabilities
    tokens: tuple[tuple[str, dict[str, float]], ...] = ()


def _judged(ask: Ask) -> tuple[str | None, bool]:
    """The harm family of the judged text and whether the answer is a refusal."""
    if ask.answer is None:
        return family(ask.prompt), False
    refused = bool(_REFUSAL.match(ask.answer))
    return (None if refused else family(ask.answer)), refused


def _pick(p_yes: float, yes: str, no: str) -> tuple[str, dict[str, float]]:
    return (yes if p_yes >= 0.5 else no), {yes: p_yes, no: 1.0 - p_yes}


def say(ask: Ask) -> Said:
    fam, refused = _judged(ask)
    harmful = fam is not None
    kind, mode = ask.kind, ask.mode
    if mode == "garbage":
        return Said("I'm sorry, I can't determine that. Please provide more context.")
    if kind.startswith("llama_guard"):
        code = "S99" if mode == "unknown" else LLAMA.get(fam or "", "S2")
        word = "unsafe" if harmful else "safe"
        text = f"unsafe\n{code}" if harmful else "safe"
        first = _pick(P_HARM if harmful else P_SAFE, "unsafe", "safe")
        tokens: tuple[tuple[str, dict[str, float]], ...] = ((word, first[1]),)
        if kind == "llama_guard_3":  # Llama Guard 3 starts its answer with a blank line
            text = "\n\n" + text
            tokens = (("\n\n", {"\n\n": 0.99}), *tokens)
        return Said(text, tokens)
    if kind == "qwen3guard":
        if harmful:
            label = "Unsafe"
            cats = "Teleportation" if mode == "unknown" else QWEN[fam or "crime"]
        else:
            label, cats = "Safe", "None"
        text = f"Safety: {label}\nCategories: {cats}"
        if ask.answer is not None:
            text += f"\nRefusal: {'Yes' if refused else 'No'}"
        return Said(text)
    if kind == "shieldgemma":
        hit = fam is not None and fam in SHIELD.get(ask.policy, set())
        word, probs = _pick(P_HARM if hit else P_SAFE, "Yes", "No")
        return Said(word, ((word, probs),))
    if kind.startswith("granite_guardian"):
        hit = fam is not None and fam in GRANITE.get(ask.risk, set())
        word, probs = _pick(P_HARM if hit else P_SAFE, "Yes", "No")
        if kind == "granite_guardian_3.3" or mode == "think":
            low = word.lower()
            think = "<think>The message could be read either way: yes or no.</think>\n"
            head = think if mode == "think" else ""
            return Said(
                f"{head}<score> {low} </score>",
                (
                    ("<score>", {"<score>": 0.99}),
                    (" " + low, {" yes": probs["Yes"], " no": probs["No"]}),
                ),
            )
        return Said(word, ((word, probs),))
    if kind == "wildguard":
        yn = {True: "yes", False: "no"}
        request = family(ask.prompt) is not None
        if ask.answer is None:
            text = f"Harmful request: {yn[request]}\nResponse refusal: N/A\nHarmful response: N/A"
        else:
            text = (
                f"Harmful request: {yn[request]}\nResponse refusal: {yn[refused]}\n"
                f"Harmful response: {yn[harmful]}"
            )
        return Said(text)
    raise ValueError(kind)


def _dress(said: Said, mode: str) -> Said:
    if mode == "extra":
        return Said(_EXTRA_HEAD + said.text + _EXTRA_TAIL, ())
    if mode == "nologprobs":
        return Said(said.text, ())
    return said


def _chat_logprobs(said: Said) -> dict[str, Any] | None:
    if not said.tokens:
        return None
    return {
        "content": [
            {
                "token": token,
                "logprob": math.log(top.get(token, 1.0)),
                "top_logprobs": [{"token": t, "logprob": math.log(p)} for t, p in top.items()],
            }
            for token, top in said.tokens
        ]
    }


def _completion_logprobs(said: Said) -> dict[str, Any] | None:
    if not said.tokens:
        return None
    return {
        "tokens": [token for token, _ in said.tokens],
        "token_logprobs": [math.log(top.get(token, 1.0)) for token, top in said.tokens],
        "top_logprobs": [{t: math.log(p) for t, p in top.items()} for _, top in said.tokens],
    }


def _text_of(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def _from_messages(messages: list[dict[str, Any]]) -> tuple[str, str | None, str]:
    """(prompt, answer, system) of a guard chat request."""
    system = prompt = ""
    answer: str | None = None
    for m in messages:
        role, text = m.get("role"), _text_of(m.get("content"))
        if role == "system":
            system = text
        elif role == "user":
            prompt, answer = text, None
        elif role == "assistant":
            answer = text
    return prompt, answer, system


_SG_Q = re.compile(r"Human Question: (.*?)\n<end_of_turn>", re.S)
_SG_A = re.compile(r"Chatbot Response: (.*?)\n<end_of_turn>", re.S)
_SG_P = re.compile(r'\* "([^"]+)"')
_WG = re.compile(r"Human user:\n(.*?)\n\nAI assistant:\n(.*?)\n\n---", re.S)


def _from_prompt(kind: str, prompt: str) -> tuple[str, str | None, str]:
    """(prompt, answer, policy) of a raw completion request, read back from its template."""
    if kind == "shieldgemma":
        q, a, p = _SG_Q.search(prompt), _SG_A.search(prompt), _SG_P.search(prompt)
        return (q.group(1) if q else ""), (a.group(1) if a else None), (p.group(1) if p else "")
    match = _WG.search(prompt)
    if match is None:
        return "", None, ""
    return match.group(1), (match.group(2) or None), ""


_MODIFIER = re.compile(r";delay=([0-9.]+)$")


class FakeGuard:
    def __init__(self) -> None:
        self.requests = 0
        self.last_body = b"{}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/healthz":
            await _json(send, 200, {"status": "ok"})
        elif path == "/_fake/last":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": self.last_body})
        elif path == "/_fake/stats":
            await _json(send, 200, {"requests": self.requests})
        elif method == "POST" and path in (
            "/v1/chat/completions",
            "/v1/completions",
            "/api/chat",
            "/api/generate",
        ):
            await self._answer(path, receive, send)
        else:
            await _error(send, 404, f"no route {method} {path}", "not_found")

    async def _answer(self, path: str, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        self.last_body = body
        self.requests += 1
        try:
            request = orjson.loads(body)
            model = str(request["model"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            await _error(send, 400, "body must be JSON with a model", "invalid_request")
            return
        delay = 0.0
        if match := _MODIFIER.search(model):
            delay = float(match.group(1))
            model = model[: match.start()]
        kind, _, mode = model.partition(":")
        if kind not in KINDS:
            await _error(send, 404, f"model {model!r} not found", "model_not_found")
            return
        if delay:
            await asyncio.sleep(delay)
        if mode == "error":
            await _error(send, 500, "the guard crashed", "server_error")
            return
        if mode == "notjson":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"<html>proxy error</html>"})
            return
        chat = path in ("/v1/chat/completions", "/api/chat")
        if chat:
            prompt, answer, system = _from_messages(list(request.get("messages") or []))
            kwargs = request.get("chat_template_kwargs") or {}
            config = kwargs.get("guardian_config", {})
            risk = system or str(config.get("criteria_id") or config.get("risk_name") or "harm")
            ask = Ask(kind, mode, prompt, answer, risk=risk)
        else:
            prompt, answer, policy = _from_prompt(kind, str(request.get("prompt", "")))
            ask = Ask(kind, mode, prompt, answer, policy=policy)
        said = _dress(say(ask), mode)
        wants = bool(request.get("logprobs"))
        await _json(send, 200, _shape(path, model, said if wants else Said(said.text)))


def _shape(path: str, model: str, said: Said) -> dict[str, Any]:
    if path == "/v1/chat/completions":
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": said.text},
            "logprobs": _chat_logprobs(said),
            "finish_reason": "stop",
        }
        return {
            "id": "fake-guard",
            "object": "chat.completion",
            "model": model,
            "choices": [choice],
        }
    if path == "/v1/completions":
        choice = {
            "index": 0,
            "text": said.text,
            "logprobs": _completion_logprobs(said),
            "finish_reason": "stop",
        }
        return {
            "id": "fake-guard",
            "object": "text_completion",
            "model": model,
            "choices": [choice],
        }
    out: dict[str, Any] = {"model": model, "done": True}
    if path == "/api/chat":
        out["message"] = {"role": "assistant", "content": said.text}
    else:
        out["response"] = said.text
    chat = _chat_logprobs(said)
    if chat is not None:
        out["logprobs"] = chat["content"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sekimori.testing.fake_guard",
        description="A fake guard-model server (Llama Guard, Qwen3Guard, ShieldGemma, Granite "
        "Guardian, WildGuard) for tests.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (PORT=<n>)")
    args = parser.parse_args(argv)

    import uvicorn

    sock = bind_socket(args.host, args.port)
    print(f"PORT={sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(FakeGuard(), log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
