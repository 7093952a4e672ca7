"""The wire shape of each screened endpoint's answers: chat completions, completions, embeddings.

The chat handler screens, forwards and audits the same way for every endpoint; what differs is
where an answer's text is, how a refusal or a cut stream is written, and which upstream path is
called. A `Shape` says that for one endpoint, and `SHAPES` holds them by name (the request's
`shape`). Requests become parts in `parse.py` / `parts.py`.

| shape | upstream path | answer text | refusal on a blocked prompt |
|---|---|---|---|
| `chat` | `/chat/completions` | `choices[i].message` / `.delta` (content, reasoning, tool calls) | a chat completion, `finish_reason: content_filter` |
| `completions` | `/completions` | `choices[i].text` | a text completion, `finish_reason: content_filter` |
| `embeddings` | `/embeddings` | none: vectors pass through unscreened | HTTP 400 `content_filter` |
| `responses` | `/responses` | `output[i]` items (`sekimori.gateway.responses`) | a response, `status: incomplete` |
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from sekimori.gateway.errors import HttpError
from sekimori.gateway.parts import Piece, delta_for, delta_pieces, message_pieces
from sekimori.gateway.sse import DONE, chunk_event, encode, finished_choices
from sekimori.registry import Registry

FILTERED = "content_filter"


class Shape(Protocol):
    @property
    def path(self) -> str:
        """The upstream path, relative to its OpenAI base URL."""
        ...

    @property
    def screens_answer(self) -> bool:
        """False: the answer (vectors) is passed through as the upstream sent it."""
        ...

    @property
    def id_prefix(self) -> str: ...

    @property
    def input_field(self) -> str:
        """The request field that holds what is screened, named in errors about it."""
        ...

    @property
    def done(self) -> bytes:
        """What ends a stream after its last event (chat's `[DONE]`; nothing for responses)."""
        ...

    def pieces(self, data: dict[str, Any], *, streamed: bool) -> list[Piece]:
        """The texts of every choice of an answer (`streamed`: one chunk of it)."""
        ...

    def snapshots(self, data: dict[str, Any]) -> list[Piece]:
        """Texts a streamed event repeats whole (already sent as pieces): restored, not screened."""
        ...

    def choices(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """The parts of a (valid) non-streamed answer that `withhold` replaces, in order."""
        ...

    def ident(self, data: dict[str, Any]) -> str:
        """The answer's id as a streamed event carries it ("" when this one does not)."""
        ...

    def finished(self, data: dict[str, Any]) -> list[int]:
        """The choices that a streamed event finishes."""
        ...

    def trailing(self, data: dict[str, Any]) -> bool:
        """Whether a streamed event is held until the last screen passed (finish, usage)."""
        ...

    def usage(self, data: dict[str, Any]) -> Any:
        """The usage object an answer or event carries, if any."""
        ...

    def valid(self, data: Any) -> bool:
        """Whether a non-streamed answer has this shape (else the upstream answered garbage)."""
        ...

    def withhold(self, choice: dict[str, Any], text: str) -> None:
        """Replaces a blocked choice's whole answer with `text` (the refusal), marked filtered."""
        ...

    def delta(self, piece: Piece, text: str) -> dict[str, Any]:
        """A streamed delta carrying `text` in the same field as `piece`."""
        ...

    def notice(self, text: str) -> dict[str, Any]:
        """The delta that carries a refusal at the end of a cut stream."""
        ...

    def chunk(
        self,
        ident: str,
        created: int,
        model: str,
        delta: dict[str, Any],
        finish: str | None,
        index: int,
    ) -> bytes:
        """One server-sent event of a streamed answer."""
        ...

    def refusal(self, ident: str, created: int, model: str, text: str, *, stream: bool) -> Refusal:
        """What a blocked prompt gets instead of the upstream's answer."""
        ...


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal's HTTP status and body (`stream`: server-sent events)."""

    status: int
    body: bytes
    stream: bool


SHAPES: Registry[Shape] = Registry("endpoint shape")


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


class ChoicesShape:
    """What the endpoints that answer in `choices` share."""

    done = DONE

    def snapshots(self, data: dict[str, Any]) -> list[Piece]:
        return []

    def choices(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        choices: list[dict[str, Any]] = data["choices"]
        return choices

    def ident(self, data: dict[str, Any]) -> str:
        return str(data.get("id", ""))

    def finished(self, data: dict[str, Any]) -> list[int]:
        return finished_choices(data)

    def trailing(self, data: dict[str, Any]) -> bool:
        return bool(self.finished(data)) or not data.get("choices")

    def usage(self, data: dict[str, Any]) -> Any:
        return data.get("usage")


class ChatShape(ChoicesShape):
    path = "/chat/completions"
    screens_answer = True
    id_prefix = "chatcmpl-"
    input_field = "messages"

    def pieces(self, data: dict[str, Any], *, streamed: bool) -> list[Piece]:
        return delta_pieces(data) if streamed else message_pieces(data)

    def valid(self, data: Any) -> bool:
        choices = data.get("choices") if isinstance(data, dict) else None
        return (
            isinstance(choices, list)
            and bool(choices)
            and all(isinstance(c, dict) and isinstance(c.get("message"), dict) for c in choices)
        )

    def withhold(self, choice: dict[str, Any], text: str) -> None:
        choice["message"] = {"role": "assistant", "content": text}
        choice["finish_reason"] = FILTERED

    def delta(self, piece: Piece, text: str) -> dict[str, Any]:
        return delta_for(piece, text)

    def notice(self, text: str) -> dict[str, Any]:
        return {"content": text} if text else {}

    def chunk(
        self,
        ident: str,
        created: int,
        model: str,
        delta: dict[str, Any],
        finish: str | None,
        index: int,
    ) -> bytes:
        return chunk_event(ident, created, model, delta, finish, index)

    def refusal(self, ident: str, created: int, model: str, text: str, *, stream: bool) -> Refusal:
        if stream:
            body = (
                chunk_event(ident, created, model, {"role": "assistant", "content": text}, None)
                + chunk_event(ident, created, model, {}, FILTERED)
                + DONE
            )
            return Refusal(200, body, True)
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "message": message, "finish_reason": FILTERED}
        return Refusal(200, _completion(ident, "chat.completion", created, model, choice), False)


class CompletionShape(ChoicesShape):
    """The legacy text completions API: a prompt in, `choices[i].text` out."""

    path = "/completions"
    screens_answer = True
    id_prefix = "cmpl-"
    input_field = "prompt"

    def pieces(self, data: dict[str, Any], *, streamed: bool) -> list[Piece]:
        choices = data.get("choices")
        if not isinstance(choices, list):
            return []
        pieces = []
        for position, choice in enumerate(choices):
            if isinstance(choice, dict) and isinstance(choice.get("text"), str) and choice["text"]:
                index = choice.get("index", position)
                index = (
                    index if isinstance(index, int) and not isinstance(index, bool) else position
                )
                pieces.append(
                    Piece(index, "content", choice["text"], ("choices", position, "text"))
                )
        return pieces

    def valid(self, data: Any) -> bool:
        choices = data.get("choices") if isinstance(data, dict) else None
        return (
            isinstance(choices, list)
            and bool(choices)
            and all(isinstance(c, dict) and isinstance(c.get("text"), str) for c in choices)
        )

    def withhold(self, choice: dict[str, Any], text: str) -> None:
        choice["text"] = text
        choice["logprobs"] = None
        choice["finish_reason"] = FILTERED

    def delta(self, piece: Piece, text: str) -> dict[str, Any]:
        return {"text": text}

    def notice(self, text: str) -> dict[str, Any]:
        return {"text": text}

    def chunk(
        self,
        ident: str,
        created: int,
        model: str,
        delta: dict[str, Any],
        finish: str | None,
        index: int,
    ) -> bytes:
        choice = {
            "index": index,
            "text": delta.get("text", ""),
            "logprobs": None,
            "finish_reason": finish,
        }
        return encode(
            {
                "id": ident,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [choice],
            }
        )

    def refusal(self, ident: str, created: int, model: str, text: str, *, stream: bool) -> Refusal:
        if stream:
            body = (
                self.chunk(ident, created, model, {"text": text}, None, 0)
                + self.chunk(ident, created, model, {}, FILTERED, 0)
                + DONE
            )
            return Refusal(200, body, True)
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": FILTERED}
        return Refusal(200, _completion(ident, "text_completion", created, model, choice), False)


class EmbeddingShape(ChoicesShape):
    """Embeddings: the input is screened and redacted; the vectors come back as they are."""

    path = "/embeddings"
    screens_answer = False
    id_prefix = "emb-"
    input_field = "input"

    def pieces(self, data: dict[str, Any], *, streamed: bool) -> list[Piece]:
        return []

    def valid(self, data: Any) -> bool:
        return isinstance(data, dict) and isinstance(data.get("data"), list)

    def withhold(self, choice: dict[str, Any], text: str) -> None:
        return None

    def delta(self, piece: Piece, text: str) -> dict[str, Any]:
        return {}

    def notice(self, text: str) -> dict[str, Any]:
        return {}

    def chunk(
        self,
        ident: str,
        created: int,
        model: str,
        delta: dict[str, Any],
        finish: str | None,
        index: int,
    ) -> bytes:
        return b""

    def refusal(self, ident: str, created: int, model: str, text: str, *, stream: bool) -> Refusal:
        # No answer text to put a refusal in: an error the SDKs raise, in the OpenAI shape.
        error = HttpError(400, text, code=FILTERED, param="input")
        return Refusal(400, error.body(), False)


def _completion(ident: str, kind: str, created: int, model: str, choice: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "id": ident,
            "object": kind,
            "created": created,
            "model": model,
            "choices": [choice],
            "usage": _usage(),
        }
    )


SHAPES.register("chat")(ChatShape())
SHAPES.register("completions")(CompletionShape())
SHAPES.register("embeddings")(EmbeddingShape())
