"""Requests to reproduce a protected work (`ip.copyright`): a detector beside the prompt model.

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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.heads import load_linear, save_linear, sigmoid
from sekimori.classify.ngrams import HashedText, SparseRow, hashed_ngrams, hashed_text
from sekimori.classify.normalize import normalize
from sekimori.classify.operating import TierPoint
from sekimori.classify.segments import reads_as_request, sentences

CATEGORY = "ip.copyright"
WEIGHTS_FILE = "reproduction.npz"
META_FILE = "reproduction.json"
FILES = (WEIGHTS_FILE, META_FILE)
FORMAT = 1


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece a text is read as; as in `prompt.Segment.may_be_sure`, a sentence of a longer
    text that reads as no request may not make the score sure."""

    text: str
    may_be_sure: bool


def pieces(text: str) -> Iterator[Piece]:
    """The texts a request is read as: written, normalised, each decoded payload, and every
    sentence of each of them (a text of one sentence is read once)."""
    for view, a, b, whole in _spans(text):
        piece = view[a:b]
        yield Piece(piece, whole or reads_as_request(piece))


def _spans(text: str) -> Iterator[tuple[str, int, int, bool]]:
    """Where `pieces` lie, without asking whether each reads as a request: the view it was read
    in, where in it (``view[start:end]``), and whether it is the view's whole (which may always
    be sure)."""
    norm = normalize(text)
    seen: set[str] = set()
    for view in (text, norm.text, *(d.text for d in norm.decoded)):
        parts = [_stripped(view, s.start, s.end) for s in sentences(view)]
        whole = _stripped(view, 0, len(view))
        for a, b in (whole, *(parts if len(parts) > 1 else ())):
            piece = view[a:b]
            if piece and piece not in seen:
                seen.add(piece)
                yield view, a, b, piece == view[whole[0] : whole[1]]


def _stripped(view: str, start: int, end: int) -> tuple[int, int]:
    """Where ``view[start:end].strip()`` lies in ``view``."""
    piece = view[start:end]
    start += len(piece) - len(piece.lstrip())
    return start, start + len(piece.strip())


@dataclass(frozen=True, slots=True)
class Reading:
    """A text's probability (its largest piece's) and that of the pieces that may be sure."""

    probability: float
    sure_probability: float


@dataclass(frozen=True, slots=True)
class ReproductionDetector:
    """P(a request to reproduce a protected work) of a text, and its points."""

    weight: NDArray[np.float32]  # (buckets,)
    bias: float
    point: TierPoint
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def buckets(self) -> int:
        return int(self.weight.shape[0])

    def piece_probability(self, piece: str) -> float:
        return self.row_probability(hashed_ngrams(piece, buckets=self.buckets))

    def row_probability(self, row: SparseRow) -> float:
        """`piece_probability` of a piece's hashed n-grams (`ngrams.hashed_ngrams`)."""
        logit = np.float32(row.value @ self.weight[row.index] + self.bias)
        return float(sigmoid(np.array([logit], np.float32))[0])

    def read(self, text: str) -> Reading:
        # each view hashed once (the plan's hashing where it read the view just before), its
        # pieces (its sentences) read from its n-grams
        hashed: dict[str, HashedText] = {}
        scored: list[tuple[float, str, bool]] = []  # (probability, piece, the view's whole)
        for view, a, b, whole in _spans(text):
            grams = hashed.get(view)
            if grams is None:
                grams = hashed[view] = hashed_text(view)
            row = grams.piece_row(a, b, self.buckets)
            scored.append((self.row_probability(row), view[a:b], whole))
        # The largest probability of a piece that may be sure (`Piece.may_be_sure`): asked of
        # the pieces from the most probable down, only until one may be (a piece below it
        # cannot change the largest), so most sentences are never matched against the request
        # patterns; the same value as asking every piece.
        ranked = sorted(scored, key=lambda s: -s[0])
        sure = next((p for p, piece, whole in ranked if whole or reads_as_request(piece)), 0.0)
        return Reading(max((p for p, _, _ in scored), default=0.0), sure)

    def probability(self, text: str) -> float:
        return self.read(text).probability

    def policy_scores(self, text: str) -> tuple[float, float]:
        """The text's ip.copyright score on the policy scale (hold 0.5, sure 0.75), and that of
        its pieces that may be sure: a sentence of a longer text that reads as no request
        (a line of a pasted lyric sheet or Dockerfile) may flag it, never block it alone."""
        reading = self.read(text)
        return (
            round(self.point.to_policy_scale(reading.probability), 6),
            round(self.point.to_policy_scale(reading.sure_probability), 6),
        )

    def save(self, directory: Path) -> None:
        meta = {
            "format": FORMAT,
            "category": CATEGORY,
            "points": {"hold": self.point.hold, "sure": self.point.sure},
            "validation": dict(self.figures),
        }
        save_linear(directory, FILES, self.weight.astype(np.float16), self.bias, meta)

    @classmethod
    def load(cls, directory: Path) -> ReproductionDetector | None:
        """The detector stored in ``directory``; None when it has none (an older model)."""
        names = ("the copyright detector", "sekimori train reproduction")
        loaded = load_linear(directory, FILES, FORMAT, names, _point)
        if loaded is None:
            return None
        weight, bias, meta, point = loaded
        return cls(weight, bias, point, meta.get("validation", {}))


def _point(meta: dict[str, Any]) -> TierPoint:
    return TierPoint(float(meta["points"]["hold"]), float(meta["points"]["sure"]))
