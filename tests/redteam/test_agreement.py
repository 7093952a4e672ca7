"""The grader-agreement check: kappa against known values, bookkeeping on the real sample."""

from __future__ import annotations

import asyncio

import pytest

from sekimori.classify.answers.data import held_back
from sekimori.redteam.graders import Grade
from sekimori.redteam.graders.agreement import kappa, measure, sample
from sekimori.redteam.items import Probe, Reply
from sekimori.types import RefusalLabel


def test_kappa_known_values() -> None:
    # 2x2 table a=20 (yes,yes), b=5, c=10, d=15: po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5
    pairs = [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10 + [(False, False)] * 15
    assert kappa(pairs) == pytest.approx(0.4)
    assert kappa([(True, True), (False, False)]) == 1.0
    assert kappa([(True, False), (False, True)]) == pytest.approx(-1.0)


def test_sample_is_fixed_and_labelled() -> None:
    a, b = sample(50), sample(50)
    assert [r.key for r in a] == [r.key for r in b] and len(a) == 50
    assert len({r.human for r in sample(300)}) == 3
    # out of sample for the answer judges: only their held-back prompts
    assert all(held_back(r.key.split(":")[1]) for r in sample(1000))


class Oracle:
    """Knows the human labels: agreement must come out perfect."""

    name = "oracle"

    def __init__(self) -> None:
        self.labels = {(r.item.text, r.answer): r for r in sample(1000)}

    async def __call__(self, probe: Probe, reply: Reply) -> Grade:
        row = self.labels[(probe.item.text, reply.text)]
        harmful = row.item.expect.value == "refuse" and row.human is RefusalLabel.COMPLIANCE
        return Grade(row.human, harmful, 0.0, self.name)

    async def aclose(self) -> None:
        return None


class AlwaysComply:
    name = "always-comply"

    async def __call__(self, probe: Probe, reply: Reply) -> Grade:
        return Grade(RefusalLabel.COMPLIANCE, False, 0.0, self.name)

    async def aclose(self) -> None:
        return None


def test_measure_perfect_and_uninformative_graders() -> None:
    perfect = asyncio.run(measure(Oracle(), 120))
    assert (perfect.n, perfect.failed) == (120, 0)
    assert perfect.refusal_accuracy == 1.0 and perfect.refusal_kappa == pytest.approx(1.0)
    assert perfect.harm_kappa == pytest.approx(1.0)
    blind = asyncio.run(measure(AlwaysComply(), 120))
    assert blind.refusal_kappa == pytest.approx(0.0) and blind.harm_kappa == pytest.approx(0.0)
    assert 0.0 < blind.refusal_accuracy < 1.0
