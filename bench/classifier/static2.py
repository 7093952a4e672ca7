"""Issue 16: static first stages that may clear more ordinary long prompts, by the rule in
STATIC2_RULE.md (committed before these figures).

    PYTHONPATH=src python bench/classifier/static2.py [--only C0,C1] [--out DIR]

For the committed stage (the baseline, at its committed points) and each candidate: the segment
gate the candidate would run with chooses the segments (`static_train.reach_of` with the
candidate as the planner's gate stage), the clear points are chosen by the unchanged
`static_train.choose_points` for each combine, and the combine that clears the most ordinary
validation prompts is taken. Writes ``figures.json`` and each candidate's ``static.npz`` to
``--out`` (default .sekimori/static2; never the model folder), and prints a summary.

Candidates (STATIC2_RULE.md): C0 points only; C1 heads refitted with the scan pieces of the
training split's longer benign prompts (benign) and its harmful prompts padded with sentences of
its ordinary prompts; C2 C1 plus Dolly rows outside the prompt pool (rows 3,000 and later, longer
than one window) with their pieces. (C3, the tuned vectors, was not run: STATIC2.md.)
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Example, Split
from sekimori.classify.prompt import (
    DEFAULT_MODEL_DIR,
    PromptClassifier,
    PromptModel,
    one_window,
    views,
)
from sekimori.classify.segments import estimate_tokens, sentences
from sekimori.classify.stage_ngram import extra_dolly, pieces_of
from sekimori.classify.static import (
    COMBINES,
    STATIC_FILE,
    Combine,
    FastPathMeta,
    StaticModel,
    StaticStage,
    Tokenizer,
    e5_tokenizer,
)
from sekimori.classify.static_train import (
    Item,
    Reach,
    StaticSettings,
    _PlanOnly,
    choose_points,
    figures,
    heads_of,
    reach_of,
    tier_of,
    tops_of,
    validation_items,
)
from sekimori.classify.train import corpus_settings_of, is_ordinary, training_pool
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import Tier

CALL_MS = 2.75  # one encoder call (PASSES.md: about 2.5-3 ms whatever its length)
TOKEN_MS = 0.22  # and per token
# the scan pieces of a text and the extra Dolly rows (C2): `sekimori.classify.stage_ngram`'s
PIECES_PER_TEXT = 12
DOLLY_FROM = 3000  # FASTPATH.md's "Dolly 180-230 tokens" rows lie before this row
DOLLY_ROWS = 2500  # extra longer Dolly rows a language (C2)


@functools.cache
def tokenizer() -> Tokenizer:
    """e5's tokenizer with its answers kept: every candidate reads the same pieces."""
    base = e5_tokenizer()
    assert base.offsets is not None
    return Tokenizer(
        functools.lru_cache(maxsize=None)(base.ids),
        base.vocab_size,
        functools.lru_cache(maxsize=None)(base.offsets),
    )


_NGRAM: dict[str, NDArray[np.float32]] = {}


def planner_for(model: PromptModel, static: StaticModel, how: Combine) -> PromptClassifier:
    """The classifier without the fast path whose segment gate is ``static`` with ``how``,
    as it runs when that stage is deployed (n-gram levels and tokens kept across candidates:
    the same numbers)."""
    planner = PromptClassifier(model, _PlanOnly(model.meta.dim), fast_path=False)
    meta = FastPathMeta(clear=0.0, combine=how, min_known=0.9)
    planner._gate_stage = StaticStage(static, meta, tokenizer())
    planner.plan = functools.cache(planner.plan)  # type: ignore[method-assign]
    probs = planner.stage_ngram_probs  # the first stage's weights (the n-gram model's if none)

    def ngram_probs(text: str) -> NDArray[np.float32]:
        found = _NGRAM.get(text)
        if found is None:
            found = _NGRAM[text] = probs(text)
        return found

    planner.stage_ngram_probs = ngram_probs  # type: ignore[method-assign]
    return planner


def piece_tokens(planner: PromptClassifier, text: str) -> list[int]:
    """e5 tokens (with <s> and </s>) of each piece the plan would encode, whole then segments,
    in `tops_of`'s order."""
    plan = planner.plan(text)
    ids = tokenizer().ids
    return [len(ids(t)) + 2 for t in (*plan.whole, *plan.segment_texts)]


def measure(
    model: PromptModel, static: StaticModel, items: Sequence[Item], how: Combine
) -> tuple[list[Reach], NDArray[np.float64]]:
    planner = planner_for(model, static, how)
    placeholder = FastPathMeta(clear=0.0, combine="static", min_known=0.9)
    stage = StaticStage(static, placeholder, tokenizer())
    reaches = [reach_of(planner, stage, i.text, i.request) for i in items]
    tokens = np.array([t for i in items for t in piece_tokens(planner, i.text)], np.float64)
    return reaches, tokens


def encoder_ms(
    items: Sequence[Item],
    reaches: Sequence[Reach],
    tokens: NDArray[np.float64],
    how: Combine,
    clear: float,
    long_clear: float,
    segment_clear: float | None = None,
) -> dict[str, Any]:
    """Expected encoder CPU per ordinary validation prompt: each piece not cleared costs
    CALL_MS + TOKEN_MS a token."""
    tops = tops_of(reaches, how, 0.9)
    assert len(tokens) == len(tops.item)
    under = tops.under(clear, long_clear, segment_clear)
    cost = np.where(under, 0.0, CALL_MS + TOKEN_MS * tokens)
    per_item = np.bincount(tops.item, weights=cost, minlength=len(items))
    out: dict[str, Any] = {}
    for lang in ("all", "en", "ja"):
        m = np.array(
            [
                i.kind == "ordinary" and i.variant == "bare" and lang in ("all", i.lang)
                for i in items
            ]
        )
        out[lang] = round(float(per_item[m].mean()), 2)
    return out


def by_length(
    items: Sequence[Item], reaches: Sequence[Reach], skipped: NDArray[np.bool_]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("ordinary", "benign"):
        for lang in ("en", "ja"):
            for long in (False, True):
                m = np.array(
                    [
                        i.kind == kind and i.variant == "bare" and i.lang == lang and r.long == long
                        for i, r in zip(items, reaches, strict=True)
                    ]
                )
                key = f"{kind}_{lang}_{'long' if long else 'short'}"
                out[key] = {"cleared": round(float(skipped[m].mean()), 4), "n": int(m.sum())}
    return out


def evaluate(
    name: str,
    model: PromptModel,
    static: StaticModel,
    items: Sequence[Item],
    fixed: tuple[Combine, float, float] | None = None,
    severe_loss: float = 0.005,
    segment_clear: float | None = None,
    held: tuple[Combine, float] | None = None,
) -> dict[str, Any]:
    """Per combine: the points by the unchanged rule (or ``fixed``), their figures and cost; the
    combine clearing the most ordinary prompts is taken. ``segment_clear``: the segments' point
    held there (absent: the clear point); ``held``: the combine and the clear point held, only
    the long wholes' point chosen (`choose_points`' ``held_clear``)."""
    seg = segment_clear
    tried: dict[str, Any] = {}
    best: dict[str, Any] | None = None
    for how in (fixed[0],) if fixed else (held[0],) if held else COMBINES:
        started = time.monotonic()
        reaches, tokens = measure(model, static, items, how)
        tops = tops_of(reaches, how, 0.9)
        if fixed:
            clear, long_clear = fixed[1], fixed[2]
            figs = figures(items, tops.skipped(clear, long_clear, seg))
        else:
            clear, long_clear, figs = choose_points(
                items, tops, severe_loss, 0.02, seg, held[1] if held else None
            )
        row = {
            "combine": how,
            "clear": clear,
            "long_clear": long_clear,
            **figs,
            "segment_clear": seg,
            "by_length": by_length(items, reaches, tops.skipped(clear, long_clear, seg)),
            "encoder_ms_per_ordinary": encoder_ms(
                items, reaches, tokens, how, clear, long_clear, seg
            ),
            "seconds": round(time.monotonic() - started),
        }
        tried[how] = row
        print(
            f"{name} {how}: clear {clear} long {long_clear} ordinary {figs['ordinary_cleared']} "
            f"ms {row['encoder_ms_per_ordinary']}",
            flush=True,
        )
        if best is None or (figs["ordinary_cleared"]["all"] or 0) > (
            best["ordinary_cleared"]["all"] or 0
        ):
            best = row
    assert best is not None
    return {"best": best, "tried": tried}


# --- training rows for the candidates -------------------------------------------------------


def padding_pool(train: Sequence[Example]) -> dict[str, list[str]]:
    """Sentences of the training split's ordinary prompts, by language."""
    pool: dict[str, list[str]] = {"en": [], "ja": []}
    for ex in train:
        if ex.harmful is False and is_ordinary(ex):
            for s in sentences(ex.text):
                t = s.text.strip()
                if 5 <= estimate_tokens(t) <= 60:
                    pool[ex.lang].append(t)
    return pool


def pad_with(text: str, lang: str, pool: Sequence[str], rng: random.Random) -> str:
    pads = rng.sample(list(pool), rng.randint(3, 15))
    sep = "" if lang == "ja" else " "
    where = rng.choice(("before", "after", "around"))
    cut = {"before": len(pads), "after": 0, "around": len(pads) // 2}[where]
    return sep.join([*pads[:cut], text.strip(), *pads[cut:]])


def refit(
    static: StaticModel,
    train: Sequence[Example],
    extra: Sequence[Example],
    settings: StaticSettings,
) -> StaticModel:
    """The heads refitted on the training split's rows (as `fit_heads`), the scan pieces of its
    (and ``extra``'s) longer benign prompts, and its harmful prompts padded."""
    rng = random.Random(settings.seed)
    meta = FastPathMeta(clear=0.0, combine="static", min_known=settings.min_known)
    stage = StaticStage(static, meta, tokenizer())
    pool = padding_pool(train)
    rows: list[NDArray[np.float32]] = []
    harm: list[int] = []
    jail: list[int] = []

    def add(text: str, h: int, j: int, repeat: int = 1) -> None:
        vec, _ = stage.embed(text)
        for _ in range(repeat):
            rows.append(vec)
            harm.append(h)
            jail.append(j)

    counts = {"whole": 0, "pieces": 0, "padded": 0}
    for ex in [*train, *extra]:
        h = -1 if ex.harmful is None else int(ex.harmful)
        j = -1 if ex.jailbreak is None else int(ex.jailbreak)
        heavy = tier_of(ex) in (Tier.CATASTROPHIC, Tier.SEVERE)
        repeat = settings.tier_weight if heavy and ex.harmful else 1
        for v in views(ex.text):
            add(v, h, j, repeat)
            counts["whole"] += 1
        if ex.harmful is False and ex.jailbreak is not True and not one_window(views(ex.text)):
            for p in pieces_of(ex.text, rng, PIECES_PER_TEXT):
                add(p, 0, 0)
                counts["pieces"] += 1
        if ex.harmful and ex.split is Split.TRAIN and pool.get(ex.lang):
            add(pad_with(ex.text, ex.lang, pool[ex.lang], rng), 1, j, repeat)
            counts["padded"] += 1
    print(f"rows: {counts}", flush=True)
    harm_head, jail_head = heads_of(rows, harm, jail, settings)
    return replace(static, harm=harm_head, jailbreak=jail_head)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="base,C1,C0,C2")
    parser.add_argument("--out", type=Path, default=Path(".sekimori/static2"))
    args = parser.parse_args()
    os.environ.setdefault("SEKIMORI_SHARED_DATA", str(shared_data_dir()))
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = args.only.split(",")
    started = time.monotonic()
    model = PromptModel.load(DEFAULT_MODEL_DIR)
    pool = training_pool(corpus_settings_of(model.meta))
    train = [e for e in pool.examples if e.split is Split.TRAIN]
    items = validation_items(pool.examples)
    committed = StaticModel.load(DEFAULT_MODEL_DIR / STATIC_FILE)
    fp = model.meta.fast_path or {}
    print(
        f"{len(items)} validation items, {len(train)} training ({time.monotonic() - started:.0f} s)"
    )
    path = args.out / "figures.json"
    out: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    settings = StaticSettings()
    for name in wanted:
        if name == "base":
            fixed = (fp["combine"], float(fp["clear"]), float(fp["long_clear"]))
            out[name] = evaluate(name, model, committed, items, fixed)
        elif name == "C0":
            out[name] = evaluate(name, model, committed, items)
        elif name in ("C1", "C2"):
            extra = extra_dolly(pool.examples, DOLLY_FROM, DOLLY_ROWS) if name == "C2" else []
            print(f"{name}: {len(extra)} extra Dolly rows", flush=True)
            static = refit(committed, train, extra, settings)
            static.save(args.out / f"{name}.npz")
            out[name] = evaluate(name, model, static, items)
        else:
            print(f"unknown candidate {name}", file=sys.stderr)
            return 2
        path.write_text(json.dumps(out, indent=1, ensure_ascii=False))
        print(f"{name} done ({time.monotonic() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
