"""Is this a word? Used by normalisation to undo obfuscation only where the result is language.

English words come from pyspellchecker's frequency list (about 160,000 words, loaded on first
use, about 0.2 s); a few terms that list lacks but obfuscated requests use are added here.
Function words tell English (or rot13'd English) apart without loading anything.
"""

from __future__ import annotations

from functools import cache

from sekimori.errors import ClassifierError

# Seen in obfuscated requests, missing from the general list.
_EXTRA_TEXT = """
    meth sarin ricin soman tabun novichok malware ransomware keylogger botnet rootkit
    phishing doxx doxxing jailbreak ddos spyware trojan fentanyl carfentanil mdma lsd
    anthrax botulinum smallpox
"""
_EXTRA_WORDS = frozenset(_EXTRA_TEXT.split())
_MIN_FREQUENCY = 20  # below this the list holds typos and fragments

_FUNCTION_TEXT = """
    a about after all also an and any are as at be because been before but by can could did
    do does for from get give had has have he her him his how i if in into is it its just
    like make me more my no not now of on one only or our out please so some tell than that
    the their them then there these they this to up us use was we were what when where which
    who why will with without would you your
"""
FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


@cache
def _frequencies() -> dict[str, int]:
    try:
        from spellchecker import SpellChecker
    except ImportError as exc:
        raise ClassifierError(
            "normalisation needs pyspellchecker for its English word list: pip install "
            "pyspellchecker / 正規化には pyspellchecker が必要です"
        ) from exc
    words: dict[str, int] = dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)
    return words


def is_word(word: str) -> bool:
    """True when ``word`` (any case) is an English word."""
    w = word.lower()
    return w in _EXTRA_WORDS or _frequencies().get(w, 0) >= _MIN_FREQUENCY


def function_word_share(words: list[str]) -> float:
    """Share of ``words`` that are English function words (0 for an empty list)."""
    if not words:
        return 0.0
    return sum(w.lower() in FUNCTION_WORDS for w in words) / len(words)
