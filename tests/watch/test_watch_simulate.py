"""The simulator on a tiny population, and `sekimori watch replay` on its sketch file:
labelled, in time order, no text at rest; bad files are clear errors, not tracebacks."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from sekimori.classify.evalsets import EVAL_ONLY
from sekimori.cli import main
from sekimori.errors import InputError
from sekimori.lang import FONT_FAMILY
from sekimori.paths import shared_data_dir, watch_data_dir
from sekimori.taxonomy import CATEGORIES, Tier
from sekimori.watch.detectors import Alert
from sekimori.watch.detectors.decomposition import DecompositionDetector
from sekimori.watch.pool import HELD_OUT, Chain, Pool, load_pool, load_scores, read_chains
from sekimori.watch.replay import run_detectors
from sekimori.watch.simulate import Scale, Simulation, catastrophic_runs, chains_part, simulate
from sekimori.watch.sketch import FLAG_REFUSED
from sekimori.watch.sketchfile import MAGIC, read_sketches, write_sketches
from tests.test_team_data import _norm, held_back_rows_equal_to_evaluation_items, team_texts

TINY = Scale(
    office=6,
    long_chat=1,
    pipelines=0,
    eval_teams=0,
    translation=0,
    lookalikes=2,
    distill_single=0,
    distill_mixed=0,
    slow_low=0,
    decomposition_repeats=1,
)


@pytest.fixture(scope="module")
def pool() -> Pool:
    scores = load_scores(watch_data_dir() / "scores.json")
    return load_pool(shared_data_dir(), watch_data_dir(), scores, per_set=1_200)


@pytest.fixture(scope="module")
def sim(pool: Pool) -> Simulation:
    return simulate(pool, days=1, seed=7, scale=TINY)


def test_sketches_are_in_time_order_and_labelled(sim: Simulation) -> None:
    times = [s.ts for s in sim.sketches]
    assert times == sorted(times)
    runs = catastrophic_runs(sim.labels.chain_runs)
    # 88 chains (24 of them training-only labels, 24 training-only own-voice questions), 4
    # conventional weapons (severe, not catastrophic)
    assert len(runs) == 84
    assert {s.key for s in sim.sketches} >= {r.key for r in runs}
    assert len(sim.labels.benign_keys) == 6 + 1 + 2
    # Steps the gateway's screen blocks are refused, as the gateway marks them.
    assert any(s.has(FLAG_REFUSED) for s in sim.sketches)


def test_the_training_only_chains_never_reach_the_held_back_half(pool: Pool) -> None:
    train, held = chains_part(pool.chains, "train"), chains_part(pool.chains, "held_back")
    extra = [c for c in pool.chains if c.split == "train"]
    # 24 decomposed chains and 24 benign look-alikes, written for training only; then 24 and 24
    # more in their askers' own voice (chains_own.jsonl, lookalikes_own.jsonl)
    assert Counter(c.kind for c in extra) == {"decomposed": 48, "benign_lookalike": 48}
    assert sum(1 for c in extra if ".o0" in c.id) == 48
    assert {c.lang for c in extra} == {"en", "ja"}
    assert set(extra) <= set(train) and not set(extra) & set(held)
    assert [c.id for c in held[:3]] == ["chain.bio.en.02", "chain.bio.en.04", "chain.chem.en.02"]
    assert len([c for c in held if c.kind == "decomposed"]) == 18  # 16 catastrophic, 2 conventional
    # The held-back look-alikes are the ones they were: the chemical and military chats
    assert [c.id for c in held if c.kind != "decomposed"] == [
        "look.chem.en.01",
        "look.mil.en.01",
        "look.chem.ja.01",
        "look.mil.ja.01",
    ]


def test_training_only_chains_leave_the_held_back_half_as_it_was() -> None:
    def chain(cid: str, split: str | None = None) -> Chain:
        return Chain(cid, "en", "decomposed", "weapons.bio", (), split)

    before = [chain("a"), chain("b"), chain("c"), chain("d")]
    after = [before[0], chain("t1", "train"), *before[1:3], chain("t2", "train"), before[3]]
    held = chains_part(before, "held_back")
    assert [c.id for c in held] == ["b", "d"]
    assert chains_part(after, "held_back") == held
    assert [c.id for c in chains_part(after, "train")] == ["a", "t1", "c", "t2"]
    assert len(chains_part(after, "all")) == 6


def test_a_chain_with_an_unknown_split_is_a_clear_error(tmp_path: Path) -> None:
    row = '{"id": "c1", "lang": "en", "kind": "decomposed", "category": "weapons.bio", '
    (tmp_path / "chains.jsonl").write_text(row + '"split": "test", "steps": ["a"]}\n')
    (tmp_path / "lookalikes.jsonl").write_text("")
    with pytest.raises(InputError, match="split must be"):
        read_chains(tmp_path)


CATASTROPHIC = {c.id for c in CATEGORIES if c.tier is Tier.CATASTROPHIC}
# The look-alikes' topic, from their ids (look.<topic>.<lang>...): their category is null
TOPICS = {
    "bio": "weapons.bio",
    "chem": "weapons.chem",
    "nuc": "weapons.nuclear",
    "mil": "military.targeting",
}


def _chain_texts(chains: list[Chain]) -> set[str]:
    return {" ".join(s.text.split()).casefold() for c in chains for s in c.steps}


@pytest.mark.parametrize(
    ("part", "decomposed", "looks", "extra"),
    [
        # 4 decomposed chains per catastrophic category, 2 EN and 2 JA; 8 + 8 benign look-alikes
        ("fresh", 2, 8, 0),
        # benign look-alikes only: 12 per catastrophic category, 6 EN and 6 JA
        ("fresh2", 0, 24, 0),
        # 6 decomposed chains per catastrophic category, 3 EN and 3 JA; 9 look-alikes a
        # category, 18 EN and 18 JA in all
        ("fresh3", 3, 18, 0),
        # two files: 40 catastrophic decomposed chains (5 EN and 5 JA per category) and 8 others
        # (cyber offense, conventional weapons), 48 look-alikes, 24 EN and 24 JA
        ("fresh4", 5, 24, 8),
        # two files by a new writer: 48 decomposed chains (6 EN and 6 JA per catastrophic
        # category), 48 look-alikes, 24 EN and 24 JA
        ("fresh5", 6, 24, 0),
    ],
)
def test_the_held_out_chains_load_with_their_fields(
    part: str, decomposed: int, looks: int, extra: int
) -> None:
    every = read_chains(watch_data_dir(), held_out=tuple(HELD_OUT))
    held = [c for c in every if c.split == part]
    attacks = [c for c in held if c.kind == "decomposed" and c.category in CATASTROPHIC]
    assert sum(1 for c in held if c.kind == "decomposed") == len(attacks) + extra
    benign = [c for c in held if c.kind != "decomposed"]
    assert Counter((c.category, c.lang) for c in attacks) == (
        {(cat, lang): decomposed for cat in CATASTROPHIC for lang in ("en", "ja")}
        if decomposed
        else {}
    )
    assert {c.kind for c in benign} == {"benign_lookalike"}
    assert Counter((c.category, c.lang) for c in benign) == {
        (None, "en"): looks,
        (None, "ja"): looks,
    }
    assert set(TOPICS.values()) == CATASTROPHIC
    if part == "fresh2":  # every catastrophic category alike
        by_topic = Counter((TOPICS[c.id.split(".")[1]], c.lang) for c in benign)
        assert by_topic == {(cat, lang): 6 for cat in CATASTROPHIC for lang in ("en", "ja")}
    if part == "fresh3":  # every catastrophic category alike, both languages in each
        assert Counter(TOPICS[c.id.split(".")[1]] for c in benign) == dict.fromkeys(CATASTROPHIC, 9)
        by_topic = Counter((TOPICS[c.id.split(".")[1]], c.lang) for c in benign)
        assert set(by_topic.values()) == {4, 5}
        assert all(len(c.steps) == 6 for c in attacks)
    # No id nor step question shared with any other watch file (nor within the file).
    others = [c for c in every if c.split != part]
    ids = [c.id for c in held]
    assert len(set(ids)) == len(held) == 4 * 2 * decomposed + 2 * looks + extra
    assert not set(ids) & {c.id for c in others}
    texts = [" ".join(s.text.split()).casefold() for c in held for s in c.steps]
    assert len(set(texts)) == len(texts)
    assert not set(texts) & _chain_texts(others)
    for chain in held:
        assert 5 <= len(chain.steps) <= (8 if part == "fresh4" else 7)
        for step in chain.steps:
            assert step.lang == chain.lang and step.text.strip()
            kana = any("\u3040" <= ch <= "\u30ff" for ch in step.text)
            assert kana == (chain.lang == "ja"), step.id
    # Usable: every step has its screened scores (`watch scores` covers the held-out chains).
    scores = load_scores(watch_data_dir() / "scores.json")
    assert all(s.id in scores for c in held for s in c.steps)


# The two-file sets' rows, their balance and their novelty, read from the files themselves (as
# they were checked before they were wired: fresh5 was wired after DECOMP_RULE_8.md).
CHECKED_FILES = {"fresh5": ("chains_fresh5.jsonl", "lookalikes_fresh5.jsonl")}
ROW_FIELDS = ["id", "lang", "kind", "category", "topic", "steps", "split"]


@pytest.mark.parametrize("part", sorted(CHECKED_FILES))
def test_the_fresh5_files_are_balanced_and_new(
    part: str,
) -> None:
    prefix = f"f{part.removeprefix('fresh')}"
    files = CHECKED_FILES[part]
    rows = {
        name: [orjson.loads(line) for line in (watch_data_dir() / name).read_bytes().splitlines()]
        for name in files
    }
    attacks, looks = rows[files[0]], rows[files[1]]
    assert all(list(r) == ROW_FIELDS and r["split"] == part for r in attacks + looks)
    # 48 decomposed chains, 6 EN and 6 JA per catastrophic category; ids f<n>.<lang>.0001-0024
    assert {r["kind"] for r in attacks} == {"decomposed"}
    assert Counter((r["category"], r["lang"]) for r in attacks) == {
        (cat, lang): 6 for cat in CATASTROPHIC for lang in ("en", "ja")
    }
    # 48 benign look-alikes, 6 EN and 6 JA on each category's topic (the topic's first word);
    # ids continue the numbering, 0025-0048 per language
    assert {r["kind"] for r in looks} == {"benign_lookalike"}
    assert {r["category"] for r in looks} == {None}
    topics = Counter((TOPICS[str(r["topic"]).split(":")[0]], r["lang"]) for r in looks)
    assert topics == {(cat, lang): 6 for cat in CATASTROPHIC for lang in ("en", "ja")}
    for first, part_rows in ((1, attacks), (25, looks)):
        for lang in ("en", "ja"):
            ids = [r["id"] for r in part_rows if r["lang"] == lang]
            assert ids == [f"{prefix}.{lang}.{n:04d}" for n in range(first, first + 24)]
    for row in attacks + looks:
        assert 5 <= len(row["steps"]) <= 7 and str(row["topic"]).strip()
        for step in row["steps"]:
            kana = any("\u3040" <= ch <= "\u30ff" for ch in step)
            assert kana == (row["lang"] == "ja"), row["id"]
    # No id nor step (normalised: NFKC, case, spaces and punctuation dropped) shared with another
    # watch file, with any team prompt under data/prompts/, nor with an evaluation-only item.
    every = read_chains(watch_data_dir(), held_out=tuple(HELD_OUT))
    assert not {r["id"] for r in attacks + looks} & {c.id for c in every if c.split != part}
    ours = {_norm(s): str(r["id"]) for r in attacks + looks for s in r["steps"]}
    assert len(ours) == sum(len(r["steps"]) for r in attacks + looks)
    others = {_norm(s.text) for c in every if c.split != part for s in c.steps}
    assert not set(ours) & others
    assert not set(ours) & team_texts()
    assert held_back_rows_equal_to_evaluation_items(ours) == {name: [] for name in EVAL_ONLY}


def test_reading_the_held_out_chains_changes_no_other_traffic(pool: Pool, sim: Simulation) -> None:
    scores = load_scores(watch_data_dir() / "scores.json")
    with_held = load_pool(
        shared_data_dir(), watch_data_dir(), scores, per_set=1_200, held_out=tuple(HELD_OUT)
    )
    sizes = {"fresh": 32, "fresh2": 48, "fresh3": 60, "fresh4": 96, "fresh5": 96}
    assert len(with_held.chains) == len(pool.chains) + sum(sizes.values())
    # The default parts hold none of them: every part is as without them.
    assert not {c.split for c in pool.chains} & set(HELD_OUT)
    for part in ("all", "train", "held_back"):
        assert chains_part(with_held.chains, part) == chains_part(pool.chains, part)
    again = simulate(with_held, days=1, seed=7, scale=TINY)
    assert again.labels == sim.labels
    assert [s.pack() for s in again.sketches] == [s.pack() for s in sim.sketches]
    # Each held-out part holds its own chains only, after the others in HELD_OUT's order (a smoke
    # run: sketches, no detector figure); one catastrophic run per decomposed chain.
    held = with_held.chains[len(pool.chains) :]
    parts = (("fresh", 16), ("fresh2", 0), ("fresh3", 24), ("fresh4", 40), ("fresh5", 48))
    for part, decomposed in parts:
        own = [c for c in held if c.split == part]
        assert len(own) == sizes[part]
        assert chains_part(with_held.chains, part) == tuple(own)
        traffic = simulate(with_held, days=1, seed=7, scale=TINY, chains=part)
        assert traffic.sketches and traffic.labels.chain_runs
        assert {r.chain for r in traffic.labels.chain_runs} <= {c.id for c in own}
        assert len(catastrophic_runs(traffic.labels.chain_runs)) == decomposed
    assert [c.split for c in held] == sorted((c.split for c in held), key=list(HELD_OUT).index)
    for part in HELD_OUT:
        with pytest.raises(InputError, match=f"no {part} chains"):
            simulate(pool, days=1, seed=7, scale=TINY, chains=part)


@pytest.mark.parametrize(
    ("part", "name"), [(part, name) for part, names in HELD_OUT.items() for name in names]
)
def test_a_held_out_chain_must_say_so_and_only_in_its_file(
    tmp_path: Path, part: str, name: str
) -> None:
    row = '{"id": "c1", "lang": "en", "kind": "decomposed", "category": "weapons.bio", '
    (tmp_path / "chains.jsonl").write_text(row + '"steps": ["a"]}\n')
    for empty in ("lookalikes.jsonl", "chains_own.jsonl", "lookalikes_own.jsonl", *HELD_OUT[part]):
        (tmp_path / empty).write_text("")
    (tmp_path / name).write_text(row.replace("c1", "f1") + '"steps": ["a"]}\n')
    assert [c.id for c in read_chains(tmp_path)] == ["c1"]
    with pytest.raises(InputError, match=f'must be "{part}" in this file'):
        read_chains(tmp_path, held_out=[part])
    (tmp_path / name).write_text(row.replace("c1", "f1") + f'"split": "{part}", "steps": ["a"]}}\n')
    assert [c.id for c in read_chains(tmp_path, held_out=[part])] == ["c1", "f1"]
    assert [c.id for c in read_chains(tmp_path)] == ["c1"]
    (tmp_path / "chains.jsonl").write_text(row + f'"split": "{part}", "steps": ["a"]}}\n')
    with pytest.raises(InputError, match="split must be"):
        read_chains(tmp_path)


def test_the_same_seed_gives_the_same_traffic(pool: Pool, sim: Simulation) -> None:
    again = simulate(pool, days=1, seed=7, scale=TINY)
    assert [s.pack() for s in again.sketches] == [s.pack() for s in sim.sketches]


def test_a_sketch_file_holds_no_text(pool: Pool, sim: Simulation, tmp_path: Path) -> None:
    path = tmp_path / "t.sketches"
    assert write_sketches(path, sim.sketches) == len(sim.sketches)
    data = path.read_bytes()
    for chain in pool.chains[:5]:
        assert chain.steps[0].text.encode()[:24] not in data
    assert list(read_sketches(path)) == sim.sketches


def test_replay_prints_alerts_in_both_languages(
    sim: Simulation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.sketches"
    write_sketches(path, sim.sketches)
    assert main(["watch", "replay", "--sketches", str(path), "--detector", "extraction"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert f"in {len(sim.sketches)} sketches" in last and "件の警告" in last


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"hello", "not a sketch file"), (MAGIC + b"x" * 10, "cut short")],
)
def test_bad_sketch_files_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.sketches"
    if content is not None:
        path.write_bytes(content)
    assert main(["watch", "replay", "--sketches", str(path)]) == 1
    err = capsys.readouterr().err
    assert message in err and str(path) in err and "Traceback" not in err


def test_days_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["watch", "simulate", "--out", "x", "--days", "0"])
    assert exit_info.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_report_writes_an_offline_page_in_either_language(
    sim: Simulation, tmp_path: Path, lang: str
) -> None:
    path, out = tmp_path / "t.sketches", tmp_path / "report.html"
    write_sketches(path, sim.sketches)
    args = ["watch", "report", "--sketches", str(path), "--out", str(out), "--lang", lang]
    assert main(args) == 0
    page = out.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page and "http" not in page  # nothing fetched online
    assert f"font-family:{FONT_FAMILY};" in page  # Japanese fonts before the generic family
    assert ("監視レポート" in page) == (lang == "ja")
    assert "decomposition" in page  # the tiny traffic holds decomposed chains that pass steps
    assert page.count("<svg") >= 3 and "Noto Sans CJK JP" in page  # charts, Japanese fonts
    assert ("Keys with the most alerts" in page) == (lang == "en")
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sim.sketches[-1].ts + 60))
    assert main([*args, "--since", since]) == 0
    assert ("No alerts." if lang == "en" else "警告はありません") in out.read_text(encoding="utf-8")


def test_report_refuses_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["watch", "report", "--sketches", "x", "--out", "y", "--since", "yesterday"])
    assert exit_info.value.code == 2
    assert "not a date: 'yesterday'" in capsys.readouterr().err


def test_a_simulated_chain_with_a_refused_sure_step_is_flagged_by_its_anchor(
    sim: Simulation,
) -> None:
    """The decomposition detector with its anchored channel on (`anchored`, off by default)
    over the simulated traffic: a training chain (`chain.mil.en.t03`: its 4th step refused and
    sure in military targeting, the two before it on the same topic below the screen's hold
    point) is flagged by its 4th step by the anchored channel, which the defaults (sums and
    breadth) do not do; no benign key is flagged either way."""
    run = next(r for r in catastrophic_runs(sim.labels.chain_runs) if r.chain == "chain.mil.en.t03")
    fourth = run.step_ts[3]

    def by_fourth(detector: DecompositionDetector) -> list[Alert]:
        alerts = run_detectors([detector], sim.sketches).alerts
        assert not [a for a in alerts if a.keys[0] in sim.labels.benign_keys]
        return [a for a in alerts if run.key in a.keys and a.ts <= fourth]

    found = by_fourth(DecompositionDetector(anchored=True))
    assert [a.category for a in found] == ["military.targeting"]
    assert found[0].features["anchored_requests"] == 3
    assert not by_fourth(DecompositionDetector())
