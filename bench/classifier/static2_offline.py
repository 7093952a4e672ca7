"""Issue 16, STATIC2_RULE.md's addendum: readings of the first stage measured offline on the
validation items, from the same pieces' levels as `static2.py` (`mean` combine and gate).

    PYTHONPATH=src python bench/classifier/static2_offline.py C2 [--no-c4]

For the committed heads (C0) or a candidate's (``.sekimori/static2/C1.npz``, ``C2.npz``, written
by `static2.py`): the unchanged rule's points; *Cs*, a separate point for segments; *C4*, the whole
of a text longer than one window cleared only when its level is under L and every sentence and
window of the segment scan is under S (then Cs's segment point on top: C4s). Every point is chosen
as `choose_points` chooses (the same `_keeps`, the most benign characters kept from the encoder,
0.01 grid). Writes ``.sekimori/static2/offline_NAME.json`` and prints the figures, the encoder
CPU per ordinary prompt (`static2.CALL_MS`, `TOKEN_MS`) and the ordinary prompts cleared by
length.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))

import static2

from sekimori.classify.heads import sigmoid
from sekimori.classify.ngrams import span_scores
from sekimori.classify.prompt import DEFAULT_MODEL_DIR, PromptModel, views
from sekimori.classify.segments import (
    WINDOW_TOKENS,
    estimate_tokens,
    evenly_spaced,
    pack,
    sentences,
)
from sekimori.classify.static import STATIC_FILE, StaticModel, combine
from sekimori.classify.static_train import (
    Item,
    Reach,
    _keeps,
    choose_points,
    figures,
    tops_of,
    validation_items,
)
from sekimori.classify.train import corpus_settings_of, training_pool

OUT = Path(".sekimori/static2")
GRID = [round(float(x), 2) for x in np.arange(0.0, 1.0, 0.01)]
NO_SCAN = float("inf")  # the whole's scan condition off (as the committed rule)


def scan_top(
    model: PromptModel, static: StaticModel, items: list[Item], reaches: list[Reach]
) -> Any:
    """Per item longer than one window: the highest `mean` level of the sentences and windows
    the segment scan reads (inf where one has under 90% known tokens); 0 for the others."""
    planner = static2.planner_for(model, static, "mean")
    stage = planner._gate_stage
    assert stage is not None
    out = np.zeros(len(items))
    for n, (it, r) in enumerate(zip(items, reaches, strict=True)):
        if not r.long:
            continue
        top = 0.0
        for v in views(it.text):
            if estimate_tokens(v) <= WINDOW_TOKENS:
                spans = [(0, len(v))]
            else:
                sp = sentences(v)
                groups = pack([estimate_tokens(s.text) for s in sp], window_tokens=WINDOW_TOKENS)
                picked = (groups[i] for i in evenly_spaced(len(groups), 256))
                spans = [(sp[g.first].start, sp[g.last].end) for g in picked]
                spans += [(s.start, s.end) for s in sp]
            levels = stage.span_levels(v, spans)
            logits = span_scores(v, spans, planner._w, model.ngram_bias, buckets=model.meta.buckets)
            if levels is None or logits is None:
                levels = [stage.level(v[a:b]) for a, b in spans]
                ngram = [planner.ngram_probs(v[a:b]) for a, b in spans]
            else:
                ngram = list(sigmoid(logits.astype(np.float32)))
            for lv, g in zip(levels, ngram, strict=True):
                c = combine("mean", lv, float(g[0]), float(g[1]))
                top = max(top, float("inf") if c.known < 0.9 else max(c.harm, c.jailbreak))
        out[n] = top
    return out


def jailbreak_static(reaches: list[Reach]) -> NDArray[np.float64]:
    """Each piece's level in `tops_of`'s order for Cj: the two models' harm levels averaged,
    the jailbreak level of the static head alone (inf: under 90% known tokens)."""
    out = [
        float("inf")
        if p.level.known < 0.9
        else max((p.level.harm + p.ngram_harm) / 2, p.level.jailbreak)
        for r in reaches
        for pieces in (r.whole, r.segments)
        for p in pieces
    ]
    return np.array(out, np.float64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=("C0", "C1", "C2"))
    parser.add_argument("--no-c4", action="store_true", help="skip the C4 search (minutes)")
    parser.add_argument(
        "--cj", action="store_true", help="addendum 2: harm averaged, jailbreak static alone"
    )
    args = parser.parse_args()
    name = args.name
    model = PromptModel.load(DEFAULT_MODEL_DIR)
    path = DEFAULT_MODEL_DIR / STATIC_FILE if name == "C0" else OUT / f"{name}.npz"
    static = StaticModel.load(path)
    cache = OUT / f"{name}_offline.pkl"
    if cache.exists():
        items, reaches, tokens, top = pickle.loads(cache.read_bytes())
    else:
        pool = training_pool(corpus_settings_of(model.meta))
        items = validation_items(pool.examples)
        reaches, tokens = static2.measure(model, static, items, "mean")
        top = scan_top(model, static, items, reaches)
        cache.write_bytes(pickle.dumps((items, reaches, tokens, top)))

    tops = tops_of(reaches, "mean", 0.9)
    if args.cj:
        tops = replace(tops, level=jailbreak_static(reaches))
    reach = tops.reachable
    n = len(items)
    benign = np.array([i.variant == "bare" and i.kind in ("ordinary", "benign") for i in items])
    ordinary = np.array([i.variant == "bare" and i.kind == "ordinary" for i in items])
    langs = np.array([i.lang for i in items])
    long_whole = tops.whole & tops.long[tops.item]
    level = tops.level
    scan = top[tops.item]
    cost = static2.CALL_MS + static2.TOKEN_MS * tokens

    def under(c: float, lc: float, s: float, sc: float) -> NDArray[np.bool_]:
        scanned = np.ones_like(long_whole) if s == NO_SCAN else scan < s
        out: NDArray[np.bool_] = np.where(
            long_whole, (level < lc) & scanned, np.where(tops.whole, level < c, level < sc)
        )
        return out

    def skipped(u: NDArray[np.bool_]) -> NDArray[np.bool_]:
        over = ~u & tops.counts
        out: NDArray[np.bool_] = (np.bincount(tops.item[over], minlength=n) == 0) & ~tops.always
        return out

    def keeps(u: NDArray[np.bool_]) -> bool:
        return _keeps(items, reach & skipped(u), 0.005, 0.02)

    def saved(u: NDArray[np.bool_]) -> int:
        return int(tops.chars[u & benign[tops.item] & ~tops.always[tops.item]].sum())

    def report(label: str, pts: tuple[float, float, float, float]) -> dict[str, Any]:
        u = under(*pts)
        sk = skipped(u)
        per = np.bincount(tops.item, weights=np.where(u, 0.0, cost), minlength=n)
        figs: dict[str, Any] = {"points": list(pts), **figures(items, sk)}
        figs["encoder_ms_per_ordinary"] = {
            lang: round(float(per[ordinary & ((langs == lang) | (lang == "all"))].mean()), 2)
            for lang in ("all", "en", "ja")
        }
        for lang in ("en", "ja"):
            for long in (False, True):
                m = ordinary & (langs == lang) & (tops.long == long)
                figs[f"ordinary_{lang}_{'long' if long else 'short'}"] = {
                    "cleared": round(float(sk[m].mean()), 4),
                    "encoder_ms": round(float(per[m].mean()), 1),
                    "n": int(m.sum()),
                }
        print(label, pts, figs["ordinary_cleared"], figs["encoder_ms_per_ordinary"], flush=True)
        return figs

    out: dict[str, Any] = {}
    c, lc, _ = choose_points(items, tops, 0.005)
    out["rule"] = report(f"{name} rule", (c, lc, NO_SCAN, c))
    Points = tuple[float, float, float, float]

    def widest(points_of: Callable[[float], Points], best: tuple[float, ...]) -> tuple[float, ...]:
        """``best`` or better: one point raised along the grid while the rule still holds."""
        for x in GRID:
            pts = points_of(x)
            u = under(*pts)
            if not keeps(u):
                break
            best = max(best, (saved(u), *pts))
        return best

    def points(best: tuple[float, ...]) -> Points:
        return (best[1], best[2], best[3], best[4])

    best: tuple[float, ...] = (-1,)
    for c in GRID[1:]:
        if not keeps(under(c, 0.0, NO_SCAN, 0.0)):
            break
        for lc in (x for x in GRID if x <= c):
            if not keeps(under(c, lc, NO_SCAN, 0.0)):
                break
            best = widest(lambda sc, c=c, lc=lc: (c, lc, NO_SCAN, sc), best)
    out["Cs"] = report(f"{name} Cs", points(best))
    if not args.no_c4:
        best = (-1,)
        for c in GRID[1:]:
            if not keeps(under(c, 0.0, 0.0, c)):
                break
            for lc in GRID:
                best = widest(lambda s, c=c, lc=lc: (c, lc, s, c), best)
        c, lc, s = best[1], best[2], best[3]
        out["C4"] = report(f"{name} C4", (c, lc, s, c))
        best = widest(lambda sc: (c, lc, s, sc), (-1,))
        out["C4s"] = report(f"{name} C4s", points(best))
    (OUT / f"offline_{name}{'_cj' if args.cj else ''}.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
