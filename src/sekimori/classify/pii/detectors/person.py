"""Person names in context, Japanese and English.

Names are open-ended, so a name counts only where the text says it is one: after a label
(「氏名：山田太郎」, "Name: John Smith"), before an honorific or job title (「山田太郎様」,
「田中部長」), after a title or a greeting ("Dear Ms. Smith", "Mr. John Smith"), or under a
sign-off ("Best regards,\\nJohn Smith"), or in a self-introduction (「営業部の山田です」,
「山田と申します」). Words that take honorifics but are not names (お客様, 担当者様, 皆様, 仕様)
are excluded by stop lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import (
    after_labels,
    find_from_anchors,
    has_japanese,
    occurs_any_case,
)
from sekimori.classify.pii.types import PiiSpan, PiiType

_KANJI = r"[\u4e00-\u9fff々]"
_KATA = r"[\u30a1-\u30f6ー]"
_JA_NAME = (
    rf"(?:{_KANJI}{{1,4}}(?:[ \u3000]{_KANJI}{{1,4}}|{_KANJI}{{1,3}})?"
    rf"|{_KATA}{{2,8}}(?:[ \u3000・]{_KATA}{{2,8}})?)"
)
_JA_LABEL = re.compile(
    r"(?P<label>氏[ \u3000]?名|お名前|名前|フリガナ|ふりがな|担当者?|宛名|契約者(?:名)?|"
    r"申込者(?:名)?|口座名義(?:人)?|名義人?|受取人|依頼人|患者名?|社員名|代表者(?:名)?|責任者|作成者|連絡者|差出人|"
    r"送信者|入居者|保護者|利用者名)[ \u3000]*[:：]?[ \u3000]*"
    rf"(?P<name>{_JA_NAME})"
)
_KATA_START = re.compile(_KATA)
_HONORIFIC = re.compile(
    r"様|さん|殿|氏|先生|くん|君|ちゃん|部長|課長|社長|係長|主任|専務|常務|室長|所長|店長"
)
# A self-introduction: 「営業部の山田太郎です」「山田と申します」.
_SELF_INTRO = re.compile(r"と申します|です")
# Its two words found one at a time: a literal is skipped to far faster than a character class.
_SELF_INTRO_WORDS = (re.compile("と申します"), re.compile("です"))
# Words that end in an honorific character but are not a name plus an honorific.
_COMPOUNDS = frozenset(
    [
        "多様",
        "仕様",
        "模様",
        "同様",
        "異様",
        "一様",
        "有様",
        "貴様",
        "左様",
        "今様",
        "文様",
        "紋様",
        "皆様",
        "各様",
        "神様",
        "王様",
        "殿様",
        "奥様",
        "神殿",
        "宮殿",
        "御殿",
        "貴殿",
        "拝殿",
        "本殿",
        "彼氏",
        "同氏",
        "両氏",
        "諸氏",
        "源氏",
        "平氏",
        "諸君",
        "主君",
        "暴君",
        "名君",
        "父君",
        "母君",
    ]
)
_JA_STOP = frozenset(
    [
        "お客",
        "客",
        "皆",
        "各位",
        "担当",
        "担当者",
        "関係者",
        "取引先",
        "会員",
        "利用者",
        "顧客",
        "社長",
        "部長",
        "課長",
        "係長",
        "店長",
        "御社",
        "貴社",
        "先方",
        "相手",
        "患者",
        "職員",
        "社員",
        "お子",
        "子供",
        "奥",
        "ご主人",
        "主人",
        "皆々",
        "神",
        "王",
        "営業",
        "営業部",
        "事業部",
        "総務",
        "人事",
        "経理",
        "開発",
        "技術",
        "管理",
        "本部",
        "支店",
        "代表",
        "担当部",
        "部",
        "課",
        "室",
        "御中",
        "同",
        "上記",
        "下記",
        "該当",
        "申込者",
        "契約者",
        "入居者",
        "校長",
        "院長",
        "会長",
        "議長",
        "園長",
        "医師",
        "教授",
        "ユーザー",
        "ユーザ",
        "お父",
        "お母",
        "お兄",
        "お姉",
        "お嬢",
        "坊っ",
        "サポート",
        "カスタマー",
        "チーム",
        "メンバー",
        "スタッフ",
    ]
)
# Japanese job titles only follow real names when the name is a known surname; "営業部長" is not.
_TITLES = frozenset(
    ["部長", "課長", "社長", "係長", "主任", "専務", "常務", "室長", "所長", "店長"]
)
_SURNAMES = frozenset(
    [
        "佐藤",
        "鈴木",
        "高橋",
        "田中",
        "伊藤",
        "渡辺",
        "山本",
        "中村",
        "小林",
        "加藤",
        "吉田",
        "山田",
        "佐々木",
        "山口",
        "松本",
        "井上",
        "木村",
        "林",
        "斎藤",
        "清水",
        "山崎",
        "森",
        "池田",
        "橋本",
        "阿部",
        "石川",
        "山下",
        "中島",
        "石井",
        "小川",
        "前田",
        "岡田",
        "長谷川",
        "藤田",
        "後藤",
        "近藤",
        "村上",
        "遠藤",
        "青木",
        "坂本",
        "斉藤",
        "福田",
        "太田",
        "西村",
        "藤井",
        "金子",
        "岡本",
        "藤原",
        "中野",
        "三浦",
        "原田",
        "中川",
        "松田",
        "竹内",
        "小野",
        "田村",
        "中山",
        "和田",
        "石田",
        "森田",
        "上田",
        "原",
        "柴田",
        "酒井",
        "工藤",
        "横山",
        "宮崎",
        "宮本",
        "内田",
        "高木",
        "安藤",
        "島田",
        "谷口",
        "大野",
        "丸山",
        "今井",
        "高田",
        "藤本",
        "武田",
        "村田",
        "上野",
        "杉山",
        "増田",
        "小山",
        "大塚",
        "平野",
        "菅原",
        "久保",
        "松井",
        "千葉",
        "岩崎",
        "桜井",
        "木下",
        "野口",
        "松尾",
        "菊地",
        "野村",
        "新井",
        "渡部",
    ]
)
_NON_NAME_END = ("部", "課", "室", "社", "店", "局", "所", "係", "会", "様", "行", "庁", "省", "屋")

_EN_NAME = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_EN_FULL = rf"{_EN_NAME}(?:\s[A-Z]\.)?(?:[ ]{_EN_NAME}){{1,2}}"
_EN_LABEL_WORD = re.compile(
    r"(?<![A-Za-z])(?:(?:full\s)?name|customer|contact(?:\sperson)?|attn\.?|attention|"
    r"account\sholder|card\s?holder|patient|employee|applicant|passenger|recipient|from|to|cc|"
    r"signed|prepared\sby|approved\sby|requested\sby|assignee|reporter|owner|guest|tenant|"
    r"beneficiary|payee|bill\sto|ship\sto|emergency\scontact)[ \t]*\Z",
    re.IGNORECASE,
)
_EN_AFTER_COLON = re.compile(rf":[ \t]*(?P<name>{_EN_FULL})\b")
_EN_TITLE = re.compile(
    rf"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?[ ](?P<name>{_EN_NAME}(?:[ ]{_EN_NAME}){{0,2}})\b"
)
# Where _EN_TITLE can start (its titles begin with M, Dr or Prof): literals, found fast.
_EN_TITLE_STARTS = (re.compile("M(?=r|s|iss|x)"), re.compile("Dr"), re.compile("Prof"))
_EN_GREETINGS = ("Dear ", "Hi ", "Hello ")
_EN_GREETED = re.compile(rf"(?P<name>{_EN_NAME}(?:[ ]{_EN_NAME})?)[,!\n]")
_EN_SIGNOFFS = ("egards", "Best", "Sincerely", "Thanks", "Thank you", "Cheers", "Yours")
_EN_SIGNED = re.compile(rf",?[ \t]*\r?\n[ \t]*(?P<name>{_EN_FULL})[ \t]*(?:\r?\n|$)")
_EN_STOP = frozenset(
    [
        "All",
        "Team",
        "Sir",
        "Madam",
        "Customer",
        "Customers",
        "Colleagues",
        "Everyone",
        "There",
        "Friends",
        "Valued",
        "Member",
        "Members",
        "Support",
        "Hiring",
        "Manager",
        "Partner",
        "Partners",
        "Client",
        "Clients",
        "Folks",
        "Guys",
        "Staff",
        "Users",
        "User",
        "Admin",
        "Accounting",
        "Sales",
        "Sender",
        "Recipient",
        "Unknown",
    ]
)


def _ja_ok(name: str, honorific: str | None) -> bool:
    bare = name.replace(" ", "").replace("\u3000", "")
    if bare in _JA_STOP or bare.endswith(_NON_NAME_END):
        return False
    if len(bare) == 1 and bare not in _SURNAMES:
        return False  # 同様, 多様, 両氏: one kanji before an honorific is rarely a name
    if honorific in _TITLES:
        return _known_surname(bare)
    return True


def _known_surname(name: str) -> bool:
    return name[:1] in _SURNAMES or name[:2] in _SURNAMES or name[:3] in _SURNAMES


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch == "々"


def _is_name_char(ch: str) -> bool:
    return _is_kanji(ch) or "\u30a1" <= ch <= "\u30f6" or ch == "ー"


def _script(ch: str) -> int:
    """1 for a kanji, 2 for a katakana (the characters of a name), 0 otherwise."""
    if "\u4e00" <= ch <= "\u9fff" or ch == "々":
        return 1
    if "\u30a1" <= ch <= "\u30f6" or ch == "ー":
        return 2
    return 0


def _name_before(text: str, end: int) -> int | None:
    """Start of the name that ends at `end`: one script (kanji or katakana), at most one
    inner space (or ・ between katakana), 1-9 characters, and not part of a longer word.

    Called for every honorific and 「です」, so the character tests are written out inline.
    """
    if end == 0:
        return None
    ch = text[end - 1]
    if "\u4e00" <= ch <= "\u9fff" or ch == "々":
        kanji, limit, gaps_allowed = True, 7, " \u3000"
    elif "\u30a1" <= ch <= "\u30f6" or ch == "ー":
        kanji, limit, gaps_allowed = False, 16, " \u3000・"
    else:
        return None
    want = 1 if kanji else 2
    i, length, gaps = end, 0, 0
    while i > 0:
        ch = text[i - 1]
        same = (
            ("\u4e00" <= ch <= "\u9fff" or ch == "々")
            if kanji
            else ("\u30a1" <= ch <= "\u30f6" or ch == "ー")
        )
        if same:
            i -= 1
            length += 1
        elif ch in gaps_allowed and gaps == 0 and i - 1 > 0 and _script(text[i - 2]) == want:
            i -= 1
            gaps = 1
        else:
            break
        if length > limit:
            return None
    if i > 0 and _script(text[i - 1]):
        return None  # a kanji run after katakana (or the reverse) is a word, not a name
    return i


def _japanese(text: str) -> Iterator[PiiSpan]:
    if not has_japanese(text):
        return
    for m in _JA_LABEL.finditer(text):
        if m.start("name") == m.end("label") and _KATA_START.match(m.group("name")):
            continue  # 「担当メモ」「担当エリア」: a compound word, not a label and a name
        if _ja_ok(m.group("name"), None):
            yield PiiSpan(m.start("name"), m.end("name"), PiiType.PERSON, 0.9)
    for m in _HONORIFIC.finditer(text):
        hon = m.group()
        if text[m.start() - 1 : m.end()] in _COMPOUNDS or _is_kanji(text[m.end() : m.end() + 1]):
            continue  # 多様, 仕様, 神殿; 氏名, 君主, 様式
        end = m.start()
        if end > 1 and text[end - 1] in " \u3000" and hon in ("様", "殿"):
            end -= 1  # 「山田 太郎 様」 on an invoice
        start = _name_before(text, end)
        if start is None:
            continue
        name = text[start:end]
        if _ja_ok(name, hon):
            score = 0.9 if _known_surname(name) else 0.75
            yield PiiSpan(start, end, PiiType.PERSON, score)
    for m in find_from_anchors(_SELF_INTRO, text, _SELF_INTRO_WORDS):
        end = m.start()
        start = _name_before(text, end)
        if start is None or start == 0 or text[start - 1] not in "の、 \u3000\n":
            continue
        name = text[start:end]
        # 「…です」 is everywhere, so only a known surname counts there; 「と申します」 is a name.
        if _ja_ok(name, None) and (m.group() == "と申します" or _known_surname(name)):
            yield PiiSpan(start, end, PiiType.PERSON, 0.85)


def _english(text: str) -> Iterator[PiiSpan]:
    for m in _EN_AFTER_COLON.finditer(text):
        if not occurs_any_case(_EN_LABEL_WORD, text, max(0, m.start() - 30), m.start(), behind=1):
            continue
        name = m.group("name")
        if name.split()[0] not in _EN_STOP:
            yield PiiSpan(m.start("name"), m.end("name"), PiiType.PERSON, 0.9)
    for m in find_from_anchors(_EN_TITLE, text, _EN_TITLE_STARTS):
        if m.start() > 0 and text[m.start() - 1].isalpha():
            continue
        if m.group("name").split()[0] not in _EN_STOP:
            yield PiiSpan(m.start("name"), m.end("name"), PiiType.PERSON, 0.9)
    for words, after in ((_EN_GREETINGS, _EN_GREETED), (_EN_SIGNOFFS, _EN_SIGNED)):
        for hit in after_labels(text, words, after):
            m = hit.match
            if m.group("name").split()[0] not in _EN_STOP:
                yield PiiSpan(m.start("name"), m.end("name"), PiiType.PERSON, 0.8)


@DETECTORS.register("person")
def detect_person(text: str) -> Iterator[PiiSpan]:
    yield from _japanese(text)
    yield from _english(text)
