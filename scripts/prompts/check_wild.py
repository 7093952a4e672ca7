"""Check the hand-written benign prompts with twins (data/prompts/wild_benign_<lang>.jsonl and
data/prompts/long_benign_<lang>.jsonl).

Prints one line per problem and exits 1 if there is any; it writes and generates nothing.
Evaluation-only sets are read only to prove that no row equals or nearly copies one of their
items; a problem line names our row and the figure, never their text.
Usage: PYTHONPATH=src python scripts/prompts/check_wild.py [FILE ...]
(default: every data/prompts/wild_benign_*.jsonl and long_benign_*.jsonl).
"""

from __future__ import annotations

import bisect
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from sekimori.classify.evalsets import eval_only_texts
from sekimori.classify.leak import leak_key
from sekimori.lang import detect_lang
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import CATEGORY_IDS, SIGNAL_JAILBREAK

PROMPTS = Path(__file__).resolve().parents[2] / "data" / "prompts"


class Family(NamedTuple):
    """One file family: its id prefix, its kinds and the length of its long kinds."""

    prefix: str
    kinds: tuple[str, ...]
    long_kinds: tuple[str, ...]
    # The shape of long chat traffic (EN words, JA characters), per language.
    long: dict[str, tuple[int, int]]


FAMILIES = {
    "wild_benign": Family(
        "wb",
        (
            "adversarial_framing",
            "sensitive_info",
            "harmful_words",
            "creative_dark",
            "long_technical",
            "opinion_advice",
        ),
        ("long_technical",),
        {"en": (120, 400), "ja": (250, 800)},
    ),
    # Arena-style traffic: pasted material and several asks in one message.
    "long_benign": Family(
        "lb",
        ("long_technical", "security_work", "domain_words", "multi_part"),
        ("long_technical", "security_work"),
        {"en": (60, 650), "ja": (140, 1500)},
    ),
}
FIELDS = {"id", "lang", "text", "label", "kind", "category", "category_near", "split", "source"}
# The split draw (data/prompts/README.md): per kind, in sorted order, the groups (a benign row
# and its twin) in file order are shuffled by one random.Random(SEED); the first round(60%) train.
SEED = 20261206
# Nearer than this to another team row, or to an evaluation-only item, counts as a copy
# (character trigrams, normalised text).
MAX_JACCARD = 0.45


def family(path: Path) -> Family:
    return FAMILIES[path.stem.rsplit("_", 1)[0]]


def _rows(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return [
        dict(json.loads(line), _where=f"{path.name}:{n}") for n, line in enumerate(lines, 1) if line
    ]


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _grams(text: str) -> frozenset[str]:
    t = _norm(text)
    return frozenset(t[i : i + 3] for i in range(len(t) - 2))


def _row_problems(r: dict[str, Any], fam: Family) -> list[str]:
    where, lang, kind = r["_where"], r.get("lang"), str(r.get("kind", ""))
    out = []
    if set(r) - {"_where", "pair"} != FIELDS:
        out.append(f"{where}: fields {sorted(set(r) - {'_where'})}")
        return out
    if lang not in fam.long or not re.fullmatch(rf"{fam.prefix}-{lang}-\d{{4}}", r["id"]):
        out.append(f"{where}: id {r['id']!r} or lang {lang!r}")
    text = r["text"]
    if not isinstance(text, str) or text.strip() != text or not text:
        out.append(f"{where}: text empty or padded")
    elif detect_lang(text) != lang:
        out.append(f"{where}: detect_lang says {detect_lang(text)}, lang is {lang}")
    if r["source"] != "sekimori-team" or r["split"] not in ("train", "validation"):
        out.append(f"{where}: source or split")
    if r["label"] == "benign":
        ok = kind in fam.kinds and r["category"] is None
        ok = ok and r["category_near"] in (None, *CATEGORY_IDS, SIGNAL_JAILBREAK)
    else:
        ok = r["label"] == "harmful" and kind.removesuffix("_harmful") in fam.kinds
        ok = ok and kind.endswith("_harmful") and r["category"] in CATEGORY_IDS and "pair" in r
    if not ok:
        out.append(f"{where}: label, kind, category or category_near")
    if kind in fam.long_kinds and lang in fam.long and isinstance(text, str):
        size = len(text.split()) if lang == "en" else len(text)
        low, high = fam.long[lang]
        if not low <= size <= high:
            out.append(f"{where}: {kind} is {size}, not {low}-{high}")
    return out


def _pair_problems(rows: list[dict[str, Any]]) -> list[str]:
    by_id = {r["id"]: r for r in rows}
    out = []
    for r in rows:
        if "pair" not in r:
            continue
        o = by_id.get(r["pair"])
        if o is None or o.get("pair") != r["id"] or o["label"] == r["label"]:
            out.append(f"{r['_where']}: pair {r['pair']!r} is not a symmetric twin")
        elif o["split"] != r["split"] or o["lang"] != r["lang"]:
            out.append(f"{r['_where']}: twin has another split or lang")
        elif o["kind"].removesuffix("_harmful") != r["kind"].removesuffix("_harmful"):
            out.append(f"{r['_where']}: twin has another kind")
    return out


def _split_problems(rows: list[dict[str, Any]]) -> list[str]:
    """Redraw the split over groups (the benign row stands for its twin)."""
    benign = [r for r in rows if r["label"] == "benign"]
    rng = random.Random(SEED)
    out = []
    for kind in sorted({r["kind"] for r in benign}):
        stratum = [r for r in benign if r["kind"] == kind]
        order = list(range(len(stratum)))
        rng.shuffle(order)
        train = set(order[: round(0.6 * len(stratum))])
        for i, r in enumerate(stratum):
            if r["split"] != ("train" if i in train else "validation"):
                out.append(f"{r['_where']}: split is not the seeded draw")
    return out


def _near(
    g: frozenset[str], pool: list[tuple[int, frozenset[str]]], sizes: list[int]
) -> Iterator[tuple[int, float]]:
    """(index, Jaccard) of the pool sets at or above MAX_JACCARD to g; the pool is sorted by size,
    and a set more than 1/MAX_JACCARD times larger or smaller cannot reach it."""
    lo = bisect.bisect_left(sizes, MAX_JACCARD * len(g))
    hi = bisect.bisect_right(sizes, len(g) / MAX_JACCARD)
    for i, h in pool[lo:hi]:
        n = len(g & h)
        if n and n / (len(g) + len(h) - n) >= MAX_JACCARD:
            yield i, n / (len(g) + len(h) - n)


def _by_size(sets: list[frozenset[str]]) -> tuple[list[tuple[int, frozenset[str]]], list[int]]:
    pool = sorted(((i, g) for i, g in enumerate(sets) if g), key=lambda x: len(x[1]))
    return pool, [len(g) for _, g in pool]


def _copy_problems(rows: list[dict[str, Any]], path: Path) -> list[str]:
    """Repeated ids or texts, and rows near another team row (its own twin excepted)."""
    others = [o for p in sorted(PROMPTS.glob("*.jsonl")) if p != path for o in _rows(p)]
    everyone = [*others, *rows]
    out = []
    ids = Counter(o["id"] for o in everyone)
    norms = Counter(_norm(o["text"]) for o in everyone)
    for r in rows:
        if ids[r["id"]] > 1 or norms[_norm(r["text"])] > 1:
            out.append(f"{r['_where']}: id or normalised text repeated in data/prompts")
    grams = [_grams(o["text"]) for o in everyone]
    pool, sizes = _by_size(grams)
    for i, r in enumerate(rows, len(others)):
        for j, jac in _near(grams[i], pool, sizes):
            o = everyone[j]
            if j != i and o["id"] != r.get("pair"):
                out.append(f"{r['_where']}: trigram Jaccard {jac:.2f} to {o['id']}")
    return out


def _eval_near_problems(rows: list[dict[str, Any]], evals: list[frozenset[str]]) -> list[str]:
    """Rows at or above MAX_JACCARD to an evaluation-only item (only our id and the figure)."""
    pool, sizes = _by_size(evals)
    out = []
    for r in rows:
        best = max((jac for _, jac in _near(_grams(r["text"]), pool, sizes)), default=0.0)
        if best:
            out.append(f"{r['_where']}: trigram Jaccard {best:.2f} to an evaluation-only item")
    return out


def eval_sets(root: Path) -> tuple[frozenset[str], list[frozenset[str]]]:
    """The leak keys and the trigram sets of every evaluation-only text (one pass over them)."""
    texts = list(eval_only_texts(root))
    return frozenset(leak_key(t) for t in texts), [_grams(t) for t in texts]


def problems(
    path: Path, keys: frozenset[str], evals: list[frozenset[str]] | None = None
) -> list[str]:
    """Every problem of one file; `evals` (eval_sets) adds the near-copy check on eval items."""
    rows, fam = _rows(path), family(path)
    out = [p for r in rows for p in _row_problems(r, fam)]
    if out:
        return out
    out += _pair_problems(rows) + _split_problems(rows) + _copy_problems(rows, path)
    out += [
        f"{r['_where']}: equals an evaluation-only item"
        for r in rows
        if leak_key(r["text"]) in keys
    ]
    if evals is not None:
        out += _eval_near_problems(rows, evals)
    return out


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(
        p for f in FAMILIES for p in PROMPTS.glob(f"{f}_*.jsonl")
    )
    root = shared_data_dir()
    if not root.is_dir():
        print(f"shared data not found at {root} (set SEKIMORI_SHARED_DATA)")
        return 2
    keys, evals = eval_sets(root)
    found = [p for path in paths for p in problems(path.resolve(), keys, evals)]
    print("\n".join(found) or f"ok: {', '.join(p.name for p in paths)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
