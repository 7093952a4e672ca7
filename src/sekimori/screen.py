"""The screening seam: what the gateway asks before forwarding a request and while answering.

The gateway calls a `Screen` twice per request:

- `screen_input(context, parts)` before the upstream sees anything. The gateway passes every
  part of the request that carries text (`Part`: each message's content of every role, tool
  results, tool-call arguments, tool names and descriptions, `name` fields, text in `data:`
  URLs), each a `Message` with its kind and locator; a plain `Message` list also works (each is
  its role's kind). The result carries the `Decision`, optionally rewritten parts (a redacting
  screen replaces personal data by placeholders) with a `Restorer` that puts the originals back
  into the answer, the refusal text to answer with when the decision is BLOCK, and a `handle`:
  whatever the screen needs again for this request's answer.
- `screen_output(context, window)` on the answer, with `context.handle` set to that handle (the
  gateway owns the per-request state; a screen keeps no table keyed by request ids, which
  clients choose). One window per choice (`n>1`): whole for a non-streaming answer, and sliding
  while streaming (every `stride_chars` new characters, the last `window_chars` of that choice).
  A choice's text is its content, reasoning and tool-call arguments in the order they came.
  Streamed chunks are forwarded without waiting for it, so time to first token never waits on
  screening; a BLOCK ends the stream with `finish_reason: "content_filter"`.

A screen may refuse to screen a request by raising `TooLarge` (more text than it screens: the
gateway answers 413) or `Overloaded` (its work queue is full: 429 when one tenant is over its
share, 503 when the whole gateway is; both with Retry-After). Neither is a policy decision.

Screens are built by name through `SCREENS` (`screen.name` in the settings); `module:attr` names a
factory outside the registry. Built-ins: `allow` (passes everything) and `keywords` (test
screen); the gateway registers `policy` (`sekimori.gateway.screening`), the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from sekimori.errors import ConfigError, SekimoriError
from sekimori.lang import Text, detect_lang
from sekimori.registry import Registry
from sekimori.settings import Settings

if TYPE_CHECKING:
    from sekimori.policy import PolicySet, TenantOverride
from sekimori.taxonomy import SIGNAL_PII, category
from sekimori.types import Action, Decision, Message

ALLOW = Decision(Action.ALLOW)

REFUSAL = Text(
    en="I can't help with that request. It was stopped by this service's safety policy.",
    ja="申し訳ありませんが、このリクエストにはお応えできません。サービスの安全ポリシーにより停止されました。",
)


# Where a part of a request is: its role's own kinds, plus the parts that are not a turn's text.
PartKind = Literal[
    "system",
    "developer",
    "user",
    "assistant_history",
    "tool_result",
    "tool_call_arguments",
    "tool_description",
    "name",
    "data_url",
]
# The kind of a whole message's text, by its role (also the wire module's).
ROLE_KINDS: dict[str, PartKind] = {
    "system": "system",
    "developer": "developer",
    "user": "user",
    "assistant": "assistant_history",
    "tool": "tool_result",
    "function": "tool_result",
}
Locator = tuple[str | int, ...]  # the JSON path of the text in the request body


@dataclass(frozen=True, slots=True)
class Part(Message):
    """One text of a request, with where it came from; a `Message`, so screens read it as one.

    `role` is the role of the message it belongs to ("tool" for a tool description);
    `locator` is its JSON path in the body, e.g. `("messages", 2, "content", 0, "text")`.
    """

    kind: PartKind = "user"
    locator: Locator = ()

    @property
    def turn(self) -> Locator:
        """The message this part belongs to (`("messages", i)`), or its own locator."""
        return self.locator[:2] if self.locator[:1] == ("messages",) else self.locator


def kind_of(message: Message) -> PartKind:
    """A part's kind; a plain `Message` is the kind of its role."""
    if isinstance(message, Part):
        return message.kind
    return ROLE_KINDS.get(message.role, "user")


@dataclass(frozen=True, slots=True)
class ScreenContext:
    tenant: str
    model: str
    request_id: str  # minted by the gateway, unique per request
    client_request_id: str | None = None  # the client's x-request-id, for the audit only
    # On output: `InputResult.handle` of the same request, passed back by the gateway.
    handle: object = None


class Restorer(Protocol):
    """Puts back what an input rewrite replaced; may hold back a partial placeholder.

    The gateway takes a `copy.copy` of the one it is given for each text of the answer it
    restores (each choice's content, reasoning and tool-call arguments): a restorer's state must
    be what such a copy separates (the held tail, an immutable string).
    """

    def feed(self, text: str) -> str: ...

    def flush(self) -> str: ...


@dataclass(frozen=True, slots=True)
class InputResult:
    decision: Decision
    # The parts with rewritten text, in the order given, same length; None: unchanged.
    messages: Sequence[Message] | None = None
    restorer: Restorer | None = None
    refusal: str | None = None  # answer text on BLOCK; None: the default bilingual refusal
    # Release no streamed text before the output screen has passed it (an input decision left
    # to the answer; the gateway's `hold_chars` applies this to every request).
    hold: bool = False
    handle: object = None  # given back in `ScreenContext.handle` with every output window
    # The prompt's risk is low: a streamed answer may be judged once a window instead of every
    # stride (a cut is still at most one window late); False keeps the configured stride.
    low_risk: bool = False


@dataclass(frozen=True, slots=True)
class OutputWindow:
    text: str  # the last `window_chars` characters of the answer so far (all of it if shorter)
    offset: int  # where `text` starts in the whole answer
    final: bool  # True when the answer is complete
    choice: int = 0  # which choice of the answer (`n>1`); each has its own window
    # The whole answer of this choice, on the final window only (empty otherwise): for a stage
    # that judges the complete answer (a guard model's `answers` rule).
    whole: str = ""


@dataclass(frozen=True, slots=True)
class OutputResult:
    decision: Decision
    refusal: str | None = None  # replaces a non-streamed answer on BLOCK


class Screen(Protocol):
    async def screen_input(
        self, context: ScreenContext, messages: Sequence[Message]
    ) -> InputResult: ...

    async def screen_output(self, context: ScreenContext, window: OutputWindow) -> OutputResult: ...


@runtime_checkable
class Reloadable(Protocol):
    """A screen whose policy can be re-read while serving (SIGHUP, `POST /admin/policy/reload`).

    `reload` returns where the policy came from; on a bad policy it raises and keeps the old one.
    """

    def reload(self) -> str: ...


@runtime_checkable
class TenantAware(Protocol):
    """A screen whose policy takes the store's tenant rows over its file (`sekimori tenants`).

    `use_tenants` rebuilds the policy with them (and keeps them for later reloads); it never
    raises for a row, whose problems are in the returned policy's `notes`.
    """

    def use_tenants(self, tenants: Sequence[TenantOverride]) -> PolicySet: ...


@runtime_checkable
class Warming(Protocol):
    """A screen that loads models at start; the gateway reports ready only once `ready` returns."""

    async def ready(self) -> None: ...


@runtime_checkable
class Closing(Protocol):
    """A screen that holds connections (the shared verdict cache): closed at shutdown."""

    async def aclose(self) -> None: ...


class TooLarge(SekimoriError):
    """The request has more text to screen than the screen's limit allows."""

    def __init__(self, chars: int, limit: int) -> None:
        self.chars = chars
        self.limit = limit
        super().__init__(f"the request has {chars} characters to screen; the limit is {limit}")


OverloadScope = Literal["tenant", "gateway"]


class Overloaded(SekimoriError):
    """No room to screen now: one tenant is over its share (`tenant`) or every queue is full
    (`gateway`); `retry_after_s` says when to try again, `limit` how many items may wait."""

    def __init__(self, scope: OverloadScope, retry_after_s: int, limit: int) -> None:
        self.scope = scope
        self.retry_after_s = retry_after_s
        self.limit = limit
        who = "this tenant's" if scope == "tenant" else "the gateway's"
        super().__init__(f"{who} screening queue is full ({limit} waiting)")


@runtime_checkable
class Counted(Protocol):
    """A screen that counts its own work for /metrics (`sekimori_screen_work`)."""

    def counts(self) -> Mapping[str, float]: ...


ScreenFactory = Callable[[Settings], Screen]
SCREENS: Registry[ScreenFactory] = Registry("screen")

_ALLOW_INPUT = InputResult(ALLOW)
_ALLOW_OUTPUT = OutputResult(ALLOW)


def default_refusal(messages: Sequence[Message]) -> str:
    """The built-in refusal, in the language of the last user message."""
    last = next((m.content for m in reversed(messages) if m.role == "user"), "")
    return REFUSAL(detect_lang(last))


class AllowAll:
    """Passes everything: the gateway as a plain proxy."""

    async def screen_input(
        self, context: ScreenContext, messages: Sequence[Message]
    ) -> InputResult:
        return _ALLOW_INPUT

    async def screen_output(self, context: ScreenContext, window: OutputWindow) -> OutputResult:
        return _ALLOW_OUTPUT


@dataclass(frozen=True)
class KeywordScreen:
    """Decides by case-insensitive substrings; for tests and demonstrations, not for safety.

    Options: `block`, `flag` (words for either direction), `block_output` (answer only),
    `redact` (words replaced by `[REDACTED-n]` before the upstream and restored in the answer),
    `category` (the taxonomy id reported for block and flag hits).
    """

    block: tuple[str, ...] = ()
    flag: tuple[str, ...] = ()
    block_output: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    category: str = "crime.nonviolent"

    async def screen_input(
        self, context: ScreenContext, messages: Sequence[Message]
    ) -> InputResult:
        text = "\n".join(m.content for m in messages).lower()
        hits = tuple(w for w in self.block if w.lower() in text)
        if hits:
            return InputResult(Decision(Action.BLOCK, (self.category,), hits))
        flags = tuple(w for w in self.flag if w.lower() in text)
        if self.redact and any(w in m.content for m in messages for w in self.redact):
            restorer = PlaceholderRestorer(
                {f"[REDACTED-{i}]": w for i, w in enumerate(self.redact)}
            )
            rewritten = [Message(m.role, restorer.redact(m.content)) for m in messages]
            return InputResult(Decision(Action.REDACT, (SIGNAL_PII,), flags), rewritten, restorer)
        if flags:
            return InputResult(Decision(Action.FLAG, (self.category,), flags))
        return _ALLOW_INPUT

    async def screen_output(self, context: ScreenContext, window: OutputWindow) -> OutputResult:
        text = window.text.lower()
        hits = tuple(w for w in (*self.block, *self.block_output) if w.lower() in text)
        if hits:
            return OutputResult(Decision(Action.BLOCK, (self.category,), hits))
        flags = tuple(w for w in self.flag if w.lower() in text)
        if flags:
            return OutputResult(Decision(Action.FLAG, (self.category,), flags))
        return _ALLOW_OUTPUT


class PlaceholderRestorer:
    """Replaces placeholders by their originals in a streamed answer, across chunk boundaries."""

    def __init__(self, originals: dict[str, str]) -> None:
        self.originals = originals
        self._held = ""
        self._longest = max((len(p) for p in originals), default=0)

    def redact(self, text: str) -> str:
        for placeholder, original in self.originals.items():
            text = text.replace(original, placeholder)
        return text

    def _restore(self, text: str) -> str:
        for placeholder, original in self.originals.items():
            text = text.replace(placeholder, original)
        return text

    def feed(self, text: str) -> str:
        text = self._restore(self._held + text)
        # Hold back a tail that could be the start of a placeholder cut by a chunk boundary.
        cut = text.rfind("[", max(0, len(text) - self._longest))
        if cut >= 0 and any(p.startswith(text[cut:]) for p in self.originals):
            self._held = text[cut:]
            return text[:cut]
        self._held = ""
        return text

    def flush(self) -> str:
        held, self._held = self._held, ""
        return self._restore(held)


def _options(settings: Settings, key: str) -> tuple[str, ...]:
    value = settings.screen.options.get(key, ())
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError("must be a list of strings", key=f"screen.options.{key}")
    return tuple(value)


def _category(settings: Settings) -> str:
    value = str(settings.screen.options.get("category", "crime.nonviolent"))
    try:
        return category(value).id
    except SekimoriError as exc:
        raise ConfigError(str(exc), key="screen.options.category") from None


SCREENS.register("allow")(lambda settings: AllowAll())
SCREENS.register("keywords")(
    lambda settings: KeywordScreen(
        block=_options(settings, "block"),
        flag=_options(settings, "flag"),
        block_output=_options(settings, "block_output"),
        redact=_options(settings, "redact"),
        category=_category(settings),
    )
)


def load_screen(settings: Settings) -> Screen:
    """The screen named in the settings: a registered name, or `module:attr` of a factory."""
    name = settings.screen.name
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            factory: ScreenFactory = getattr(import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot load screen {name!r}: {exc}", key="screen.name") from None
        return factory(settings)
    if name not in SCREENS:
        raise ConfigError(
            f"unknown screen {name!r}; known: {', '.join(SCREENS.names())}", key="screen.name"
        )
    return SCREENS.get(name)(settings)
