"""The answer judge's static first stage: clears clearly harmless answers without the encoder.

The answer judge (`judge.py`) runs e5-small on the prompt, the answer and its opening: about
20-40 ms of one core for a 400-character stream window, on every window of every answer. This
stage reads the same (prompt, answer, opening) triple through token vectors distilled from the
judge's own encoder (`sekimori.classify.static.TokenPool`, the Model2Vec idea: each token alone
through e5-small, PCA, SIF weights), beside the judge's refusal cues and its harm n-gram head,
into one small MLP: well under a millisecond. A pair's level is that MLP's P(harmful) (the
judge's n-gram log-odds are one of its features) or, with ``ngram_gate`` (the stages built
before issue 16), the higher of it and the judge's n-gram head's alone; a pair under the
*clear point*, with at least ``min_known`` of its tokens known, is judged harmless without the
encoder; everything else goes to the judge.

The clear point is chosen on out-of-fold predictions of the judge's own training split only
(`fast_train.py`), so that no whole harmful answer of the team's sets and at most
``harm_loss`` of all harmful views (prefixes included) would be cleared. The stage records the
sha256 of the judge's weights it was built beside (it reads the judge's n-gram head): after a
judge retrain it switches itself off, and says so, until `sekimori train answer-fast` rebuilds it.

Artefacts: ``fast.npz`` (float16 vectors, head, standardisation) and ``fast.json`` next to
``answers.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.answers.model import OPENING_TOKENS, AnswerCues, AnswerModel
from sekimori.classify.answers.prefix import take_tokens
from sekimori.classify.heads import MLPHead, sigmoid
from sekimori.classify.static import Tokenizer, TokenPool, e5_tokenizer
from sekimori.errors import ModelError

log = logging.getLogger("sekimori.classify")

FAST_FILE = "fast.npz"
META_FILE = "fast.json"

Array = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FastMeta:
    """What ``fast.json`` records; ``enabled: false`` switches the stage off."""

    clear: float
    min_known: float
    judge_sha256: str  # the judge weights (answers.npz) the stage was built beside
    sha256: str  # of fast.npz
    enabled: bool = True
    validation: dict[str, Any] = field(default_factory=dict)
    # The level is the higher of the MLP's and the judge's n-gram head's P(harmful); False: the
    # MLP's alone (the n-gram log-odds are still among its features).
    ngram_gate: bool = True

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FastMeta:
        try:
            return cls(**raw)
        except TypeError as exc:
            raise ModelError(f"{META_FILE}: bad entry ({exc})") from None


@dataclass(frozen=True, slots=True)
class FastModel:
    vocab: NDArray[np.int32]  # kept e5 token ids, ascending
    vectors: NDArray[np.float16]  # (kept tokens, dims), SIF weights applied
    mean: Array  # feature standardisation
    scale: Array
    head: MLPHead  # one logit: harmful

    def save(self, path: Path) -> str:
        """Writes the npz; returns its sha256."""
        arrays: dict[str, NDArray[Any]] = {
            "vocab": self.vocab,
            "vectors": self.vectors,
            "mean": self.mean,
            "scale": self.scale,
            **self.head.arrays("harm"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, allow_pickle=False, **arrays)
        tmp.replace(path)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    @classmethod
    def load(cls, path: Path) -> FastModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            model = cls(
                arrays["vocab"].astype(np.int32),
                arrays["vectors"].astype(np.float16),
                arrays["mean"].astype(np.float32),
                arrays["scale"].astype(np.float32),
                MLPHead.from_arrays(arrays, "harm"),
            )
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(
                f"cannot load the answer judge's first stage from {path}: {exc}; "
                "run `sekimori train answer-fast` to rebuild it / "
                f"{path} を読み込めません。`sekimori train answer-fast` で作り直してください"
            ) from exc
        if not model.head.layers:
            raise ModelError(f"{path}: no harm head")
        return model


class FastStage:
    """Levels of (prompt, answer) pairs; deterministic, numpy only."""

    def __init__(
        self, model: FastModel, meta: FastMeta, judge: AnswerModel, tokenizer: Tokenizer
    ) -> None:
        self.model = model
        self.meta = meta
        self.judge = judge
        self.pool = TokenPool(model.vocab, model.vectors, tokenizer)
        # A stream's windows are all read with the request's prompt: its known tokens are kept
        # for the latest prompts (a few streams at once)
        self._prompt_rows = lru_cache(maxsize=64)(self._rows_of_prompt)

    def _rows_of_prompt(self, prompt: str) -> NDArray[np.int64]:
        return self.pool.rows(prompt)[0]

    def features(
        self, prompts: Sequence[str], answers: Sequence[str], cues: AnswerCues | None = None
    ) -> tuple[Array, Array]:
        """Unscaled feature rows and each pair's share of known tokens (prompt excluded: the
        question only conditions the answer, which alone can carry harm)."""
        return pair_rows(self.pool, self.judge, prompts, answers, cues, self._prompt_rows)

    def levels(self, prompts: Sequence[str], answers: Sequence[str]) -> Array:
        """The stage's level for each pair: the higher of its MLP's P(harmful) and the judge's
        n-gram head's (inf where too few tokens are known)."""
        return self.read(prompts, answers)[0]

    def read(self, prompts: Sequence[str], answers: Sequence[str]) -> tuple[Array, AnswerCues]:
        """`levels`, and the pairs' `AnswerCues` it read, for the judge to take over for the
        pairs the stage does not clear."""
        cues = self.judge.cues(prompts, answers)
        return self._levels(*self.features(prompts, answers, cues)), cues

    def _levels(self, x: Array, known: Array) -> Array:
        z = ((x - self.model.mean) / self.model.scale).astype(np.float32)
        p = sigmoid(self.model.head.logits(z))[:, 0]
        if self.meta.ngram_gate:
            # Both must find the pair harmless: the MLP and the judge's n-gram head (last column).
            p = np.maximum(p, sigmoid(x[:, -1]))
        out: Array = np.where(known >= self.meta.min_known, p, np.float32(np.inf)).astype(
            np.float32
        )
        return out

    def clears(self, level: float) -> bool:
        return level < self.meta.clear


@dataclass(frozen=True, slots=True)
class Bags:
    """Ragged rows of known tokens (indices into the vectors), one bag per text."""

    rows: NDArray[np.int64]
    offsets: NDArray[np.int64]  # bag i is rows[offsets[i]:offsets[i + 1]]

    @classmethod
    def of(cls, bags: Sequence[NDArray[np.int64]]) -> Bags:
        lengths = np.array([len(b) for b in bags], np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        rows = np.concatenate(list(bags)).astype(np.int64) if bags else np.zeros(0, np.int64)
        return cls(rows, offsets)

    def subset(self, index: NDArray[Any]) -> Bags:
        return Bags.of([self.rows[self.offsets[i] : self.offsets[i + 1]] for i in index])

    def take(self, index: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Rows and start offsets (EmbeddingBag's form) of the bags at `index`."""
        parts = [self.rows[self.offsets[i] : self.offsets[i + 1]] for i in index]
        lengths = np.array([len(p) for p in parts], np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        flat = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return flat, starts


@dataclass(frozen=True, slots=True)
class PairBags:
    prompt: Bags
    answer: Bags
    opening: Bags

    def subset(self, index: NDArray[Any]) -> PairBags:
        return PairBags(*(b.subset(index) for b in (self.prompt, self.answer, self.opening)))


def pooled(bags: Bags, vectors: Array) -> Array:
    """Each bag's mean vector, L2-normalised (zeros for an empty bag): `TokenPool.embed`."""
    n = len(bags.offsets) - 1
    out = np.zeros((n, vectors.shape[1]), np.float32)
    for i in range(n):
        rows = bags.rows[bags.offsets[i] : bags.offsets[i + 1]]
        if len(rows):
            vec = vectors[rows].mean(axis=0)
            out[i] = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return out


def feature_rows(bags: PairBags, extra: Array, vectors: Array) -> Array:
    """The stage's feature rows (`fast.pair_rows`' layout) from token bags and `vectors`."""
    vp, va, vo = (pooled(b, vectors) for b in (bags.prompt, bags.answer, bags.opening))
    root = np.float32(np.sqrt(vectors.shape[1]))
    return np.hstack([vp, va, vp * va * root, vo, extra]).astype(np.float32)


def pair_bags(
    pool: TokenPool,
    prompts: Sequence[str],
    answers: Sequence[str],
    openings: Sequence[str] | None = None,
    prompt_rows: Callable[[str], NDArray[np.int64]] | None = None,
) -> tuple[PairBags, Array]:
    """The known tokens of each prompt, answer and opening, and each answer's share known
    (``openings``: the answers' openings where already cut, `AnswerCues.openings`;
    ``prompt_rows``: a prompt's known tokens where kept, as `TokenPool.rows` gives them)."""
    if openings is None:
        openings = [take_tokens(text, OPENING_TOKENS) for text in answers]
    p = [pool.rows(text)[0] if prompt_rows is None else prompt_rows(text) for text in prompts]
    a = [pool.rows(text) for text in answers]
    o = [pool.rows(text)[0] for text in openings]
    known = np.array([k for _, k in a], np.float32)
    return PairBags(Bags.of(p), Bags.of([r for r, _ in a]), Bags.of(o)), known


def extra_columns(
    judge: AnswerModel,
    prompts: Sequence[str],
    answers: Sequence[str],
    cues: AnswerCues | None = None,
) -> Array:
    """The feature columns after the pooled vectors: refusal cues, the judge's harm n-gram
    log-odds (last)."""
    if cues is None:
        cues = judge.cues(prompts, answers)
    return np.hstack([cues.cues, cues.grams[:, 3:]]).astype(np.float32)


def pair_rows(
    pool: TokenPool,
    judge: AnswerModel,
    prompts: Sequence[str],
    answers: Sequence[str],
    cues: AnswerCues | None = None,
    prompt_rows: Callable[[str], NDArray[np.int64]] | None = None,
) -> tuple[Array, Array]:
    """[v(prompt), v(answer), v(prompt) * v(answer), v(opening), refusal cues, the judge's harm
    n-gram log-odds]: the judge's own features with static vectors in place of the encoder."""
    if cues is None:
        cues = judge.cues(prompts, answers)
    bags, known = pair_bags(pool, prompts, answers, cues.openings, prompt_rows)
    return feature_rows(bags, extra_columns(judge, prompts, answers, cues), pool.vectors), known


def load_stage(folder: Path, judge: AnswerModel) -> FastStage | None:
    """The stage next to the judge's weights, or None when absent, off or built for other
    judge weights (then the judge alone decides, and the log says why)."""
    meta_path, path = folder / META_FILE, folder / FAST_FILE
    if not meta_path.is_file():
        return None
    try:
        meta = FastMeta.from_json(json.loads(meta_path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{meta_path}: not valid JSON ({exc})") from None
    if not meta.enabled:
        return None
    if meta.judge_sha256 != judge.meta.get("sha256"):
        log.warning(
            "answer first stage off: %s was built for other judge weights; "
            "run `sekimori train answer-fast`",
            meta_path,
        )
        return None
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != meta.sha256:
        raise ModelError(f"{path}: missing or its sha256 does not match {meta_path}")
    return FastStage(FastModel.load(path), meta, judge, e5_tokenizer())


def write_meta(folder: Path, meta: FastMeta) -> Path:
    path = folder / META_FILE
    path.write_text(json.dumps(asdict(meta), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path
