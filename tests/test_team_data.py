"""Checks on the team-written prompts in data/prompts (schema, balance, and the no-leak rule)."""

from __future__ import annotations

import csv
import importlib.util
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sekimori.classify.corpus import team, team_data_dir
from sekimori.classify.evalsets import EVAL_ONLY
from sekimori.errors import InputError
from sekimori.lang import detect_lang
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import CATEGORY_IDS, SIGNAL_JAILBREAK

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "data" / "prompts"
# Rows written but not (yet) trained on (data/prompts/README.md), and the validation-only pool
# (data/prompts/validation/); checked all the same.
VALIDATION = sorted(PROMPTS.glob("validation/*.jsonl"))
FILES = sorted([*PROMPTS.glob("*.jsonl"), *PROMPTS.glob("candidates/*.jsonl"), *VALIDATION])
FIELDS = {"id", "lang", "text", "label", "category", "kind", "pair", "source"}
KINDS = {"request", "lookalike", "beneficial", "translation"}
# Optional field (constitution_pairs.jsonl): how the request is framed or disguised.
FRAMINGS = {
    *("direct", "indirect", "keigo", "credentials", "persona", "fiction", "hypothetical"),
    *("translation", "codeswitch", "romaji", "spaced", "fullwidth", "leet"),
}
# Translations may only come from sets the issue allows for training.
TRANSLATABLE = ("advbench:", "strongreject:", "ailuminate-demo:", "oasst1-en:")


def _load() -> list[dict[str, Any]]:
    rows = []
    for path in FILES:
        lines = path.read_text(encoding="utf-8").split("\n")
        for n, line in enumerate(lines, 1):
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                pytest.fail(f"{path.name}:{n}: not JSON ({e})")
            row["_where"] = f"{path.name}:{n}"
            rows.append(row)
    return rows


ROWS = _load()
# data/prompts/benign_hard.jsonl has its own schema (checked below); the checks on every file
# (unique texts, language, no evaluation item) still cover it.
BENIGN_HARD = PROMPTS / "benign_hard.jsonl"
HARD = [r for r in ROWS if r["_where"].startswith(BENIGN_HARD.name + ":")]
# data/prompts/wild_benign_<lang>.jsonl and long_benign_<lang>.jsonl too
# (scripts/prompts/check_wild.py checks them, below).
WILD = sorted([*PROMPTS.glob("wild_benign_*.jsonl"), *PROMPTS.glob("long_benign_*.jsonl")])
OWN_SCHEMA = (BENIGN_HARD.name, *(p.name for p in WILD))
SCHEMA_ROWS = [r for r in ROWS if r["_where"].split(":")[0] not in OWN_SCHEMA]


def test_there_is_data_in_every_file() -> None:
    assert FILES and (PROMPTS / "README.md").is_file()
    assert {r["_where"].split(":")[0] for r in ROWS} == {f.name for f in FILES}


def test_fields_are_valid() -> None:
    for r in SCHEMA_ROWS:
        where = r["_where"]
        assert set(r) - {"_where", "framing"} == FIELDS, where
        assert r.get("framing", "direct") in FRAMINGS, where
        assert isinstance(r["id"], str) and r["id"], where
        assert r["lang"] in ("en", "ja"), where
        assert isinstance(r["text"], str) and r["text"].strip() == r["text"] != "", where
        assert r["label"] in ("harmful", "benign"), where
        assert r["kind"] in KINDS, where
        assert r["category"] is None or r["category"] in (*CATEGORY_IDS, SIGNAL_JAILBREAK), where
        assert isinstance(r["source"], str) and r["source"], where
        if r["label"] == "harmful":
            assert r["category"] is not None, f"{where}: harmful rows name their category"
        if r["kind"] in ("lookalike", "beneficial"):
            assert r["label"] == "benign", where
        if r["kind"] == "request":
            assert r["label"] == "harmful", where
        if r["kind"] == "translation":
            assert r["lang"] == "ja" and r["source"].startswith(TRANSLATABLE), where
        assert not any(s in r["source"] for s in EVAL_ONLY), f"{where}: source is eval-only"


def test_ids_and_texts_are_unique() -> None:
    ids = Counter(r["id"] for r in ROWS)
    assert [i for i, n in ids.items() if n > 1] == []
    texts = Counter(_norm(r["text"]) for r in ROWS)
    assert [t for t, n in texts.items() if n > 1] == []


def test_pairs_are_symmetric_contrasts() -> None:
    by_id = {r["id"]: r for r in SCHEMA_ROWS}
    for r in SCHEMA_ROWS:
        if r["pair"] is None:
            continue
        other = by_id.get(r["pair"])
        assert other is not None, f"{r['_where']}: pair {r['pair']} missing"
        assert other["pair"] == r["id"], r["_where"]
        assert other["label"] != r["label"], r["_where"]
        assert (other["lang"], other["category"]) == (r["lang"], r["category"]), r["_where"]


def test_language_field_matches_detection() -> None:
    wrong = [r["_where"] for r in ROWS if detect_lang(r["text"]) != r["lang"]]
    assert len(wrong) <= 0.02 * len(ROWS), wrong


def test_every_category_has_both_labels_in_both_languages() -> None:
    seen = {(r["category"], r["label"], r["lang"]) for r in SCHEMA_ROWS}
    missing = [
        (c, label, lang)
        for c in CATEGORY_IDS
        for label in ("harmful", "benign")
        for lang in ("en", "ja")
        if (c, label, lang) not in seen
    ]
    assert missing == []


def _norm(text: str) -> str:
    """NFKC, case-folded, with spaces and punctuation dropped: stricter than exact equality."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _eval_texts(folder: Path) -> Iterator[str]:
    """Every string in every data file of an evaluation-only set (prompts and any other field)."""
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").split("\n"):
                if line.strip():
                    yield from _strings(json.loads(line))
        elif path.suffix == ".json":
            yield from _strings(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as f:
                for record in csv.reader(f):
                    yield from record


def team_texts() -> set[str]:
    """For held-back files: the normalised texts of every team prompt, what the loader trains on
    and every file written under data/prompts/ (candidates and the validation pool included)."""
    texts = {_norm(e.text) for e in team(team_data_dir())}
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                texts.add(_norm(json.loads(line)["text"]))
    return texts


def held_back_rows_equal_to_evaluation_items(ours: dict[str, str]) -> dict[str, list[str]]:
    """For held-back files (data/heldback/): the ids of ``ours`` (normalised text -> id) equal to
    an item of each evaluation-only set, by set; skips the test without the shared data."""
    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (set SEKIMORI_SHARED_DATA)")
    found = {}
    for name in EVAL_ONLY:
        texts = {_norm(t) for t in _eval_texts(shared / name)}
        found[name] = [i for t, i in ours.items() if t in texts]
    return found


def test_no_row_equals_an_evaluation_only_item() -> None:
    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (set SEKIMORI_SHARED_DATA)")
    ours = {_norm(r["text"]): r["_where"] for r in ROWS}
    for name in EVAL_ONLY:
        folder = shared / name
        assert folder.is_dir(), f"evaluation set {name} missing under {shared}"
        texts = {_norm(t) for t in _eval_texts(folder)}
        assert len(texts) > 50, f"read too little from {folder}"
        leaks = [where for text, where in ours.items() if text in texts]
        assert leaks == [], f"rows equal to items of {name}: {leaks}"


# --- data/prompts/benign_hard.jsonl (issue 15): benign prompts that look risky ---------------

HARD_FIELDS = {"id", "lang", "text", "label", "kind", "category_near", "split", "source"}
HARD_KINDS = ("roleplay", "coding", "science", "fiction", "support", "homonym")
# The seed of the split draw (data/prompts/README.md): per (kind, lang) stratum, in file order,
# random.Random(HARD_SEED) shuffles the rows and the first round(60%) are train.
HARD_SEED = 20261205


def test_benign_hard_rows_follow_their_schema() -> None:
    assert BENIGN_HARD in FILES and HARD
    for r in HARD:
        where = r["_where"]
        assert set(r) - {"_where"} == HARD_FIELDS, where
        assert re.fullmatch(rf"bh-{r['lang']}-\d{{4}}", r["id"]), where
        assert isinstance(r["text"], str) and r["text"].strip() == r["text"] != "", where
        assert r["label"] == "benign" and r["source"] == "sekimori-team", where
        assert r["kind"] in HARD_KINDS, where
        assert r["category_near"] in (*CATEGORY_IDS, SIGNAL_JAILBREAK), where
        assert r["split"] in ("train", "validation"), where


def test_benign_hard_is_about_700_rows_evenly_over_kinds_with_300_japanese() -> None:
    by = Counter((r["kind"], r["lang"]) for r in HARD)
    assert 650 <= len(HARD) <= 760
    assert sum(n for (_, lang), n in by.items() if lang == "ja") >= 300
    assert all(50 <= by[kind, lang] <= 70 for kind in HARD_KINDS for lang in ("en", "ja")), by


def test_benign_hard_split_is_the_seeded_stratified_draw() -> None:
    strata: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in HARD:
        strata.setdefault((r["kind"], r["lang"]), []).append(r)
    rng = random.Random(HARD_SEED)
    for key in sorted(strata):
        rows = strata[key]
        order = list(range(len(rows)))
        rng.shuffle(order)
        train = set(order[: round(0.6 * len(rows))])
        drawn = ["train" if i in train else "validation" for i in range(len(rows))]
        assert [r["split"] for r in rows] == drawn, key
    assert 0.38 <= sum(r["split"] == "validation" for r in HARD) / len(HARD) <= 0.42


def _opener(text: str) -> str:
    """First four words; Japanese has no spaces, so its first eight word characters."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text[:40]):
        return re.sub(r"\W", "", text)[:8]
    return " ".join(re.findall(r"\w+", text)[:4])


def test_benign_hard_rows_do_not_share_openers() -> None:
    openers = Counter(_opener(r["text"]) for r in HARD)
    assert [(o, n) for o, n in openers.items() if n > 3] == []


def test_benign_hard_splits_reach_the_corpus_as_written(tmp_path: Path) -> None:
    written = {r["text"]: r["split"] for r in HARD}
    loaded = [e for e in team(PROMPTS) if e.group.startswith("team:bh-")]
    assert len(loaded) == len(HARD)
    assert all(e.pinned and e.split.value == written[e.text] for e in loaded)
    assert not any(e.harmful for e in loaded)
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"id": "x", "text": "hi", "label": "benign", "split": "test"}) + "\n")
    with pytest.raises(InputError, match="split must be train or validation"):
        list(team(tmp_path))


# --- data/prompts/{wild,long}_benign_<lang>.jsonl: hand-written benign prompts, harmful twins ---


def test_wild_benign_files_pass_their_check_script() -> None:
    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (set SEKIMORI_SHARED_DATA)")
    spec = importlib.util.spec_from_file_location(
        "check_wild", ROOT / "scripts/prompts/check_wild.py"
    )
    assert spec is not None and spec.loader is not None and WILD
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    keys, evals = check.eval_sets(shared)
    assert [p for path in WILD for p in check.problems(path, keys, evals)] == []


def test_wild_benign_splits_and_twins_reach_the_corpus_as_written() -> None:
    wild = [r for r in ROWS if r["_where"].split(":")[0] in OWN_SCHEMA[1:]]
    written = {r["text"]: r for r in wild}
    loaded = [e for e in team(PROMPTS) if e.text in written]
    assert len(loaded) == len(wild)
    for e in loaded:
        r = written[e.text]
        assert e.pinned and e.split.value == r["split"], r["_where"]
        assert e.harmful == (r["label"] == "harmful"), r["_where"]
        assert e.categories == ((r["category"],) if e.harmful else ()), r["_where"]
    group = {e.text: e.group for e in loaded}
    by_id = {r["id"]: r for r in wild}
    assert all(group[r["text"]] == group[by_id[r["pair"]]["text"]] for r in wild if "pair" in r)


# --- data/prompts/validation/realistic_<lang>.jsonl (issue 15): validation-only everyday rows ---

REALISTIC = [r for r in ROWS if r["_where"].split(":")[0] in {p.name for p in VALIDATION}]


def test_realistic_pool_is_benign_everyday_traffic_in_both_languages() -> None:
    assert {p.name for p in VALIDATION} == {"realistic_en.jsonl", "realistic_ja.jsonl"}
    by_lang = Counter(r["lang"] for r in REALISTIC)
    assert by_lang["en"] >= 300 and by_lang["ja"] >= 200, by_lang
    for r in REALISTIC:
        where = r["_where"]
        assert re.fullmatch(rf"team\.rv\.{r['lang']}\.\d{{3}}", r["id"]), where
        assert r["label"] == "benign" and r["source"] == "sekimori-realistic", where
        assert r["pair"] is None and "split" not in r, where


def test_validation_folder_rows_are_validation_only(tmp_path: Path) -> None:
    from sekimori.classify.corpus import Split, team_validation
    from sekimori.classify.train import is_ordinary

    texts = {r["text"] for r in REALISTIC}
    # The top-level reader never sees the folder; the folder's reader pins every row.
    assert not texts & {e.text for e in team(PROMPTS)}
    loaded = list(team_validation(PROMPTS))
    assert {e.text for e in loaded} == texts
    assert all(e.pinned and e.split is Split.VALIDATION for e in loaded)
    assert all(e.harmful is False and is_ordinary(e) for e in loaded)
    folder = tmp_path / "validation"
    folder.mkdir()
    row = {"id": "team.rv.en.001", "text": "hi", "label": "benign", "split": "train"}
    (folder / "x.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(InputError, match="validation only"):
        list(team_validation(tmp_path))
