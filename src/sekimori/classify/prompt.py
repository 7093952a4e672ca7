"""The prompt hazard classifier: heads on an encoder plus a hashed char n-gram model.

Scoring one text:
1. Views: the raw text and, when it differs, its normalised form (`sekimori.classify.normalize`);
   every score is the maximum over the views, so obfuscation cannot lower it.
2. Cheap first stage: the char n-gram model scores harm and jailbreak. When both are below the
   gate chosen on validation data, the text is clearly ordinary and skips the encoder.
3. Otherwise the encoder embeds the text (the head and the tail when it is long) and small MLP
   heads give harm, per-category and jailbreak probabilities; harm and jailbreak are blended with
   the n-gram probabilities. A category's score is capped by the harm score, so a benign question
   on a sensitive topic does not carry a high category score.

The artefacts (`model.json` + `heads.npz`) are plain numpy; inference needs no scikit-learn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.cascade import Band
from sekimori.classify.embedcache import encode_each
from sekimori.classify.encoder import ENCODERS, Encoder
from sekimori.classify.ngrams import hashed_ngrams
from sekimori.errors import ModelError
from sekimori.lang import detect_lang
from sekimori.taxonomy import CATEGORY_IDS, SIGNAL_JAILBREAK
from sekimori.types import Verdict

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "prompt"
FORMAT_VERSION = 1


def normalised_view(text: str) -> str:
    """The text as the user meant it (NFKC, decoded payloads, de-obfuscated)."""
    from sekimori.classify.normalize import normalize

    return normalize(text).text


def views(text: str) -> list[str]:
    norm = normalised_view(text)
    return [text] if norm == text else [text, norm]


def segments(text: str, max_chars: int) -> list[str]:
    """What the encoder sees of one view: all of it, or its head and tail when it is long."""
    if len(text) <= max_chars:
        return [text]
    return [text[:max_chars], text[-max_chars:]]


def sigmoid(x: NDArray[np.float32]) -> NDArray[np.float32]:
    out: NDArray[np.float32] = (1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))).astype(np.float32)
    return out


@dataclass(frozen=True, slots=True)
class Dense:
    weight: NDArray[np.float32]
    bias: NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class MLPHead:
    """A ReLU MLP; the last layer is linear (logits)."""

    layers: tuple[Dense, ...]

    def logits(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        for i, layer in enumerate(self.layers):
            x = x @ layer.weight + layer.bias
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0)
        return x


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


@dataclass(frozen=True, slots=True)
class PromptModel:
    meta: PromptModelMeta
    harm: MLPHead
    category: MLPHead
    jailbreak: MLPHead
    ngram_weight: NDArray[np.float16]  # (buckets, 2): harm, jailbreak
    ngram_bias: NDArray[np.float32]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, NDArray[Any]] = {
            "ngram_weight": self.ngram_weight,
            "ngram_bias": self.ngram_bias,
        }
        for name, head in (
            ("harm", self.harm),
            ("category", self.category),
            ("jailbreak", self.jailbreak),
        ):
            for i, layer in enumerate(head.layers):
                arrays[f"{name}.{i}.weight"] = layer.weight.astype(np.float16)
                arrays[f"{name}.{i}.bias"] = layer.bias.astype(np.float32)
        np.savez_compressed(directory / "heads.npz", allow_pickle=False, **arrays)
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

        def head(name: str) -> MLPHead:
            layers = []
            i = 0
            while f"{name}.{i}.weight" in arrays:
                layers.append(
                    Dense(
                        arrays[f"{name}.{i}.weight"].astype(np.float32),
                        arrays[f"{name}.{i}.bias"].astype(np.float32),
                    )
                )
                i += 1
            return MLPHead(tuple(layers))

        return cls(
            meta,
            head("harm"),
            head("category"),
            head("jailbreak"),
            arrays["ngram_weight"].astype(np.float16),
            arrays["ngram_bias"].astype(np.float32),
        )


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


class PromptClassifier:
    """text -> Verdict. Deterministic: the same text always gets the same verdict."""

    def __init__(self, model: PromptModel, encoder: Encoder) -> None:
        if encoder.dim != model.meta.dim:
            raise ModelError(
                f"encoder {encoder.name!r} gives {encoder.dim}-dim vectors, "
                f"the heads expect {model.meta.dim} ({model.meta.encoder})"
            )
        self.model = model
        self.encoder = encoder
        self._w = model.ngram_weight.astype(np.float32)

    @classmethod
    def load(
        cls, directory: Path = DEFAULT_MODEL_DIR, encoder: Encoder | None = None
    ) -> PromptClassifier:
        model = PromptModel.load(directory)
        return cls(model, encoder or load_encoder(directory, model.meta))

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
        """(harm, jailbreak) probabilities of the char n-gram model for one view."""
        row = hashed_ngrams(text, buckets=self.model.meta.buckets)
        logits = row.value @ self._w[row.index] + self.model.ngram_bias
        return sigmoid(logits.astype(np.float32))

    @staticmethod
    def _per_row(head: MLPHead, emb: NDArray[np.float32]) -> NDArray[np.float32]:
        """Head probabilities row by row: a batched matmul rounds differently with the batch
        size, and a verdict must not depend on its neighbours."""
        width = head.layers[-1].bias.shape[0]
        if len(emb) == 0:
            return np.zeros((0, width), np.float32)
        return np.concatenate([sigmoid(head.logits(emb[i : i + 1])) for i in range(len(emb))])

    def encoder_inputs(self, texts: Sequence[str]) -> list[str]:
        """Every segment the encoder may read for ``texts`` (before the first-stage gate)."""
        size = self.model.meta.segment_chars
        return [s for t in texts for v in views(t) for s in segments(v, size)]

    def scores_batch(self, texts: Sequence[str]) -> list[Scores]:
        meta = self.model.meta
        all_views = [views(t) for t in texts]
        ngram = [np.max([self.ngram_probs(v) for v in vs], axis=0) for vs in all_views]
        needs = [bool(ng[0] >= meta.gate or ng[1] >= meta.gate) for ng in ngram]
        owners: list[int] = []
        segs: list[str] = []
        for i, vs in enumerate(all_views):
            if needs[i]:
                for v in vs:
                    for s in segments(v, meta.segment_chars):
                        owners.append(i)
                        segs.append(s)
        emb = encode_each(self.encoder, segs)
        harm = self._per_row(self.model.harm, emb)[:, 0]
        cats = self._per_row(self.model.category, emb)
        jail = self._per_row(self.model.jailbreak, emb)[:, 0]
        own = np.asarray(owners, dtype=np.int64)
        out: list[Scores] = []
        for i, ng in enumerate(ngram):
            if not needs[i]:
                zero = dict.fromkeys(meta.categories, 0.0)
                out.append(Scores(float(ng[0]), zero, float(ng[1]), gated=True))
                continue
            rows = own == i
            h = meta.blend * float(harm[rows].max()) + (1 - meta.blend) * float(ng[0])
            j = meta.blend * float(jail[rows].max()) + (1 - meta.blend) * float(ng[1])
            c = cats[rows].max(axis=0)
            out.append(
                Scores(
                    h,
                    {
                        cid: round(min(float(s), h), 6)
                        for cid, s in zip(meta.categories, c, strict=True)
                    },
                    j,
                    gated=False,
                )
            )
        return out

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
        )

    def classify(self, text: str) -> Verdict:
        return self.classify_batch([text])[0]

    def classify_batch(self, texts: Sequence[str]) -> list[Verdict]:
        return [self.verdict(t, s) for t, s in zip(texts, self.scores_batch(texts), strict=True)]
