"""The answer judges' heads: small dense models over (prompt, answer) features, numpy only.

Features of a pair: [e(prompt), e(answer), e(prompt) * e(answer), e(opening), refusal cues],
where the opening is the answer's first OPENING_TOKENS tokens (a refusal shows there, and set
beside the whole answer it separates "refuses, then complies anyway"); standardised with the
training mean and scale. Three heads read them (numpy forward passes of small dense layers):
- refusal: softmax over RefusalLabel (refusal, compliance, partial), blended (log-linear, weight
  `blend`) with a linear model over the answer's hashed character n-grams, which sees the exact
  wording ("I cannot … However, here are …", 「ただ、一般的には」) that a pooled embedding blurs,
  plus a per-label bias; weight and bias are chosen on out-of-fold predictions of training data;
- harm: sigmoid, "this answer gives harmful uplift", blended (in log-odds, weight `harm_blend`)
  with a linear model over the same hashed n-grams of the answer, which sees the words of a plain
  compliance ("punch", "launder", "fuel tank") that pooled embeddings of short how-to answers
  share with harmless ones; weight and threshold are chosen on out-of-fold predictions;
- category: softmax over the taxonomy ids seen among harmful training answers; a category's
  score is P(harmful) * P(category | harmful).

Artefacts: `answers.npz` (weights) and `answers.json` (encoder, feature layout, labels,
threshold, provenance, sha256 of the npz), written by `train.py`, loaded here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.answers.patterns import FEATURE_NAMES, refusal_feature_matrix
from sekimori.classify.answers.prefix import take_tokens
from sekimori.classify.ngrams import hashed_ngrams
from sekimori.errors import ModelError
from sekimori.taxonomy import CATEGORY_IDS
from sekimori.types import RefusalLabel

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "answers"
REFUSAL_LABELS: tuple[RefusalLabel, ...] = (
    RefusalLabel.REFUSAL,
    RefusalLabel.COMPLIANCE,
    RefusalLabel.PARTIAL,
)

OPENING_TOKENS = 32
# The characters of the last user turn (its end, where the request usually is) that the policy
# screen reads an answer under: the judge encodes the prompt with every window, padded to the
# longest, and 300 characters keep a window's cost near 30 ms, not 160. The answer judge's
# training reads prompts the same way (`sekimori train answers --serving-encoding`); here, not in
# the screen, so that training (this layer) and the screen (above it) read the one number.
JUDGE_PROMPT_CHARS = 300
# The n-gram refusal head: char 1..NGRAM_MAX_N-grams hashed into NGRAM_BUCKETS.
NGRAM_BUCKETS = 2**16
NGRAM_MAX_N = 4

Array = NDArray[np.float32]


def pair_features(
    prompt_emb: Array,
    answer_emb: Array,
    opening_emb: Array,
    prompts: Sequence[str],
    answers: Sequence[str],
    cues: Array | None = None,
) -> Array:
    """The unscaled feature rows for embedded (prompt, answer, answer opening) triples
    (``cues``: the pairs' refusal cues where already computed, `AnswerCues`)."""
    # The product is scaled up so it starts on the same footing as the raw embeddings.
    product = prompt_emb * answer_emb * np.float32(np.sqrt(prompt_emb.shape[1]))
    if cues is None:
        cues = refusal_feature_matrix(answers, prompts)
    return np.hstack([prompt_emb, answer_emb, product, opening_emb, cues]).astype(np.float32)


def ngram_logits(weights: Array, bias: Array, answers: Sequence[str]) -> Array:
    """Logits of a linear model over the answers' hashed char n-grams; weights (buckets, k)."""
    out = np.zeros((len(answers), weights.shape[1]), dtype=np.float32)
    for i, answer in enumerate(answers):
        row = hashed_ngrams(answer, buckets=weights.shape[0], max_n=NGRAM_MAX_N)
        out[i] = row.value @ weights[row.index]
    result: Array = (out + bias).astype(np.float32)
    return result


def blend_harm(mlp_logit: Array, ngram_logit: Array, blend: float) -> Array:
    """P(harmful) from the MLP's and the n-gram model's log-odds, mixed with weight `blend`."""
    return _sigmoid(((1 - blend) * mlp_logit + blend * ngram_logit).astype(np.float32))


def blend_refusal(mlp_p: Array, ngram_p: Array, blend: float, bias: Array) -> Array:
    """Log-linear blend of the two refusal heads' probabilities, with a per-label bias."""
    eps = np.float32(1e-9)
    z = (1 - blend) * np.log(mlp_p + eps) + blend * np.log(ngram_p + eps) + bias
    return _softmax(z.astype(np.float32))


def _softmax(z: Array) -> Array:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: Array = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return out


def _sigmoid(z: Array) -> Array:
    out: Array = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    return out


@dataclass(frozen=True, slots=True)
class AnswerCues:
    """What the judge reads of (prompt, answer) pairs besides the encoder, a row a pair: each
    answer's opening (its first OPENING_TOKENS tokens), its refusal cues
    (`patterns.refusal_feature_matrix`) and both n-gram heads' logits (the refusal head's three,
    then the harm head's). The first stage (`fast.py`) reads them for every pair; the judge
    takes them from it for the pairs it is left to judge, instead of computing them again (each
    row depends on its own pair only: the same numbers)."""

    openings: tuple[str, ...]
    cues: Array  # (n, len(FEATURE_NAMES))
    grams: Array  # (n, 4)

    def take(self, index: Sequence[int]) -> AnswerCues:
        """The rows of the pairs at ``index``, in that order."""
        rows = list(index)
        return AnswerCues(tuple(self.openings[i] for i in rows), self.cues[rows], self.grams[rows])


@dataclass(frozen=True, slots=True)
class HeadOutputs:
    refusal: Array  # (n, 3) probabilities in REFUSAL_LABELS order
    harm: Array  # (n,) P(harmful)
    categories: Array  # (n, len(category_ids)) P(harmful) * P(category | harmful)


@dataclass(frozen=True)
class Head:
    """Dense layers (weights as (inputs, outputs)) with ReLU between them; returns logits."""

    layers: tuple[tuple[Array, Array], ...]

    def logits(self, x: Array) -> Array:
        for i, (w, b) in enumerate(self.layers):
            x = (x @ w + b).astype(np.float32)
            if i < len(self.layers) - 1:
                x = np.maximum(x, np.float32(0.0))
        return x


HEADS = ("refusal", "harm", "category", "ngram", "harm_ngram")


@dataclass(frozen=True)
class AnswerModel:
    encoder: str
    dim: int
    mean: Array
    scale: Array
    refusal: Head  # 3 logits in REFUSAL_LABELS order
    harm: Head  # 1 logit
    category: Head  # one logit per category id
    ngram: Head  # one linear layer (NGRAM_BUCKETS, 3): refusal logits from char n-grams
    harm_ngram: Head  # one linear layer (NGRAM_BUCKETS, 1): harm log-odds from char n-grams
    category_ids: tuple[str, ...]
    threshold: float
    blend: float  # weight of the n-gram head in the refusal blend
    harm_blend: float  # weight of the n-gram head in the harm blend (log-odds)
    refusal_bias: Array  # (3,) added to the blended log-probabilities
    meta: dict[str, Any]

    @property
    def f1_threshold(self) -> float | None:
        """The harm score of best out-of-fold F1 (training's meta); `threshold` is the lower
        recall floor, so this is where the judge is sure rather than suspicious."""
        raw = self.meta.get("f1_threshold")
        return None if raw is None else float(raw)

    @cached_property
    def _ngram_weights(self) -> tuple[Array, Array]:
        """Both n-gram heads side by side, so an answer's n-grams are hashed once: (buckets, 4)."""
        (w, b), *_ = self.ngram.layers
        (hw, hb), *_ = self.harm_ngram.layers
        return np.hstack([w, hw]).astype(np.float32), np.concatenate([b, hb]).astype(np.float32)

    def ngram_logits(self, answers: Sequence[str]) -> Array:
        """Both n-gram heads' logits for each answer, (n, 4): refusal's three, then harm's."""
        return ngram_logits(*self._ngram_weights, answers)

    def cues(self, prompts: Sequence[str], answers: Sequence[str]) -> AnswerCues:
        """`AnswerCues` of the pairs (no encoder needed)."""
        return AnswerCues(
            tuple(take_tokens(a, OPENING_TOKENS) for a in answers),
            refusal_feature_matrix(answers, prompts),
            self.ngram_logits(answers),
        )

    def predict(
        self, features: Array, answers: Sequence[str], grams: Array | None = None
    ) -> HeadOutputs:
        """Head outputs for feature rows and the answer texts they were computed from
        (``grams``: the answers' `ngram_logits` where already computed)."""
        if features.ndim != 2 or features.shape[1] != self.mean.shape[0]:
            raise ModelError(
                f"answer heads expect {self.mean.shape[0]} features, got shape {features.shape}"
            )
        if len(answers) != features.shape[0]:
            raise ModelError(f"{features.shape[0]} feature rows but {len(answers)} answers")
        x = ((features - self.mean) / self.scale).astype(np.float32)
        if grams is None:
            grams = self.ngram_logits(answers)
        harm = blend_harm(self.harm.logits(x)[:, 0], grams[:, 3], self.harm_blend)
        cats = _softmax(self.category.logits(x))
        refusal = blend_refusal(
            _softmax(self.refusal.logits(x)),
            _softmax(grams[:, :3]),
            self.blend,
            self.refusal_bias,
        )
        return HeadOutputs(refusal, harm, cats * harm[:, None])

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / "answers.npz"
        arrays = {"mean": self.mean, "scale": self.scale, "refusal_bias": self.refusal_bias}
        for name in HEADS:
            head: Head = getattr(self, name)
            for i, (w, b) in enumerate(head.layers):
                arrays[f"{name}_w{i}"] = w.astype(np.float32)
                arrays[f"{name}_b{i}"] = b.astype(np.float32)
        np.savez_compressed(weights, **arrays)  # type: ignore[arg-type]
        card = {
            **self.meta,
            "encoder": self.encoder,
            "dim": self.dim,
            "cue_features": list(FEATURE_NAMES),
            "refusal_labels": [str(r) for r in REFUSAL_LABELS],
            "category_ids": list(self.category_ids),
            "layers": {name: len(getattr(self, name).layers) for name in HEADS},
            "threshold": self.threshold,
            "blend": self.blend,
            "harm_blend": self.harm_blend,
            "ngram": {"buckets": NGRAM_BUCKETS, "max_n": NGRAM_MAX_N},
            "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        }
        (folder / "answers.json").write_text(
            json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_model(folder: Path = MODEL_DIR) -> AnswerModel:
    """Load and verify the committed heads; ModelError names the file and what is wrong."""
    meta_path, weights = folder / "answers.json", folder / "answers.npz"
    for path in (meta_path, weights):
        if not path.is_file():
            raise ModelError(f"{path}: answer-judge artefact missing; run `sekimori train answers`")
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{meta_path}: not valid JSON ({exc})") from None
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != meta.get("sha256"):
        raise ModelError(f"{weights}: sha256 {digest} does not match {meta_path}")
    unknown = [c for c in meta.get("category_ids", []) if c not in CATEGORY_IDS]
    if unknown or list(meta.get("cue_features", [])) != list(FEATURE_NAMES):
        raise ModelError(f"{meta_path}: categories or cue features do not match this sekimori")
    if meta.get("ngram") != {"buckets": NGRAM_BUCKETS, "max_n": NGRAM_MAX_N}:
        raise ModelError(f"{meta_path}: n-gram layout does not match this sekimori")
    with np.load(weights) as npz:
        arrays = {k: npz[k].astype(np.float32) for k in npz.files}
    try:
        heads = {
            name: Head(
                tuple(
                    (arrays[f"{name}_w{i}"], arrays[f"{name}_b{i}"])
                    for i in range(int(meta["layers"][name]))
                )
            )
            for name in HEADS
        }
        return AnswerModel(
            encoder=str(meta["encoder"]),
            dim=int(meta["dim"]),
            mean=arrays["mean"],
            scale=arrays["scale"],
            refusal=heads["refusal"],
            harm=heads["harm"],
            category=heads["category"],
            ngram=heads["ngram"],
            harm_ngram=heads["harm_ngram"],
            category_ids=tuple(meta["category_ids"]),
            threshold=float(meta["threshold"]),
            blend=float(meta["blend"]),
            harm_blend=float(meta["harm_blend"]),
            refusal_bias=arrays["refusal_bias"],
            meta=meta,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{meta_path}: incomplete answer-judge artefact ({exc!r})") from None
