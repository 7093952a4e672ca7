"""Requests that are a matter of phrasing, not topic: detectors beside the prompt model.

One detector per category, each with its own files in the model folder (`KINDS`):
`ip.copyright` (`reproduction.npz/json`) and `self_harm` (`selfharm.npz/json`). What follows
was written for the first; the second is the same kind of model for the same kind of miss
(a person's distress or an ask in ordinary words: "is it even worth being alive?").

A request for a song's lyrics, a book's chapter word for word or an article behind a paywall is
a matter of phrasing more than of topic, and its benign twin ("what is the song about?",
"summarise chapter one") shares every topic word. The prompt model's category heads read topic:
as one more head, ip.copyright reached 9-13 of the 42 validation requests, and adding it moved
the other categories' shares of the heads' mass, which cost moderate recall (model card,
experiments N1-N4 and O). So it is scored apart, by a logistic model over the hashed character
n-grams (`sekimori.classify.ngrams`, the features the n-gram gate already uses): no encoder pass,
well under a millisecond a sentence, never part of the other categories' evidence.

A text's probability is the largest of its pieces' (the text as written, normalised, each
decoded payload, and each sentence of them), so padding and wrappers do not dilute a request.
As in the prompt model (`prompt.Segment.may_be_sure`), a sentence that reads as no request may
make a text's score unsure, never sure: it may flag, not block. Its hold and sure points are
chosen on the validation split by the moderate tier's rule (`operating.RULES`: at most 1% and
0.25% of the benign validation rows reach them; the sure point on the pieces that may be sure)
and map to the policy scale as a tier's do (hold 0.5, sure 0.75).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.heads import sigmoid
from sekimori.classify.ngrams import hashed_ngrams
from sekimori.classify.normalize import normalize
from sekimori.classify.operating import TierPoint
from sekimori.classify.segments import reads_as_request, sentences
from sekimori.errors import ModelError

FORMAT = 1


@dataclass(frozen=True, slots=True)
class DetectorKind:
    """A category scored by a detector of its own, and the stem of its files."""

    category: str
    stem: str
    command: str  # the `sekimori train` subcommand that rebuilds it
    name: str  # in messages

    @property
    def weights_file(self) -> str:
        return f"{self.stem}.npz"

    @property
    def meta_file(self) -> str:
        return f"{self.stem}.json"


COPYRIGHT = DetectorKind("ip.copyright", "reproduction", "reproduction", "copyright detector")
SELF_HARM = DetectorKind("self_harm", "selfharm", "selfharm", "self-harm detector")
KINDS: tuple[DetectorKind, ...] = (COPYRIGHT, SELF_HARM)
CATEGORY = COPYRIGHT.category
WEIGHTS_FILE = COPYRIGHT.weights_file
META_FILE = COPYRIGHT.meta_file


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece a text is read as; as in `prompt.Segment.may_be_sure`, a sentence of a longer
    text that reads as no request may not make the score sure."""

    text: str
    may_be_sure: bool


def pieces(text: str) -> Iterator[Piece]:
    """The texts a request is read as: written, normalised, each decoded payload, and every
    sentence of each of them (a text of one sentence is read once)."""
    norm = normalize(text)
    seen: set[str] = set()
    for view in (text, norm.text, *(d.text for d in norm.decoded)):
        parts = [s.text.strip() for s in sentences(view)]
        whole = view.strip()
        for piece in (whole, *(parts if len(parts) > 1 else ())):
            if piece and piece not in seen:
                seen.add(piece)
                yield Piece(piece, piece == whole or reads_as_request(piece))


@dataclass(frozen=True, slots=True)
class Reading:
    """A text's probability (its largest piece's) and that of the pieces that may be sure."""

    probability: float
    sure_probability: float


@dataclass(frozen=True, slots=True)
class PhrasingDetector:
    """P(a request of its kind's category) of a text, and its points."""

    weight: NDArray[np.float32]  # (buckets,)
    bias: float
    point: TierPoint
    figures: Mapping[str, Any] = field(default_factory=dict)
    kind: DetectorKind = COPYRIGHT

    @property
    def buckets(self) -> int:
        return int(self.weight.shape[0])

    def piece_probability(self, piece: str) -> float:
        row = hashed_ngrams(piece, buckets=self.buckets)
        logit = np.float32(row.value @ self.weight[row.index] + self.bias)
        return float(sigmoid(np.array([logit], np.float32))[0])

    def read(self, text: str) -> Reading:
        scored = [(self.piece_probability(p.text), p.may_be_sure) for p in pieces(text)]
        return Reading(
            max((p for p, _ in scored), default=0.0),
            max((p for p, sure in scored if sure), default=0.0),
        )

    def probability(self, text: str) -> float:
        return self.read(text).probability

    def policy_scores(self, text: str) -> tuple[float, float]:
        """The text's score for its category on the policy scale (hold 0.5, sure 0.75), and that of
        its pieces that may be sure: a sentence of a longer text that reads as no request
        (a line of a pasted lyric sheet or Dockerfile) may flag it, never block it alone."""
        reading = self.read(text)
        return (
            round(self.point.to_policy_scale(reading.probability), 6),
            round(self.point.to_policy_scale(reading.sure_probability), 6),
        )

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / self.kind.weights_file,
            allow_pickle=False,
            weight=self.weight.astype(np.float16),
            bias=np.array([self.bias], np.float32),
        )
        meta = {
            "format": FORMAT,
            "category": self.kind.category,
            "points": {"hold": self.point.hold, "sure": self.point.sure},
            "validation": dict(self.figures),
        }
        (directory / self.kind.meta_file).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, kind: DetectorKind = COPYRIGHT) -> PhrasingDetector | None:
        """The detector of ``kind`` stored in ``directory``; None when it has none."""
        if not (directory / kind.meta_file).is_file():
            return None
        try:
            meta = json.loads((directory / kind.meta_file).read_text(encoding="utf-8"))
            arrays = np.load(directory / kind.weights_file)
            if meta["format"] != FORMAT:
                raise ValueError(f"format {meta['format']}, expected {FORMAT}")
            if meta["category"] != kind.category:
                raise ValueError(f"category {meta['category']}, expected {kind.category}")
            point = TierPoint(float(meta["points"]["hold"]), float(meta["points"]["sure"]))
            weight = arrays["weight"].astype(np.float32)
            bias = float(arrays["bias"][0])
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ModelError(
                f"cannot load the {kind.name} from {directory}: {exc}; "
                f"run `sekimori train {kind.command}` to rebuild it"
            ) from exc
        return cls(weight, bias, point, meta.get("validation", {}), kind)


def load_detectors(directory: Path) -> list[PhrasingDetector]:
    """Every detector of `KINDS` stored in ``directory`` (a kind without files is left out)."""
    return [d for k in KINDS if (d := PhrasingDetector.load(directory, k)) is not None]
