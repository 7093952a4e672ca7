"""Check the hand-written wild benign prompts (data/prompts/wild_benign_<lang>.jsonl).

Prints one line per problem and exits 1 if there is any; it writes and generates nothing.
Usage: PYTHONPATH=src python scripts/prompts/check_wild.py [FILE ...]
(default: every data/prompts/wild_benign_*.jsonl).
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from sekimori.classify.leak import eval_keys, leak_key
from sekimori.lang import detect_lang
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import CATEGORY_IDS, SIGNAL_JAILBREAK

PROMPTS = Path(__file__).resolve().parents[2] / "data" / "prompts"
KINDS = (
    "adversarial_framing",
    "sensitive_info",
    "harmful_words",
    "creative_dark",
    "long_technical",
    "opinion_advice",
)
FIELDS = {"id", "lang", "text", "label", "kind", "category", "category_near", "split", "source"}
# The split draw (data/prompts/README.md): per kind, in sorted order, the groups (a benign row
# and its twin) in file order are shuffled by one random.Random(SEED); the first round(60%) train.
SEED = 20261206
# Nearer than this to another team row counts as a copy (character trigrams, normalised text).
MAX_JACCARD = 0.45
# long_technical: the shape of long chat traffic (EN words, JA characters).
LONG = {"en": (120, 400), "ja": (250, 800)}


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


def _row_problems(r: dict[str, Any]) -> list[str]:
    where, lang, kind = r["_where"], r.get("lang"), str(r.get("kind", ""))
    out = []
    if set(r) - {"_where", "pair"} != FIELDS:
        out.append(f"{where}: fields {sorted(set(r) - {'_where'})}")
        return out
    if lang not in LONG or not re.fullmatch(rf"wb-{lang}-\d{{4}}", r["id"]):
        out.append(f"{where}: id {r['id']!r} or lang {lang!r}")
    text = r["text"]
    if not isinstance(text, str) or text.strip() != text or not text:
        out.append(f"{where}: text empty or padded")
    elif detect_lang(text) != lang:
        out.append(f"{where}: detect_lang says {detect_lang(text)}, lang is {lang}")
    if r["source"] != "sekimori-team" or r["split"] not in ("train", "validation"):
        out.append(f"{where}: source or split")
    if r["label"] == "benign":
        ok = kind in KINDS and r["category"] is None
        ok = ok and r["category_near"] in (None, *CATEGORY_IDS, SIGNAL_JAILBREAK)
    else:
        ok = r["label"] == "harmful" and kind.removesuffix("_harmful") in KINDS
        ok = ok and kind.endswith("_harmful") and r["category"] in CATEGORY_IDS and "pair" in r
    if not ok:
        out.append(f"{where}: label, kind, category or category_near")
    if kind == "long_technical" and lang in LONG and isinstance(text, str):
        size = len(text.split()) if lang == "en" else len(text)
        low, high = LONG[lang]
        if not low <= size <= high:
            out.append(f"{where}: long_technical is {size}, not {low}-{high}")
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
    grams = [(o, _grams(o["text"])) for o in everyone]
    index: dict[str, list[int]] = {}
    for i, (_, g) in enumerate(grams):
        for t in g:
            index.setdefault(t, []).append(i)
    for i, (r, g) in enumerate(grams[len(others) :], len(others)):
        shared = Counter(j for t in g for j in index[t] if j != i)
        for j, n in shared.items():
            o, h = grams[j]
            if o["id"] != r.get("pair") and n / len(g | h) >= MAX_JACCARD:
                out.append(f"{r['_where']}: trigram Jaccard {n / len(g | h):.2f} to {o['id']}")
    return out


def problems(path: Path, keys: frozenset[str]) -> list[str]:
    rows = _rows(path)
    out = [p for r in rows for p in _row_problems(r)]
    if out:
        return out
    out += _pair_problems(rows) + _split_problems(rows) + _copy_problems(rows, path)
    out += [
        f"{r['_where']}: equals an evaluation-only item"
        for r in rows
        if leak_key(r["text"]) in keys
    ]
    return out


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(PROMPTS.glob("wild_benign_*.jsonl"))
    root = shared_data_dir()
    if not root.is_dir():
        print(f"shared data not found at {root} (set SEKIMORI_SHARED_DATA)")
        return 2
    keys = eval_keys(root)
    found = [p for path in paths for p in problems(path.resolve(), keys)]
    print("\n".join(found) or f"ok: {', '.join(p.name for p in paths)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
