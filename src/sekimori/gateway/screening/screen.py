"""`PolicyScreen`: classifiers, PII redaction and the tenant's policy behind the screening seam.

Input: the access rules first (no classification needed to deny a model), then one batched
classifier call in a thread pool over the texts not yet in the verdict cache (the newest user turn,
earlier turns and system prompts the first time they are seen, and the user turns joined, so an
attack split across turns is seen whole), custom categories and allow-listed intents by embedding
similarity, `decide`, and last the tenant's PII redaction with a streaming restorer.
Output: the answer judge on each window. A classifier that fails or takes longer than
`timeout_s` is the tenant's `on_error` (block by default), with the error in the decision's reasons.
The policy is swapped whole on `reload()`: a bad file raises and the old policy stays.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoder import ENCODERS, Encoder
from sekimori.classify.pii import RedactionSession, StreamRestorer, parse_types, redact
from sekimori.errors import ConfigError
from sekimori.gateway.chat import merge
from sekimori.gateway.screening import refusal
from sekimori.gateway.screening.cache import VerdictCache
from sekimori.gateway.screening.policy import (
    DEFAULT_POLICY,
    Policy,
    TenantRules,
    decide,
    load_policy,
    parse_policy,
)
from sekimori.gateway.screening.scorers import SCORERS, Scorer
from sekimori.lang import detect_lang
from sekimori.screen import InputResult, OutputResult, OutputWindow, ScreenContext
from sekimori.settings import Settings
from sekimori.taxonomy import BY_ID, SIGNAL_PII, Tier
from sekimori.types import Action, Decision, Message, Verdict

log = logging.getLogger("sekimori.gateway")
T = TypeVar("T")
_SCREENED_ROLES = ("system", "developer", "user")
_MAX_PENDING = 10_000  # requests between input and final output screening


@dataclass(frozen=True, slots=True)
class ScreenOptions:
    scorer: str = "model"
    timeout_s: float = 5.0
    threads: int = 2
    cache_entries: int = 20_000
    whole_chars: int = 1500  # how much of the joined user turns is scored as one text
    encoder: str = "e5-small"

    @classmethod
    def from_settings(cls, options: Mapping[str, Any]) -> ScreenOptions:
        known = {k: v for k, v in options.items() if k in cls.__dataclass_fields__}
        try:
            out = cls(**known)
            if out.timeout_s <= 0 or out.threads < 1 or out.cache_entries < 0:
                raise ValueError("timeout_s must be > 0, threads >= 1, cache_entries >= 0")
        except (TypeError, ValueError) as exc:
            raise ConfigError(str(exc), key="screen.options") from None
        return out


@dataclass(frozen=True, slots=True)
class _Examples:
    """Embeddings of one tenant's custom-category and allow-list examples."""

    custom: Mapping[str, NDArray[np.float32]]
    allow: NDArray[np.float32] | None


@dataclass(frozen=True, slots=True)
class _Loaded:
    policy: Policy
    examples: Mapping[str, _Examples]  # tenant name -> its example embeddings


@dataclass(frozen=True, slots=True)
class _Pending:
    prompt: str
    rules: TenantRules
    lang: str


class PolicyScreen:
    def __init__(
        self,
        settings: Settings,
        *,
        scorer: Scorer | None = None,
        encoder_factory: Callable[[], Encoder] | None = None,
    ) -> None:
        self.options = ScreenOptions.from_settings(settings.screen.options)
        self.policy_file: Path | None = settings.policy_file
        self._inline = settings.policy
        self.scorer = scorer or SCORERS.get(self.options.scorer)(settings.screen.options)
        self._encoder_factory = encoder_factory
        self._encoder: Encoder | None = None
        self._encoder_lock = threading.Lock()
        self.cache = VerdictCache(self.options.cache_entries)
        self.pool = ThreadPoolExecutor(self.options.threads, thread_name_prefix="sekimori-screen")
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        self._reload_lock = threading.Lock()
        self._state = self._load()
        # Load the models now, off the event loop, so the first request does not pay for it.
        self.warming = self.pool.submit(self._warm)

    # -- policy
    def _load(self) -> _Loaded:
        if self.policy_file is not None:
            policy = load_policy(self.policy_file)
        elif self._inline is not None:
            policy = parse_policy(self._inline, "settings: policy")
        else:
            policy = DEFAULT_POLICY
        examples = {name: self._embed_examples(policy, name) for name in policy.spec.tenants}
        return _Loaded(policy, examples)

    def reload(self) -> str:
        """Re-reads the policy; on any error the old policy stays and the error is raised."""
        with self._reload_lock:
            state = self._load()
            self._state = state  # one reference swap: requests see the old or the new, whole
        log.info("policy reloaded from %s", state.policy.source)
        return state.policy.source

    @property
    def policy(self) -> Policy:
        return self._state.policy

    def _encoder_get(self) -> Encoder:
        with self._encoder_lock:
            if self._encoder is None:
                if self._encoder_factory is not None:
                    self._encoder = self._encoder_factory()
                else:
                    import sekimori.classify.encoders  # noqa: F401  (registers the built-ins)

                    self._encoder = ENCODERS.get(self.options.encoder)()
            return self._encoder

    def _embed_examples(self, policy: Policy, tenant: str) -> _Examples:
        spec = policy.spec.tenants[tenant]
        if not spec.custom and not spec.allow:
            return _Examples({}, None)
        encoder = self._encoder_get()
        custom = {c.id: encoder.encode(list(c.examples)) for c in spec.custom}
        allow = encoder.encode(list(spec.allow)) if spec.allow else None
        return _Examples(custom, allow)

    def _warm(self) -> None:
        try:
            self.scorer.score_prompts(["hello"])
        except Exception as exc:  # reported again, per request, by on_error
            log.warning("classifier not ready: %s", exc)

    # -- running blocking work off the event loop
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(
            loop.run_in_executor(self.pool, fn, *args), self.options.timeout_s
        )

    def _failed(self, rules: TenantRules, exc: BaseException, where: str) -> Decision:
        what = (
            f"timed out after {self.options.timeout_s:g} s"
            if isinstance(exc, TimeoutError)
            else f"{type(exc).__name__}: {exc}"
        )
        reason = f"classifier error on {where}: {what}; on_error={rules.on_error}"
        log.warning("tenant %s: %s", rules.name, reason)
        action = Action.BLOCK if rules.on_error == "block" else Action.FLAG
        return Decision(action, (), (reason,))

    # -- input
    async def screen_input(
        self, context: ScreenContext, messages: Sequence[Message]
    ) -> InputResult:
        state = self._state
        rules = state.policy.tenant(context.tenant)
        last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
        lang = detect_lang(last_user)
        denied = state.policy.denied(rules, context.model)
        if denied is not None:
            decision = Decision(Action.BLOCK, (), (f"access denied: {denied.reason}",))
            return InputResult(decision, refusal=refusal.denied(denied.reason, lang))
        examples = state.examples.get(context.tenant, _Examples({}, None))
        try:
            scores, notes = await self._run(self._score_input, rules, examples, messages, last_user)
        except Exception as exc:
            decision = self._failed(rules, exc, "input")
            if decision.action is Action.BLOCK:
                return InputResult(decision, refusal=refusal.unchecked(lang))
        else:
            decision = decide(scores, rules)
            if notes:
                decision = Decision(
                    decision.action, decision.categories, (*decision.reasons, *notes)
                )
        if decision.action is Action.BLOCK:
            return InputResult(decision, refusal=refusal.refusal(decision.categories, rules, lang))
        self._remember(context.request_id, _Pending(last_user, rules, lang))
        try:
            rewritten, restorer, counts = await self._run(self._redact, rules, messages)
        except Exception as exc:  # a failed PII scan must not let the data out unredacted
            decision = self._failed(rules, exc, "pii")
            if decision.action is Action.BLOCK:
                return InputResult(decision, refusal=refusal.unchecked(lang))
            return InputResult(decision)
        if counts:
            found = ", ".join(f"{kind}x{n}" for kind, n in sorted(counts.items()))
            decision = merge(decision, Decision(Action.REDACT, (SIGNAL_PII,), (f"pii {found}",)))
            return InputResult(decision, rewritten, restorer)
        return InputResult(decision)

    def _score_input(
        self,
        rules: TenantRules,
        examples: _Examples,
        messages: Sequence[Message],
        last_user: str,
    ) -> tuple[dict[str, float], list[str]]:
        """Blocking: the per-category maximum over every screened text, and notes for the audit."""
        texts = [m.content for m in messages if m.role in _SCREENED_ROLES and m.content.strip()]
        turns = [m.content for m in messages if m.role == "user" and m.content.strip()]
        if len(turns) > 1:
            texts.append("\n".join(turns)[-self.options.whole_chars :])
        verdicts: list[Verdict] = []
        todo: dict[bytes, str] = {}
        for text in texts:
            key = self.cache.key(text)
            cached = self.cache.get(key)
            if cached is not None:
                verdicts.append(cached)
            else:
                todo[key] = text
        if todo:
            fresh = self.scorer.score_prompts(list(todo.values()))
            for key, verdict in zip(todo, fresh, strict=True):
                self.cache.put(key, verdict)
            verdicts.extend(fresh)
        scores: dict[str, float] = {}
        for verdict in verdicts:
            for category_id, score in verdict.categories.items():
                scores[category_id] = max(score, scores.get(category_id, 0.0))
        notes: list[str] = []
        if (examples.custom or examples.allow is not None) and last_user.strip():
            query = self._encoder_get().encode([last_user])[0]
            for category_id, matrix in examples.custom.items():
                scores[category_id] = float(np.max(matrix @ query))
            if examples.allow is not None:
                similarity = float(np.max(examples.allow @ query))
                if similarity >= rules.allow_threshold:
                    # A benign intent the operator listed: lower tiers pass, catastrophic never.
                    for category_id in list(scores):
                        tier = BY_ID[category_id].tier if category_id in BY_ID else None
                        if tier is not Tier.CATASTROPHIC and not category_id.startswith("custom."):
                            scores[category_id] = 0.0
                    notes.append(f"allow-list match {similarity:.2f}")
        return scores, notes

    def _redact(
        self, rules: TenantRules, messages: Sequence[Message]
    ) -> tuple[list[Message], StreamRestorer | None, Counter[str]]:
        if not rules.redact:
            return list(messages), None, Counter()
        types = parse_types(list(rules.redact))
        session = RedactionSession()
        counts: Counter[str] = Counter()
        out = []
        for message in messages:
            result = redact(message.content, session, types=types)
            counts.update(span.type.value for span in result.spans)
            out.append(Message(message.role, result.text) if result.spans else message)
        if not counts:
            return out, None, counts
        return out, StreamRestorer(session.mapping), counts

    def _remember(self, request_id: str, pending: _Pending) -> None:
        self._pending[request_id] = pending
        while len(self._pending) > _MAX_PENDING:
            self._pending.popitem(last=False)

    # -- output
    async def screen_output(self, context: ScreenContext, window: OutputWindow) -> OutputResult:
        pending = (
            self._pending.pop(context.request_id, None)
            if window.final
            else self._pending.get(context.request_id)
        )
        if pending is None:
            pending = _Pending("", self._state.policy.tenant(context.tenant), "en")
        rules = pending.rules
        try:
            verdicts = await self._run(self.scorer.judge_answers, [pending.prompt], [window.text])
        except Exception as exc:
            decision = self._failed(rules, exc, "output")
            return OutputResult(decision, refusal=refusal.unchecked(pending.lang))
        decision = decide(verdicts[0].categories, rules)
        if decision.action is Action.BLOCK:
            notice = refusal.cut_notice(decision.categories, rules, pending.lang)
            return OutputResult(decision, refusal=notice)
        if decision.action is Action.REDACT:  # nothing to redact in an answer: keep it on record
            decision = Decision(Action.FLAG, decision.categories, decision.reasons)
        return OutputResult(decision)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
