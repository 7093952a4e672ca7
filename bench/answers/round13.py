"""Answer judge, thirteenth round (bench/answers/ROUND13_RULE.md): candidates P (the committed
recipe on the data as it is, `structured_*` included) and PV (P + prose training views), trained
from one embedding cache and scored with the committed heads on the same embeddings.

    PYTHONPATH=src .venv/bin/python bench/answers/round13.py embed [--threads 2]
    PYTHONPATH=src .venv/bin/python bench/answers/round13.py train P|PV
    PYTHONPATH=src .venv/bin/python bench/answers/round13.py score [--heldout]

`embed` fills the embedding cache (`.sekimori/cache/`) with every text the two trainings, E and F
need, in that order; `train` fits one candidate into `.sekimori/round13/<name>/` (the committed
refusal heads kept, `--keep-refusal`); `score` writes per-answer harm scores of the committed
heads, P and PV (ids only, no text) to `round13_scores.json` and prints the rule's figures.
`--heldout` scores the held-back prose sets v1-v3 instead (measured once, after the decision);
`--fresh v4` scores the fresh held-back set V4 and prints ROUND13B_RULE.md's figures and
verdicts; `--fresh v5` V5 and ROUND13C_RULE.md's; `--fresh v6` V6 (two files) and
ROUND13D_RULE.md's (an exact McNemar test of P's false alarms against the committed heads').
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
from sekimori.classify.answers import train as training
from sekimori.classify.answers.data import AnswerExample, load_all, split
from sekimori.classify.answers.model import MODEL_DIR, AnswerModel, load_model
from sekimori.classify.answers.views import prose_view
from sekimori.classify.encoder import ENCODERS
from sekimori.types import RefusalLabel

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from views import Item, _item, benign_items, heldout_items  # noqa: E402

OUT = HERE.parents[1] / ".sekimori" / "round13"
CANDIDATES = {"P": False, "PV": True}


def _progress(done: int, total: int) -> None:
    print(f"\rencoding {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def e_items() -> list[Item]:
    """E: the `test` rows of every own file but heldout* (and XSTest's held-back completions)."""
    return [_item("E", e) for e in load_all() if e.split == "test"]


def f_items(e: Sequence[Item]) -> list[Item]:
    """F: E's non-harmful answers, benign_* and the filtered oasst1-en validation answers."""
    return [i for i in e if not i.harmful] + benign_items()


def as_views(items: Sequence[Item]) -> list[training.View]:
    return [
        training.View(
            AnswerExample(
                i.id,
                i.source,
                i.lang,
                "eval",
                i.prompt,
                i.answer,
                RefusalLabel.COMPLIANCE,
                i.harmful,
                None,
                i.layout,
            ),
            (None,),
            i.answer,
        )
        for i in items
    ]


def _cache(threads: int | None) -> training.EmbeddingCache:
    factory = ENCODERS.get(training.DEFAULT_ENCODER)
    return training.EmbeddingCache(factory(threads=threads) if threads else factory())


def embed(threads: int | None) -> None:
    cache = _cache(threads)
    train_ex = split(load_all(), "train")
    p = training.training_views(train_ex)
    pv = training.prose_training_views(train_ex)
    e = e_items()
    f = [i for i in f_items(e) if i.group != "E"]
    for name, views in (("P", p), ("PV extra", pv), ("E", as_views(e)), ("F", as_views(f))):
        t0 = time.time()
        print(f"{name}: {len(views)} views", file=sys.stderr, flush=True)
        cache.embed(training.texts_of(views), _progress)
        print(f"{name}: done in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)


def train(name: str, threads: int | None) -> None:
    cache_enc = _cache(threads).encoder
    report = training.train(
        load_all(),
        cache_enc,
        OUT / name,
        progress=_progress,
        keep_refusal=load_model(),
        prose_views=CANDIDATES[name],
    )
    print(report, file=sys.stderr)


def harm(model: AnswerModel, views: Sequence[training.View], cache: Any) -> np.ndarray:
    x = training.featurize(views, cache)
    return model.predict(x, [v.answer for v in views]).harm.astype(np.float64)


def score(heldout: bool, threads: int | None, fresh: str | None = None) -> None:
    cache = _cache(threads)
    if fresh:
        items = [i for f in FRESH_FILES[fresh] for i in heldout_items({fresh: f})]
    elif heldout:
        items = heldout_items()
    else:
        e = e_items()
        items = e + [i for i in f_items(e) if i.group != "E"]
    views = as_views(items)
    models = {"committed": load_model(MODEL_DIR)}
    for name in CANDIDATES:
        if (OUT / name / "answers.json").is_file():
            models[name] = load_model(OUT / name)
    scores = {name: harm(m, views, cache) for name, m in models.items()}
    rows = [
        {
            "group": i.group,
            "id": i.id,
            "source": i.source,
            "lang": i.lang,
            "layout": i.layout,
            "harmful": i.harmful,
            "structured": prose_view(i.answer) is not None,
            **{name: round(float(s[k]), 5) for name, s in scores.items()},
        }
        for k, i in enumerate(items)
    ]
    thresholds = {name: m.threshold for name, m in models.items()}
    for name in CANDIDATES:
        floor = models[name].meta.get("floor_threshold") if name in models else None
        if floor is not None and float(floor) != thresholds[name]:
            thresholds[f"{name}-floor"] = float(floor)
    sure = {name: _sure_point(models[name.removesuffix("-floor")]) for name in thresholds}
    name = (
        f"round13_{fresh}.json"
        if fresh
        else "round13_heldout.json"
        if heldout
        else "round13_scores.json"
    )
    out = HERE / name
    data = {"thresholds": thresholds, "sure": sure, "items": rows}
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    if fresh:
        rule = mcnemar_rule if fresh == "v6" else fresh_rule
        print("\n".join(rule(fresh, rows, thresholds, sure)))
    print("\n".join((heldout_figures if heldout or fresh else figures)(rows, thresholds)))


# Each fresh set's rule (bench/answers/ROUND13B_RULE.md, ROUND13C_RULE.md), as lower bounds on
# (caught, -false-harmful, caught sure) in points against the committed heads.
FRESH_RULES = {"v4": (3.0, -1.0, -2.0), "v5": (-2.0, 3.0, -2.0)}
FRESH_FILES = {
    "v4": ["heldout_prose_v4.jsonl"],
    "v5": ["heldout_prose_v5.jsonl"],
    "v6": ["heldout_prose_v6_en.jsonl", "heldout_prose_v6_ja.jsonl"],
}


def _sure_point(model: AnswerModel) -> float:
    """Where the gateway blocks a moderate answer outright: the heads' F1 point (at least the
    threshold)."""
    return max(model.threshold, model.f1_threshold or model.threshold)


def fresh_rule(
    fresh: str,
    rows: Sequence[dict[str, Any]],
    thresholds: dict[str, float],
    sure: dict[str, float],
) -> list[str]:
    """A fresh set's rules 1-3 for each candidate against the committed heads."""
    need_caught, need_fewer_false, need_sure = FRESH_RULES[fresh]
    pos, neg = _harmful_and_not(rows)
    base = "committed"
    caught0 = _pct(pos, base, thresholds[base])
    false0 = _pct(neg, base, thresholds[base])
    sure0 = _pct(pos, base, sure[base])
    lines = [
        f"{fresh}: {len(pos)} harmful, {len(neg)} not harmful",
        "| candidate | caught % | false-harmful % | caught sure % | 1 | 2 | 3 | caught - false |",
        "|---|---:|---:|---:|---|---|---|---:|",
    ]
    for name in thresholds:
        caught = _pct(pos, name, thresholds[name])
        false = _pct(neg, name, thresholds[name])
        caught_sure = _pct(pos, name, sure[name])
        checks = (
            caught >= caught0 + need_caught,
            false <= false0 - need_fewer_false,
            caught_sure >= sure0 + need_sure,
        )
        marks = ["-" if name == base else "met" if ok else "missed" for ok in checks]
        lines.append(
            f"| {name} | {caught:.1f} | {false:.1f} | {caught_sure:.1f} | "
            + " | ".join(marks)
            + f" | {caught - false:.1f} |"
        )
    return lines


def mcnemar_p(fewer: int, more: int) -> float:
    """One-sided exact McNemar: P(X <= fewer) for X ~ Binomial(fewer + more, 1/2), where `fewer`
    counts the discordant answers only the candidate flags and `more` those only the base flags."""
    n = fewer + more
    return sum(math.comb(n, k) for k in range(fewer + 1)) / 2**n if n else 1.0


def mcnemar_rule(
    fresh: str,
    rows: Sequence[dict[str, Any]],
    thresholds: dict[str, float],
    sure: dict[str, float],
) -> list[str]:
    """ROUND13D_RULE.md: P against the committed heads on V6 (rules 1-4)."""
    base, cand = "committed", "P"
    pos, neg = _harmful_and_not(rows)

    def flags(r: dict[str, Any], name: str) -> bool:
        return bool(r[name] >= thresholds[name])

    only_cand = sum(flags(r, cand) and not flags(r, base) for r in neg)
    only_base = sum(flags(r, base) and not flags(r, cand) for r in neg)
    p = mcnemar_p(only_cand, only_base)

    caught = (_pct(pos, base, thresholds[base]), _pct(pos, cand, thresholds[cand]))
    caught_sure = (_pct(pos, base, sure[base]), _pct(pos, cand, sure[cand]))
    by_lang = {
        lang: [sum(flags(r, n) for r in neg if r["lang"] == lang) for n in (base, cand)]
        for lang in ("en", "ja")
    }
    checks = {
        "1. fewer false alarms (one-sided exact McNemar p < 0.05)": p < 0.05,
        "2. harmful caught within 2 points": caught[1] >= caught[0] - 2,
        "3. harmful caught sure within 2 points": caught_sure[1] >= caught_sure[0] - 2,
        "4. no language's false alarms higher": all(c <= b for b, c in by_lang.values()),
    }
    lines = [
        f"{fresh}: {len(pos)} harmful, {len(neg)} not harmful",
        f"false-harmful committed {sum(flags(r, base) for r in neg)}, P "
        f"{sum(flags(r, cand) for r in neg)}; discordant: only P {only_cand}, only committed "
        f"{only_base}; p = {p:.4g}",
        f"harmful caught committed {caught[0]:.1f}%, P {caught[1]:.1f}%; at the sure point "
        f"{caught_sure[0]:.1f}%, {caught_sure[1]:.1f}%",
        "false-harmful by language (committed, P): "
        + ", ".join(f"{k} {b}/{c}" for k, (b, c) in by_lang.items()),
    ]
    lines += [f"- {k}: {'met' if ok else 'missed'}" for k, ok in checks.items()]
    verdict = "ADOPT" if all(checks.values()) else "NOT adopted"
    return [*lines, f"verdict: {verdict}"]


def _harmful_and_not(
    rows: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [r for r in rows if r["harmful"]], [r for r in rows if not r["harmful"]]


def _pct(rows: Sequence[dict[str, Any]], column: str, point: float) -> float:
    """Share of ``rows`` (percent) at or over ``point`` in ``column`` (a -floor column reads its
    heads' scores)."""
    return 100.0 * _count(rows, column, point) / len(rows)


def _count(rows: Sequence[dict[str, Any]], column: str, threshold: float) -> int:
    return sum(r[column.removesuffix("-floor")] >= threshold for r in rows)


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a harmful answer scores above a harmless one), ties counted half."""
    if not len(pos) or not len(neg):
        return float("nan")
    both = np.concatenate([pos, neg])
    ranks = np.argsort(np.argsort(both, kind="stable"), kind="stable").astype(np.float64) + 1
    for value in np.unique(both):  # average ranks of ties
        same = both == value
        ranks[same] = ranks[same].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def heldout_figures(rows: Sequence[dict[str, Any]], thresholds: dict[str, float]) -> list[str]:
    """Per held-back set: harmful caught, false-harmful, the worst layout, caught by layout."""
    names = list(thresholds)
    lines = ["| set | n | " + " | ".join(f"{c} ({thresholds[c]:.2f})" for c in names) + " |"]
    lines.append("|---|---:|" + "---:|" * len(names))
    layouts: list[str] = []
    for group in sorted({r["group"] for r in rows}):
        sub = [r for r in rows if r["group"] == group]
        pos = [r for r in sub if r["harmful"]]
        neg = [r for r in sub if not r["harmful"]]
        worst = []
        for c in names:
            by = {lay: [r for r in pos if r["layout"] == lay] for lay in {r["layout"] for r in pos}}
            rate, lay = min((_count(v, c, thresholds[c]) / len(v), k) for k, v in by.items())
            n = len(by[lay])
            worst.append(f"{lay} {round(rate * n)}/{n}")
            for k in sorted(by) if c == names[0] else ():
                cells = [str(_count(by[k], d, thresholds[d])) for d in names]
                layouts.append(f"| {group} {k} | {len(by[k])} | " + " | ".join(cells) + " |")
        for label, part, cells in (
            ("harmful caught", pos, [str(_count(pos, c, thresholds[c])) for c in names]),
            ("false-harmful", neg, [str(_count(neg, c, thresholds[c])) for c in names]),
            ("worst layout", pos, worst),
        ):
            lines.append(f"| {group} {label} | {len(part)} | " + " | ".join(cells) + " |")
    head = "| harmful caught by layout | n | " + " | ".join(names) + " |"
    return [*lines, "", head, "|---|---:|" + "---:|" * len(names), *layouts]


def figures(rows: Sequence[dict[str, Any]], thresholds: dict[str, float]) -> list[str]:
    """The rule's rows (E harmful, E structured harmful, F false-harmful) and reported ones."""
    e = [r for r in rows if r["group"] == "E"]
    f = [r for r in rows if not r["harmful"]]
    subsets: dict[str, list[dict[str, Any]]] = {
        "E harmful caught": [r for r in e if r["harmful"]],
        "E structured harmful caught": [r for r in e if r["harmful"] and r["structured"]],
        "F false-harmful": f,
        "F structured false-harmful": [r for r in f if r["structured"]],
        "F oasst1 false-harmful": [r for r in f if r["group"] == "oasst"],
        "E not harmful, false-harmful": [r for r in e if not r["harmful"]],
    }
    names = list(thresholds)
    lines = [
        "| subset | n | " + " | ".join(f"{c} ({thresholds[c]:.2f})" for c in names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for label, sub in subsets.items():
        cells = [f"{_count(sub, c, thresholds[c])}" for c in names]
        lines.append(f"| {label} | {len(sub)} | " + " | ".join(cells) + " |")
    pos = [r for r in e if r["harmful"]]
    aucs = [
        _auc(np.asarray([r[c] for r in pos]), np.asarray([r[c] for r in f]))
        for c in (n.removesuffix("-floor") for n in names)
    ]
    lines.append("| AUC, E harmful vs F | | " + " | ".join(f"{a:.4f}" for a in aucs) + " |")
    lines += ["", "| E harmful by source / layout | n | " + " | ".join(names) + " |"]
    lines.append("|---|---:|" + "---:|" * len(names))
    keys = sorted({(r["source"], r["layout"]) for r in pos})
    for key in keys:
        sub = [r for r in pos if (r["source"], r["layout"]) == key]
        cells = [str(_count(sub, c, thresholds[c])) for c in names]
        lines.append(f"| {key[0]} / {key[1]} | {len(sub)} | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("embed", "train", "score", "figures"))
    parser.add_argument("name", nargs="?", choices=tuple(CANDIDATES))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--heldout", action="store_true")
    parser.add_argument("--fresh", choices=tuple(FRESH_FILES), help="score a fresh set by its rule")
    args = parser.parse_args()
    if args.what == "embed":
        embed(args.threads)
    elif args.what == "train":
        train(args.name, args.threads)
    elif args.what == "figures":
        name = "round13_heldout.json" if args.heldout else "round13_scores.json"
        data = json.loads((HERE / name).read_text(encoding="utf-8"))
        show = heldout_figures if args.heldout else figures
        print("\n".join(show(data["items"], data["thresholds"])))
    else:
        score(args.heldout, args.threads, args.fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
