"""Qwen3Guard-Gen (Qwen): `Safety: Safe|Unsafe|Controversial`, its categories, and for an
answer whether it is a refusal.

Source: the model card, huggingface.co/Qwen/Qwen3Guard-Gen-8B (also 0.6B and 4B; read
2026-12-05). The chat template builds the moderation prompt from the conversation: a user message
alone moderates the prompt, a user and an assistant message moderate the answer. The output is
`Safety: <label>` then `Categories: <names>` and, for an answer, `Refusal: Yes|No`. Prompt
categories: Violent, Non-violent Illegal Acts, Sexual Content or Sexual Acts, PII, Suicide &
Self-Harm, Unethical Acts, Politically Sensitive Topics, Copyright Violation, Jailbreak (prompts
only), None. `Controversial` is unsafe in the card's strict mode and safe in its loose mode
(`strict` in the guard's settings). The card's own parser is a regular expression over the text,
so this adapter reads the text too (no token probabilities: the label spans several tokens).
Qwen3Guard-Stream (a token-level head, not a text answer) is not served over these APIs and is
not supported.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sekimori.guards.adapter import Adapter, Reading
from sekimori.guards.base import GUARDS, RAW_CHARS, GuardFormatError, GuardLabel
from sekimori.taxonomy import SIGNAL_JAILBREAK

CATEGORIES: dict[str, tuple[str, ...]] = {
    "Violent": (
        "crime.violent",
        "weapons.conventional",
        "military.targeting",
        "weapons.bio",
        "weapons.chem",
        "weapons.nuclear",
    ),
    "Non-violent Illegal Acts": ("crime.nonviolent", "cyber.offense"),
    "Sexual Content or Sexual Acts": ("sexual.explicit", "sexual.minors"),
    "PII": ("privacy",),
    "Suicide & Self-Harm": ("self_harm",),
    "Unethical Acts": ("hate", "deception"),
    "Politically Sensitive Topics": ("deception",),
    "Copyright Violation": ("ip.copyright",),
    "Jailbreak": (SIGNAL_JAILBREAK,),
}
SCORES = {"safe": 0.0, "controversial": 0.5, "unsafe": 1.0}

_SAFETY = re.compile(r"Safety:\s*(Safe|Unsafe|Controversial)\b", re.I)
_CATEGORIES = re.compile(r"Categories:\s*(.*)", re.I)
_REFUSAL = re.compile(r"Refusal:\s*(Yes|No)\b", re.I)


def read(text: str, strict: bool) -> Reading:
    match = _SAFETY.search(text)
    if match is None:
        raise GuardFormatError("no `Safety: Safe|Unsafe|Controversial` line", text)
    severity = match.group(1).lower()
    harmful = severity == "unsafe" or (strict and severity == "controversial")
    score = SCORES[severity]
    names: list[str] = []
    found = _CATEGORIES.search(text, match.end())
    if found is not None:
        names = [n.strip() for n in re.split(r",", found.group(1)) if n.strip()]
    known = [n for n in names if n in CATEGORIES]
    unknown = tuple(n for n in names if n not in CATEGORIES and n.lower() != "none")
    labels = tuple(GuardLabel(n, CATEGORIES[n], score) for n in known) if harmful else ()
    refusal = _REFUSAL.search(text)
    return Reading(
        harmful,
        score,
        "text",
        text[:RAW_CHARS],
        labels=labels,
        unknown=unknown,
        refusal=None if refusal is None else refusal.group(1).lower() == "yes",
        severity=severity,
    )


@GUARDS.register("qwen3guard")
class Qwen3Guard(Adapter):
    name = "qwen3guard"

    async def judge(self, prompt: str, answer: str | None) -> Reading:
        messages = [{"role": "user", "content": prompt}]
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
        done = await self.client.chat(messages, max_tokens=64, logprobs=False)
        return replace(read(done.text, self.settings.strict), model=done.model)
