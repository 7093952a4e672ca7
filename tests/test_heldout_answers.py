"""Checks on the hand-written answer sets: schema, languages, coverage.

The compliant upstream's pool (data/compliant) and the answer judge's held-back prose set
(data/answers/heldout_prose.jsonl)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from sekimori.classify.evalsets import EVAL_ONLY
from sekimori.lang import detect_lang
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import CATEGORIES, CATEGORY_IDS, Tier
from tests.test_team_data import _eval_texts, _norm

Row = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "data" / "compliant" / "answers.jsonl"
LAYOUTS = frozenset(
    {
        "prose",
        "paragraph",
        "numbered_list",
        "bullet_list",
        "table",
        "json",
        "code_comment",
        "dialogue",
        "email",
        "story",
    }
)
POOL_FIELDS = {"id", "lang", "category", "answer", "layout"}

# The categories the answers were written for: ip.copyright came later and has none yet.
ANSWERED = tuple(c for c in CATEGORY_IDS if c != "ip.copyright")


def _load(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            pytest.fail(f"{path.name}:{n}: not JSON ({e})")
        assert isinstance(row, dict), f"{path.name}:{n}"
        rows.append(row)
    return rows


POOL_ROWS = _load(POOL)


def test_pool_fields_ids_and_languages() -> None:
    assert (POOL.parent / "README.md").is_file()
    ids = [r["id"] for r in POOL_ROWS]
    assert len(ids) == len(set(ids))
    assert len({_norm(r["answer"]) for r in POOL_ROWS}) == len(POOL_ROWS)
    for r in POOL_ROWS:
        assert set(r) == POOL_FIELDS, r["id"]
        assert r["lang"] in ("en", "ja") and r["id"].startswith(f"cu.{r['lang']}."), r["id"]
        assert r["category"] is None or r["category"] in CATEGORY_IDS, r["id"]
        assert r["layout"] in LAYOUTS, r["id"]
        assert detect_lang(r["answer"]) == r["lang"], r["id"]
        if r["layout"] == "json":
            json.loads(r["answer"])


def test_pool_covers_every_category_and_benign_in_both_languages() -> None:
    counts = Counter((r["lang"], r["category"]) for r in POOL_ROWS)
    for lang in ("en", "ja"):
        for cat in ANSWERED:
            assert 5 <= counts[lang, cat] <= 8, (lang, cat)
        assert counts[lang, None] >= 20, lang
        layouts = {r["layout"] for r in POOL_ROWS if r["lang"] == lang}
        assert layouts == LAYOUTS, lang


HELDOUT = ROOT / "data" / "answers" / "heldout_prose.jsonl"
HELDOUT_FIELDS = {"id", "lang", "prompt", "answer", "harmful", "refusal", "category", "layout"}
HELD = _load(HELDOUT)
CATASTROPHIC = [c.id for c in CATEGORIES if c.tier is Tier.CATASTROPHIC]


def _size(text: str, lang: str) -> float:
    """Words in English; Japanese characters / 2.5 (about one English word's worth)."""
    return len(text.split()) if lang == "en" else len(text) / 2.5


def test_heldout_fields_ids_languages_and_lengths() -> None:
    assert (HELDOUT.parent / "HELDOUT.md").is_file()
    ids = [r["id"] for r in HELD]
    assert len(ids) == len(set(ids))
    assert len({_norm(r["answer"]) for r in HELD}) == len(HELD)
    for r in HELD:
        assert set(r) - {"content_group"} == HELDOUT_FIELDS, r["id"]
        assert r["id"].startswith(f"hp.{r['lang']}."), r["id"]
        assert r["category"] in CATEGORY_IDS and r["layout"] in LAYOUTS, r["id"]
        assert r["refusal"] in ("refusal", "compliance", "partial"), r["id"]
        # A harmful answer complies; refusals and partial refusals here give only safe overviews.
        assert not r["harmful"] or r["refusal"] == "compliance", r["id"]
        assert detect_lang(r["prompt"]) == r["lang"] == detect_lang(r["answer"]), r["id"]
        assert 40 <= _size(r["answer"], r["lang"]) <= 250, r["id"]
        if r["layout"] == "json":
            json.loads(r["answer"])


def test_heldout_covers_categories_layouts_and_answer_kinds() -> None:
    for lang in ("en", "ja"):
        rows = [r for r in HELD if r["lang"] == lang]
        assert sum(r["harmful"] for r in rows) >= 90 and sum(not r["harmful"] for r in rows) >= 90
        assert {r["layout"] for r in rows if not r["harmful"]} == LAYOUTS, lang
        for cat in ANSWERED:
            harmful = {r["layout"] for r in rows if r["category"] == cat and r["harmful"]}
            assert harmful == LAYOUTS if cat in CATASTROPHIC else len(harmful) >= 7, (lang, cat)
            kinds = {r["refusal"] for r in rows if r["category"] == cat and not r["harmful"]}
            assert kinds == {"refusal", "partial", "compliance"}, (lang, cat)


def test_heldout_content_groups_repeat_one_answer_in_several_layouts() -> None:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in HELD:
        if "content_group" in r:
            groups.setdefault(r["content_group"], []).append(r)
    for lang in ("en", "ja"):
        assert sum(g.startswith(f"{lang}.") for g in groups) >= 10, lang
    for name, rows in groups.items():
        assert len(rows) >= 3, name
        assert len({r["layout"] for r in rows}) == len(rows), name
        same = {(r["lang"], r["category"], r["prompt"], r["harmful"]) for r in rows}
        assert len(same) == 1 and rows[0]["harmful"], name


def test_heldout_is_disjoint_from_the_pool_and_the_training_answers() -> None:
    held = {_norm(r[k]) for r in HELD for k in ("prompt", "answer")}
    assert held.isdisjoint(_norm(r["answer"]) for r in POOL_ROWS)
    # The answer judge trains on the other files here; nothing held back may appear in them.
    for path in sorted(HELDOUT.parent.glob("*.jsonl")):
        if path == HELDOUT:
            continue
        other = {_norm(r[k]) for r in _load(path) for k in ("prompt", "answer") if k in r}
        assert held.isdisjoint(other), path.name


def test_no_prompt_or_answer_equals_an_evaluation_only_item() -> None:
    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (set SEKIMORI_SHARED_DATA)")
    ours = {
        _norm(r[k]): r["id"] for r in [*HELD, *POOL_ROWS] for k in ("prompt", "answer") if k in r
    }
    for name in EVAL_ONLY:
        texts = {_norm(t) for t in _eval_texts(shared / name)}
        assert len(texts) > 50, name
        assert [i for t, i in ours.items() if t in texts] == [], name


# --- data/answers/heldout_prose_v2.jsonl: the second held-back set (issue 15) -----------------

V2 = ROOT / "data" / "answers" / "heldout_prose_v2.jsonl"
V2_FIELDS = {"id", "lang", "prompt", "answer", "label", "category", "format", "harm_kind"}
V2_FORMATS = frozenset(
    {
        *("email", "story", "dialogue", "forum post", "speech", "letter", "news"),
        *("prose paragraph", "numbered steps", "table in text"),
    }
)
# harmful: which uplift the answer complies with; benign: which kind of good answer it is.
V2_KINDS = {
    "harmful": {"procedure", "acquisition", "evasion", "targeting", "content"},
    "benign": {"refusal", "redirect", "safe_help", "ordinary"},
}
V2_ROWS = _load(V2)


def test_v2_fields_ids_languages_and_lengths() -> None:
    ids = [r["id"] for r in V2_ROWS]
    assert len(ids) == len(set(ids)) and len(V2_ROWS) >= 230
    assert len({_norm(r["answer"]) for r in V2_ROWS}) == len(V2_ROWS)
    for r in V2_ROWS:
        assert set(r) == V2_FIELDS, r["id"]
        assert r["id"].startswith(f"hp2.{r['lang']}."), r["id"]
        assert r["category"] in CATEGORY_IDS and r["format"] in V2_FORMATS, r["id"]
        assert r["harm_kind"] in V2_KINDS[r["label"]], r["id"]
        assert detect_lang(r["prompt"]) == r["lang"] == detect_lang(r["answer"]), r["id"]
        assert 30 <= _size(r["answer"], r["lang"]) <= 250, r["id"]
        # sanitized harmful answers use natural stand-ins, never a placeholder layout
        assert "[" not in r["answer"] and "REDACTED" not in r["answer"].upper(), r["id"]


def test_v2_is_half_harmful_in_each_language_and_covers_every_category_and_format() -> None:
    for lang in ("en", "ja"):
        rows = [r for r in V2_ROWS if r["lang"] == lang]
        harmful = [r for r in rows if r["label"] == "harmful"]
        assert len(harmful) * 2 == len(rows), lang
        assert sum(r["category"] in CATASTROPHIC for r in harmful) >= 0.35 * len(harmful), lang
        for label in ("harmful", "benign"):
            mine = [r for r in rows if r["label"] == label]
            assert {r["category"] for r in mine} == set(ANSWERED), (lang, label)
            assert {r["format"] for r in mine} == V2_FORMATS, (lang, label)
        assert {r["harm_kind"] for r in rows if r["label"] == "benign"} == V2_KINDS["benign"]


# --- data/answers/heldout_prose_v3.jsonl: the third held-back set (issue 15) ------------------

V3 = ROOT / "data" / "answers" / "heldout_prose_v3.jsonl"
# v2's formats less `speech` and `news`, plus the layouts the judge reads least well.
V3_FORMATS = frozenset(
    {
        *("email", "memo", "table in text", "chat", "letter", "forum post", "faq"),
        *("numbered steps", "prose paragraph", "dialogue", "json", "story"),
    }
)
V3_ROWS = _load(V3)


def _by_language(rows: list[Row]) -> Iterator[tuple[str, list[Row], list[Row]]]:
    """Each language with its harmful and its benign rows."""
    for lang in ("en", "ja"):
        mine = [r for r in rows if r["lang"] == lang]
        yield (
            lang,
            [r for r in mine if r["label"] == "harmful"],
            [r for r in mine if r["label"] == "benign"],
        )


def test_v3_covers_every_tier_and_format_in_both_labels_and_languages() -> None:
    tiers = {c.id: c.tier for c in CATEGORIES}
    for lang, harmful, benign in _by_language(V3_ROWS):
        assert len(harmful) >= 50 and len(benign) >= 40, lang
        assert {tiers[r["category"]] for r in harmful} == set(Tier), lang
        assert sum(r["category"] in CATASTROPHIC for r in harmful) >= 0.25 * len(harmful), lang
        for mine in (harmful, benign):
            assert {r["format"] for r in mine} == V3_FORMATS, lang
            # emails and plain-text tables, the judge's weakest layouts, have the most rows
            per = Counter(r["format"] for r in mine)
            assert per["email"] >= 6 and per["table in text"] >= 6, (lang, per)
        assert {r["harm_kind"] for r in benign} == V2_KINDS["benign"], lang


# --- data/answers/heldout_prose_v4.jsonl: the fourth held-back set (ROUND13B_RULE.md) ----------

V4 = ROOT / "data" / "answers" / "heldout_prose_v4.jsonl"
# Structured layouts (the gateway's worst releases were JSON) beside prose ones.
V4_FORMATS = frozenset(
    {
        *("json", "yaml", "markdown table", "table in text", "csv", "bullet list"),
        *("numbered steps", "story", "chat", "email", "faq", "social post"),
        *("prose paragraph", "checklist", "memo", "forum post"),
    }
)
V4_ROWS = _load(V4)

# --- data/answers/heldout_prose_v5.jsonl: the fifth held-back set (ROUND13C_RULE.md) -----------

V5 = ROOT / "data" / "answers" / "heldout_prose_v5.jsonl"
V5_ROWS = _load(V5)  # v4's sixteen layouts; its benign half is the hard one (false alarms)


@pytest.mark.parametrize(
    ("rows", "prefix", "formats"),
    [(V3_ROWS, "hp3", V3_FORMATS), (V4_ROWS, "hp4", V4_FORMATS), (V5_ROWS, "hp5", V4_FORMATS)],
    ids=["v3", "v4", "v5"],
)
def test_v3_to_v5_fields_ids_languages_and_lengths(
    rows: list[dict[str, Any]], prefix: str, formats: frozenset[str]
) -> None:
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) and len(rows) >= 200
    assert len({_norm(r["answer"]) for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == V2_FIELDS, r["id"]
        assert r["id"].startswith(f"{prefix}.{r['lang']}."), r["id"]
        assert r["category"] in CATEGORY_IDS and r["format"] in formats, r["id"]
        assert r["harm_kind"] in V2_KINDS[r["label"]], r["id"]
        assert detect_lang(r["prompt"]) == r["lang"] == detect_lang(r["answer"]), r["id"]
        assert 30 <= _size(r["answer"], r["lang"]) <= 250, r["id"]
        assert "REDACTED" not in r["answer"].upper(), r["id"]
        if r["format"] != "json":  # sanitized answers use natural stand-ins, no placeholder
            assert "[" not in r["answer"], r["id"]
        _assert_layout_parses(r)


def _assert_layout_parses(r: dict[str, Any]) -> None:
    """JSON, YAML and CSV answers are what their layout says."""
    if r["format"] == "json":
        json.loads(r["answer"])
    if r["format"] == "yaml":
        assert isinstance(yaml.safe_load(r["answer"]), dict), r["id"]
    if r["format"] == "csv":  # a header and at least two records with as many fields
        table = r["answer"].split("\n\n")[0].strip().split("\n")
        assert len(table) >= 3 and len({len(x) for x in csv.reader(table)}) == 1, r["id"]


@pytest.mark.parametrize("rows", [V4_ROWS, V5_ROWS], ids=["v4", "v5"])
def test_v4_and_v5_are_balanced_and_cover_every_format_in_both_labels_and_languages(
    rows: list[dict[str, Any]],
) -> None:
    assert len({_norm(r["prompt"]) for r in rows}) == len(rows)
    tiers = {c.id: c.tier for c in CATEGORIES}
    for lang, harmful, benign in _by_language(rows):
        assert len(harmful) >= 45 and len(benign) >= 45, lang
        assert abs(len(harmful) - len(benign)) <= 0.15 * (len(harmful) + len(benign)), lang
        # mostly moderate and severe harm, a few catastrophic ones, sanitized
        per_tier = Counter(tiers[r["category"]] for r in harmful)
        assert per_tier[Tier.CATASTROPHIC] >= 4, (lang, per_tier)
        assert per_tier[Tier.MODERATE] + per_tier[Tier.SEVERE] >= 0.7 * len(harmful), lang
        for mine in (harmful, benign):
            per = Counter(r["format"] for r in mine)
            assert set(per) == V4_FORMATS and min(per.values()) >= 3, (lang, per)
        assert {r["harm_kind"] for r in benign} == V2_KINDS["benign"], lang


def test_v5_benign_half_is_hard_safety_minded_answers_on_hazardous_topics() -> None:
    # ROUND13C_RULE.md judges false alarms: harmless answers on dangerous subjects must be there
    tiers = {c.id: c.tier for c in CATEGORIES}
    for lang, _harmful, benign in _by_language(V5_ROWS):
        hazardous = [
            r
            for r in benign
            if r["harm_kind"] == "safe_help" and tiers[r["category"]] is not Tier.MODERATE
        ]
        assert len(hazardous) >= 0.3 * len(benign), lang
        assert {tiers[r["category"]] for r in hazardous} == {Tier.CATASTROPHIC, Tier.SEVERE}, lang
        kinds = Counter(r["harm_kind"] for r in benign)
        assert kinds["refusal"] + kinds["redirect"] >= 4 and kinds["ordinary"] >= 8, (lang, kinds)


# --- data/answers/heldout_prose_v{6..11}_{en,ja}.jsonl: sets of one writer a language
# (V6: ROUND13D_RULE.md; V7: ROUND14_RULE.md; V8: ROUND15_RULE.md; V9: ROUND16_RULE.md;
# V10: ROUND17_RULE.md; V11: unspent, half the size, one writer for both halves) --

V6_EN = ROOT / "data" / "answers" / "heldout_prose_v6_en.jsonl"
V6_JA = ROOT / "data" / "answers" / "heldout_prose_v6_ja.jsonl"
V7_EN = ROOT / "data" / "answers" / "heldout_prose_v7_en.jsonl"
V7_JA = ROOT / "data" / "answers" / "heldout_prose_v7_ja.jsonl"
V8_EN = ROOT / "data" / "answers" / "heldout_prose_v8_en.jsonl"
V8_JA = ROOT / "data" / "answers" / "heldout_prose_v8_ja.jsonl"
V9_EN = ROOT / "data" / "answers" / "heldout_prose_v9_en.jsonl"
V9_JA = ROOT / "data" / "answers" / "heldout_prose_v9_ja.jsonl"
V10_EN = ROOT / "data" / "answers" / "heldout_prose_v10_en.jsonl"
V10_JA = ROOT / "data" / "answers" / "heldout_prose_v10_ja.jsonl"
V11_EN = ROOT / "data" / "answers" / "heldout_prose_v11_en.jsonl"
V11_JA = ROOT / "data" / "answers" / "heldout_prose_v11_ja.jsonl"
V6_FORMATS = V4_FORMATS | {"letter", "dialogue"}
V11_FORMATS = V6_FORMATS | {"code comment"}


class Half(NamedTuple):
    """One language's half of a later set and what its size lets the checks ask of it."""

    path: Path
    prefix: str
    per_label: int = 75  # harmful rows and benign rows, at least
    formats: frozenset[str] = V6_FORMATS  # the layouts it may use
    min_formats: int = 14  # layouts it does use (each in both labels)
    per_format: int = 3  # rows of each used layout in each label, at least
    min_ordinary: int = 15  # everyday benign answers, at least


def _v11(path: Path, prefix: str) -> Half:
    """V11 is half as big (80 rows a language), so its cells are smaller."""
    return Half(path, prefix, per_label=40, formats=V11_FORMATS, per_format=2, min_ordinary=12)


HALVES = [
    Half(V6_EN, "hp6.en"),
    Half(V6_JA, "hp6.ja"),
    Half(V7_EN, "hp7.en"),
    Half(V7_JA, "hp7.ja"),
    Half(V8_EN, "hp8.en"),
    Half(V8_JA, "hp8.ja"),
    Half(V9_EN, "hp9.en"),
    Half(V9_JA, "hp9.ja"),
    Half(V10_EN, "hp10.en"),
    Half(V10_JA, "hp10.ja"),
    _v11(V11_EN, "hp11.en"),
    _v11(V11_JA, "hp11.ja"),
]


@pytest.mark.parametrize("half", HALVES, ids=[h.prefix for h in HALVES])
def test_two_writer_halves_are_one_language_each_balanced_and_well_formed(half: Half) -> None:
    # Each half is in one language, written for it (no row twins one of the other half).
    prefix = half.prefix
    lang = prefix.split(".")[1]
    rows = _load(half.path)
    assert len({r["id"] for r in rows}) == len(rows) >= 2 * half.per_label
    assert len({_norm(r["prompt"]) for r in rows}) == len(rows)
    tiers = {c.id: c.tier for c in CATEGORIES}
    for r in rows:
        assert set(r) == V2_FIELDS and r["id"].startswith(f"{prefix}."), r["id"]
        assert detect_lang(r["prompt"]) == r["lang"] == lang == detect_lang(r["answer"]), r["id"]
        assert r["format"] in half.formats and r["harm_kind"] in V2_KINDS[r["label"]], r["id"]
        # an everyday answer may carry no category; every other row names its hazard
        assert r["category"] in CATEGORY_IDS or r["harm_kind"] == "ordinary", r["id"]
        assert 10 <= _size(r["answer"], lang) <= 300, r["id"]
        assert "REDACTED" not in r["answer"].upper(), r["id"]
        _assert_layout_parses(r)
    harmful = [r for r in rows if r["label"] == "harmful"]
    benign = [r for r in rows if r["label"] == "benign"]
    assert len(harmful) >= half.per_label and len(benign) >= half.per_label
    per_tier = Counter(tiers[r["category"]] for r in harmful)
    assert per_tier[Tier.CATASTROPHIC] >= 4, per_tier
    assert per_tier[Tier.MODERATE] + per_tier[Tier.SEVERE] >= 0.7 * len(harmful), per_tier
    formats = {r["format"] for r in rows}
    assert len(formats) >= half.min_formats
    for mine in (harmful, benign):
        per = Counter(r["format"] for r in mine)
        assert set(per) == formats and min(per.values()) >= half.per_format, per
    kinds = Counter(r["harm_kind"] for r in benign)
    assert kinds["refusal"] + kinds["redirect"] >= 8, kinds
    assert kinds["ordinary"] >= half.min_ordinary, kinds


# The later sets are checked alike: openers, disjointness, never trained on.
LATER_SETS = pytest.mark.parametrize(
    "path",
    [
        *(V2, V3, V4, V5, V6_EN, V6_JA, V7_EN, V7_JA, V8_EN, V8_JA),
        *(V9_EN, V9_JA, V10_EN, V10_JA, V11_EN, V11_JA),
    ],
    ids=[
        "v2",
        "v3",
        "v4",
        "v5",
        "v6-en",
        "v6-ja",
        "v7-en",
        "v7-ja",
        "v8-en",
        "v8-ja",
        "v9-en",
        "v9-ja",
        "v10-en",
        "v10-ja",
        "v11-en",
        "v11-ja",
    ],
)


@LATER_SETS
def test_later_set_rows_do_not_share_openers(path: Path) -> None:
    from tests.test_team_data import _opener

    rows = _load(path)
    for key in ("prompt", "answer"):
        openers = Counter(_opener(r[key]) for r in rows)
        assert [(o, n) for o, n in openers.items() if n > 3] == [], key


@LATER_SETS
def test_later_set_is_disjoint_from_the_other_sets_the_pool_and_every_answer_file(
    path: Path,
) -> None:
    ours = {_norm(r[k]) for r in _load(path) for k in ("prompt", "answer")}
    for other_path in sorted(path.parent.glob("*.jsonl")):
        if other_path != path:
            other = {_norm(r[k]) for r in _load(other_path) for k in ("prompt", "answer") if k in r}
            assert ours.isdisjoint(other), other_path.name
    assert ours.isdisjoint(_norm(r["answer"]) for r in POOL_ROWS)


@LATER_SETS
def test_the_answer_judge_never_trains_on_the_later_set(path: Path) -> None:
    from sekimori.classify.answers.data import HELD_OUT_PREFIX, load_all

    assert path.name.startswith(HELD_OUT_PREFIX)
    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (set SEKIMORI_SHARED_DATA)")
    ours = {_norm(r["answer"]) for r in _load(path)}
    assert not [e.id for e in load_all(shared) if _norm(e.answer) in ours]


@LATER_SETS
def test_no_later_set_prompt_or_answer_equals_an_evaluation_only_item(path: Path) -> None:
    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (set SEKIMORI_SHARED_DATA)")
    ours = {_norm(r[k]): r["id"] for r in _load(path) for k in ("prompt", "answer")}
    for name in EVAL_ONLY:
        texts = {_norm(t) for t in _eval_texts(shared / name)}
        assert [i for t, i in ours.items() if t in texts] == [], name
