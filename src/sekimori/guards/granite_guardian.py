"""IBM Granite Guardian: one risk a call, `Yes` (the risk is present) or `No`.

Sources (read 2026-12-05): the model cards huggingface.co/ibm-granite/granite-guardian-3.1-8b,
-3.2-5b and -3.3-8b, and ibm.com/granite/docs/models/guardian: the chat template takes the risk
as `guardian_config = {"risk_name": ...}` (3.3: `{"criteria_id": ...}` and a `think` flag; both
names are sent, thinking off; with vLLM they go in the chat request's `chat_template_kwargs`);
a user message alone is judged as a prompt, a user and an assistant message judge the answer.
Versions 3.0-3.2 answer `Yes` or `No` (3.2 adds `<confidence> High|Low </confidence>`),
3.3 answers `<score> yes </score>` or `<score> no </score>`, after a `<think>` trace when asked
to think; the cards score by the probability of the yes/no token. ollama.com/library/
granite3-guardian: over Ollama the risk name is the system message. Risk names used here (the
cards' harm group): harm (umbrella), social_bias, jailbreak, violence, profanity,
sexual_content, unethical_behavior.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from sekimori.errors import ConfigError
from sekimori.guards.adapter import Adapter, Reading
from sekimori.guards.base import GUARDS, RAW_CHARS, GuardFormatError, GuardLabel
from sekimori.guards.client import probability
from sekimori.settings import GuardSettings
from sekimori.taxonomy import SIGNAL_JAILBREAK

# `harm` says only "harmful": no category of its own (the built-in classifier's names it).
RISKS: dict[str, tuple[str, ...]] = {
    "harm": (),
    "social_bias": ("hate",),
    "jailbreak": (SIGNAL_JAILBREAK,),
    "violence": ("crime.violent", "weapons.conventional", "military.targeting"),
    "profanity": (),
    "sexual_content": ("sexual.explicit", "sexual.minors"),
    "unethical_behavior": ("crime.nonviolent", "deception", "cyber.offense"),
}

_SCORE = re.compile(r"<score>\s*(yes|no)\s*</score>", re.I)
_THINK = re.compile(r"<think>.*?</think>", re.I | re.S)
_FIRST = re.compile(r"^\W*(yes|no)\b", re.I)


@dataclass(frozen=True, slots=True)
class _One:
    risk: str
    p: float
    scored_by: str
    text: str
    model: str


def read_answer(text: str) -> bool:
    """Yes (True) or No (False) in a Granite Guardian answer, any version."""
    score = _SCORE.search(text)
    if score is not None:
        return score.group(1).lower() == "yes"
    first = _FIRST.match(_THINK.sub("", text))
    if first is None:
        raise GuardFormatError("neither `<score> yes|no </score>` nor a leading Yes/No", text)
    return first.group(1).lower() == "yes"


def _config(risk: str) -> dict[str, str]:
    # 3.0-3.2 templates read `risk_name`, 3.3 reads `criteria_id`; each ignores the other key.
    return {"risk_name": risk, "criteria_id": risk}


@GUARDS.register("granite_guardian")
class GraniteGuardian(Adapter):
    name = "granite_guardian"

    def __init__(self, settings: GuardSettings) -> None:
        unknown = [r for r in settings.risks if r not in RISKS]
        if unknown or not settings.risks:
            raise ConfigError(
                f"Granite Guardian risks {list(settings.risks)}: unknown or none; "
                f"known: {', '.join(RISKS)}",
                key="guards.risks",
            )
        super().__init__(settings)

    async def _ask(self, risk: str, prompt: str, answer: str | None) -> _One:
        messages = [{"role": "user", "content": prompt}]
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
        if self.settings.api == "ollama":
            done = await self.client.chat(
                [{"role": "system", "content": risk}, *messages], max_tokens=32, logprobs=True
            )
        else:
            done = await self.client.chat(
                messages,
                max_tokens=32,
                logprobs=True,
                extra={"chat_template_kwargs": {"guardian_config": _config(risk), "think": False}},
            )
        said_yes = read_answer(done.text)
        # A thinking trace holds yes/no words of its own: only the score counts then.
        p = None if "<think>" in done.text else probability(done.tokens, {"yes"}, {"no"})
        if p is None:
            return _One(risk, 1.0 if said_yes else 0.0, "text", done.text, done.model)
        return _One(risk, p, "logprobs", done.text, done.model)

    async def judge(self, prompt: str, answer: str | None) -> Reading:
        risks = self.settings.risks
        ones = await asyncio.gather(*(self._ask(r, prompt, answer) for r in risks))
        threshold = self.settings.threshold
        labels = tuple(GuardLabel(o.risk, RISKS[o.risk], o.p) for o in ones if o.p >= threshold)
        top = max(o.p for o in ones)
        by = "text" if any(o.scored_by == "text" for o in ones) else "logprobs"
        raw = "; ".join(f"{o.risk}={o.p:.3f} {o.text.strip()!r}" for o in ones)
        return Reading(top >= threshold, top, by, raw[:RAW_CHARS], ones[0].model, labels)
