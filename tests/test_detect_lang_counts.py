"""`detect_lang` counts Japanese characters and letters with patterns instead of a Python step a
character (issue 16: the screen reads the language of every prompt it scores); its answer is the
per-character loop's on every text, checked here on texts written for this test and on random
strings over the ranges that matter."""

from __future__ import annotations

import random

import pytest

from sekimori.lang import _JA_RANGES, detect_lang


def previous_detect_lang(text: str) -> str:
    """`detect_lang` as it read before: a Python step a character."""
    if text.isascii():
        return "en"
    ja = letters = 0
    for ch in text:
        if any(lo <= ord(ch) <= hi for lo, hi in _JA_RANGES):
            ja += 1
            letters += 1
        elif ch.isalpha():
            letters += 1
    if letters == 0:
        return "en"
    return "ja" if ja * 4 >= letters - ja or ja >= 20 else "en"


TEXTS = (
    "",
    "plain ASCII only",
    "会議の議事録を短くまとめるコツを教えてください。",
    "Please translate 「ありがとう」 into English for the card.",
    "Ｆｕｌｌ ｗｉｄｔｈ ｌｅｔｔｅｒｓ and ﾊﾝｶｸ katakana",
    "Café déjà vu, naïve résumé: ünïcödé ½ ² ⅷ ﬁ",
    "İstanbul ΣΟΦΙΑ σοφία Ωμέγα",
    "　、。〃〄々〆〇〈〉《》「」",  # the CJK punctuation range: no letters of their own
    "東京 " * 19 + "and a long English sentence around a few kanji " * 3,
    "a lone surrogate \udc80 and an emoji 😀",
)


@pytest.mark.parametrize("text", TEXTS)
def test_the_language_is_the_per_character_loops(text: str) -> None:
    assert detect_lang(text) == previous_detect_lang(text)


def test_random_texts_over_the_edges_of_the_ranges() -> None:
    rng = random.Random(16)
    edges = [c for lo, hi in _JA_RANGES for c in (lo - 1, lo, lo + 1, hi - 1, hi, hi + 1)]
    pool = [
        *map(chr, edges),
        *"abcXYZ019 _.,!?\n\t",
        *"éßøΣσЖжअ中ㄱ가٣½²ⅷ𝔘😀\u0300\u200b\udc80",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 60)))
        assert detect_lang(text) == previous_detect_lang(text), ascii(text)
