"""`PolicyScreen`: classifiers, PII redaction and the tenant's policy behind the screening seam.

Input: a model denied by an access rule is refused before anything is classified; otherwise one
batched classifier call in a thread pool scores the texts not yet in the verdict cache (this
process's, then the replicas' shared one in Redis, `shared.py`): every
part of the request (`sekimori.screen.Part`: every role's turns, assistant history, tool
results, tool-call arguments, tool names and descriptions, `name` fields, text in `data:` URLs),
each the first time it is seen, and the user turns joined, so an attack split across turns is
seen whole; custom categories and benign intents are scored by embedding similarity to the
tenant's examples; PII is scanned in every part; the pure engine `sekimori.policy.decide`
decides; what the tenant redacts is replaced by placeholders in every part where it occurs (the
gateway writes back the parts it can: see `sekimori.gateway.parts`), restored in the answer by a
streaming restorer. A request whose texts all have cached verdicts
and are known free of PII (a conversation screened before) is decided on the event loop: it does
not queue in the pool behind another request's answer judge.
Three outcomes per tier (`sekimori.policy.rule_on` with `Scorer.sure_at`): a hazard score at or
above its tier's sure point blocks; one between the hold and sure points, when it is all that
blocks, HOLDS the request if the tenant says `uncertain_input: defer` (the default): flagged,
sent upstream, and nothing of its answer released until the answer screen has judged the
complete answer (`InputResult.hold`); below the hold point it is allowed.
Output: the answer judge on each window of each choice, decided by the same policy with the
judge's own sure level (`Scorer.answer_sure_at`: a moderate harmful answer it is sure of takes
`when_sure`, block; nothing is held, the answer is there; an answer to a prompt the input
screen held or flagged for a hazard has every harmful verdict taken as sure, the tenant's
`corroborate_answers`); what the
judge needs from the input (the prompt, the tenant's policy, the language) comes back with the
window as the handle `screen_input` returned, never from a table keyed by request ids. An empty
window (a tool-call answer's content, an empty answer) has nothing to judge and passes.
Guard models (`sekimori.guards`, routed by the tenant's `guards:` rules, merged by
`sekimori.policy.guarding`): asked after the built-in decision on the last user turn (on a hold,
a catastrophic score, or always), or on the complete answer (`answers`), each within its
`budget_ms`; a guard that fails is closed or open as its rule says.
Limits (`sekimori.gateway.screening.scheduler`): a request with more than `max_chars`
characters to screen is refused whole before any classifier runs, as the tenant's `oversize`
says (`reject`: `TooLarge`, a 413; `block`: a refusal), never forwarded unscreened; every
blocking call runs as a work item of its tenant, fairly queued, bounded (`Overloaded`: 429 or
503) and dropped when its request is gone; texts are scored one at a time, so an abandoned
item stops between texts (one text's scoring is one classifier call and runs to its end).
A classifier that fails or takes longer than `timeout_s` (queueing included) is the tenant's
`on_error` (block by default), with the error in the decision's reasons (audited).
`reload()` swaps the policy whole: a bad file raises and the old policy stays.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from sekimori.classify.answers.model import JUDGE_PROMPT_CHARS
from sekimori.classify.encoder import ENCODERS, Encoder
from sekimori.classify.pii import (
    PiiType,
    RedactionSession,
    Scanner,
    StreamRestorer,
    default_scanner,
    redact,
)
from sekimori.errors import ConfigError
from sekimori.gateway.screening import refusal
from sekimori.gateway.screening.cache import ContentCache
from sekimori.gateway.screening.scheduler import Scheduler, SchedulerLimits, Ticket, Work
from sekimori.gateway.screening.scorers import SCORERS, Scorer
from sekimori.gateway.screening.shared import SharedVerdicts, generation
from sekimori.guards import Guard, GuardVerdict, make_guard
from sekimori.guards.base import ask_within
from sekimori.home import AUDIT_KEY, secret_key
from sekimori.lang import detect_lang
from sekimori.policy import (
    ExampleIndex,
    PolicySet,
    TenantOverride,
    TenantPolicy,
    configured_policy,
    decide,
    rule_on,
)
from sekimori.policy.guarding import GuardedDecision, merge, wanted
from sekimori.policy.model import ExampleSet, GuardRule
from sekimori.screen import (
    InputResult,
    OutputResult,
    OutputWindow,
    Overloaded,
    Part,
    ScreenContext,
    TooLarge,
    kind_of,
)
from sekimori.settings import Settings
from sekimori.taxonomy import BY_ID, SELF_HARM
from sekimori.types import Action, Decision, Message, Verdict

log = logging.getLogger("sekimori.gateway")
T = TypeVar("T")
# Keys the answer judge's verdicts on history apart from the prompt classifier's on the same text.
_ANSWER_KEY = "\x00answer\x00"
# A prompt scoring this much in any category (half the hold point on the policy's scale), or
# held, has every answer window judged by the full answer judge, not its cheap first stage.
CAREFUL_AT = 0.25
# The sure level an answer is decided at when the prompt was already held or flagged: the
# policy scale's hold point, so every harmful verdict of the judge is sure.
CORROBORATED = 0.5
_LANG_SAMPLE = 400  # characters enough to tell Japanese from English
# Default `max_chars`: about 32,000 English tokens. The prompt classifier reads at most 16
# segments a text, so past ~8,000 characters its time hardly grows (0.6-3 s a text on a busy
# 2-core machine at 8k-128k characters, 7 s at 1M) while memory does (~60 MB a million
# characters in flight), and 3.9 MB prompts once held the pool for over a minute.
MAX_CHARS = 128_000


@dataclass(frozen=True, slots=True)
class ScreenOptions:
    """`screen.options` of the settings for the `policy` screen."""

    scorer: str = "model"
    timeout_s: float = 5.0
    threads: int = 2
    cache_entries: int = 20_000
    whole_chars: int = 1500  # how much of the joined user turns is scored as one text
    encoder: str = "e5-small"
    # The most characters one request may ask to screen (every part together); above it the
    # tenant's `oversize` decides (docs/screening.md, Limits).
    max_chars: int = MAX_CHARS
    tenant_threads: int | None = None  # items of one tenant running at once (None: `threads`)
    long_chars: int = 4000  # a work item reading more runs on at most threads - 1 threads
    long_nice: int = 10  # how much lower long items' threads run (Linux; 0: the same)
    # One tenant may be the whole deployment: its share must carry a busy client (each request
    # queues two or three items) before fairness, not the queue, is what protects the others.
    tenant_queue: int = 128  # work items of one tenant waiting; one more is answered 429
    queue: int = 256  # work items waiting in all; one more is answered 503

    @classmethod
    def from_settings(cls, options: Mapping[str, Any]) -> ScreenOptions:
        known = {k: v for k, v in options.items() if k in cls.__dataclass_fields__}
        try:
            out = cls(**known)
            if out.timeout_s <= 0 or out.threads < 1 or out.cache_entries < 0:
                raise ValueError("timeout_s must be > 0, threads >= 1, cache_entries >= 0")
            if out.max_chars < 1:
                raise ValueError("max_chars must be >= 1")
            out.limits()
        except (TypeError, ValueError) as exc:
            raise ConfigError(str(exc), key="screen.options") from None
        return out

    def limits(self) -> SchedulerLimits:
        return SchedulerLimits(
            threads=self.threads,
            tenant_running=self.tenant_threads or self.threads,
            long_chars=self.long_chars,
            long_nice=self.long_nice,
            tenant_queued=self.tenant_queue,
            queued=self.queue,
        )


@dataclass(frozen=True, slots=True)
class _Loaded:
    """One policy with its example indexes; replaced whole on reload."""

    policy: PolicySet
    indexes: Mapping[str, ExampleIndex] = field(default_factory=dict)  # tenant -> examples
    guards: Mapping[str, Guard] = field(default_factory=dict)  # the policy's guard models

    def tenant(self, name: str) -> tuple[TenantPolicy, ExampleIndex | None]:
        known = name in self.policy.tenants
        return self.policy.for_tenant(name), self.indexes.get(name if known else "")


_ExamplesKey = tuple[tuple[tuple[str, ExampleSet], ...], tuple[tuple[str, ExampleSet], ...]]


def _examples_key(tenant: TenantPolicy) -> _ExamplesKey:
    return tuple(sorted(tenant.custom.items())), tuple(sorted(tenant.allow_intents.items()))


@dataclass(frozen=True, slots=True)
class _Pending:
    """What output screening needs from the input side of the same request (the handle)."""

    prompt: str
    tenant: TenantPolicy
    lang: str
    asked: str = ""  # the last user turn as sent upstream (for a guard that judges the answer)
    # The prompt's risk asks for the full answer judge on every window (no cheap first stage).
    careful: bool = False
    # The input screen held or flagged the prompt for a hazard: with the tenant's
    # `corroborate_answers`, the answer judge's unsure harmful verdict counts as sure.
    suspect: bool = False


@dataclass(frozen=True, slots=True)
class _Redacted:
    messages: list[Message]  # with placeholders where the tenant redacts
    restorer: StreamRestorer | None  # None: nothing was replaced
    found: Counter[str]  # every PII type found, redacted or not -> count

    @classmethod
    def unchanged(cls, messages: Sequence[Message]) -> _Redacted:
        return cls(list(messages), None, Counter())


@dataclass(frozen=True, slots=True)
class _Scores:
    """A request's scores, the highest each category got in any screened text; ``sure``: the
    same over the pieces whose scores may be sure (`Verdict.certain`)."""

    scores: dict[str, float] = field(default_factory=dict)
    sure: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Known:
    """What the verdict cache knows of the texts one request screens."""

    verdicts: list[Verdict]  # cached, in the order of the texts
    todo: dict[bytes, str]  # digest -> a text still to score
    # digest -> (the user turn before it, an assistant turn of the history) still to judge
    answers: dict[bytes, tuple[str, str]] = field(default_factory=dict)
    scored: dict[bytes, Verdict] = field(default_factory=dict)  # what scoring found, by digest

    def learn(self, found: Mapping[bytes, Verdict]) -> None:
        """Take verdicts found elsewhere (the shared cache) off the texts still to score."""
        for key, verdict in found.items():
            self.todo.pop(key, None)
            self.answers.pop(key, None)
            self.verdicts.append(verdict)


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
        self.scorer = scorer or SCORERS.get(self.options.scorer)(settings.screen)
        # A cascade's judge call runs inside the input scoring: its worst case extends the limit.
        judge = settings.screen.judge
        self.input_timeout_s = self.options.timeout_s + (
            judge.timeout_s * (judge.retries + 1) if judge is not None else 0.0
        )
        self._encoder_factory = encoder_factory
        self._encoder: Encoder | None = None
        self._encoder_lock = threading.Lock()
        self._scanner: Scanner = default_scanner()
        self.cache: ContentCache[Verdict] = ContentCache(self.options.cache_entries)
        self.shared = _shared(settings)
        self.pii_free: ContentCache[bool] = ContentCache(self.options.cache_entries)
        self.pool = ThreadPoolExecutor(self.options.threads, thread_name_prefix="sekimori-screen")
        self.scheduler = Scheduler(self.options.limits(), self.pool)
        self._reload_lock = threading.Lock()
        self._tenants: tuple[TenantOverride, ...] = ()  # the store's rows over the file
        self._state = self._load()
        # Load the models now, off the event loop, so that the first request does not pay.
        self.warming: Future[None] = self.pool.submit(self._warm)

    # -- policy
    def _load(self) -> _Loaded:
        policy = configured_policy(self.policy_file, self._inline, self._tenants)
        before: _Loaded | None = getattr(self, "_state", None)
        # Tenants with the same examples share one index, and a reload reuses the indexes it
        # had: the store's tenant rows make many tenants that are the file's default_tenant
        # with other limits, and each change of a row rebuilds the policy.
        built: dict[_ExamplesKey, ExampleIndex] = {}
        if before is not None:
            old = [("", before.policy.default_tenant), *before.policy.tenants.items()]
            for name, tenant in old:
                if name in before.indexes:
                    built[_examples_key(tenant)] = before.indexes[name]
        indexes: dict[str, ExampleIndex] = {}
        for name, tenant in [("", policy.default_tenant), *policy.tenants.items()]:
            if tenant.custom or tenant.allow_intents:
                key = _examples_key(tenant)
                if key not in built:
                    built[key] = ExampleIndex(tenant, self._encoder_get())
                indexes[name] = built[key]
        # A guard whose settings a reload leaves as they were keeps its client (and connections).
        guards = {
            name: before.guards[name]
            if before is not None and before.policy.guards.get(name) == spec
            else make_guard(spec)
            for name, spec in policy.guards.items()
        }
        return _Loaded(policy, indexes, guards)

    def reload(self) -> str:
        """Re-reads the policy; on any error the old policy stays and the error is raised."""
        with self._reload_lock:
            state = self._load()
            self._state = state  # one reference swap: a request sees the old or the new, whole
        log.info("policy reloaded from %s", state.policy.source)
        return state.policy.source

    def use_tenants(self, tenants: Sequence[TenantOverride]) -> PolicySet:
        """The policy rebuilt with the store's tenant rows over the file. The rows are kept
        even when the file fails to load (it was edited since): the next reload applies them."""
        with self._reload_lock:
            self._tenants = tuple(tenants)
            state = self._load()
            self._state = state
        return state.policy

    @property
    def policy(self) -> PolicySet:
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

    def _warm(self) -> None:
        try:
            self.scorer.score_prompts(["hello"])
        except Exception as exc:  # reported again, per request, through on_error
            log.warning("prompt classifier not ready: %s", exc)
        try:
            self.scorer.judge_answers(["hello"], ["hello"])
        except Exception as exc:
            log.warning("answer judge not ready: %s", exc)

    async def ready(self) -> None:
        """Returns once the models are loaded (or failed to, which requests then report)."""
        await asyncio.wrap_future(self.warming)

    # -- blocking work runs in the pool, so the proxy keeps serving while a model computes;
    # the scheduler decides whose work runs next, and drops what nobody waits for any more
    async def _wait(self, work: Work[T], timeout_s: float | None = None) -> T:
        """Queueing counts toward the timeout: a request that waited too long is dropped."""
        return await asyncio.wait_for(
            self.scheduler.result(work), timeout_s or self.options.timeout_s
        )

    def counts(self) -> dict[str, float]:
        """The scheduler's work, for /metrics."""
        c = self.scheduler.counts
        return {
            "queued": self.scheduler.queued,
            "running": self.scheduler.running,
            "done": c.done,
            "dropped": c.dropped,
            "abandoned": c.abandoned,
            "refused_tenant": c.refused_tenant,
            "refused_gateway": c.refused_gateway,
            "cache_hits": self.cache.stats.hits,
            "cache_misses": self.cache.stats.misses,
            **(
                {}
                if self.shared is None
                else {
                    "shared_hits": self.shared.stats.hits,
                    "shared_misses": self.shared.stats.misses,
                    "shared_skipped": self.shared.stats.errors,
                    "shared_rejected": self.shared.stats.rejected,
                }
            ),
        }

    def _failed(
        self, tenant: TenantPolicy, exc: BaseException, where: str, timeout_s: float | None = None
    ) -> Decision:
        if isinstance(exc, TimeoutError):
            what = f"timed out after {timeout_s or self.options.timeout_s:g} s"
        else:
            what = f"{type(exc).__name__}: {exc}"
        reason = f"classifier error on {where}: {what}; on_error={tenant.on_error.value}"
        log.warning("tenant %s: %s", tenant.name, reason)
        action = Action.BLOCK if tenant.on_error is Action.BLOCK else Action.FLAG
        return Decision(action, (), (reason,))

    # -- input
    async def screen_input(
        self, context: ScreenContext, messages: Sequence[Message]
    ) -> InputResult:
        state = self._state
        tenant, index = state.tenant(context.tenant)
        turns = _user_turns(messages)
        last_user = turns[-1] if turns else ""
        lang = detect_lang(last_user[:_LANG_SAMPLE])
        # Access rules on the model need no classifier: refuse before paying for one.
        access = decide({}, tenant, model=context.model)
        if access.action is Action.BLOCK:
            rule = access.categories[0].removeprefix("access.")
            return InputResult(access, refusal=refusal.denied(rule, lang))
        size = sum(len(m.content) for m in messages)
        if size > self.options.max_chars:
            # Never forwarded unscreened: refused whole, as the tenant's policy chooses.
            if tenant.oversize == "reject":
                raise TooLarge(size, self.options.max_chars)
            reason = f"{size} characters to screen, over the limit of {self.options.max_chars}"
            decision = Decision(Action.BLOCK, (), (reason + "; oversize=block",))
            return InputResult(decision, refusal=refusal.too_large(lang))
        redact_types = frozenset(PiiType(t) for t in tenant.redact_types)
        # One digest a message serves both caches (sha256 on the loop: about 1 ms a megabyte).
        keys = [ContentCache.key(m.content) for m in messages]
        known = self._known(messages, keys, turns)
        if self.shared is not None and (known.todo or known.answers):
            found = await self.shared.get(context.tenant, [*known.todo, *known.answers])
            for key, verdict in found.items():
                self.cache.put(key, verdict)
            known.learn(found)
        failures: list[Decision] = []
        scored = _Scores()
        pii = _Redacted.unchanged(messages)
        idle = not known.todo and not known.answers
        if idle and index is None and all(self.pii_free.get(k) for k in keys):
            # Nothing left to compute: no pool hop, so a busy pool cannot delay this request.
            scored = self._score_input(index, known, last_user)
        else:
            # The classifiers and the PII scan run side by side in the pool.
            name = context.tenant
            todo = sum(map(len, known.todo.values())) + sum(
                len(p) + len(a) for p, a in known.answers.values()
            )
            # Both queued at once, or neither: a refusal (429/503) leaves no orphan behind.
            score = self.scheduler.submit(
                name, todo, lambda t: self._score_input(index, known, last_user, t)
            )
            try:
                scan = self.scheduler.submit(
                    name, size, lambda t: self._scan_pii(redact_types, messages, keys, t)
                )
            except Overloaded:
                self.scheduler.withdraw(score)
                raise
            scoring, scanning = self._wait(score, self.input_timeout_s), self._wait(scan)
            got, scanned = await asyncio.gather(scoring, scanning, return_exceptions=True)
            if isinstance(got, BaseException):
                failures.append(self._failed(tenant, got, "input", self.input_timeout_s))
            else:
                scored = got
                if self.shared is not None:
                    self.shared.put(context.tenant, known.scored)
            if isinstance(scanned, BaseException):
                failures.append(self._failed(tenant, scanned, "pii"))
            else:
                pii = scanned
        if failures and failures[0].action is Action.BLOCK:
            return InputResult(failures[0], refusal=refusal.unchecked(lang))
        # A classifier that failed gives no certainty to hold on: its blocks stand.
        sure_at = None if failures else self.scorer.sure_at
        scores, sure = scored.scores, scored.sure
        ruling = rule_on(
            scores,
            tenant,
            model=context.model,
            pii_types=pii.found,
            sure_at=sure_at,
            sure_scores=sure,
        )
        decision, held_on = ruling.decision, ruling.held
        # A guard is a server outside the gateway: it reads the turn as the upstream will,
        # with what the tenant redacts already replaced.
        turns_out = _user_turns(pii.messages) if pii.restorer is not None else turns
        guard_prompt = turns_out[-1] if turns_out else ""
        # A guard can raise to block, never lower a block: a blocked request needs no guard.
        if tenant.guards and decision.action is not Action.BLOCK:
            asked = await self._ask_guards(
                state, tenant.guards, scores, guard_prompt, None, held_on
            )
            if asked:
                guarded = merge(
                    asked,
                    decision=decision,
                    held=held_on,
                    scores=scores,
                    tenant=tenant,
                    model=context.model,
                    pii_types=pii.found,
                    sure_at=sure_at,
                    sure_scores=sure,
                )
                if guarded.failed_closed:
                    return InputResult(guarded.decision, refusal=refusal.unchecked(lang))
                decision, held_on, scores = guarded.decision, guarded.held, guarded.scores
                sure = guarded.sure if guarded.sure is not None else scores
        notes = [r for f in failures for r in f.reasons]
        if pii.found:
            notes.append("pii " + ", ".join(f"{k}x{n}" for k, n in sorted(pii.found.items())))
        action = Action.FLAG if failures and decision.action is Action.ALLOW else decision.action
        decision = Decision(
            action, decision.categories, (*decision.reasons, *notes), tuple(scores.items())
        )
        if decision.action is Action.BLOCK:
            named = _blocking(decision, scores, tenant, context.model, sure_at, sure=sure)
            support = SELF_HARM in decision.categories
            return InputResult(decision, refusal=refusal.refusal(named, lang, support=support))
        held = bool(held_on)
        careful = held or max(scores.values(), default=0.0) >= CAREFUL_AT
        suspect = held or (
            decision.action is Action.FLAG and any(c in BY_ID for c in decision.categories)
        )
        handle = _Pending(
            last_user[-JUDGE_PROMPT_CHARS:], tenant, lang, guard_prompt, careful, suspect
        )
        low = not careful
        if pii.restorer is None:
            return InputResult(decision, hold=held, handle=handle, low_risk=low)
        return InputResult(
            decision, pii.messages, pii.restorer, hold=held, handle=handle, low_risk=low
        )

    async def _ask_guards(
        self,
        state: _Loaded,
        rules: Sequence[GuardRule],
        scores: Mapping[str, float],
        prompt: str,
        answer: str | None,
        held: Sequence[str] = (),
    ) -> list[tuple[GuardRule, GuardVerdict]]:
        """The verdicts of the guards the tenant's rules ask here. A guard that several of
        them ask is asked once, within the longest of their budgets."""
        rules = [r for r in rules if wanted(r, scores, held=bool(held), answer=answer is not None)]
        budgets: dict[str, int] = {}
        for r in rules:
            budgets[r.guard] = max(budgets.get(r.guard, 0), r.budget_ms)
        verdicts = await asyncio.gather(
            *(
                ask_within(
                    state.guards[name],
                    state.policy.guards[name].model,
                    budget / 1000.0,
                    prompt,
                    answer,
                )
                for name, budget in budgets.items()
            )
        )
        by_guard = dict(zip(budgets, verdicts, strict=True))
        return [(r, by_guard[r.guard]) for r in rules]

    def _known(
        self, messages: Sequence[Message], keys: Sequence[bytes], turns: Sequence[str]
    ) -> _Known:
        """The screened texts (`keys`: the parts' digests) split into cached and to score.

        Every part of every kind is scored (a part seen before costs nothing: the cache), in
        units (`_units`: a message's parts together, a tool's name, description and parameters
        together, a tool call's name and arguments together, each file alone), and the user
        turns joined (`turns`), so an attack split across turns is seen whole. The
        assistant's turns in the history are answers, so the answer judge reads them with the
        user turn before them: the prompt classifier takes a refusal that names a hazard ("I
        can't help with sarin") for a request, and would block every later turn of a
        conversation after one refusal; the judge tells it from compliance, and still catches
        a harmful answer planted in the history.
        """
        texts: list[tuple[bytes, str]] = []
        answers: list[tuple[bytes, tuple[str, str]]] = []
        asked = ""
        for unit in _units(messages):
            text = "\n".join(messages[i].content for i in unit)
            kinds = {kind_of(messages[i]) for i in unit}
            if "user" in kinds:
                asked = text
            if "assistant_history" in kinds and kinds <= {"assistant_history", "name"}:
                akey = self.cache.key(_ANSWER_KEY + text)
                answers.append((akey, (asked[-JUDGE_PROMPT_CHARS:], text)))
            else:
                key = keys[unit[0]] if len(unit) == 1 else self.cache.key(text)
                texts.append((key, text))
        if len(turns) > 1:
            whole = "\n".join(turns)[-self.options.whole_chars :]
            texts.append((self.cache.key(whole), whole))
        verdicts: list[Verdict] = []
        todo = self._uncached(texts, verdicts)
        judge = self._uncached(answers, verdicts)
        return _Known(verdicts, todo, judge)

    def _uncached(
        self, items: Sequence[tuple[bytes, T]], verdicts: list[Verdict]
    ) -> dict[bytes, T]:
        """Of (digest, item) pairs, those with no cached verdict; the cached go to `verdicts`."""
        left: dict[bytes, T] = {}
        for key, item in items:
            cached = self.cache.get(key)
            if cached is not None:
                verdicts.append(cached)
            else:
                left[key] = item
        return left

    def _score_input(
        self,
        index: ExampleIndex | None,
        known: _Known,
        last_user: str,
        ticket: Ticket | None = None,
    ) -> _Scores:
        """Blocking unless nothing is left to score: the per-category maximum over the texts.

        One text a call (the encoder reads one text a call anyway), so an abandoned request
        stops between texts (`ticket`)."""
        verdicts = list(known.verdicts)
        for key, text in known.todo.items():
            if ticket is not None:
                ticket.check()
            (verdict,) = self.scorer.score_prompts([text])
            self.cache.put(key, verdict)
            known.scored[key] = verdict
            verdicts.append(verdict)
        for key, (prompt, answer) in known.answers.items():
            if ticket is not None:
                ticket.check()
            (judged,) = self.scorer.judge_answers([prompt], [answer])
            verdict = Verdict(judged.harmful, judged.score, judged.categories)
            self.cache.put(key, verdict)
            known.scored[key] = verdict
            verdicts.append(verdict)
        out = _Scores()
        for verdict in verdicts:
            certain = verdict.certain or verdict
            for into, categories in (
                (out.scores, verdict.categories),
                (out.sure, certain.categories),
            ):
                for category_id, score in categories.items():
                    into[category_id] = max(float(score), into.get(category_id, 0.0))
        if index is not None and last_user.strip():
            allowed = index.scores(last_user)
            out.scores.update(allowed)
            out.sure.update(allowed)
        return out

    def _scan_pii(
        self,
        types: frozenset[PiiType],
        messages: Sequence[Message],
        keys: Sequence[bytes],
        ticket: Ticket,
    ) -> _Redacted:
        """Blocking: every PII type found (for the policy), and `types` replaced by placeholders.

        Every part is scanned; a part with a rewrite keeps its kind and locator, so the gateway
        writes it back where it came from.
        """
        session = RedactionSession()  # one per request: a value gets one placeholder throughout
        found: Counter[str] = Counter()
        out = []
        for message, key in zip(messages, keys, strict=True):
            ticket.check()
            if self.pii_free.get(key):
                out.append(message)
                continue
            spans = self._scanner.scan(message.content)
            if not spans:
                self.pii_free.put(key, True)
            found.update(span.type.value for span in spans)
            if any(span.type in types for span in spans):
                result = redact(message.content, session, scanner=self._scanner, types=types)
                message = _with_text(message, result.text)
            out.append(message)
        restorer = StreamRestorer(session.mapping) if session.mapping else None
        return _Redacted(out, restorer, found)

    # -- output
    async def screen_output(self, context: ScreenContext, window: OutputWindow) -> OutputResult:
        pending = context.handle
        if not isinstance(pending, _Pending):  # a caller without the input's handle
            tenant, _ = self._state.tenant(context.tenant)
            pending = _Pending("", tenant, detect_lang(window.text[:_LANG_SAMPLE]))
        # A stream's final window is judged as the complete answer, as a non-streamed one is:
        # the windows before it saw the answer only in pieces.
        text = window.whole if window.final and window.whole else window.text
        if not text.strip():
            # Nothing to judge (a tool-call answer's empty content, an empty answer); the judge
            # would refuse an empty answer as bad input and the answer would be falsely cut.
            return OutputResult(Decision(Action.ALLOW))
        try:
            work = self.scheduler.submit(
                context.tenant,
                len(pending.prompt) + len(text),
                lambda t: self.scorer.judge_answers(
                    [pending.prompt], [text], careful=pending.careful
                ),
            )
            verdicts = await self._wait(work)
        except Overloaded:
            raise  # the gateway says so (429/503), rather than calling it a failed check
        except Exception as exc:
            decision = self._failed(pending.tenant, exc, "output")
            # The request was sent and answered: say that the answer, not the request, stopped.
            return OutputResult(decision, refusal=refusal.withheld(pending.lang))
        # PII in the answer is the upstream's own text; only the hazard categories decide here.
        scores = dict(verdicts[0].categories)
        # The judge's sure level lets a sure moderate harmful answer take `when_sure` (block);
        # an answer has arrived, so nothing is held.
        sure_at = self.scorer.answer_sure_at
        decision = rule_on(
            scores, pending.tenant, model=context.model, sure_at=sure_at, hold=False
        ).decision
        if pending.suspect and pending.tenant.corroborate_answers:
            agreed = _corroborated(pending, context.model, scores, decision)
            if agreed is not None:
                decision, sure_at = agreed, CORROBORATED
        if window.final and pending.tenant.guards and decision.action is not Action.BLOCK:
            guarded = await self._guard_answer(
                pending, context.model, scores, decision, window, sure_at
            )
            if guarded is not None:
                if guarded.failed_closed:
                    return OutputResult(guarded.decision, refusal=refusal.withheld(pending.lang))
                decision, scores = guarded.decision, guarded.scores
        decision = replace(decision, scores=tuple(scores.items()))
        if decision.action is Action.BLOCK:
            named = _blocking(decision, scores, pending.tenant, context.model, sure_at, hold=False)
            support = SELF_HARM in decision.categories
            notice = refusal.cut_notice(named, pending.lang, support=support)
            return OutputResult(decision, refusal=notice)
        if decision.action is Action.REDACT:  # nothing to redact in an answer: keep it on record
            decision = replace(decision, action=Action.FLAG)
        return OutputResult(decision)

    async def _guard_answer(
        self,
        pending: _Pending,
        model: str,
        scores: Mapping[str, float],
        decision: Decision,
        window: OutputWindow,
        sure_at: float | None,
    ) -> GuardedDecision | None:
        """The `answers` guards on the complete answer (a stream's final window carries it)."""
        state = self._state
        answer = window.whole or window.text
        asked = await self._ask_guards(
            state, pending.tenant.guards, scores, pending.asked or pending.prompt, answer
        )
        if not asked:
            return None
        return merge(
            asked,
            decision=decision,
            held=(),
            scores=scores,
            tenant=pending.tenant,
            model=model,
            sure_at=sure_at,
            hold=False,
        )

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.scheduler.close()

    async def aclose(self) -> None:
        if self.shared is not None:
            await self.shared.aclose()


def _corroborated(
    pending: _Pending, model: str, scores: Mapping[str, float], decision: Decision
) -> Decision | None:
    """The block of an answer to a prompt held or flagged for a hazard, every harmful verdict
    at the judge's threshold taken as sure (`TenantPolicy.corroborate_answers`); None where
    that changes nothing."""
    if decision.action is Action.BLOCK:
        return None
    agreed = rule_on(scores, pending.tenant, model=model, sure_at=CORROBORATED, hold=False)
    if agreed.decision.action is not Action.BLOCK:
        return None
    why = (
        "corroborated: the prompt was held or flagged and the answer judge finds the answer "
        "harmful, each unsure alone / 入力は保留・フラグ済みで、回答判定器も回答を有害と判定"
    )
    return replace(agreed.decision, reasons=(*agreed.decision.reasons, why))


def _shared(settings: Settings) -> SharedVerdicts | None:
    """The shared verdict cache, on by default where there is a Redis: `url`, else
    `limits.url`."""
    options = settings.screen.shared_cache
    url = settings.shared_cache_url
    if url is None and not options.enabled:
        return None
    if url is None:
        raise ConfigError(
            "the shared verdict cache needs a Redis: set screen.shared_cache.url or limits.url "
            "(redis://HOST:6379/0), or turn it off / 共有判定キャッシュには Redis が必要です",
            key="screen.shared_cache.url",
        )
    secret = secret_key(settings.home / AUDIT_KEY)
    return SharedVerdicts(options, url, secret, generation(settings))


def _user_turns(messages: Sequence[Message]) -> list[str]:
    """The text of each user turn, in order (a turn's text parts joined)."""
    turns: dict[object, list[str]] = {}
    for i, message in enumerate(messages):
        if kind_of(message) == "user" and message.content.strip():
            key = message.turn if isinstance(message, Part) and message.locator else i
            turns.setdefault(key, []).append(message.content)
    return ["\n".join(texts) for texts in turns.values()]


def _units(messages: Sequence[Message]) -> list[list[int]]:
    """The parts scored as one text, by index, in order: one message's texts (content parts,
    reasoning, `name`), one tool call (name, arguments), one tool (name, description,
    parameters), one `data:` file each. A fragment alone is no request: a name such as "alice"
    or "read_file" scores 0.3-0.4 in some hazard category on the prompt classifier, noise that
    a recall-first operating point turns into holds; in its context it is read as meant."""
    units: dict[object, list[int]] = {}
    for i, message in enumerate(messages):
        if not message.content.strip():
            continue
        where: object = i
        if isinstance(message, Part) and message.locator:
            loc = message.locator
            if message.kind == "data_url":
                where = loc
            elif loc[0] == "messages" and "tool_calls" in loc:
                where = loc[:4]  # ("messages", i, "tool_calls", k)
            elif loc[0] == "messages" and "function_call" in loc:
                where = loc[:3]
            else:
                where = loc[:2]  # ("messages", i) or ("tools", k)
        units.setdefault(where, []).append(i)
    return list(units.values())


def _with_text(message: Message, text: str) -> Message:
    """The same part (kind and locator kept) with another text."""
    if isinstance(message, Part):
        return Part(message.role, text, message.kind, message.locator)
    return Message(message.role, text)


# A runner-up is named beside the top blocking category only when this close to its score (a
# near-tie on the policy scale); otherwise the refusal names the top category alone.
NEAR_TIE = 0.05


def _blocking(
    decision: Decision,
    scores: Mapping[str, float],
    tenant: TenantPolicy,
    model: str,
    sure_at: float | None = None,
    *,
    hold: bool = True,
    sure: Mapping[str, float] | None = None,
) -> tuple[str, ...]:
    """What the refusal names: the top category that blocks on its own (at `sure_at`, as the
    decision was made: a sure moderate score blocks), and a near-tie."""

    def blocks(c: str) -> bool:
        alone = rule_on(
            {c: scores[c]},
            tenant,
            model=model,
            sure_at=sure_at,
            hold=hold,
            sure_scores=None if sure is None else {c: sure.get(c, 0.0)},
        )
        return alone.decision.action is Action.BLOCK

    named = sorted(
        (c for c in decision.categories if c in scores and blocks(c)), key=lambda c: -scores[c]
    )
    if not named:  # blocked only together (a wrapper with a hazard) or by PII or access
        return decision.categories[:2]
    top = scores[named[0]]
    return tuple(c for c in named[:2] if scores[c] >= top - NEAR_TIE)
