"""Helpers the detectors share: width folding, separators, boundaries and context words.

Detectors match the original text (so offsets need no mapping back): `\\d` already matches
full-width digits, and the separator classes below include full-width and look-alike hyphens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Hyphen look-alikes people type between digits, including the full-width hyphen and the
# katakana prolonged sound mark that Japanese IMEs produce in 090ー1234ー5678.
HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc"
HYPHEN = f"[{HYPHENS}]"
SPACE = "[ \u3000]"
# No ASCII or full-width alphanumeric immediately before / after a number.
ALNUM = "0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
NOT_BEFORE_ALNUM = f"(?![{ALNUM}])"


def first(char_class: str, not_after: str = ALNUM) -> str:
    """`char_class` not preceded by any of `not_after`.

    The look-behind comes after the first character on purpose: a pattern that starts with a
    character class lets the regex engine skip ahead quickly; one that starts with a
    look-behind is tried at every position, four times slower.
    """
    return f"{char_class}(?<![{not_after}].)"


_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD.update({ord(h): ord("-") for h in HYPHENS})
_FOLD[0x3000] = ord(" ")
_FOLD[ord("（")] = ord("(")
_FOLD[ord("）")] = ord(")")


def fold(s: str) -> str:
    """Full-width ASCII to ASCII and every hyphen look-alike to '-' (same length)."""
    return s.translate(_FOLD)


_NON_DIGITS = re.compile(r"[^0-9]+")


def digits(s: str) -> str:
    """The ASCII digits of `s` (full-width digits folded)."""
    if s.isascii():
        if s.isdigit():
            return s
        bare = s.replace(" ", "").replace("-", "")  # 4111 1111 ..., 090-1234-5678
        return bare if bare.isdigit() else _NON_DIGITS.sub("", s)
    return _NON_DIGITS.sub("", fold(s))


# Where a number of 12 or more digits starts (a hyphen or space allowed before each digit after
# the fourth): the card and My Number patterns can match nowhere else. Only the first digit is
# consumed, so a start inside a longer number that fails from its own first digit is found too.
_LONG_NUMBER = re.compile(rf"{first('[0-9０-９]')}(?=\d{{3}}(?:(?:{HYPHEN}|{SPACE})?\d){{8}})")
_long_numbers: tuple[str, list[int]] = ("", [])


# Below this length finding where a pattern can start costs more calls than it saves: the
# helpers below then run the pattern's own `finditer` (the same matches).
SHORT_TEXT = 2000


def long_number_starts(text: str) -> list[int]:
    """Where a number of at least 12 digits may start in `text` (a digit not after a letter or
    digit, then 3 digits, then 8 more each after an optional hyphen or space), ascending.

    One scan serves every detector of long numbers; the last result is reused, since each
    detector of one scan asks for the same text.
    """
    global _long_numbers
    cached = _long_numbers
    if cached[0] is text:
        return cached[1]
    starts = [m.start() for m in _LONG_NUMBER.finditer(text)]
    _long_numbers = (text, starts)
    return starts


def find_long_numbers(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` for a pattern that matches only where `long_number_starts`
    says a long number starts, tried only there in a long text."""
    if len(text) < SHORT_TEXT:
        return pattern.finditer(text)
    return matches_at(pattern, text, long_number_starts(text))


def anchor_starts(text: str, anchors: tuple[re.Pattern[str], ...]) -> list[int]:
    """Where any of `anchors` matches, ascending. Each anchor begins with a literal, which the
    regex engine skips to far faster than to a character class."""
    starts = [m.start() for anchor in anchors for m in anchor.finditer(text)]
    if len(anchors) > 1:
        starts.sort()
    return starts


def find_from_anchors(
    pattern: re.Pattern[str], text: str, anchors: tuple[re.Pattern[str], ...]
) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` for a pattern that matches only where one of `anchors` matches,
    tried only there in a long text."""
    if len(text) < SHORT_TEXT:
        return pattern.finditer(text)
    return matches_at(pattern, text, anchor_starts(text, anchors))


def matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` for a pattern that matches only at some of `starts` (ascending)
    and never matches the empty string: each start is tried once, left to right, skipping
    those inside the previous match, as `finditer` would."""
    pos = 0
    match = pattern.match
    for start in starts:
        if start >= pos:
            m = match(text, start)
            if m is not None:
                yield m
                pos = m.end()


def forget_text() -> None:
    """Drops what is kept for the last text (`lowered` and the like): the scanner
    calls it after each scan, so no scan reuses work done for an earlier one."""
    global _lowered, _long_numbers, _ascii_low
    _lowered = ("", "")
    _long_numbers = ("", [])
    _ascii_low = ("", None)


@dataclass(frozen=True, slots=True)
class LabelMatch:
    """A label word found in the text and what `after` matched right behind it."""

    label: str
    start: int
    match: re.Match[str]


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_lowered: tuple[str, str] = ("", "")


def lowered(text: str) -> str:
    """`text` with ASCII letters lower-cased, same length; the last result is reused, since
    every detector of one scan asks for the same text."""
    global _lowered
    cached = _lowered
    if cached[0] is text:
        return cached[1]
    low = text.lower()
    if len(low) != len(text):  # a few non-ASCII letters lower-case to two characters
        low = text.translate(_ASCII_LOWER)
    _lowered = (text, low)
    return low


_ascii_low: tuple[str, bytes | None] = ("", None)


def _ascii_lowered(text: str) -> bytes | None:
    """`text` as one byte a character, ASCII letters lower-cased and every other character '?':
    an ASCII label occurs there where it occurs in `lowered(text)`. None when the text holds
    the Kelvin sign, the one character whose lower case is an ASCII letter. The last result
    is reused, as with `lowered`."""
    global _ascii_low
    cached = _ascii_low
    if cached[0] is not text:
        low = None if "\u212a" in text else text.encode("ascii", "replace").lower()
        cached = _ascii_low = (text, low)
    return cached[1]


# Per tuple of labels (by id; the tuple is kept, so its id is not reused): each word, its bytes
# when it can be found in the one-byte copy, and whether it has no letter case at all.
_label_plans: dict[int, tuple[tuple[str, ...], list[tuple[str, bytes | None, bool]]]] = {}


def _label_plan(labels: tuple[str, ...]) -> list[tuple[str, bytes | None, bool]]:
    known = _label_plans.get(id(labels))
    if known is None or known[0] is not labels:
        plan = [
            (
                word,
                word.encode() if word.isascii() and "?" not in word else None,
                not word.isascii() and word.lower() == word == word.upper(),
            )
            for word in labels
        ]
        known = _label_plans[id(labels)] = (labels, plan)
    return known[1]


def after_labels(
    text: str, labels: tuple[str, ...], after: re.Pattern[str], *, any_case: bool = False
) -> Iterator[LabelMatch]:
    """Matches of `after` that start right behind one of the `labels`.

    Labels are found with `str.find`, much faster than a regex alternation whose first
    characters are common letters; the labels of one detector are rare in ordinary text.
    With `any_case`, lower-case `labels` are found in any letter case (one search each).
    """
    hits: list[tuple[int, str]] = []
    ascii_low = _ascii_lowered(text) if any_case and len(text) >= SHORT_TEXT else None
    if ascii_low is None:
        haystack = lowered(text) if any_case else text
        for word in labels:
            i = haystack.find(word)
            while i != -1:
                hits.append((i, word))
                i = haystack.find(word, i + len(word))
    else:
        for word, needle, uncased in _label_plan(labels):
            if needle is not None:
                # Found in the one-byte copy, without lower-casing the whole text.
                i = ascii_low.find(needle)
                while i != -1:
                    hits.append((i, word))
                    i = ascii_low.find(needle, i + len(word))
                continue
            # Words with no letter case (口座, パスワード) are found in the text itself.
            haystack = text if uncased else lowered(text)
            i = haystack.find(word)
            while i != -1:
                hits.append((i, word))
                i = haystack.find(word, i + len(word))
    hits.sort()
    for start, word in hits:
        m = after.match(text, start + len(word))
        if m is not None:
            yield LabelMatch(word, start, m)


_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff10-\uff5a〒]")


def has_japanese(text: str) -> bool:
    """Whether any kana, kanji or full-width alphanumeric occurs: Japanese-only patterns skip
    English text entirely."""
    return not text.isascii() and _JAPANESE.search(text) is not None


def context_before(
    text: str, start: int, words: re.Pattern[str], window: int = 30, *, behind: int | None = None
) -> bool:
    """Whether `words` occurs in the `window` characters before `start`, on the same line.

    With `behind` (how far back `words` looks: 1 for a leading \\b), an IGNORECASE `words`
    runs case-folded, which is faster.
    """
    lo = max(0, start - window)
    nl = text.rfind("\n", lo, start)
    if nl != -1:
        lo = nl + 1
    if behind is not None:
        return occurs_any_case(words, text, lo, start, behind=behind)
    return words.search(text, lo, start) is not None


# The only characters that match an ASCII letter under re.IGNORECASE other than its own two
# cases (İ ı ſ and the Kelvin sign): where none occurs, lower-casing ASCII is the same as
# ignoring case.
_CASE_TRAPS = "\u0130\u0131\u017f\u212a"
# Escapes whose meaning does not depend on letter case (classes, anchors, control characters,
# escaped punctuation); a hex or named escape could stand for a letter.
_ESCAPES_KEPT = frozenset("sSdDwWbBAZntr") | frozenset(
    chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum()
)
_PATTERN_TOKEN = re.compile(r"\\(.)|\(\?(?![:=!]|<[=!])|(.)", re.DOTALL)


# Keyed by id: hashing a compiled pattern hashes its whole program, on every look-up. The
# pattern is kept in the value, so its id is not reused.
_folded: dict[int, tuple[re.Pattern[str], re.Pattern[str] | None]] = {}


def _case_folded(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive twin of an IGNORECASE `pattern`, to run on ASCII-lower-cased text: it
    finds the same matches there, several times faster. None when that cannot be shown from
    the pattern's text (a hex or named escape, a named group or inline flag, a cased non-ASCII
    letter)."""
    known = _folded.get(id(pattern))
    if known is None:
        known = _folded[id(pattern)] = (pattern, _fold_pattern(pattern))
    return known[1]


def _fold_pattern(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    if not pattern.flags & re.IGNORECASE:
        return None
    out: list[str] = []
    for m in _PATTERN_TOKEN.finditer(pattern.pattern):
        escaped, char = m.group(1), m.group(2)
        if escaped is not None:
            if escaped not in _ESCAPES_KEPT:
                return None
            out.append(m.group())
        elif char is None:
            return None  # (?P<name>...), (?i), ...: not only grouping and look-around
        elif char.isascii():
            out.append(char.lower())
        elif char in _CASE_TRAPS or char.lower() != char or char.upper() != char:
            return None
        else:
            out.append(char)
    return re.compile("".join(out), pattern.flags & ~re.IGNORECASE)


def occurs_any_case(pattern: re.Pattern[str], text: str, lo: int, hi: int, *, behind: int) -> bool:
    """Whether the IGNORECASE `pattern` occurs in `text[lo:hi]` (`pattern.search(text, lo, hi)`),
    for a pattern that looks at most `behind` characters before where it is tried."""
    folded = _case_folded(pattern)
    base = max(0, lo - behind)
    segment = _fold_case(text[base:hi]) if folded is not None else None
    if folded is None or segment is None:
        return pattern.search(text, lo, hi) is not None
    return folded.search(segment, lo - base) is not None


def _fold_case(segment: str) -> str | None:
    """`segment` with ASCII letters lower-cased, or None when it holds a character for which
    that differs from ignoring case."""
    if segment.isascii():
        return segment.lower()
    if "\u0130" in segment or "\u0131" in segment or "\u017f" in segment or "\u212a" in segment:
        return None  # _CASE_TRAPS
    # Lower-casing a non-ASCII character never yields an ASCII letter (but for the traps), an
    # uncased character, or a change in \\w, \\s or \\d: a folded pattern sees no difference.
    low = segment.lower()
    return low if len(low) == len(segment) else segment.translate(_ASCII_LOWER)


def last_label(
    text: str, start: int, positive: re.Pattern[str], negative: re.Pattern[str], window: int = 30
) -> bool | None:
    """True/False when the nearest label word before `start` on its line is positive/negative.

    None when neither kind occurs: "注文番号: 4111 ..." is an order number even though a card
    word appears earlier in the line, because the nearest label wins.
    """
    lo = max(0, start - window)
    nl = text.rfind("\n", lo, start)
    if nl != -1:
        lo = nl + 1
    segment = text[lo:start]
    if not segment or segment.isspace():
        return None
    folded = _fold_case(segment)
    if folded is not None:
        folded_positive, folded_negative = _case_folded(positive), _case_folded(negative)
        if folded_positive is not None and folded_negative is not None:
            segment, positive, negative = folded, folded_positive, folded_negative
    best_pos = best_neg = -1
    for m in positive.finditer(segment):
        best_pos = m.end()
    for m in negative.finditer(segment):
        best_neg = m.end()
    if best_pos < 0 and best_neg < 0:
        return None
    return best_pos > best_neg


# Labels that say a number is an identifier of a thing, not of a person.
NEGATIVE_NUMBER_LABELS = re.compile(
    r"注文|受注|発注|伝票|追跡|配送|請求書(?:番号|No)|見積|管理番号|製造番号|シリアル|型番|品番|"
    r"商品コード|会員番号|チケット|予約番号|問合せ番号|受付番号|案件|"
    r"order|invoice|inv\b|tracking|shipment|ticket|ref(?:erence)?\b|serial|sku|part\s*(?:no|number)|"
    r"build|version|ver\.|batch|lot\b|po\s*(?:no|number|#)|txn|transaction|request\s*id|trace",
    re.IGNORECASE,
)
