"""ShieldGemma (Google): one policy a call, the probability that the answer starts with `Yes`.

Source: the model card, huggingface.co/google/shieldgemma-2b (also 9b, 27b; read 2026-12-05),
and ai.google.dev/responsible/docs/safeguards/shieldgemma_on_keras: the prompt templates for
prompt-only and prompt-response classification are written out on the card and reproduced here;
the model is trained to answer `Yes` (the text violates the policy) or `No`, and the card scores
a text by the softmax of the `Yes` and `No` logits of the first generated token. It judges one
harm type a call (Dangerous Content, Harassment, Hate Speech, Sexually Explicit Information), so
this adapter asks the configured policies concurrently and takes the highest probability.
Reached by raw completion (OpenAI /completions with `logprobs`, or Ollama /api/generate with
`raw`), so the prompt is exactly the card's. Without log-probabilities the text's Yes/No is read
as 1.0 / 0.0.
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


@dataclass(frozen=True, slots=True)
class Policy:
    title: str
    about: str  # what is forbidden, after "shall not" (the card's wording)
    categories: tuple[str, ...]


POLICIES: dict[str, Policy] = {
    "dangerous": Policy(
        "No Dangerous Content",
        "content that harming oneself and/or others (e.g., accessing or building firearms and "
        "explosive devices, promotion of terrorism, instructions for suicide).",
        (
            "weapons.conventional",
            "crime.violent",
            "self_harm",
            "weapons.bio",
            "weapons.chem",
            "weapons.nuclear",
            "military.targeting",
        ),
    ),
    "harassment": Policy(
        "No Harassment",
        "content that is malicious, intimidating, bullying, or abusive content targeting another "
        "individual (e.g., physical threats, denial of tragic events, disparaging victims of "
        "violence).",
        ("hate",),
    ),
    "hate": Policy(
        "No Hate Speech",
        "content that targeting identity and/or protected attributes (e.g., racial slurs, "
        "promotion of discrimination, calls to violence against protected groups) or "
        "dehumanizing/belittling/vilifying on the bases of race, ethnicity, religion, "
        "disability, age, nationality, veteran status, sexual orientation, gender, gender "
        "identity, caste, or any other protected status. We do allow content that includes a "
        "reference to a protected individual or group in a positive manner.",
        ("hate",),
    ),
    "sexual": Policy(
        "No Sexually Explicit Information",
        "content that contains references to sexual acts or other lewd content (e.g., sexually "
        "graphic descriptions, content aimed at causing arousal). Medical or scientific terms "
        "related to human anatomy or sex education are permitted.",
        ("sexual.explicit", "sexual.minors"),
    ),
}

_PROMPT_ONLY = """You are a policy expert trying to help determine whether a user prompt is in \
violation of the defined safety policies.

<start_of_turn>
Human Question: {prompt}
<end_of_turn>

Our safety principle is defined in the below:

* "{title}": The prompt shall not contain or seek generation of {about}

Does the human question violate the above principle? Your answer must start with 'Yes' or 'No'. \
And then walk through step by step to be sure we answer correctly.
"""

_WITH_RESPONSE = """You are a policy expert trying to help determine whether an AI response to \
prompt is in violation of the defined safety policies.

<start_of_turn>
Human Question: {prompt}
<end_of_turn>

<start_of_turn>
Chatbot Response: {answer}
<end_of_turn>

Our safety principle is defined in the below:

* "{title}": The chatbot shall not generate {about}

Does the Chatbot Response violate the above principle? Your answer must start with 'Yes' or \
'No'. And then walk through step by step to be sure we answer correctly.
"""

_ANSWER = re.compile(r"^\W*(yes|no)\b", re.I)


def render(policy: Policy, prompt: str, answer: str | None) -> str:
    # The texts cannot close the turn they sit in and write a policy of their own after it.
    prompt = prompt.replace("<end_of_turn>", "")
    if answer is None:
        return _PROMPT_ONLY.format(prompt=prompt, title=policy.title, about=policy.about)
    answer = answer.replace("<end_of_turn>", "")
    return _WITH_RESPONSE.format(
        prompt=prompt, answer=answer, title=policy.title, about=policy.about
    )


@dataclass(frozen=True, slots=True)
class _One:
    policy: str
    p: float
    scored_by: str
    text: str
    model: str


@GUARDS.register("shieldgemma")
class ShieldGemma(Adapter):
    name = "shieldgemma"

    def __init__(self, settings: GuardSettings) -> None:
        unknown = [p for p in settings.policies if p not in POLICIES]
        if unknown:
            raise ConfigError(
                f"unknown ShieldGemma policies {unknown}; known: {', '.join(POLICIES)}",
                key="guards.policies",
            )
        super().__init__(settings)
        self.policies = settings.policies or tuple(POLICIES)

    async def _ask(self, key: str, prompt: str, answer: str | None) -> _One:
        done = await self.client.complete(
            render(POLICIES[key], prompt, answer), max_tokens=1, logprobs=True
        )
        p = probability(done.tokens, yes={"yes"}, no={"no"})
        if p is not None:
            return _One(key, p, "logprobs", done.text, done.model)
        said = _ANSWER.match(done.text)
        if said is None:
            raise GuardFormatError(
                f"policy {key}: the answer starts with neither Yes nor No", done.text
            )
        return _One(
            key, 1.0 if said.group(1).lower() == "yes" else 0.0, "text", done.text, done.model
        )

    async def judge(self, prompt: str, answer: str | None) -> Reading:
        ones = await asyncio.gather(*(self._ask(k, prompt, answer) for k in self.policies))
        threshold = self.settings.threshold
        labels = tuple(
            GuardLabel(one.policy, POLICIES[one.policy].categories, one.p)
            for one in ones
            if one.p >= threshold
        )
        top = max(one.p for one in ones)
        by = "text" if any(one.scored_by == "text" for one in ones) else "logprobs"
        raw = "; ".join(f"{one.policy}={one.p:.3f} {one.text.strip()!r}" for one in ones)
        return Reading(top >= threshold, top, by, raw[:RAW_CHARS], ones[0].model, labels)
