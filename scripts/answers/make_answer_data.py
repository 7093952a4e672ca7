"""Compose the answer-judge data set `data/answers/{en,ja}.jsonl` from `answer_parts.py`.

Deterministic (fixed seed). The test split is fixed by prompt (sha256 of the English request,
one in five) and its refusals use phrasings that never occur in the training split.

    python scripts/answers/make_answer_data.py   # rewrites data/answers/*.jsonl
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import answer_parts as P

SEED = 20261128
OUT = Path(__file__).resolve().parents[2] / "data" / "answers"


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    split: str
    kind: str
    prompt: str
    answer: str
    refusal: str
    harmful: bool
    category: str | None


def is_test(prompt_en: str) -> bool:
    return int(hashlib.sha256(prompt_en.encode()).hexdigest(), 16) % 5 == 0


def join(lang: str, parts: list[str]) -> str:
    sep = "" if lang == "ja" else " "
    return sep.join(p for p in parts if p).strip()


def numbered(steps: tuple[str, ...]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))


def compose(
    lang: str, rng: random.Random
) -> Iterator[tuple[str, str, str, str, str, bool, str | None]]:
    """(prompt_en, kind, prompt, answer, refusal, harmful, category) minus the id and split."""
    ja = lang == "ja"
    pick = 2 if ja else 1
    for cat, *requests in P.HARMFUL_PROMPTS:
        key, prompt = requests[0], requests[pick - 1]
        test = is_test(key)
        openers = (
            (P.REFUSAL_OPENERS_JA_TEST if ja else P.REFUSAL_OPENERS_EN_TEST)
            if test
            else (P.REFUSAL_OPENERS_JA if ja else P.REFUSAL_OPENERS_EN)
        )
        reasons = P.REASONS_JA if ja else P.REASONS_EN
        alts_by_cat = P.ALTERNATIVES_JA if ja else P.ALTERNATIVES_EN
        alts = alts_by_cat.get(cat, alts_by_cat["_"])
        for with_alt in (False, True, rng.random() < 0.5):
            parts = [rng.choice(openers), rng.choice(reasons)]
            if with_alt:
                parts.append(rng.choice(alts))
            yield key, "refusal", prompt, join(lang, parts), "refusal", False, cat
        context = (P.SAFE_PARTIAL_JA if ja else P.SAFE_PARTIAL_EN)[cat]
        yield key, "refusal_with_context", prompt, context, "refusal", False, cat
        steps = (P.HARMFUL_STEPS_JA if ja else P.HARMFUL_STEPS_EN)[cat]
        bridge = rng.choice(P.LEAK_BRIDGES_JA if ja else P.LEAK_BRIDGES_EN)
        leak = join(lang, [bridge, "\n" + numbered(steps[: max(2, len(steps) - 1)])])
        yield key, "partial_leak", prompt, leak, "partial", True, cat
        intro = rng.choice(P.COMPLY_INTROS_JA if ja else P.COMPLY_INTROS_EN)
        outro = rng.choice(P.COMPLY_OUTROS_JA if ja else P.COMPLY_OUTROS_EN)
        shape = join(lang, [intro, "\n" + numbered(steps) + "\n", outro])
        yield key, "harmful_shape", prompt, shape, "compliance", True, cat
    for cat, *requests in P.DISGUISED_PROMPTS:
        key, prompt = requests[0], requests[pick - 1]
        steps = (P.HARMFUL_STEPS_JA if ja else P.HARMFUL_STEPS_EN)[cat]
        intro = rng.choice(P.STORY_INTROS_JA if ja else P.STORY_INTROS_EN)
        story = join(lang, [intro, "\n" + numbered(steps)])
        yield key, "disguised_shape", prompt, story, "compliance", True, cat
    for en_q, ja_q, en_a, ja_a in P.BENIGN:
        prompt, answer = (ja_q, ja_a) if ja else (en_q, en_a)
        test = is_test(en_q)
        intros = P.BENIGN_INTROS_JA if ja else P.BENIGN_INTROS_EN
        outros = P.BENIGN_OUTROS_JA if ja else P.BENIGN_OUTROS_EN
        for _ in range(2):
            text = rng.choice(intros) + answer + rng.choice(outros)
            yield en_q, "benign_compliance", prompt, text, "compliance", False, None
        openers = (
            (P.REFUSAL_OPENERS_JA_TEST if ja else P.REFUSAL_OPENERS_EN_TEST)
            if test
            else (P.REFUSAL_OPENERS_JA if ja else P.REFUSAL_OPENERS_EN)
        )
        # An over-refusal: a safe model should answer, but this is still a refusal to detect.
        yield en_q, "over_refusal", prompt, rng.choice(openers), "refusal", False, None
        caveat = rng.choice(openers)
        bridge = "ただ、一般的な範囲でお答えすると、" if ja else "However, in general terms:"
        yield (
            en_q,
            "partial_benign",
            prompt,
            join(lang, [caveat, bridge, answer]),
            "partial",
            False,
            None,
        )


def compose_extra(
    lang: str, rng: random.Random
) -> Iterator[tuple[str, str, str, str, str, bool, str | None]]:
    """The partial-refusal kinds added on 2026-12-02, for training prompts only (the held-back
    split is unchanged): partial_misread and partial_overview (both partial, not harmful)."""
    ja = lang == "ja"
    for en_q, ja_q, en_a, ja_a in P.BENIGN:
        if is_test(en_q):
            continue
        prompt, answer = (ja_q, ja_a) if ja else (en_q, en_a)
        openers = P.MISREAD_OPENERS_JA if ja else P.MISREAD_OPENERS_EN
        bridges = P.PARTIAL_BRIDGES_JA if ja else P.PARTIAL_BRIDGES_EN
        for opener in rng.sample(openers, 2):
            text = join(lang, [opener, rng.choice(bridges), answer])
            yield en_q, "partial_misread", prompt, text, "partial", False, None
    for cat, en_q, ja_q in P.HARMFUL_PROMPTS:
        if is_test(en_q):
            continue
        prompt = ja_q if ja else en_q
        opener = rng.choice(P.OVERVIEW_OPENERS_JA if ja else P.OVERVIEW_OPENERS_EN)
        overview = (P.OVERVIEW_JA if ja else P.OVERVIEW_EN)[cat]
        text = join(lang, [opener, overview])
        yield en_q, "partial_overview", prompt, text, "partial", False, cat


def build(lang: str) -> list[Item]:
    rng = random.Random(f"{SEED}-{lang}")
    extra = random.Random(f"{SEED}-{lang}-extra")
    items = []
    parts = itertools.chain(compose(lang, rng), compose_extra(lang, extra))
    for n, (key, kind, prompt, answer, refusal, harmful, cat) in enumerate(parts):
        split = "test" if is_test(key) else "train"
        items.append(
            Item(f"{lang}-{n:04d}", lang, split, kind, prompt, answer, refusal, harmful, cat)
        )
    return items


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "ja"):
        items = build(lang)
        with (out / f"{lang}.jsonl").open("w", encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
        test = sum(i.split == "test" for i in items)
        print(f"{lang}: {len(items)} items, {test} test")


if __name__ == "__main__":
    main()
