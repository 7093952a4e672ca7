"""The static first stage (fast path): what it costs and what it clears; writes
bench/classifier/FASTPATH.md.

    PYTHONPATH=src nice -n 10 python bench/classifier/fastpath.py [--quick]

Compares the committed prompt classifier with its static first stage ("on") and without it
("off": the n-gram gate alone, as before the stage), both with segment scoring:

- cost: the calling thread's CPU time per text of the static stage, the n-gram model, one
  encoder pass, and the whole classifier on and off (one onnxruntime thread), on ordinary Dolly
  prompts of 180-230 tokens (EN and JA; not an evaluation-only set) and on the ordinary
  validation prompts;
- clearing: the share of texts of which nothing reaches the encoder (neither the whole nor any
  segment) and the characters it reads a text, on the validation split's ordinary and other
  benign prompts and, as a measurement only (nothing was chosen on them), the evaluation-only
  ordinary sets (arena-hard, chatbot-bench, IFEval);
- the encoder-needed set: the share of harmful validation prompts (per tier; bare, padded and
  disguised) of which something reaches the encoder;
- verdicts: the validation split scored on and off with the committed operating points (harmful
  stopped per tier, benign held), and the padded and disguised team prompts stopped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sekimori.classify.api import default_classifier
from sekimori.classify.corpus import Split
from sekimori.classify.evalsets import LOADERS
from sekimori.classify.operating import (
    HOLD_LEVEL,
    SURE_LEVEL,
    OperatingPoints,
    tier_score,
)
from sekimori.classify.prompt import PromptClassifier, TextPlan
from sekimori.classify.static import FastPathMeta
from sekimori.classify.static_train import Item, holds_request, validation_items
from sekimori.classify.train import corpus_settings_of, training_pool
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import Tier

sys.path.insert(0, str(Path(__file__).parent))
from segments import dolly_200, machine

OUT = Path(__file__).with_name("FASTPATH.md")


def encodes(plan: TextPlan) -> bool:
    """Whether anything of the text (the whole or a segment) reaches the encoder."""
    return bool(plan.whole or plan.segments)


def reaches(plan: TextPlan, item: Item) -> bool:
    """Whether the request reaches the encoder: the whole, or a segment (for a padded or
    wrapped prompt, a segment that holds the request; a padding sentence alone does not)."""
    return bool(plan.whole) or any(
        item.request is None or holds_request(t, item.request) for t in plan.segment_texts
    )


def encoded_chars(plan: TextPlan) -> int:
    """Characters the encoder reads for the text (the whole's pieces and the segments): what
    a text costs at the encoder, roughly, when it is not skipped outright."""
    return sum(len(p) for p in (*plan.whole, *plan.segment_texts))


@dataclass(frozen=True, slots=True)
class Clearing:
    name: str
    n: int
    skip_off: str
    skip_on: str
    chars_off: float  # mean characters encoded a text
    chars_on: float


def _cpu(fn: Callable[[], Any], repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        best = min(best, time.thread_time() - start)
    return 1e3 * best


@dataclass(frozen=True, slots=True)
class Cost:
    name: str
    n: int
    static_ms: float
    ngram_ms: float
    encoder_ms: float
    off_ms: float
    on_ms: float
    off_mean_ms: float
    on_mean_ms: float


def cost(name: str, texts: Sequence[str], on: PromptClassifier, off: PromptClassifier) -> Cost:
    fast = on.fast
    assert fast is not None
    for t in texts[:3]:  # warm up
        on.scores_batch([t])
        off.scores_batch([t])
    st = [_cpu(lambda t=t: fast.level(t)) for t in texts]
    ng = [_cpu(lambda t=t: on.ngram_probs(t)) for t in texts]
    enc = [_cpu(lambda t=t: on.encoder.encode([t])) for t in texts]
    a = [_cpu(lambda t=t: off.scores_batch([t])) for t in texts]
    b = [_cpu(lambda t=t: on.scores_batch([t])) for t in texts]
    med = statistics.median
    return Cost(
        name,
        len(texts),
        med(st),
        med(ng),
        med(enc),
        med(a),
        med(b),
        float(np.mean(a)),
        float(np.mean(b)),
    )


def share(flags: Sequence[bool]) -> str:
    return f"{100 * float(np.mean(flags)):.1f}%" if flags else "–"


def stopped(clf: PromptClassifier, points: OperatingPoints, texts: Sequence[str]) -> list[bool]:
    """Held or blocked by the default policy: a catastrophic or severe tier score at its hold
    point, or a moderate one at its sure point."""
    out = []
    for v in clf.classify_batch(texts):
        # the joined pieces' evidence, as the gateway's scorer reads it
        scale = points.policy_scale(v.categories, v.score, v.evidence)
        out.append(
            tier_score(scale, Tier.CATASTROPHIC) >= HOLD_LEVEL
            or tier_score(scale, Tier.SEVERE) >= HOLD_LEVEL
            or tier_score(scale, Tier.MODERATE) >= SURE_LEVEL
        )
    return out


KINDS = ("catastrophic", "severe", "moderate", "jailbreak", "ordinary", "benign")


def group_of(item: Item) -> str:
    if item.variant == "bare":
        return "bare"
    return "padded" if item.variant.startswith("padded-") else "disguised"


@dataclass(frozen=True, slots=True)
class Needed:
    kind: str
    variant: str
    n: int
    reach_off: str
    reach_on: str
    changed: int  # items whose plan the stage changes
    stopped_off: int  # of those, stopped without the stage
    stopped_on: int  # and with it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 cost prompts a language")
    parser.add_argument("--limit", type=int, default=0, help="at most N texts a group (smoke)")
    args = parser.parse_args()
    started = time.monotonic()
    base = default_classifier()
    meta = base.model.meta
    assert meta.fast_path is not None and meta.operating_points is not None
    fast = FastPathMeta.from_json(meta.fast_path)
    points = OperatingPoints.from_json(meta.operating_points)
    on = PromptClassifier(base.model, base.encoder)
    off = PromptClassifier(base.model, base.encoder, fast_path=False)
    pool = training_pool(corpus_settings_of(meta))
    val = [e for e in pool.examples if e.split is Split.VALIDATION]
    from sekimori.classify.train import is_ordinary

    # cost
    n = args.limit or (20 if args.quick else 100)
    costs = [
        cost(f"Dolly {lang}, 180-230 tokens", dolly_200(lang, n), on, off) for lang in ("en", "ja")
    ]
    for lang in ("en", "ja"):
        ordinary = [e.text for e in val if e.harmful is False and is_ordinary(e) and e.lang == lang]
        costs.append(cost(f"validation ordinary {lang}", ordinary[:n], on, off))

    # clearing
    clearing: list[Clearing] = []
    groups: dict[str, list[str]] = {}
    for lang in ("en", "ja"):
        groups[f"validation ordinary {lang}"] = [
            e.text for e in val if e.harmful is False and is_ordinary(e) and e.lang == lang
        ]
        groups[f"validation other benign {lang}"] = [
            e.text for e in val if e.harmful is False and not is_ordinary(e) and e.lang == lang
        ]
    for load in LOADERS[-6:]:  # the evaluation-only ordinary sets: measurement only
        es = load(shared_data_dir())
        groups[f"{es.name} (evaluation only)"] = [i.text for i in es.items]
    for lang in ("en", "ja"):
        groups[f"Dolly {lang}, 180-230 tokens"] = dolly_200(lang, n)
    for name, texts in groups.items():
        texts = texts[: args.limit or None]
        planned = [(off.plan(t), on.plan(t)) for t in texts]
        clearing.append(
            Clearing(
                name,
                len(texts),
                share([not encodes(a) for a, _ in planned]),
                share([not encodes(b) for _, b in planned]),
                float(np.mean([encoded_chars(a) for a, _ in planned])),
                float(np.mean([encoded_chars(b) for _, b in planned])),
            )
        )

    # the encoder-needed set, and the verdicts of the items whose plan the stage changes (any
    # other item is encoded exactly as without the stage, piece by piece: the same verdict)
    items = validation_items(pool.examples)
    if args.limit:
        items = [i for k in KINDS for i in [x for x in items if x.kind == k][: args.limit]]
    plans = {i.text: (off.plan(i.text), on.plan(i.text)) for i in items}
    needed: list[Needed] = []
    for kind in KINDS:
        for variant in ("bare", "padded", "disguised"):
            chosen = [i for i in items if i.kind == kind and group_of(i) == variant]
            if not chosen:
                continue
            changed = [i.text for i in chosen if plans[i.text][0] != plans[i.text][1]]
            needed.append(
                Needed(
                    kind,
                    variant,
                    len(chosen),
                    share([reaches(plans[i.text][0], i) for i in chosen]),
                    share([reaches(plans[i.text][1], i) for i in chosen]),
                    len(changed),
                    sum(stopped(off, points, changed)),
                    sum(stopped(on, points, changed)),
                )
            )

    write(costs, clearing, needed, fast, time.monotonic() - started)


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}%"


def write(
    costs: Sequence[Cost],
    clearing: Sequence[Clearing],
    needed: Sequence[Needed],
    fast: FastPathMeta,
    seconds: float,
) -> None:
    v = fast.validation
    long_point = "none" if fast.long_clear is None else f"{fast.long_clear:.2f}"
    lines = [
        "# Static first stage (fast path) — cost and effect / 静的第一段のコストと効果",
        "",
        "Written by `PYTHONPATH=src python bench/classifier/fastpath.py` "
        f"({time.strftime('%Y-%m-%d')}, {seconds:.0f} s). Machine: {machine()}.",
        "",
        f"The committed stage: {v.get('vocabulary')} token vectors of {v.get('dims')} dimensions "
        f"distilled from the prompt model's encoder; combine `{fast.combine}`, clear point "
        f"{fast.clear:.2f} (a text's whole, each segment), {long_point} for the whole of a text "
        f"longer than one window, pieces with under {fast.min_known:.0%} known tokens never "
        "cleared (`sekimori train static`, chosen on the validation split only). *off*: the "
        "n-gram gate alone (as before the stage); *on*: with the stage, piece by piece. Both "
        "with segment scoring.",
        "",
        "## Cost per text / 1 テキストあたりのコスト",
        "",
        "CPU time of the calling thread, median (best of two runs per text), one onnxruntime "
        "thread.",
        "",
        "| texts | n | static stage | n-gram | one encoder pass | classifier off | classifier on "
        "| off mean | on mean |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in costs:
        lines.append(
            f"| {c.name} | {c.n} | {c.static_ms:.2f} ms | {c.ngram_ms:.2f} ms "
            f"| {c.encoder_ms:.1f} ms | {c.off_ms:.1f} ms | {c.on_ms:.1f} ms "
            f"| {c.off_mean_ms:.1f} ms | {c.on_mean_ms:.1f} ms |"
        )
    lines += [
        "",
        "## Texts that skip the encoder / エンコーダを省略するテキスト",
        "",
        "Share of texts of which nothing (neither the whole nor a segment) reaches the encoder, "
        "and the characters the encoder reads a text (mean; the whole's pieces and the "
        "segments): a text longer than one window may skip its whole and some segments and "
        "still send the others.",
        "",
        "| texts | n | skip off | skip on | encoded chars off | encoded chars on |",
        "|---|---|---|---|---|---|",
        *(
            f"| {c.name} | {c.n} | {c.skip_off} | {c.skip_on} | {c.chars_off:.0f} "
            f"| {c.chars_on:.0f} |"
            for c in clearing
        ),
        "",
        "## The encoder-needed set and the verdicts / エンコーダが必要な集合と判定",
        "",
        "The validation split's prompts by kind; padded: the team's catastrophic and severe "
        "validation prompts with 5, 10 or 20 ordinary sentences; disguised: the same in base64, "
        "rot13, leetspeak, spaced letters and a DAN wrapper (`sekimori.testing`). *Reach*: share "
        "of which the request reaches the encoder (the whole or a segment; for a padded or "
        "wrapped prompt, a segment that holds the request); target catastrophic 100%, severe "
        "≥ 99.5%. *Changed*: items whose plan the stage changes (every other item "
        "is encoded piece by piece exactly as without it, so its verdict is the same); of "
        "those, how many the default policy stops (holds or blocks: catastrophic or severe at "
        "the tier's hold point, moderate at its sure point; the committed operating points) "
        "without the stage and with it.",
        "",
        "| kind | variant | n | reach off | reach on | changed | of those stopped off "
        "| stopped on |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {x.kind} | {x.variant} | {x.n} | {x.reach_off} | {x.reach_on} | {x.changed} "
            f"| {x.stopped_off} | {x.stopped_on} |"
            for x in needed
        ),
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
