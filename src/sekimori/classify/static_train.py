"""Building the static first stage of a prompt model (`sekimori.classify.static`).

1. Vocabulary: every e5 token that the prompt model's training split uses (both views of
   each example); other tokens are left out of a piece's mean and counted as unknown.
2. Distillation: each kept token alone through the model's own encoder (e5-small with its
   fine-tuning delta), PCA to ``dims``, SIF weights a / (a + p) from the training split.
3. Heads: harm and jailbreak MLPs on the pooled vectors of the training split (catastrophic
   and severe rows counted ``tier_weight`` times), seeded.
   With ``tune`` (`sekimori train static --train-vectors`): then the vectors and the heads
   trained together on the training split (`sekimori.classify.static_tune`), same pooling.
4. The clear points, on the validation split only: for each way of combining with the n-gram
   model (`static.COMBINES`), the clear point (a text's whole, each segment) and the lower
   point for the whole of a text longer than one window (``long_clear``), 0.01 steps, at which
   no catastrophic harmful validation prompt, at most ``severe_loss`` of the severe ones (0 by
   default: none, since issue 16's N2) and
   at most ``other_loss`` of the moderate and of the jailbreak ones would skip the encoder;
   the severe rule holds for the bare prompts, for the team's padded with ordinary sentences
   and for them in each disguise (`sekimori.testing`), each set on its own. Of the pairs that
   keep it, the one that keeps the most characters of the ordinary and other benign
   validation prompts from the encoder (its work) wins, and of the combinations the one that
   clears the most ordinary validation prompts. A text *skips* when no piece the classifier
   would encode (its whole, each window, run or sentence chosen) reaches its point; for a
   prompt padded or wrapped around a request only the whole and the segments that hold the
   request count (a padding sentence read alone does not read the request); a text with a
   decoded payload never skips (payloads always reach the encoder). This is the classifier's
   own rule: it clears a text's whole and each of its segments one by one and sends the
   encoder only the pieces at or over their point (`PromptClassifier.plan`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Example, Split
from sekimori.classify.heads import MLPHead
from sekimori.classify.normalize import normalize
from sekimori.classify.prompt import (
    DEFAULT_MODEL_DIR,
    PromptClassifier,
    PromptModel,
    one_window,
    views,
    write_meta_field,
)
from sekimori.classify.segments import sentences
from sekimori.classify.static import (
    COMBINES,
    FIELD,
    STATIC_FILE,
    Combine,
    FastPathMeta,
    Level,
    StaticModel,
    StaticStage,
    Tokenizer,
    combine,
    e5_tokenizer,
)
from sekimori.classify.static_tune import Tuned, TuneSettings, training_rows, tune
from sekimori.errors import ModelError
from sekimori.taxonomy import BY_ID, Tier
from sekimori.testing.disguises import WRAPPERS
from sekimori.testing.padding import padded

PADS = (5, 10, 20)
WHERE = ("after", "before", "around")


@dataclass(frozen=True, slots=True)
class StaticSettings:
    model_dir: Path = DEFAULT_MODEL_DIR
    dims: int = 128  # 29k kept tokens x 128 float16 = 7.5 MB, under the 10 MB file limit
    sif: float = 1e-3
    hidden: int = 128
    epochs: int = 40
    tier_weight: int = 3
    min_known: float = 0.9
    # the share of each severe set (bare, padded, disguised) that may skip the encoder: none,
    # as for catastrophic ones, since issue 16's N2 (NGRAM2_RULE.md); 0.005 chose older points
    severe_loss: float = 0.0
    other_loss: float = 0.02  # moderate and jailbreak prompts
    seed: int = 13
    threads: int = 2
    # write static.npz and the fast_path entry enabled (False: write it switched off)
    enable: bool = True
    # keep the model's static.npz (vectors and heads) and only choose the clear points again
    points_only: bool = False
    # train the distilled vectors and the heads end to end (`static_tune`); None: frozen
    tune: TuneSettings | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """A validation text with what it must do at the first stage."""

    text: str
    lang: str
    kind: str  # "catastrophic", "severe", "moderate", "jailbreak", "ordinary", "benign"
    variant: str  # "bare", "padded-10", "base64", ...
    # the request, when it stands verbatim in a longer text (padded, or in a persona wrapper)
    request: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    combine: Combine
    clear: float
    long_clear: float
    figures: dict[str, Any]


def tier_of(example: Example) -> Tier | None:
    tiers = [BY_ID[c].tier for c in example.categories if c in BY_ID]
    for tier in (Tier.CATASTROPHIC, Tier.SEVERE, Tier.MODERATE):
        if tier in tiers:
            return tier
    return None


def kind_of(example: Example) -> str | None:
    from sekimori.classify.train import is_ordinary

    if example.harmful:
        tier = tier_of(example)
        return tier.value if tier is not None else "moderate"
    if example.jailbreak:
        return "jailbreak"
    if example.harmful is False:
        return "ordinary" if is_ordinary(example) else "benign"
    return None


def validation_items(examples: Sequence[Example]) -> list[Item]:
    """The validation split, plus the team's catastrophic and severe validation prompts padded
    (5, 10, 20 ordinary sentences, after, before or around them in turn) and disguised."""
    out: list[Item] = []
    for ex in examples:
        kind = kind_of(ex)
        if ex.split is not Split.VALIDATION or kind is None:
            continue
        out.append(Item(ex.text, ex.lang, kind, "bare"))
        if ex.source != "team" or kind not in ("catastrophic", "severe"):
            continue
        for i, count in enumerate(PADS):
            where = WHERE[(i + len(out)) % len(WHERE)]
            text = padded(ex.text, ex.lang, count, where=where, offset=len(out))
            out.append(Item(text, ex.lang, kind, f"padded-{count}", ex.text))
        for name, wrap in WRAPPERS.items():
            wrapped = wrap(ex.text, ex.lang)
            if wrapped is not None:
                request = ex.text if ex.text in wrapped and ex.text != wrapped else None
                out.append(Item(wrapped, ex.lang, kind, name, request))
    return out


class _PlanOnly:
    """Stands in for the encoder while planning: choosing the clear point never encodes."""

    name = "plan-only"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        raise ModelError("the clear point is chosen without the encoder")


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece the classifier without the fast path would encode: its static and n-gram
    levels, its length, and whether it counts for reaching the encoder (a segment of a padded
    or wrapped prompt counts only when it holds the request)."""

    level: Level
    ngram_harm: float
    ngram_jailbreak: float
    chars: int
    counts: bool = True


@dataclass(frozen=True, slots=True)
class Reach:
    """An item's pieces: its whole's and its segments'; ``always`` when a decoded payload
    reaches the encoder, ``long`` when the text is longer than one window."""

    whole: list[Piece]
    segments: list[Piece]
    always: bool
    long: bool


def holds_request(piece: str, request: str) -> bool:
    """Whether a segment reads (some of) the request a longer text was built around: it holds
    one of the request's sentences, or lies within the request."""
    parts = (s.text.strip() for s in sentences(request))
    return piece.strip() in request or any(p and p in piece for p in parts)


def reach_of(
    clf: PromptClassifier, stage: StaticStage, text: str, request: str | None = None
) -> Reach:
    plan = clf.plan(text)
    long = not one_window(views(text))

    def piece(t: str, counts: bool = True, *, whole: bool = True) -> Piece:
        # the n-gram levels the clear decision reads: a whole's `whole_ngram_probs`, a
        # segment's the gates' (the same unless `fast_path.stage_ngram_reads` is not "all")
        if whole:
            nh, nj = clf.whole_ngram_probs(t, long_whole=long)
        else:
            nh, nj = clf.gate_ngram_probs(t)
        return Piece(stage.level(t), float(nh), float(nj), len(t), counts)

    return Reach(
        [piece(t) for t in plan.whole],
        [
            piece(t, request is None or holds_request(t, request), whole=False)
            for t in plan.segment_texts
        ],
        always=bool(normalize(text).decoded),
        long=long,
    )


@dataclass(frozen=True, slots=True)
class Tops:
    """Every item's pieces, flat: the item, the combined level (inf: never cleared), whether it
    is (part of) a whole, its length and whether it counts; per item, ``long`` and ``always``."""

    item: NDArray[np.int64]
    level: NDArray[np.float64]
    whole: NDArray[np.bool_]
    chars: NDArray[np.int64]
    counts: NDArray[np.bool_]
    long: NDArray[np.bool_]
    always: NDArray[np.bool_]

    def under(
        self, clear: float, long_clear: float, segment_clear: float | None = None
    ) -> NDArray[np.bool_]:
        """Per piece: whether the stage clears it (a segment at ``segment_clear``, absent:
        ``clear``)."""
        segment = clear if segment_clear is None else segment_clear
        whole_point = np.where(self.long[self.item], long_clear, clear)
        point = np.where(self.whole, whole_point, segment)
        out: NDArray[np.bool_] = self.level < point
        return out

    def skipped(
        self, clear: float, long_clear: float, segment_clear: float | None = None
    ) -> NDArray[np.bool_]:
        """Per item: whether none of its counting pieces reaches the encoder."""
        over = ~self.under(clear, long_clear, segment_clear) & self.counts
        n = len(self.long)
        out: NDArray[np.bool_] = (np.bincount(self.item[over], minlength=n) == 0) & ~self.always
        return out

    @property
    def reachable(self) -> NDArray[np.bool_]:
        """Per item: whether it reaches the encoder without the stage."""
        n = len(self.long)
        out: NDArray[np.bool_] = (
            np.bincount(self.item[self.counts], minlength=n) > 0
        ) | self.always
        return out

    def saved(
        self,
        clear: float,
        long_clear: float,
        of: NDArray[np.bool_],
        segment_clear: float | None = None,
    ) -> int:
        """Characters the stage keeps from the encoder over the items ``of``."""
        under = self.under(clear, long_clear, segment_clear)
        take = under & of[self.item] & ~self.always[self.item]
        return int(self.chars[take].sum())


def tops_of(reaches: Sequence[Reach], how: Combine, min_known: float) -> Tops:
    rows: list[tuple[int, float, bool, int, bool]] = []
    for i, r in enumerate(reaches):
        for whole, pieces in ((True, r.whole), (False, r.segments)):
            for p in pieces:
                lv = combine(how, p.level, p.ngram_harm, p.ngram_jailbreak)
                top = float("inf") if lv.known < min_known else max(lv.harm, lv.jailbreak)
                rows.append((i, top, whole, p.chars, p.counts))
    cols = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    return Tops(
        np.array(cols[0], np.int64),
        np.array(cols[1], np.float64),
        np.array(cols[2], bool),
        np.array(cols[3], np.int64),
        np.array(cols[4], bool),
        np.array([r.long for r in reaches], bool),
        np.array([r.always for r in reaches], bool),
    )


def _keeps(
    items: Sequence[Item], skipped: NDArray[np.bool_], severe_loss: float, other_loss: float
) -> bool:
    """No catastrophic item, at most ``severe_loss`` of each severe set (bare, padded,
    disguised) and at most ``other_loss`` of the moderate and of the jailbreak prompts skip the
    encoder."""
    kinds = np.array([i.kind for i in items])
    if (skipped & (kinds == "catastrophic")).any():
        return False
    variants = [i.variant for i in items]
    bare = np.array([v == "bare" for v in variants])
    pad = np.array([v.startswith("padded-") for v in variants])
    sets = [(kinds == "severe") & g for g in (bare, pad, ~bare & ~pad)]
    budgets = [severe_loss] * 3 + [other_loss] * 2
    sets += [(kinds == k) & bare for k in ("moderate", "jailbreak")]
    return all(
        not m.any() or (skipped & m).sum() <= loss * m.sum()
        for m, loss in zip(sets, budgets, strict=True)
    )


def choose_points(
    items: Sequence[Item],
    tops: Tops,
    severe_loss: float,
    other_loss: float = 0.02,
    segment_clear: float | None = None,
    held_clear: float | None = None,
) -> tuple[float, float, dict[str, Any]]:
    """The clear point and the point for the wholes of longer texts (at most the clear point),
    on a 0.01 grid, that keep every catastrophic item (bare or a variant), all but
    ``severe_loss`` of each severe set and all but ``other_loss`` of the moderate and of the
    jailbreak prompts at the encoder, and keep the most characters of the
    ordinary and other benign validation prompts from it (the encoder's work: a long prompt's
    whole weighs more than a short one); ties go to the higher points. ``segment_clear``: the
    segments' point held there (absent: each segment at the clear point chosen).
    ``held_clear``: the clear point held there and only the long wholes' point chosen, the
    budgets counted over the items longer than one window (the only ones it decides)."""
    seg = segment_clear
    grid = [float(c) for c in np.round(np.arange(0.01, 1.0, 0.01), 2)]
    reachable = tops.reachable  # the others skip the encoder without the stage too
    benign = np.array([i.variant == "bare" and i.kind in ("ordinary", "benign") for i in items])
    judged = np.ones(len(items), bool) if held_clear is None else tops.long
    kept_items = [i for i, j in zip(items, judged, strict=True) if j]

    def keeps(skipped: NDArray[np.bool_]) -> bool:
        return _keeps(kept_items, skipped[judged], severe_loss, other_loss)

    best = (-1, 0.0, 0.0)
    for c in grid if held_clear is None else [held_clear]:
        if not keeps(reachable & tops.skipped(c, 0.0, seg)):
            break
        for long_clear in (0.0, *(x for x in grid if x <= c)):
            skipped = reachable & tops.skipped(c, long_clear, seg)
            if not keeps(skipped):
                break
            best = max(best, (tops.saved(c, long_clear, benign, seg), c, long_clear))
    _, clear, long_clear = best
    figs = figures(items, tops.skipped(clear, long_clear, seg))
    total = int(tops.chars[benign[tops.item]].sum())
    kept = round(best[0] / total, 4) if total else None
    return (
        clear,
        long_clear,
        {"clear": clear, "long_clear": long_clear, "benign_chars_kept": kept, **figs},
    )


def _share(mask: NDArray[np.bool_], of: NDArray[np.bool_]) -> float | None:
    return round(float(mask[of].mean()), 4) if of.any() else None


def figures(items: Sequence[Item], skipped: NDArray[np.bool_]) -> dict[str, Any]:
    """Per kind (bare items) and per variant: the share reaching the encoder, or cleared."""
    kinds = np.array([i.kind for i in items])
    langs = np.array([i.lang for i in items])
    variants = np.array([i.variant for i in items])
    reach = ~skipped
    bare = variants == "bare"
    out: dict[str, Any] = {}
    for kind in ("catastrophic", "severe", "moderate", "jailbreak"):
        m = bare & (kinds == kind)
        out[f"{kind}_reach_encoder"] = {
            "all": _share(reach, m),
            "en": _share(reach, m & (langs == "en")),
            "ja": _share(reach, m & (langs == "ja")),
            "n": int(m.sum()),
        }
    for kind in ("ordinary", "benign"):
        m = bare & (kinds == kind)
        out[f"{kind}_cleared"] = {
            "all": _share(skipped, m),
            "en": _share(skipped, m & (langs == "en")),
            "ja": _share(skipped, m & (langs == "ja")),
            "n": int(m.sum()),
        }
    out["variants_reach_encoder"] = {
        v: {"all": _share(reach, variants == v), "n": int((variants == v).sum())}
        for v in sorted(set(variants.tolist()) - {"bare"})
    }
    return out


def build_vocab(texts: Sequence[str], tokenizer: Tokenizer) -> Counter[int]:
    counts: Counter[int] = Counter()
    for text in texts:
        counts.update(tokenizer.ids(text))
    return counts


def distil(
    encoder: Any, vocab: NDArray[np.int32], counts: Counter[int], settings: StaticSettings
) -> NDArray[np.float16]:
    """Each token alone through the encoder, PCA to ``settings.dims``, SIF-weighted."""
    chunks = [
        encoder.encode_ids([[int(t)] for t in vocab[i : i + 2048]])
        for i in range(0, len(vocab), 2048)
    ]
    raw = np.concatenate(chunks).astype(np.float64)
    centred = raw - raw.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[: settings.dims].T
    total = sum(counts.values())
    p = np.array([counts[int(t)] / total for t in vocab])
    weight = settings.sif / (settings.sif + p)
    out: NDArray[np.float16] = (reduced * weight[:, None]).astype(np.float16)
    return out


def fit_heads(
    stage_of: Callable[[], StaticStage], train: Sequence[Example], settings: StaticSettings
) -> tuple[MLPHead, MLPHead]:
    stage = stage_of()
    rows: list[NDArray[np.float32]] = []
    harm: list[int] = []
    jail: list[int] = []
    for ex in train:
        repeat = settings.tier_weight if tier_of(ex) in (Tier.CATASTROPHIC, Tier.SEVERE) else 1
        for v in views(ex.text):
            vec, _ = stage.embed(v)
            for _ in range(repeat if ex.harmful else 1):
                rows.append(vec)
                harm.append(-1 if ex.harmful is None else int(ex.harmful))
                jail.append(-1 if ex.jailbreak is None else int(ex.jailbreak))
    return heads_of(rows, harm, jail, settings)


def heads_of(
    rows: Sequence[NDArray[np.float32]],
    harm: Sequence[int],
    jail: Sequence[int],
    settings: StaticSettings,
) -> tuple[MLPHead, MLPHead]:
    """The harm and jailbreak heads fitted on pooled vectors and their labels (-1: unknown)."""
    from sekimori.classify.train import fit_mlp

    x = np.stack(rows).astype(np.float32)
    yh, yj = np.array(harm), np.array(jail)
    harm_head = fit_mlp(
        x[yh >= 0], yh[yh >= 0] == 1, settings.hidden, settings.epochs, settings.seed
    )
    jail_head = fit_mlp(
        x[yj >= 0], yj[yj >= 0] == 1, settings.hidden // 2, settings.epochs, settings.seed
    )
    return harm_head, jail_head


def build_static(
    model: PromptModel,
    train: Sequence[Example],
    settings: StaticSettings,
    progress: Callable[[str], None],
) -> StaticModel:
    """Vectors distilled from the model's encoder, and the heads fitted on the training split."""
    from sekimori.classify.prompt import load_encoder

    tokenizer = e5_tokenizer()
    counts = build_vocab([v for e in train for v in views(e.text)], tokenizer)
    vocab = np.array(sorted(counts), np.int32)
    progress(f"vocabulary: {len(vocab)} tokens; distilling with the model's encoder")
    encoder = load_encoder(settings.model_dir, model.meta, threads=settings.threads)
    vectors = distil(encoder, vocab, counts, settings)
    placeholder = FastPathMeta(clear=0.0, combine="static", min_known=settings.min_known)
    empty = MLPHead(())

    def stage_of() -> StaticStage:
        return StaticStage(StaticModel(vocab, vectors, empty, empty), placeholder, tokenizer)

    progress("fitting heads")
    harm, jail = fit_heads(stage_of, train, settings)
    static = StaticModel(vocab, vectors, harm, jail)
    if settings.tune is None:
        return static
    return tuned(static, train, settings.tune, tokenizer, progress).model


def tuned(
    static: StaticModel,
    train: Sequence[Example],
    settings: TuneSettings,
    tokenizer: Tokenizer,
    progress: Callable[[str], None],
) -> Tuned:
    """``static`` with its vectors and heads trained on the training split (`static_tune`)."""
    from sekimori.classify.train import is_ordinary

    rows = training_rows(train, tier_of, is_ordinary, settings)
    return tune(static, rows, tokenizer, settings, progress)


def vectors_kind(settings: StaticSettings, model: PromptModel) -> str:
    """ "distilled" or "trained" (`static_tune`): what this run writes, or keeps."""
    if settings.points_only:
        kept = (model.meta.fast_path or {}).get("validation", {}).get("vectors")
        return str(kept or "distilled")
    return "distilled" if settings.tune is None else "trained"


def train_static(settings: StaticSettings, progress: Callable[[str], None] = print) -> Choice:
    """Builds ``static.npz`` in the model folder (or keeps it, ``points_only``) and records
    ``fast_path`` with the clear points chosen in its model.json."""
    from sekimori.classify.train import corpus_settings_of, training_pool

    started = time.monotonic()
    np.random.seed(settings.seed)
    model = PromptModel.load(settings.model_dir)
    pool = training_pool(corpus_settings_of(model.meta))
    if settings.points_only:
        static = StaticModel.load(settings.model_dir / STATIC_FILE)
        progress(f"kept {settings.model_dir / STATIC_FILE}")
    else:
        train = [e for e in pool.examples if e.split is Split.TRAIN]
        progress(f"training split: {len(train)} examples")
        # the points are chosen on the model as it will be loaded (float16 head weights)
        static = build_static(model, train, settings, progress).as_stored()
    placeholder = FastPathMeta(clear=0.0, combine="static", min_known=settings.min_known)
    stage = StaticStage(static, placeholder, e5_tokenizer())

    progress(
        f"choosing the clear points on the validation split ({time.monotonic() - started:.0f} s)"
    )
    items = validation_items(pool.examples)
    planner = PromptClassifier(model, _PlanOnly(model.meta.dim), fast_path=False)
    reaches = [reach_of(planner, stage, i.text, i.request) for i in items]
    # a model's own segment point and reading are kept (the segment point held, not chosen)
    was = FastPathMeta.from_json(model.meta.fast_path) if model.meta.fast_path else None
    segment_clear = was.segment_clear if was is not None else None
    # read "long" (NGRAM5_RULE.md), only the long wholes' point is chosen: the combine and the
    # clear point held as the model has them
    held = was if was is not None and was.stage_ngram_reads == "long" else None
    best: Choice | None = None
    tried: dict[str, Any] = {}
    for how in COMBINES if held is None else (held.combine,):
        tops = tops_of(reaches, how, settings.min_known)
        clear, long_clear, figs = choose_points(
            items,
            tops,
            settings.severe_loss,
            settings.other_loss,
            segment_clear,
            held.clear if held is not None else None,
        )
        share = figs["ordinary_cleared"]["all"] or 0.0
        tried[how] = {"clear": clear, "long_clear": long_clear, "ordinary_cleared": share}
        if best is None or share > (best.figures["ordinary_cleared"]["all"] or 0.0):
            best = Choice(how, clear, long_clear, figs)
    assert best is not None
    validation = {
        **best.figures,
        "items": len(items),
        "combines_tried": tried,
        "vocabulary": len(static.vocab),
        "dims": static.dims,
        "vectors": vectors_kind(settings, model),
        "seed": settings.seed,
        "severe_loss": settings.severe_loss,
        "other_loss": settings.other_loss,
    }
    meta = FastPathMeta(
        clear=best.clear,
        combine=best.combine,
        min_known=settings.min_known,
        file=STATIC_FILE,
        enabled=settings.enable and best.clear > 0,
        validation=validation,
        long_clear=best.long_clear,
        stage_ngram_reads=was.stage_ngram_reads if was is not None else "all",
        segment_clear=segment_clear,
    )
    if not settings.points_only:
        static.save(settings.model_dir / STATIC_FILE)
    write_meta_field(settings.model_dir, FIELD, meta.to_json())
    progress(f"wrote {settings.model_dir / 'model.json'} ({time.monotonic() - started:.0f} s)")
    return Choice(best.combine, best.clear, best.long_clear, validation)
