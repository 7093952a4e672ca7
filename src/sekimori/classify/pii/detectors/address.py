"""Postal addresses: Japanese 〒 codes and prefecture/city/番地 forms, English street addresses.

A Japanese address needs a 〒 code, a prefecture or an address label before the city, and ends
with a block number (1-2-3, 1丁目2番3号) and an optional building and room. A postal code
counts only together with the address it heads (on the same line or the next): a bare
123-4567, or 「郵便番号 123-4567」 alone, names an area, not a person's address. The part between
the city and the block number must read like a town name, not prose: a date (「横浜市で
2025-05-12」), a phone number (「港区の代表番号03-…」) or a lot number (「工場製ロットNo.12-345」)
after a city is not a block number.

An English address needs a house number, a street suffix and stronger context: the suite,
city, state and ZIP or UK postcode after it, an address cue before it on the same line
("Address:", "ship to", "located at"), or a line of its own, as in a letter's address block.
So "the 2019 Pine St. gala", "over 300 Wall Street firms" and "2 Terabyte Portable Drive" in
prose are not addresses.

Matching starts from anchors (〒, the last character of a prefecture, an address label), which
are rare, so the scan stays fast on long Japanese text full of 市, 町 and 区.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import HYPHEN, first, has_japanese
from sekimori.classify.pii.types import PiiSpan, PiiType

_PREFECTURES = frozenset(
    [
        "北海道",
        "青森県",
        "岩手県",
        "宮城県",
        "秋田県",
        "山形県",
        "福島県",
        "茨城県",
        "栃木県",
        "群馬県",
        "埼玉県",
        "千葉県",
        "東京都",
        "神奈川県",
        "新潟県",
        "富山県",
        "石川県",
        "福井県",
        "山梨県",
        "長野県",
        "岐阜県",
        "静岡県",
        "愛知県",
        "三重県",
        "滋賀県",
        "京都府",
        "大阪府",
        "兵庫県",
        "奈良県",
        "和歌山県",
        "鳥取県",
        "島根県",
        "岡山県",
        "広島県",
        "山口県",
        "徳島県",
        "香川県",
        "愛媛県",
        "高知県",
        "福岡県",
        "佐賀県",
        "長崎県",
        "熊本県",
        "大分県",
        "宮崎県",
        "鹿児島県",
        "沖縄県",
    ]
)
_D = r"[0-9０-９]"
_KD = r"[0-9０-９一二三四五六七八九十]"
_NOT_PART = r"\s、。,，:：()（）「」『』"
_CITY = rf"[^{_NOT_PART}0-9０-９]{{1,12}}?(?:市|区|町|村|郡)"
_BLOCK = (
    rf"[^{_NOT_PART}0-9０-９]{{0,12}}?"
    rf"(?:{_KD}+丁目(?:{_D}+番地?(?:{_D}+号?)?|{_D}+(?:{HYPHEN}{_D}+)*)?"
    rf"|{_D}+番地?(?:{_D}+号?)?|{_D}+(?:{HYPHEN}{_D}+){{1,3}})"
)
_BUILDING = (
    rf"(?:[ \u3000]?[^{_NOT_PART}]{{1,16}}?(?:ビル|タワー|マンション|ハイツ|コーポ|レジデンス|"
    rf"ハウス|荘|プラザ|センター|会館|ヒルズ|コート)(?:[ \u3000]?{_D}+(?:F|Ｆ|階|号室))?"
    rf"|[ \u3000]?{_D}+(?:F|Ｆ|階|号室))?"
)
_REST = re.compile(rf"{_CITY}{_BLOCK}{_BUILDING}")
_POSTAL = re.compile(
    rf"(?:〒|郵便番号[:：]?)[ \u3000]?{_D}{{3}}{HYPHEN}{_D}{{4}}[ \u3000]*(?:\r?\n[ \u3000]*)?"
)
# Between a city and its block number: words of prose, not of a town name.
_PROSE = re.compile(
    r"で|にて|から|まで|より|は|を|へ|や|番号|ロット|型番|品番|[Nn][Oo]\.|第|会場|工場|支店|窓口|"
    r"代表|製|電話|[Tt][Ee][Ll]"
)
_FIRST_DIGIT = re.compile(r"[0-9０-９]")
# A date (2025-05-12, 2025/5/12) or a phone number (0 then digits) is not a block number.
_NOT_BLOCK = re.compile(
    rf"(?<![0-9０-９])(?:(?:19|20|１９|２０){_D}{_D}[{HYPHEN[1:-1]}/／]{_D}{{1,2}}[{HYPHEN[1:-1]}/／]{_D}"
    rf"|[0０]{_D}*{HYPHEN})"
)
# Every branch starts with a literal, so the engine skips ahead to the anchor characters.
_ANCHOR = re.compile(r"〒|郵便番号|都|道|府|県|住所|所在地|送付先|届け先|配送先|本社|自宅")
_LABEL_GAP = re.compile(r"[ \u3000]*[:：は]?[ \u3000]*")

_SUFFIX = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|"
    r"Terrace|Parkway|Pkwy|Highway|Hwy|Square|Sq|Circle|Cir"
)
_WORD = r"(?:[A-Z][a-z]+|[0-9]+(?:st|nd|rd|th))"
_EN = re.compile(
    rf"{first('[0-9]', 'A-Za-z0-9')}[0-9]{{0,5}}[A-Z]?(?:-[0-9]+)?\s+(?:[NSEW]\.?\s+)?"
    rf"(?:{_WORD}\s+){{1,3}}(?:{_SUFFIX})\b\.?"
    r"(?:,?\s+(?:Suite|Ste\.?|Apt\.?|Unit|Floor|Fl\.?|#)\s*[0-9A-Z][0-9A-Za-z-]*)?"
    r"(?:,\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},?\s+"
    r"(?:[A-Z]{2}\s+[0-9]{5}(?:-[0-9]{4})?|[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}))?"
)
# An address cue before the street on the same line: "Address:", "ship to", "located at".
_EN_CUE = re.compile(
    r"(?:\baddress(?:es)?|\baddr\.|\bship(?:ping)?\s+to|\bbill(?:ing)?\s+to|\bdeliver(?:y)?\s+to|"
    r"\bmail(?:ing)?\s+to|\bsend\s+(?:\w+\s+){0,3}to|\b(?:located|lives?|living|resides?|based)\s+at|"
    r"\bresidence|\bvisit\s+us\s+at|\boffice|\bhome|\bwarehouse|\bcourier|住所)"
    r"[^\n]{0,12}?[:：]?\s*$",
    re.IGNORECASE,
)
_EN_CUE_WINDOW = 48


def _en_context(text: str, start: int, end: int, tail: str) -> float | None:
    """The score of an English street match given its context, or None when it is too weak.

    `tail` is what the pattern matched after the street: a suite, or city + state ZIP / UK
    postcode; a bare ", Black" after "Portable Drive" is not one.
    """
    if tail:
        return 0.9
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - _EN_CUE_WINDOW) : start]
    if _EN_CUE.search(before):
        return 0.85
    line_end = text.find("\n", end)
    after = text[end : len(text) if line_end < 0 else line_end]
    if not before.strip() and after.strip() in ("", ","):
        return 0.8  # a line of its own, as in a letter's address block
    return None


def _prefecture_start(text: str, end: int) -> int | None:
    for length in (3, 4):
        if end - length >= 0 and text[end - length : end] in _PREFECTURES:
            return end - length
    return None


def _town_like(rest: str) -> bool:
    """A city-to-block stretch that reads as an address, not as prose that ends in numbers.

    Only the words before the first digit are checked for prose (a building after the block,
    「第一ハイツ」, may hold any word); the block itself must not be a date or a phone number.
    """
    digit = _FIRST_DIGIT.search(rest)
    cut = digit.start() if digit is not None else len(rest)
    return _PROSE.search(rest, 0, cut) is None and _NOT_BLOCK.search(rest) is None


def _japanese(text: str) -> Iterator[PiiSpan]:
    if not has_japanese(text):
        return
    covered = 0
    for a in _ANCHOR.finditer(text):
        if a.start() < covered:
            continue
        kind = a.group()
        if kind in ("〒", "郵便番号"):
            postal = _POSTAL.match(text, a.start())
            if postal is None:
                continue
            rest = _REST.match(text, postal.end())
            pref_end = postal.end()
            if rest is None:
                # The prefecture may follow the code: 〒100-0005 東京都千代田区...
                for length in (3, 4):
                    if text[pref_end : pref_end + length] in _PREFECTURES:
                        rest = _REST.match(text, pref_end + length)
                        break
            if rest is None or not _town_like(rest.group()):
                continue  # a code with no address after it names an area, not an address
            end = rest.end()
            yield PiiSpan(a.start(), end, PiiType.ADDRESS, 0.95)
        elif len(kind) == 1:
            start = _prefecture_start(text, a.end())
            if start is None or start < covered:
                continue
            rest = _REST.match(text, a.end())
            if rest is None or not _town_like(rest.group()):
                continue
            end = rest.end()
            yield PiiSpan(start, end, PiiType.ADDRESS, 0.95)
        else:
            gap = _LABEL_GAP.match(text, a.end())
            at = gap.end() if gap is not None else a.end()
            if _prefecture_start(text, at + 3) == at or _prefecture_start(text, at + 4) == at:
                continue  # the prefecture anchor will take it
            rest = _REST.match(text, at)
            if rest is None or not _town_like(rest.group()):
                continue
            end = rest.end()
            yield PiiSpan(at, end, PiiType.ADDRESS, 0.85)
        covered = end


@DETECTORS.register("address")
def detect_address(text: str) -> Iterator[PiiSpan]:
    yield from _japanese(text)
    for m in _EN.finditer(text):
        street_end = m.start() + len(m.group().split(",")[0])
        score = _en_context(text, m.start(), street_end, m.group()[street_end - m.start() :])
        if score is not None:
            yield PiiSpan(m.start(), m.end(), PiiType.ADDRESS, score)
