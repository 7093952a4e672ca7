"""Answer judge, fourteenth round (bench/answers/ROUND14_RULE.md): candidate Q against the
committed heads, on round 13's embedding cache (`round13.py embed` fills it).

    PYTHONPATH=src .venv/bin/python bench/answers/round14.py train P|Q
    PYTHONPATH=src .venv/bin/python bench/answers/round14.py diagnose P|Q
    PYTHONPATH=src .venv/bin/python bench/answers/round14.py score --fresh v7

`train` fits a candidate into `.sekimori/round14/<name>/` (the committed refusal heads kept) and
writes its out-of-fold harm scores on whole training answers (ids only) to
`.sekimori/round14/<name>_oof.json`. P is round 13's recipe; Q is the same recipe on the data with
this round's hand-written look-alike rows (`lookalikes_{en,ja}.jsonl`), its recall floor's benign
cap read without the twin sources (`train(cap_excludes=TWIN_SOURCES)`). `diagnose` reads the
out-of-fold scores (training data only): which whole benign training answers sit at or over the
recall-floor point, by source, layout and kind. `score --fresh v7` scores the fresh set V7 with the
committed heads and Q, writes `round14_v7.json` (ids and scores, no text) and prints
ROUND14_RULE.md's figures and verdict (`--fresh v8 --heads R` V8 and ROUND15_RULE.md's, the same
three rules with R in Q's column); `--fresh v6` runs the same scorer on V6 (a smoke test of
the code only: V6 is spent and decides nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import round13  # noqa: E402
from round13 import _harmful_and_not, _sure_point, as_views, harm, mcnemar_p  # noqa: E402
from views import heldout_items  # noqa: E402

from sekimori.classify.answers import train as training  # noqa: E402
from sekimori.classify.answers.data import load_all, split  # noqa: E402
from sekimori.classify.answers.model import MODEL_DIR, load_model  # noqa: E402

OUT = HERE.parents[1] / ".sekimori" / "round14"
CANDIDATES = ("P", "Q")
# Q's own training rows (P is round 13's data as it was).
Q_SOURCE = "sekimori-lookalikes"
FRESH_FILES = {
    "v6": ["heldout_prose_v6_en.jsonl", "heldout_prose_v6_ja.jsonl"],
    "v7": ["heldout_prose_v7_en.jsonl", "heldout_prose_v7_ja.jsonl"],
    # ROUND15_RULE.md: candidate R (Q's heads at threshold 0.27) via --heads, the same three rules
    "v8": ["heldout_prose_v8_en.jsonl", "heldout_prose_v8_ja.jsonl"],
}


def examples_for(name: str) -> list[Any]:
    every = load_all()
    return every if name == "Q" else [e for e in every if e.source != Q_SOURCE]


def train(name: str, threads: int | None) -> None:
    """Fit `name` and keep the trainer's out-of-fold harm scores (ids only)."""
    examples = examples_for(name)
    seen: dict[str, Any] = {}
    choose = training.choose_threshold

    def keep(*args: Any) -> training.ThresholdChoice:
        seen["scores"], seen["harmful"], seen["whole"], seen["own"] = args[:4]
        return choose(*args)

    training.choose_threshold = keep  # type: ignore[assignment]
    try:
        report = training.train(
            examples,
            round13._cache(threads).encoder,
            OUT / name,
            progress=round13._progress,
            keep_refusal=load_model(),
            cap_excludes=training.TWIN_SOURCES if name == "Q" else (),
        )
    finally:
        training.choose_threshold = choose  # type: ignore[assignment]
    views = training.training_views(split(examples, "train"))
    assert len(views) == len(seen["scores"])
    rows = [
        {
            "id": v.example.id,
            "source": v.example.source,
            "lang": v.example.lang,
            "layout": v.example.layout,
            "harmful": v.example.harmful,
            "own": bool(seen["own"][k]),
            "score": round(float(seen["scores"][k]), 5),
        }
        for k, v in enumerate(views)
        if seen["whole"][k]
    ]
    (OUT / f"{name}_oof.json").write_text(json.dumps(rows) + "\n", encoding="utf-8")
    print(report, file=sys.stderr)


def diagnose(name: str) -> None:
    """Whole benign training answers at or over the floor point, out of fold, by group."""
    model = load_model(OUT / name)
    meta = model.meta
    floor = float(meta["floor_threshold"])
    rows = json.loads((OUT / f"{name}_oof.json").read_text(encoding="utf-8"))
    kinds = _kinds()
    benign = [r for r in rows if not r["harmful"]]
    over = [r for r in benign if r["score"] >= floor]
    print(f"{name}: floor {floor}, F1 point {meta['f1_threshold']}, threshold {model.threshold}")
    print(f"whole benign {len(benign)}, at/over floor {len(over)} ({len(over) / len(benign):.2%})")
    capped = [r for r in benign if r["source"] not in training.TWIN_SOURCES]
    n_capped = sum(r["score"] >= floor for r in capped)
    print(
        f"without the twin sources: {len(capped)}, at/over floor {n_capped} "
        f"({n_capped / len(capped):.2%}; cap {training.BENIGN_FP_CAP:.0%})"
    )
    for label, key in (
        ("source", lambda r: r["source"]),
        ("source/layout", lambda r: f"{r['source']}/{r['layout']}"),
        ("source/kind", lambda r: f"{r['source']}/{kinds.get(r['id'])}"),
        ("lang", lambda r: r["lang"]),
    ):
        total = Counter(key(r) for r in benign)
        hits = Counter(key(r) for r in over)
        print(f"\n| {label} | over floor | benign | share |")
        for k, n in hits.most_common(25):
            print(f"| {k} | {n} | {total[k]} | {n / total[k]:.1%} |")
    pos = [r for r in rows if r["harmful"] and r["own"]]
    print(f"\nown harmful {len(pos)}; missed at floor {sum(r['score'] < floor for r in pos)}")
    top = sorted(over, key=lambda r: -r["score"])[:40]
    print("\nhighest-scoring benign (id score):", " ".join(f"{r['id']}:{r['score']}" for r in top))


def _kinds() -> dict[str, str | None]:
    """Each own training row's `kind` (how it was written), by id."""
    out: dict[str, str | None] = {}
    for path in (HERE.parents[1] / "data" / "answers").glob("*.jsonl"):
        if not path.name.startswith("heldout"):
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line) if line.strip() else {}
                if row:
                    out[str(row["id"])] = row.get("kind")
    return out


def score(fresh: str, threads: int | None, heads: Path = OUT / "Q") -> None:
    cache = round13._cache(threads)
    items = [i for f in FRESH_FILES[fresh] for i in heldout_items({fresh: f})]
    views = as_views(items)
    models = {"committed": load_model(MODEL_DIR), "Q": load_model(heads)}
    scores = {name: harm(m, views, cache) for name, m in models.items()}
    rows = [
        {
            "id": i.id,
            "lang": i.lang,
            "layout": i.layout,
            "harmful": i.harmful,
            **{name: round(float(s[k]), 5) for name, s in scores.items()},
        }
        for k, i in enumerate(items)
    ]
    thresholds = {name: m.threshold for name, m in models.items()}
    sure = {name: _sure_point(m) for name, m in models.items()}
    out = HERE / f"round14_{fresh}.json"
    data = {"thresholds": thresholds, "sure": sure, "items": rows}
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    print("\n".join(rule(fresh, rows, thresholds, sure)))


def rule(
    fresh: str,
    rows: Sequence[dict[str, Any]],
    thresholds: dict[str, float],
    sure: dict[str, float],
) -> list[str]:
    """ROUND14_RULE.md: Q against the committed heads (rules 1-3; McNemar p reported only)."""
    base, cand = "committed", "Q"
    pos, neg = _harmful_and_not(rows)

    def flags(r: dict[str, Any], name: str, point: dict[str, float] = thresholds) -> bool:
        return bool(r[name] >= point[name])

    def n(part: Sequence[dict[str, Any]], name: str, point: dict[str, float] = thresholds) -> int:
        return sum(flags(r, name, point) for r in part)

    caught = (n(pos, base), n(pos, cand))
    gained = sum(flags(r, cand) and not flags(r, base) for r in pos)
    lost = sum(flags(r, base) and not flags(r, cand) for r in pos)
    p = mcnemar_p(lost, gained)
    caught_sure = (n(pos, base, sure), n(pos, cand, sure))
    false = (n(neg, base), n(neg, cand))
    by_lang = {
        lang: [n([r for r in neg if r["lang"] == lang], m) for m in (base, cand)]
        for lang in ("en", "ja")
    }
    checks = {
        "1. more harmful caught (Q strictly more than committed; a tie misses)": (
            caught[1] > caught[0]
        ),
        "2. false alarms not higher in EN nor in JA": all(c <= b for b, c in by_lang.values()),
        "3. harmful caught at the sure point not lower": caught_sure[1] >= caught_sure[0],
    }
    lines = [
        f"{fresh}: {len(pos)} harmful, {len(neg)} not harmful; thresholds committed "
        f"{thresholds[base]:.2f} (sure {sure[base]:.2f}), Q {thresholds[cand]:.2f} "
        f"(sure {sure[cand]:.2f})",
        f"harmful caught committed {caught[0]}, Q {caught[1]}; discordant: only Q {gained}, "
        f"only committed {lost}; one-sided exact McNemar p = {p:.4g}",
        f"harmful caught at the sure point committed {caught_sure[0]}, Q {caught_sure[1]}",
        f"false-harmful committed {false[0]}, Q {false[1]}; by language (committed, Q): "
        + ", ".join(f"{k} {b}/{c}" for k, (b, c) in by_lang.items()),
    ]
    lines += [f"- {k}: {'met' if ok else 'missed'}" for k, ok in checks.items()]
    verdict = "ADOPT" if all(checks.values()) else "NOT adopted"
    by_layout = Counter(r["layout"] for r in pos)
    lines.append(
        "harmful caught by layout (committed / Q of n, reported, not a rule): "
        + ", ".join(
            f"{k} {n([r for r in pos if r['layout'] == k], base)}/"
            f"{n([r for r in pos if r['layout'] == k], cand)} of {v}"
            for k, v in sorted(by_layout.items(), key=lambda kv: str(kv[0]))
        )
    )
    return [*lines, f"verdict: {verdict}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("train", "diagnose", "score"))
    parser.add_argument("name", nargs="?", choices=CANDIDATES)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--fresh", choices=tuple(FRESH_FILES), default="v7")
    parser.add_argument("--heads", type=Path, default=OUT / "Q", help="Q's folder (score)")
    args = parser.parse_args()
    if args.what == "train":
        train(args.name, args.threads)
    elif args.what == "diagnose":
        diagnose(args.name)
    else:
        score(args.fresh, args.threads, args.heads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
