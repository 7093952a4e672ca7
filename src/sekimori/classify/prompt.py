"""The prompt hazard classifier: heads on an encoder plus a hashed char n-gram model.

Scoring one text:
1. Views: the raw text and, when it differs, its normalised form (`sekimori.classify.normalize`);
   every score is the maximum over the views, so obfuscation cannot lower it.
2. Cheap first stage: the char n-gram model scores harm and jailbreak. When both are below the
   gate chosen on validation data, the whole text is clearly ordinary and skips the encoder;
   so does it when the static stage (`sekimori.classify.static`, when the model has one) finds
   every view of it under its clear point (a lower one for a text longer than one window), and
   so does each segment (step 4) that stage clears on its own (decoded payloads never).
3. Otherwise the encoder embeds the text (the head and the tail when it is long) and small MLP
   heads give harm, per-category and jailbreak probabilities; harm and jailbreak are blended with
   the n-gram probabilities. A category's score is capped by the harm score, so a benign question
   on a sensitive topic does not carry a high category score.
4. Segments (`sekimori.classify.segments`), so padding cannot dilute a request and a disguise
   is read without its wrapper: each payload `normalize` decoded (base64, hex, URL, rot13) is
   scored on its own (romaji runs too, in two kana readings), and a text longer than one
   window (about 64 tokens) is also cut into sentence windows, runs of suspect sentences and
   those sentences alone, clauses of run-on sentences, and suspect sentences with a
   neighbour. Windows, runs, sentences and clauses are gated one by one by the n-gram model
   (`SEGMENT_GATE`); at most `MAX_SEGMENTS` segments a text reach the encoder (decoded layers
   first, then the most harm-suspect, then the most jailbreak-suspect), chosen among at most
   `MAX_SCANNED` windows spread evenly over the text. Each segment's harm, jailbreak and
   category scores are blended and capped like the whole's, less `NON_REQUEST_DISCOUNT` when it
   does not read as a request; a text's score is the maximum over the whole and its segments.
   A text of one window with nothing to decode scores exactly as the whole alone.

The artefacts (`model.json` + `heads.npz`) are plain numpy; inference needs no scikit-learn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.cascade import Band
from sekimori.classify.embedcache import RecentEmbeddings
from sekimori.classify.encoder import ENCODERS, Encoder
from sekimori.classify.heads import MLPHead, sigmoid
from sekimori.classify.ngrams import HashedText, SparseRow, hashed_ngrams, hashed_text
from sekimori.classify.operating import evidence
from sekimori.classify.reproduction import ReproductionDetector
from sekimori.classify.segments import (
    WINDOW_TOKENS,
    estimate_tokens,
    reads_as_request,
    scan_spans,
    suspects,
)
from sekimori.classify.static import FastPathMeta, Level, StaticModel, StaticStage, e5_tokenizer
from sekimori.errors import ModelError
from sekimori.lang import detect_lang
from sekimori.taxonomy import CATEGORIES, CATEGORY_IDS, SIGNAL_JAILBREAK, Tier
from sekimori.types import Verdict

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "prompt"
FORMAT_VERSION = 1

# Segment scoring (step 4 above). The gate is the n-gram level (harm or jailbreak) a window,
# run or sentence needs to reach the encoder. Chosen on the team's validation harmful prompts
# padded with 10 ordinary sentences and on Dolly prompts of 180-230 tokens: 0.35 caught as many
# padded requests as 0.3 (89%) with about a quarter fewer segment tokens on Dolly; 0.4 lost 2
# points. `bench/classifier/segments.py` measures what it costs and what it catches.
SEGMENT_GATE = 0.35
# At most this many segments a text reach the encoder (with the whole: about 17 passes of at
# most 64 tokens, or of 1,200 characters for decoded payloads), whatever the text's length.
MAX_SEGMENTS = 16
# At most this many windows a text are scored by the first stage, spread evenly over it; past
# that (about 16,000 tokens) the windows between them are not read one by one.
MAX_SCANNED = 256
# Taken off the harm and jailbreak scores of a window, run or sentence that does not read as a
# request (`segments.reads_as_request`): out of its frame ("summarise this passage: …"), a
# passage's sentence about crime or drugs reads as its topic. Such a piece can no longer make a
# verdict sure (`Segment.may_be_sure`): it only holds. Chosen among 0-0.2 by a rule written
# before the figures (the smallest whose benign holds rise at most 10 points over 0.2's; team
# validation, and 484 long Dolly prompts the classifier never saw): 0.1 holds 26.0% of those
# Dolly prompts (0.2: 18.4%, 0.05: 33.5%) and 15.7% of validation benign (14.5%), and stops 74.4%
# of validation moderate requests padded with 5 glued sentences (0.2: 68.4%; bare 81.0%): a hate
# statement is harmful as a statement, so the discount cost most there.
NON_REQUEST_DISCOUNT = 0.1
# Categories whose evidence the discount spares (`_blend`): the moderate tier's. By the same rule,
# sparing them stops 78.0% of validation moderate requests padded with 5 glued sentences (73.2%
# discounted; bare 80.8%) and holds 24.7% of the long Dolly prompts (24.2%), 15.8% of validation
# benign (15.7%); nothing else moves.
STATEMENT_HARMS = frozenset(c.id for c in CATEGORIES if c.tier is Tier.MODERATE)
# Whether the segment scan reads its pieces' first-stage levels in one pass over a view
# (`_PieceLevels.prefill`: one tokenisation and one n-gram hashing, span sums, the heads in one
# batch) rather than piece by piece. Adopted by `bench/classifier/SEGCOST_RULE.md` (candidate
# OP): on its validation texts the plan changed for 110 of 1,922, two outcomes moved (one benign
# hold each way), no harmful one; about 1.2 ms less CPU an English Dolly prompt, 0.7 a Japanese
# one (`bench/classifier/SEGMENTS.md`).
ONE_PASS_SCAN = True
# Pieces whose embeddings are kept in memory (`RecentEmbeddings`; about 6 MB at 384 dims).
RECENT_PIECES = 4096


def normalised_view(text: str) -> str:
    """The text as the user meant it (NFKC, decoded payloads, de-obfuscated)."""
    from sekimori.classify.normalize import normalize

    return normalize(text).text


def views(text: str) -> list[str]:
    norm = normalised_view(text)
    return [text] if norm == text else [text, norm]


def one_window(views: Sequence[str]) -> bool:
    """Whether every view of a text fits in one window (about 64 tokens): then it has no
    segments besides its decoded payloads, and its whole is held to the static stage's own
    clear point."""
    return all(estimate_tokens(v) <= WINDOW_TOKENS for v in views)


def segments(text: str, max_chars: int) -> list[str]:
    """What the encoder sees of one view: all of it, or its head and tail when it is long."""
    if len(text) <= max_chars:
        return [text]
    return [text[:max_chars], text[-max_chars:]]


@dataclass(frozen=True, slots=True)
class PromptModelMeta:
    """What `model.json` records: how the heads were built and the thresholds chosen."""

    encoder: str
    dim: int
    buckets: int
    segment_chars: int
    threshold: float
    blend: float
    gate: float
    seed: int
    categories: tuple[str, ...] = CATEGORY_IDS
    format: int = FORMAT_VERSION
    # A fine-tuning delta for the encoder, a file next to model.json (`encoders.e5_delta`).
    encoder_delta: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    # The cascade's uncertain band [low, high), chosen on the validation split (None: older
    # models; the cascade then uses `Band()`'s default).
    band: tuple[float, float] | None = None
    # Hold and sure points per severity tier with their validation figures
    # (`sekimori.classify.operating`; None: older models, one threshold for every tier).
    operating_points: dict[str, Any] | None = None
    # The static first stage (`sekimori.classify.static.FastPathMeta`; None: off, nothing
    # changes): its clear point, how it combines with the n-gram model, its validation figures.
    fast_path: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PromptModel:
    meta: PromptModelMeta
    harm: MLPHead
    category: MLPHead
    jailbreak: MLPHead
    ngram_weight: NDArray[np.float16]  # (buckets, 2): harm, jailbreak
    ngram_bias: NDArray[np.float32]
    # the static first stage's vectors and heads (`static.npz`), when model.json names one
    static: StaticModel | None = None
    # a second n-gram weight set read only by the first stage (the n-gram gate, the static
    # stage's combined level, the segment gate); the final blend keeps ``ngram_weight``.
    # None (absent from heads.npz): the first stage reads ``ngram_weight`` too
    stage_ngram_weight: NDArray[np.float16] | None = None
    stage_ngram_bias: NDArray[np.float32] | None = None

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, NDArray[Any]] = {
            "ngram_weight": self.ngram_weight,
            "ngram_bias": self.ngram_bias,
        }
        if self.stage_ngram_weight is not None and self.stage_ngram_bias is not None:
            arrays["stage_ngram_weight"] = self.stage_ngram_weight
            arrays["stage_ngram_bias"] = self.stage_ngram_bias
        for name, head in (
            ("harm", self.harm),
            ("category", self.category),
            ("jailbreak", self.jailbreak),
        ):
            arrays.update(head.arrays(name))
        np.savez_compressed(directory / "heads.npz", allow_pickle=False, **arrays)
        if self.static is not None and self.meta.fast_path is not None:
            self.static.save(directory / FastPathMeta.from_json(self.meta.fast_path).file)
        meta = asdict(self.meta)
        (directory / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, directory: Path = DEFAULT_MODEL_DIR) -> PromptModel:
        try:
            raw = json.loads((directory / "model.json").read_text(encoding="utf-8"))
            raw["categories"] = tuple(raw["categories"])
            if raw.get("band") is not None:
                raw["band"] = tuple(raw["band"])
            meta = PromptModelMeta(**raw)
            arrays = dict(np.load(directory / "heads.npz"))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ModelError(
                f"cannot load the prompt classifier from {directory}: {exc}; "
                "run `sekimori train classifier` to rebuild it"
            ) from exc
        if meta.format != FORMAT_VERSION:
            raise ModelError(f"{directory}: model format {meta.format}, expected {FORMAT_VERSION}")

        static = None
        if meta.fast_path is not None:
            fast = FastPathMeta.from_json(meta.fast_path)
            static = StaticModel.load(directory / fast.file) if fast.enabled else None
        return cls(
            meta,
            MLPHead.from_arrays(arrays, "harm"),
            MLPHead.from_arrays(arrays, "category"),
            MLPHead.from_arrays(arrays, "jailbreak"),
            arrays["ngram_weight"].astype(np.float16),
            arrays["ngram_bias"].astype(np.float32),
            static,
            *_stage_ngram(arrays, directory),
        )


def _stage_ngram(
    arrays: dict[str, NDArray[Any]], directory: Path
) -> tuple[NDArray[np.float16] | None, NDArray[np.float32] | None]:
    """The first stage's own n-gram weights in heads.npz, both or neither."""
    weight, bias = arrays.get("stage_ngram_weight"), arrays.get("stage_ngram_bias")
    if weight is None and bias is None:
        return None, None
    if weight is None or bias is None or weight.shape != arrays["ngram_weight"].shape:
        raise ModelError(
            f"{directory}: heads.npz holds a broken first-stage n-gram weight set "
            "(stage_ngram_weight and stage_ngram_bias go together, shaped as ngram_weight)"
        )
    return weight.astype(np.float16), bias.astype(np.float32)


def write_stage_ngram(
    directory: Path, weight: NDArray[np.float16], bias: NDArray[np.float32]
) -> Path:
    """Stores the first stage's own n-gram weight set in the model's ``heads.npz``; every other
    array is kept (`sekimori.classify.stage_ngram` fits the set after the heads)."""
    path = directory / "heads.npz"
    with np.load(path) as stored:
        arrays = {k: stored[k] for k in stored.files}
    if weight.shape != arrays["ngram_weight"].shape or bias.shape != arrays["ngram_bias"].shape:
        raise ModelError(
            f"{directory}: a first-stage n-gram set shaped {weight.shape} does not fit "
            f"ngram_weight {arrays['ngram_weight'].shape}"
        )
    arrays["stage_ngram_weight"] = weight.astype(np.float16)
    arrays["stage_ngram_bias"] = bias.astype(np.float32)
    np.savez_compressed(path, allow_pickle=False, **arrays)
    return path


def has_stage_ngram(directory: Path) -> bool:
    """Whether the model folder's ``heads.npz`` holds a first-stage n-gram weight set."""
    path = directory / "heads.npz"
    if not path.is_file():
        return False
    with np.load(path) as stored:
        return "stage_ngram_weight" in stored.files


def write_meta_field(directory: Path, key: str, value: Any) -> Path:
    """Stores ``value`` under ``key`` in the model's ``model.json``; every other key is kept
    (operating points and the static stage are chosen after the heads, by their own commands)."""
    path = directory / "model.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw[key] = value
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_encoder(directory: Path, meta: PromptModelMeta, **options: Any) -> Encoder:
    """The encoder the heads in ``directory`` were trained on, with its fine-tuning delta."""
    import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)

    if meta.encoder_delta is not None:
        options["delta"] = directory / meta.encoder_delta
    return ENCODERS.get(meta.encoder)(**options)


@dataclass(frozen=True, slots=True)
class Scores:
    """Every score for one text, before the threshold."""

    harm: float
    categories: dict[str, float]
    jailbreak: float
    gated: bool
    evidence: dict[str, float] | None = None  # joined pieces' evidence (`Verdict.evidence`)
    # the scores of the pieces that may be sure (`Segment.may_be_sure`, and the whole) when
    # some may not (`Verdict.certain`); None: all of these may
    certain: Scores | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a text scored on its own; ``discount`` is taken off its harm and jailbreak
    scores (a passage's sentence out of its frame reads as its topic, not as a request)."""

    text: str
    discount: float = 0.0
    layer: bool = False  # a decoded payload's piece: the request without its wrapper

    @property
    def may_be_sure(self) -> bool:
        """Whether its scores may make the text's verdict sure (`Verdict.certain`): a decoded
        payload's or a request's may; a passage's sentence out of its frame (discounted) may
        only make it unsure, so it holds rather than blocks."""
        return self.layer or not self.discount


@dataclass(frozen=True, slots=True)
class TextPlan:
    """What the encoder reads for one text: the pieces of its whole views (none when the first
    stage gates it) and the segments chosen, with the first stage's scores of the whole."""

    ngram_harm: float
    ngram_jailbreak: float
    whole: tuple[str, ...]
    segments: tuple[Segment, ...]
    # what the whole scores when a first stage clears it (no encoder pass): the n-gram levels,
    # or the static stage's combined levels when that stage cleared it
    first_harm: float = 0.0
    first_jailbreak: float = 0.0

    @property
    def segment_texts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments)


class PromptClassifier:
    """text -> Verdict. Deterministic: the same text always gets the same verdict."""

    def __init__(
        self,
        model: PromptModel,
        encoder: Encoder,
        *,
        segmented: bool = True,
        fast_path: bool = True,
        reproduction: ReproductionDetector | None = None,
        one_pass_scan: bool = ONE_PASS_SCAN,
    ) -> None:
        if encoder.dim != model.meta.dim:
            raise ModelError(
                f"encoder {encoder.name!r} gives {encoder.dim}-dim vectors, "
                f"the heads expect {model.meta.dim} ({model.meta.encoder})"
            )
        self.model = model
        self.encoder = encoder
        # ip.copyright is scored apart from the heads (`sekimori.classify.reproduction`); the
        # gateway's scorer puts its score beside theirs on the policy scale
        self.reproduction = reproduction
        # the pieces encoded lately (a conversation's turns, a repeated template), so a piece
        # seen again costs no encoder pass; exactly the vector encoding it again would give
        self.recent = RecentEmbeddings(RECENT_PIECES)
        # False: the whole text only, as before segment scoring (benches compare the two)
        self.segmented = segmented
        # True: the segment scan's levels read in one pass over each view (`_PieceLevels.prefill`)
        self.one_pass_scan = one_pass_scan
        self._w = model.ngram_weight.astype(np.float32)
        # the first stage's n-gram weights: its own set when the model has one, else the same
        self._stage_w = self._w
        self._stage_b = model.ngram_bias
        if model.stage_ngram_weight is not None and model.stage_ngram_bias is not None:
            self._stage_w = model.stage_ngram_weight.astype(np.float32)
            self._stage_b = model.stage_ngram_bias
        # The static first stage, when the model has one and it is wanted (False: as before it,
        # for benches and for choosing its clear point)
        self.fast: StaticStage | None = None
        # The static stage's level also gates segments (`_suspect_levels`), with the fast path
        # on or off, so turning the fast path off changes only what it clears
        self._gate_stage: StaticStage | None = None
        # (read without the stage too: `stage_ngram_reads` says what the gates read)
        meta = None
        if model.meta.fast_path is not None:
            meta = FastPathMeta.from_json(model.meta.fast_path)
        if model.static is not None and meta is not None:
            self._gate_stage = StaticStage(model.static, meta, e5_tokenizer())
            if fast_path and meta.enabled:
                self.fast = self._gate_stage
        # the n-gram weights of the n-gram gate and the segment gate: the first stage's set,
        # unless `fast_path.stage_ngram_reads` is "clear" or "long" (the set for the clear
        # decision of wholes only; "long": of the wholes of texts longer than one window)
        self._gate_w, self._gate_b = self._stage_w, self._stage_b
        self._stage_reads = meta.stage_ngram_reads if meta is not None else "all"
        if self._stage_reads != "all":
            self._gate_w, self._gate_b = self._w, model.ngram_bias

    @classmethod
    def load(
        cls, directory: Path = DEFAULT_MODEL_DIR, encoder: Encoder | None = None
    ) -> PromptClassifier:
        model = PromptModel.load(directory)
        return cls(
            model,
            encoder or load_encoder(directory, model.meta),
            reproduction=ReproductionDetector.load(directory),
        )

    @property
    def threshold(self) -> float:
        return self.model.meta.threshold

    @property
    def band(self) -> Band:
        """The cascade's uncertain band this model's training chose."""
        band = self.model.meta.band
        return Band(*band) if band is not None else Band()

    def band_or(self, override: tuple[float, float] | None) -> Band:
        """``override`` (a judge's configured band) if given, else the band training chose."""
        return Band(*override) if override else self.band

    def ngram_probs(self, text: str) -> NDArray[np.float32]:
        """(harm, jailbreak) probabilities of the char n-gram model for one view (the final
        blend's weights)."""
        return self.ngram_probs_of(hashed_ngrams(text, buckets=self.model.meta.buckets))

    def ngram_probs_of(self, row: SparseRow) -> NDArray[np.float32]:
        """`ngram_probs` of a text's hashed n-grams (`ngrams.hashed_ngrams`)."""
        logits = row.value @ self._w[row.index] + self.model.ngram_bias
        return sigmoid(logits.astype(np.float32))

    @property
    def own_stage_ngram(self) -> bool:
        """Whether the first stage reads its own n-gram weights (`stage_ngram_weight`)."""
        return self._stage_w is not self._w

    def stage_ngram_probs(self, text: str) -> NDArray[np.float32]:
        """(harm, jailbreak) probabilities the first stage reads for one view (the n-gram gate,
        the static stage's combined level, the segment gate): `ngram_probs` unless the model
        has a first-stage weight set."""
        return self.stage_ngram_probs_of(hashed_ngrams(text, buckets=self.model.meta.buckets))

    def stage_ngram_probs_of(self, row: SparseRow) -> NDArray[np.float32]:
        """`stage_ngram_probs` of a text's hashed n-grams (`ngrams.hashed_ngrams`)."""
        if not self.own_stage_ngram:
            return self.ngram_probs_of(row)
        logits = row.value @ self._stage_w[row.index] + self._stage_b
        return sigmoid(logits.astype(np.float32))

    @property
    def gates_read_stage_ngram(self) -> bool:
        """Whether the n-gram gate and the segment gate read the first-stage set (not when the
        model has none, nor when `fast_path.stage_ngram_reads` is "clear")."""
        return self._gate_w is not self._w

    def gate_ngram_probs(self, text: str) -> NDArray[np.float32]:
        """(harm, jailbreak) probabilities the n-gram gate and the segment gate read:
        `stage_ngram_probs` or `ngram_probs` (`gates_read_stage_ngram`)."""
        if self.gates_read_stage_ngram:
            return self.stage_ngram_probs(text)
        return self.ngram_probs(text)

    def whole_ngram_probs(self, text: str, *, long_whole: bool) -> NDArray[np.float32]:
        """(harm, jailbreak) probabilities the static stage's decision to clear a text's whole
        reads: `stage_ngram_probs`, or with `fast_path.stage_ngram_reads` "long" for a whole of
        one window (not ``long_whole``) `gate_ngram_probs`."""
        if self._stage_reads == "long" and not long_whole:
            return self.gate_ngram_probs(text)
        return self.stage_ngram_probs(text)

    @staticmethod
    def _per_row(head: MLPHead, emb: NDArray[np.float32]) -> NDArray[np.float32]:
        """Head probabilities row by row: a batched matmul rounds differently with the batch
        size, and a verdict must not depend on its neighbours."""
        width = head.layers[-1].bias.shape[0]
        if len(emb) == 0:
            return np.zeros((0, width), np.float32)
        return np.concatenate([sigmoid(head.logits(emb[i : i + 1])) for i in range(len(emb))])

    def plan(self, text: str) -> TextPlan:
        """What the encoder reads for ``text``: the whole (unless the first stage gates it) and
        the segments chosen; deterministic, and cheap next to the encoder."""
        return self._plan(text, _PieceLevels(self))

    def _plan(self, text: str, known: _PieceLevels) -> TextPlan:
        """`plan`, each piece's first-stage levels computed once (``known``: a text's pieces
        repeat, as the same sentence in several windows, runs and pairs)."""
        from sekimori.classify.normalize import normalize

        meta = self.model.meta
        norm = normalize(text)
        vs = [text] if norm.text == text else [text, norm.text]
        known.will_scan(vs, scan=self.segmented and self.one_pass_scan)
        ngram = np.max([known.gate_ngram(v) for v in vs], axis=0)
        gated = bool(ngram[0] < meta.gate and ngram[1] < meta.gate)
        first = (float(ngram[0]), float(ngram[1]))
        # the whole's n-gram levels in the final blend (the same unless the gate reads the
        # first stage's own weights)
        final = (
            np.max([known.ngram(v) for v in vs], axis=0) if self.gates_read_stage_ngram else ngram
        )
        pieces = tuple(s for v in vs for s in segments(v, meta.segment_chars))
        # segments that repeat what the encoder would read of the whole are not sent again
        seen = {p.strip() for p in (*vs, *(() if gated else pieces))}
        # A longer text's whole at its own, lower point: padding dilutes a request in it, and
        # the segments below may not hold the request (each is cleared on its own level)
        if not gated and self.fast is not None:
            long_whole = not one_window(vs)
            levels = [known.whole_first(p, long_whole=long_whole) for p in pieces]
            if all(self.fast.clears(lv, long_whole=long_whole) for lv in levels):
                gated = True
                first = (max(lv.harm for lv in levels), max(lv.jailbreak for lv in levels))
        whole = () if gated else pieces

        def plan_of(chosen: Sequence[Segment]) -> TextPlan:
            return TextPlan(float(final[0]), float(final[1]), whole, tuple(chosen), *first)

        if not self.segmented:
            return plan_of(())
        chosen: list[Segment] = []

        def wanted(piece: str) -> bool:
            # scored without the spaces around it: a sentence cut from "… . Request" starts
            # with one, a clause ends with one, and a trailing space alone moved a quarter of
            # the validation requests' scores by more than 0.02 (mostly down)
            key = piece.strip()
            return bool(key) and key not in seen and len(chosen) < MAX_SEGMENTS

        def take(piece: str, discount: float = 0.0, *, layer: bool = False) -> None:
            if wanted(piece):
                key = piece.strip()
                seen.add(key)
                chosen.append(Segment(key, discount, layer))

        # Each decoded payload alone, raw and normalised (its own disguises undone), always:
        # the wrapper around it must not dilute it.
        layers: list[str] = []
        # rot13 is undone run by run (a run stops at . ? :), so a request of several
        # sentences comes back in pieces; together they are the payload without its wrapper
        rot13 = [d.text for d in norm.decoded if d.kind == "rot13"]
        joined = [" ".join(rot13)] if len(rot13) > 1 else []
        for text_of_layer in (*joined, *(d.text for d in norm.decoded)):
            for form in dict.fromkeys((text_of_layer, normalize(text_of_layer).text)):
                if form.strip():
                    layers.append(form)
                    for piece in segments(form, meta.segment_chars):
                        take(piece, layer=True)
        if self.one_pass_scan:
            for t in dict.fromkeys((*vs, *layers)):
                known.prefill(t)
        found = [
            c
            for t in dict.fromkeys((*vs, *layers))
            for c in suspects(t, known.suspect, gate=SEGMENT_GATE, max_scanned=MAX_SCANNED)
        ]
        # The most harm-suspect first, then the most jailbreak-suspect; ties keep text order
        # (sorted() is stable). Harm first: a persona template's many sentences are
        # jailbreak-suspect, and ranked by the higher level they took every place before the
        # request inside them (the whole already reads the wrapper's jailbreak level).
        for c in sorted(found, key=lambda c: (-c.harm, -c.jailbreak)):
            # asks whether it reads as a request only of a piece it will take (the request
            # patterns cost more than the check)
            if wanted(c.text):
                take(c.text, 0.0 if reads_as_request(c.text) else NON_REQUEST_DISCOUNT)
        # The same segments as without the static stage, less those it clears one by one (at
        # `fast_path.segment_clear`, absent: `clear`): the rule its points were chosen under
        fast = self.fast
        if fast is not None:
            chosen = [
                seg
                for seg in chosen
                if seg.layer or not fast.clears(known.segment_first(seg.text), segment=True)
            ]
        return plan_of(chosen)

    def first_level(self, piece: str) -> Level:
        """One piece's level at the static first stage, combined with the n-gram model's
        (`static.combine`); needs the stage (``self.fast``)."""
        return _PieceLevels(self).first(piece)

    def _levels(self, text: str) -> tuple[float, float]:
        harm, jailbreak = self.ngram_probs(text)
        return float(harm), float(jailbreak)

    def _suspect_levels(self, text: str) -> tuple[float, float]:
        """A piece's level for the segment gate (`_PieceLevels.suspect`)."""
        return _PieceLevels(self).suspect(text)

    def encoder_inputs(self, texts: Sequence[str]) -> list[str]:
        """Every piece the encoder may read for ``texts``: the whole's pieces before the first
        stage's gate (as training reads them), then the segments that scoring would choose."""
        size = self.model.meta.segment_chars
        out: list[str] = []
        for t in texts:
            out.extend(s for v in views(t) for s in segments(v, size))
            out.extend(self.plan(t).segment_texts)
        return out

    def scores_batch(self, texts: Sequence[str]) -> list[Scores]:
        meta = self.model.meta
        known = [_PieceLevels(self) for _ in texts]
        plans = [self._plan(t, k) for t, k in zip(texts, known, strict=True)]
        pieces = [p for plan in plans for p in (*plan.whole, *plan.segment_texts)]
        emb = self.recent.embed(self.encoder, pieces)
        harm = self._per_row(self.model.harm, emb)[:, 0]
        cats = self._per_row(self.model.category, emb)
        jail = self._per_row(self.model.jailbreak, emb)[:, 0]
        out: list[Scores] = []
        row = 0
        for plan, levels in zip(plans, known, strict=True):
            units: list[tuple[Scores, bool]] = []  # (scores, may be sure)
            if plan.whole:
                rows = slice(row, row + len(plan.whole))
                row += len(plan.whole)
                blended = self._blend(
                    float(harm[rows].max()),
                    cats[rows].max(axis=0),
                    float(jail[rows].max()),
                    plan.ngram_harm,
                    plan.ngram_jailbreak,
                )
                units.append((blended, True))
            for seg in plan.segments:
                ng_harm, ng_jail = levels.ngram(seg.text)
                blended = self._blend(
                    float(harm[row]),
                    cats[row],
                    float(jail[row]),
                    float(ng_harm),
                    float(ng_jail),
                    discount=seg.discount,
                )
                units.append((blended, seg.may_be_sure))
                row += 1
            if not plan.whole:
                # the first stage gated the whole: it scores its n-gram level
                zero = dict.fromkeys(meta.categories, 0.0)
                gated = Scores(plan.first_harm, zero, plan.first_jailbreak, gated=True)
                units.append((gated, True))
            joined = _joined([u for u, _ in units])
            certain = [u for u, sure in units if sure]
            if len(certain) < len(units):
                joined = replace(joined, certain=_joined(certain))
            out.append(joined)
        return out

    def _blend(
        self,
        harm: float,
        cats: NDArray[np.float32],
        jail: float,
        ngram_harm: float,
        ngram_jailbreak: float,
        *,
        discount: float = 0.0,
    ) -> Scores:
        """One unit's scores: encoder and n-gram blended; categories capped by the harm."""
        meta = self.model.meta
        h = meta.blend * harm + (1 - meta.blend) * float(ngram_harm)
        j = meta.blend * jail + (1 - meta.blend) * float(ngram_jailbreak)
        whole_harm = h
        if discount:
            h, j = max(0.0, h - discount), max(0.0, j - discount)
        categories = {
            cid: round(min(float(s), h), 6) for cid, s in zip(meta.categories, cats, strict=True)
        }
        if not discount:
            return Scores(h, categories, j, gated=False)
        # The moderate tier's evidence undiscounted: an insult or a hateful statement harms as
        # a statement, padded or not; what the discount is for, a passage's sentence read as a
        # request for weapons or crime uplift, is the other tiers'.
        undiscounted = {
            cid: round(min(float(s), whole_harm), 6)
            for cid, s in zip(meta.categories, cats, strict=True)
        }
        own = evidence(categories, h)
        kept = evidence(undiscounted, whole_harm)
        mixed = {c: kept[c] if c in STATEMENT_HARMS else e for c, e in own.items()}
        return Scores(h, categories, j, gated=False, evidence=mixed)

    def verdict(self, text: str, scores: Scores) -> Verdict:
        harmful = scores.harm >= self.threshold
        categories = dict(scores.categories)
        categories[SIGNAL_JAILBREAK] = round(scores.jailbreak, 6)
        top = max(categories, key=categories.__getitem__) if harmful else None
        return Verdict(
            harmful=harmful,
            score=round(scores.harm, 6),
            categories=categories,
            top=top,
            lang=detect_lang(text),
            source="prompt-classifier",
            evidence=scores.evidence,
            certain=None if scores.certain is None else self.verdict(text, scores.certain),
        )

    def classify(self, text: str) -> Verdict:
        return self.classify_batch([text])[0]

    def classify_batch(self, texts: Sequence[str]) -> list[Verdict]:
        return [self.verdict(t, s) for t, s in zip(texts, self.scores_batch(texts), strict=True)]


class _PieceLevels:
    """One text's pieces' first-stage levels, each piece's computed once: the same sentence is
    read alone, in windows, runs and pairs, and a chosen segment's n-gram level again when it
    is gated and scored. A piece's n-grams are hashed once for both weight sets (the n-gram
    gate's and the first stage's), and a view the segment scan reads is hashed and tokenised
    once for its whole and its pieces. Lives for one text's plan and scoring (never across
    texts)."""

    __slots__ = (
        "_clf",
        "_gate",
        "_hashed",
        "_ngram",
        "_rows",
        "_scanned",
        "_stage",
        "_static",
        "_tokens",
        "_views",
    )

    def __init__(self, clf: PromptClassifier) -> None:
        self._clf = clf
        self._ngram: dict[str, NDArray[np.float32]] = {}
        # the first stage's n-gram levels: the same dict unless it has its own weights
        self._stage: dict[str, NDArray[np.float32]] = {} if clf.own_stage_ngram else self._ngram
        # the gates' n-gram levels: the first stage's or the model's own
        self._gate = self._stage if clf.gates_read_stage_ngram else self._ngram
        self._static: dict[tuple[int, str], Level] = {}  # (id of the stage, piece)
        self._rows: dict[str, SparseRow] = {}  # a piece's hashed n-grams, for both weight sets
        # the views the segment scan reads in one pass (`prefill`): their n-grams, hashed once
        # for their whole and their pieces, and their e5 tokens with the characters each covers
        # (None: not to be had), for their whole's static level too
        self._hashed: dict[str, HashedText] = {}
        self._views: set[str] = set()  # the text's views: hashed once, shared (`hashed_text`)
        self._scanned: set[str] = set()
        self._tokens: dict[str, tuple[list[int], list[tuple[int, int]]] | None] = {}

    def will_scan(self, views: Sequence[str], *, scan: bool = True) -> None:
        """Says which views the plan reads, so that their n-grams are hashed once for the
        plan and the copyright detector after it (`ngrams.hashed_text`), and with ``scan``
        which of them `prefill` will read, so their whole's static level is read from the
        tokens the scan needs (the same ids: one tokenisation, not two)."""
        self._views.update(views)
        if scan:
            self._scanned.update(v for v in views if estimate_tokens(v) > WINDOW_TOKENS)

    def _hashes(self, text: str) -> HashedText:
        found = self._hashed.get(text)
        if found is None:
            found = self._hashed[text] = hashed_text(text)
        return found

    def _row(self, text: str) -> SparseRow:
        found = self._rows.get(text)
        if found is None:
            buckets = self._clf.model.meta.buckets
            shared = text in self._views or text in self._scanned
            row = (
                self._hashes(text).row(buckets) if shared else hashed_ngrams(text, buckets=buckets)
            )
            found = self._rows[text] = row
        return found

    def _offsets(
        self, stage: StaticStage, view: str
    ) -> tuple[list[int], list[tuple[int, int]]] | None:
        """The view's tokens and the characters each covers (`Tokenizer.offsets`), once."""
        if view not in self._tokens:
            offsets = stage.tokenizer.offsets
            self._tokens[view] = offsets(view) if offsets is not None else None
        return self._tokens[view]

    def prefill(self, view: str) -> None:
        """The levels of the pieces the segment scan will read in ``view`` (`scan_spans`),
        computed in one pass over it (`ngrams.HashedText.span_scores`,
        `StaticStage.span_levels`: the same n-grams summed in another order; the static vector
        of a piece read in the view's context); pieces already known keep their levels. Where
        a pass cannot be made (the text's positions do not line up), the pieces stay to be
        read one by one."""
        clf = self._clf
        spans = [
            (a, b)
            for a, b in scan_spans(view, max_scanned=MAX_SCANNED)
            if view[a:b] not in self._gate
        ]
        if not spans:
            return
        logits = self._hashes(view).span_scores(
            spans, clf._gate_w, clf._gate_b, buckets=clf.model.meta.buckets
        )
        if logits is None:
            return
        stage = clf._gate_stage
        levels = None
        if stage is not None:
            tokens = self._offsets(stage, view)
            levels = stage.levels_of_spans(tokens, spans) if tokens is not None else None
            if levels is None:
                return
        probs = sigmoid(logits.astype(np.float32))
        for i, (a, b) in enumerate(spans):
            piece = view[a:b]
            self._gate.setdefault(piece, probs[i])
            if stage is not None and levels is not None:
                self._static.setdefault((id(stage), piece), levels[i])

    def ngram(self, text: str) -> NDArray[np.float32]:
        """The n-gram model's (harm, jailbreak) probabilities (`ngram_probs`)."""
        found = self._ngram.get(text)
        if found is None:
            found = self._ngram[text] = self._clf.ngram_probs_of(self._row(text))
        return found

    def stage_ngram(self, text: str) -> NDArray[np.float32]:
        """The first stage's n-gram probabilities (`stage_ngram_probs`)."""
        found = self._stage.get(text)
        if found is None:
            found = self._stage[text] = self._clf.stage_ngram_probs_of(self._row(text))
        return found

    def gate_ngram(self, text: str) -> NDArray[np.float32]:
        """The n-gram gate's and the segment gate's probabilities (`gate_ngram_probs`)."""
        if self._gate is self._stage:
            return self.stage_ngram(text)
        return self.ngram(text)

    def _combined(
        self, stage: StaticStage, text: str, ngram: NDArray[np.float32] | None = None
    ) -> Level:
        """The static level combined with ``ngram`` (default: the first stage's levels)."""
        key = (id(stage), text)
        level = self._static.get(key)
        if level is None:
            tokens = self._offsets(stage, text) if text in self._scanned else None
            level = stage.level(text) if tokens is None else stage.level_of_ids(tokens[0])
            self._static[key] = level
        harm, jailbreak = self.stage_ngram(text) if ngram is None else ngram
        return stage.combined(level, float(harm), float(jailbreak))

    def first(self, piece: str) -> Level:
        """The piece's level at the static first stage, combined with the n-gram model's
        (`static.combine`); needs the stage (``fast``)."""
        if self._clf.fast is None:
            raise ModelError("this prompt classifier has no static first stage")
        return self._combined(self._clf.fast, piece)

    def whole_first(self, piece: str, *, long_whole: bool) -> Level:
        """A piece of a text's whole at the static first stage: as `first`, with the n-gram
        levels the whole's clear decision reads (`whole_ngram_probs`: with
        `fast_path.stage_ngram_reads` "long" a whole of one window reads the gates' levels)."""
        if self._clf._stage_reads == "long" and not long_whole:
            return self.segment_first(piece)
        return self.first(piece)

    def segment_first(self, piece: str) -> Level:
        """A segment's level at the static first stage: as `first`, with the gates' n-gram
        levels (`gate_ngram`: with `fast_path.stage_ngram_reads` "clear" the first-stage set
        decides only whether a text's whole is cleared, and a segment as without it)."""
        if self._clf.fast is None:
            raise ModelError("this prompt classifier has no static first stage")
        return self._combined(self._clf.fast, piece, self.gate_ngram(piece))

    def suspect(self, text: str) -> tuple[float, float]:
        """A piece's level for the segment gate: the n-gram model's, or the static stage's
        combined level where it is higher. The n-gram model alone is recalibrated by every
        retrain: model J's put a padded botulinum request's sentence at 0.31, under the gate,
        where the static stage said 0.57."""
        ngram = self.gate_ngram(text)
        harm, jailbreak = ngram
        stage = self._clf._gate_stage
        if stage is None:
            return float(harm), float(jailbreak)
        level = self._combined(stage, text, ngram)
        return max(float(harm), level.harm), max(float(jailbreak), level.jailbreak)


def _joined(units: Sequence[Scores]) -> Scores:
    """Scores of one text scored in pieces: each score the highest any piece gave it, and each
    category's evidence the largest of a piece's own (`Verdict.evidence`)."""
    if len(units) == 1:
        return units[0]
    unit_evidence = [u.evidence or evidence(u.categories, u.harm) for u in units]
    return Scores(
        max(u.harm for u in units),
        {cid: max(u.categories[cid] for u in units) for cid in units[0].categories},
        max(u.jailbreak for u in units),
        gated=all(u.gated for u in units),
        evidence={c: max(e[c] for e in unit_evidence) for c in unit_evidence[0]},
    )
