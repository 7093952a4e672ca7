"""`ip.copyright` read from the prompt model's own embedding: a logistic head beside the n-gram
detector (`sekimori.classify.reproduction`).

The n-gram detector reads words, not the request: "generate a long passage from <book>" scored
near 0 and "summarise the first chapter of <book>" over its hold point, because only the words it
was fitted on move it. The head is one logistic regression on the encoder embedding the prompt
classifier already computes for a text (its whole's pieces, its chosen segments: every piece it
encodes, read again from its recent-embeddings cache, so no second encoder pass), fitted on the
prompt model's training split (`copyright_head_train`).

A text the first stage clears without an encoder pass has no embedding: there the n-gram
detector's score stands, so the category never silently vanishes. Where the encoder ran, the
combined score is the larger of the head's and the detector's (`Mode.MAX`) or the head's alone
(`Mode.SWITCH`), as chosen by measurement (bench/classifier/COPYRIGHT_HEAD.md). The head's hold
and sure points are chosen on the validation split by the moderate tier's rule, counting every
benign row the combined score puts there (the detector's included), and map to the policy scale
as a tier's do (hold 0.5, sure 0.75). As in the detector, only the pieces that may be sure
(`prompt.Segment.may_be_sure`, the whole) may make the score sure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.heads import load_linear, save_linear, sigmoid
from sekimori.classify.operating import TierPoint
from sekimori.classify.reproduction import CATEGORY, Reading

WEIGHTS_FILE = "copyright_head.npz"
META_FILE = "copyright_head.json"
FILES = (WEIGHTS_FILE, META_FILE)
FORMAT = 1

log = logging.getLogger(__name__)


class Mode(StrEnum):
    """How the head's score joins the n-gram detector's where the encoder ran."""

    MAX = "max"  # the larger of the two
    SWITCH = "switch"  # the head's alone


@dataclass(frozen=True, slots=True)
class CopyrightHead:
    """P(a request to reproduce a protected work) of an embedding, its points and its mode."""

    weight: NDArray[np.float32]  # (dim,)
    bias: float
    point: TierPoint
    mode: Mode = Mode.MAX
    figures: Mapping[str, Any] = field(default_factory=dict)
    prompt_model: str = ""  # `second_opinion.prompt_model_digest` of the model it was fitted on

    def probabilities(self, embeddings: NDArray[np.float32]) -> NDArray[np.float32]:
        """P(request) of each embedding row."""
        logits = (embeddings @ self.weight + np.float32(self.bias)).astype(np.float32)
        out: NDArray[np.float32] = sigmoid(logits)
        return out

    def read(self, embeddings: NDArray[np.float32], may_be_sure: Sequence[bool]) -> Reading:
        """A text's reading from the embeddings of its encoded pieces: the largest probability,
        and the largest of the pieces that may be sure (0.0 when none may)."""
        p = self.probabilities(embeddings)
        sure = [float(q) for q, ok in zip(p, may_be_sure, strict=True) if ok]
        return Reading(float(p.max()) if len(p) else 0.0, max(sure, default=0.0))

    def combine(self, own: Reading | None, ngram: tuple[float, float]) -> tuple[float, float]:
        """The text's ip.copyright score and sure score on the policy scale: the detector's
        (``ngram``) where the encoder read nothing (``own`` None), else by the mode."""
        if own is None:
            return ngram
        head = (
            round(self.point.to_policy_scale(own.probability), 6),
            round(self.point.to_policy_scale(own.sure_probability), 6),
        )
        if self.mode is Mode.SWITCH:
            return head
        return max(head[0], ngram[0]), max(head[1], ngram[1])

    def save(self, directory: Path) -> None:
        meta = {
            "format": FORMAT,
            "category": CATEGORY,
            "mode": self.mode.value,
            "prompt_model": self.prompt_model,
            "points": {"hold": self.point.hold, "sure": self.point.sure},
            "validation": dict(self.figures),
        }
        save_linear(directory, FILES, self.weight.astype(np.float16), self.bias, meta)

    @classmethod
    def load(cls, directory: Path) -> CopyrightHead | None:
        """The head stored in ``directory``; None when it has none."""
        names = ("the copyright head", "sekimori train copyright-head")
        loaded = load_linear(directory, FILES, FORMAT, names, _read_meta)
        if loaded is None:
            return None
        weight, bias, meta, (point, mode, prompt_model) = loaded
        return cls(weight, bias, point, mode, meta.get("validation", {}), prompt_model)


def _read_meta(meta: dict[str, Any]) -> tuple[TierPoint, Mode, str]:
    point = TierPoint(float(meta["points"]["hold"]), float(meta["points"]["sure"]))
    return point, Mode(meta["mode"]), str(meta["prompt_model"])


def load_copyright_head(directory: Path, meta: Any) -> CopyrightHead | None:
    """The head in ``directory`` for the prompt model of ``meta``; None (with a warning) when
    there is none or it was fitted on another model's embedding (the detector alone then)."""
    from sekimori.classify.second_opinion import prompt_model_digest

    head = CopyrightHead.load(directory)
    if head is None:
        return None
    if head.prompt_model != prompt_model_digest(meta):
        log.warning(
            "the copyright head in %s was fitted for another prompt model; it is off until "
            "`sekimori train copyright-head` rebuilds it / "
            "別のモデル用の著作権ヘッドのため無効です",
            directory,
        )
        return None
    return head
