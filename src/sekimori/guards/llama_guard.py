"""Llama Guard 3 and Llama Guard 4 (Meta): `safe`, or `unsafe` and a line of hazard codes.

Sources (model cards, read 2026-12-05):
- Llama Guard 3, huggingface.co/meta-llama/Llama-Guard-3-8B: the categories S1-S14 of the
  MLCommons hazard taxonomy; the chat template builds the task prompt from a conversation whose
  last turn (user or assistant) is the one classified; the output is `safe` or `unsafe` followed
  by a line of comma-separated codes, e.g. `unsafe\\nS9`; the probability of the first token
  being `unsafe` is the documented score for a custom threshold.
- ollama.com/library/llama-guard3: the same over Ollama's /api/chat (an assistant message last
  classifies the response).
- Llama Guard 4, huggingface.co/meta-llama/Llama-Guard-4-12B: the same categories and output;
  a multimodal template, so each message's content is sent as a list of text parts.
Both are reached over chat (the server applies the model's own template); no prompt is written
here, so what the model sees is exactly what its card trained it on.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sekimori.guards.adapter import Adapter, Reading
from sekimori.guards.base import GUARDS, RAW_CHARS, GuardFormatError, GuardLabel
from sekimori.guards.client import probability
from sekimori.guards.mapping import mlcommons

# Code -> (the card's name, taxonomy ids, core first). S6 specialised advice has no counterpart
# in the taxonomy; S3 sex-related crimes (assault, trafficking) is
# violent crime here.
CODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "S1": ("Violent Crimes", mlcommons("S1", "crime.violent")),
    "S2": ("Non-Violent Crimes", mlcommons("S2", "crime.nonviolent")),
    "S3": ("Sex-Related Crimes", ("crime.violent",)),
    "S4": ("Child Sexual Exploitation", mlcommons("S4", "sexual.minors")),
    "S5": ("Defamation", mlcommons("S5", "deception")),
    "S6": ("Specialized Advice", ()),
    "S7": ("Privacy", mlcommons("S7", "privacy")),
    "S8": ("Intellectual Property", mlcommons("S8", "ip.copyright")),
    "S9": ("Indiscriminate Weapons", mlcommons("S9", "weapons.conventional")),
    "S10": ("Hate", mlcommons("S10", "hate")),
    "S11": ("Suicide & Self-Harm", mlcommons("S11", "self_harm")),
    "S12": ("Sexual Content", mlcommons("S12", "sexual.explicit")),
    "S13": ("Elections", mlcommons("S13", "deception")),
    "S14": ("Code Interpreter Abuse", mlcommons("S14", "cyber.offense")),
}

_VERDICT = re.compile(r"^\s*(safe|unsafe)\b", re.I | re.M)
_CODE = re.compile(r"\bS\d+\b")


def read(text: str, tokens_p: float | None, threshold: float) -> Reading:
    """The verdict in a Llama Guard answer; extra text around it is tolerated."""
    match = _VERDICT.search(text)
    if match is None:
        raise GuardFormatError("no `safe` or `unsafe` line in the answer", text)
    said_unsafe = match.group(1).lower() == "unsafe"
    codes = _CODE.findall(text[match.end() :]) if said_unsafe else []
    if tokens_p is not None:
        score, scored_by = tokens_p, "logprobs"
        harmful = score >= threshold
    else:
        score, scored_by = (1.0 if said_unsafe else 0.0), "text"
        harmful = said_unsafe
    known = dict.fromkeys(c for c in codes if c in CODES)
    labels = tuple(GuardLabel(c, CODES[c][1], score) for c in known) if harmful else ()
    unknown = tuple(dict.fromkeys(c for c in codes if c not in CODES))
    return Reading(harmful, score, scored_by, text[:RAW_CHARS], labels=labels, unknown=unknown)


class _LlamaGuard(Adapter):
    content_parts = False  # Llama Guard 4's template reads content as a list of parts

    def _content(self, text: str) -> Any:
        if self.content_parts and self.settings.api == "openai":
            return [{"type": "text", "text": text}]
        return text

    async def judge(self, prompt: str, answer: str | None) -> Reading:
        messages = [{"role": "user", "content": self._content(prompt)}]
        if answer is not None:
            messages.append({"role": "assistant", "content": self._content(answer)})
        done = await self.client.chat(messages, max_tokens=20, logprobs=True)
        p = probability(done.tokens, yes={"unsafe"}, no={"safe"})
        return replace(read(done.text, p, self.settings.threshold), model=done.model)


@GUARDS.register("llama_guard_3")
class LlamaGuard3(_LlamaGuard):
    name = "llama_guard_3"


@GUARDS.register("llama_guard_4")
class LlamaGuard4(_LlamaGuard):
    name = "llama_guard_4"
    content_parts = True
