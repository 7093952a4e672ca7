"""The copyright head (`sekimori.classify.copyright_head`): a logistic head on the prompt model's
embedding, joined with the n-gram detector where the encoder ran, the detector's score standing
where it did not; its points spend only what the detector left of the moderate benign budget."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.typing import NDArray

from sekimori.classify.copyright_head import CopyrightHead, Mode, load_copyright_head
from sekimori.classify.copyright_head_train import (
    CopyrightHeadSettings,
    Row,
    choose_point,
    train_copyright_head,
)
from sekimori.classify.corpus import Example, Split
from sekimori.classify.operating import TierPoint
from sekimori.classify.reproduction import CATEGORY, Reading

ASK = "reproduce"  # what the fake embedding reads as a request


def _head(mode: Mode) -> CopyrightHead:
    return CopyrightHead(np.array([4.0, 0.0], np.float32), -2.0, TierPoint(0.6, 0.8), mode)


def test_the_detector_stands_where_nothing_was_encoded_and_the_mode_joins_elsewhere() -> None:
    ngram = (0.55, 0.4)
    for mode in Mode:
        # a text the first stage cleared: no reading, the detector's score (never 0)
        assert _head(mode).combine(None, ngram) == ngram
    low, high = Reading(0.3, 0.3), Reading(0.9, 0.7)
    assert _head(Mode.MAX).combine(low, ngram) == ngram  # the larger of the two
    assert _head(Mode.SWITCH).combine(low, ngram)[0] < 0.5  # the head's alone
    score, sure = _head(Mode.MAX).combine(high, ngram)
    assert score == pytest.approx(TierPoint(0.6, 0.8).to_policy_scale(0.9), abs=1e-6)
    assert 0.5 <= sure < 0.75  # only the pieces that may be sure make it sure


def test_it_reads_the_largest_piece_and_only_sure_pieces_for_sure() -> None:
    head = _head(Mode.MAX)
    emb = np.array([[1.0, 0.0], [0.0, 0.0]], np.float32)
    reading = head.read(emb, [False, True])
    assert reading.probability == pytest.approx(1 / (1 + np.exp(-2.0)), abs=1e-6)
    assert reading.sure_probability == pytest.approx(1 / (1 + np.exp(2.0)), abs=1e-6)
    assert head.read(emb[:1], [False]).sure_probability == 0.0


def _row(harmful: bool, head: float | None, ngram: float) -> Row:
    example = Example("t", "en", harmful, (CATEGORY,) if harmful else (), None, "t", "t")
    reading = None if head is None else Reading(head, head)
    return Row(example, reading, (ngram, ngram))


def test_points_spend_what_the_detector_left_of_the_benign_budget() -> None:
    # 400 benign rows: 1% = 4 at hold, 0.25% = 1 at sure. Three already reach hold through the
    # detector (one of them unencoded), and one reaches sure through it.
    benign = [_row(False, i / 400, 0.0) for i in range(396)]
    benign += [_row(False, 0.1, 0.6), _row(False, 0.1, 0.6), _row(False, None, 0.8)]
    benign.append(_row(False, None, 0.0))
    rows = benign + [_row(True, 0.99, 0.0)] * 5
    point = choose_point(rows, Mode.MAX)
    head_values = np.array([r.head.probability for r in benign if r.head is not None])
    ngram_values = np.array([r.ngram[0] for r in benign if r.head is not None])
    # MAX: the detector's three count first, so the head may add one benign row at hold
    assert ((head_values >= point.hold) & (ngram_values < 0.5)).sum() == 1
    assert (head_values >= point.sure).sum() == 0  # the detector spent the one sure row
    # SWITCH: only the unencoded row the detector reaches counts; the head takes three
    switch = choose_point(rows, Mode.SWITCH)
    assert (head_values >= switch.hold).sum() == 3
    assert (head_values >= switch.sure).sum() == 0


def _embed(pieces: Sequence[str]) -> NDArray[np.float32]:
    return np.array([[float(ASK in p), 1.0] for p in pieces], np.float32)


def _examples() -> list[Example]:
    out = []
    for split in (Split.TRAIN, Split.VALIDATION):
        for i in range(20):
            ask = f"Please {ASK} chapter {i} of the novel word for word."
            out.append(Example(ask, "en", True, (CATEGORY,), None, "t", ask, split))
            out.append(Example(f"Summarise chapter {i}.", "en", False, (), None, "t", "s", split))
            out.append(Example(f"Pick a lock {i}", "en", True, ("crime",), None, "t", "c", split))
    return out


def test_it_is_fitted_on_the_training_split_and_placed_on_the_validation_split(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("sklearn", reason="training needs scikit-learn")
    asked: list[str] = []

    def pieces(text: str) -> list[tuple[str, bool]]:
        asked.append(text)
        return [] if text.startswith("Summarise chapter 1") else [(text, True)]

    head = train_copyright_head(
        _examples(),
        lambda t: t,
        pieces,
        _embed,
        lambda t: (0.0, 0.0),
        CopyrightHeadSettings(),
        prompt_model="digest",
    )
    assert head.mode is Mode.MAX
    assert all(t in {e.text for e in _examples() if e.split is Split.VALIDATION} for t in asked)
    emb = _embed([f"Please {ASK} it.", "Summarise it."])
    p_ask, p_twin = head.probabilities(emb)
    assert p_ask >= head.point.hold > p_twin
    figures = head.figures
    assert figures["requests"]["hold"]["all"] == 20
    assert figures["benign"]["hold"]["all"] == 0
    assert figures["benign"]["unencoded"] == 11  # "Summarise chapter 1" and 10-19
    head.save(tmp_path)
    again = CopyrightHead.load(tmp_path)
    assert again is not None and again.point == head.point and again.mode is Mode.MAX
    assert again.prompt_model == "digest"
    # a head fitted for another prompt model is off, with a warning
    with caplog.at_level(logging.WARNING):
        other = SimpleNamespace(data={"fingerprint": "x"}, operating_points=None)
        assert load_copyright_head(tmp_path, other) is None
    assert "copyright head" in caplog.text
    assert CopyrightHead.load(tmp_path / "none") is None
