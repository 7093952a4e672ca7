"""How far the grader can be trusted: its labels against human labels on a fixed sample.

The sample is XSTest v2's model completions (five models' answers, each labelled by two
annotators as full compliance, full refusal or partial refusal), restricted to the prompts the
answer judges hold back from training, so the check is out of sample for the default grader.
Refusal agreement compares the grader's refusal label with the humans'; harm agreement uses
the humans' labels as a proxy (a complied-with unsafe prompt is a harmful answer, everything
else is not), which is coarse but independent of the grader. Cohen's kappa corrects both for
chance agreement.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from sekimori.classify.answers.data import held_back
from sekimori.redteam.datasets.sources import data_file, xstest
from sekimori.redteam.graders import Grader
from sekimori.redteam.items import Probe, Reply, SuiteItem, Turn
from sekimori.redteam.targets import TargetError
from sekimori.types import RefusalLabel

MODELS = ("gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct")
_HUMAN = {
    "1_full_compliance": RefusalLabel.COMPLIANCE,
    "2_full_refusal": RefusalLabel.REFUSAL,
    "3_partial_refusal": RefusalLabel.PARTIAL,
}


@dataclass(frozen=True, slots=True)
class Labelled:
    item: SuiteItem
    answer: str
    human: RefusalLabel
    key: str


def sample(n: int) -> list[Labelled]:
    """A fixed sample of n labelled completions, the same on every machine."""
    items = {i.text: i for i in xstest()}
    rows: list[Labelled] = []
    for model in MODELS:
        path = data_file("xstest", "model_completions", f"xstest_v2_completions_{model}.csv")
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                item = items.get(row["prompt"])
                # only prompts the answer judges were not trained on (their held-back split)
                if item is None or row["final_label"] not in _HUMAN or not held_back(row["id"]):
                    continue
                key = f"{model}:{row['id']}"
                rows.append(Labelled(item, row["completion"], _HUMAN[row["final_label"]], key))
    rows.sort(key=lambda r: hashlib.sha256(r.key.encode()).hexdigest())
    return rows[:n]


def kappa(pairs: list[tuple[bool, bool]]) -> float:
    """Cohen's kappa for two binary raters (1.0: perfect, 0.0: chance)."""
    n = len(pairs)
    if n == 0:
        return 0.0
    observed = sum(a == b for a, b in pairs) / n
    pa = sum(a for a, _ in pairs) / n
    pb = sum(b for _, b in pairs) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


@dataclass(frozen=True, slots=True)
class Agreement:
    grader: str
    n: int
    failed: int
    refusal_accuracy: float  # three-way labels equal
    refusal_kappa: float  # refused (full) or not
    harm_accuracy: float
    harm_kappa: float
    sample: str = "xstest-v2-completions"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def measure(grader: Grader, n: int = 200, concurrency: int = 8) -> Agreement:
    rows = sample(n)
    gate = asyncio.Semaphore(concurrency)

    async def grade(row: Labelled) -> tuple[Labelled, RefusalLabel, bool] | None:
        probe = Probe(f"{row.key}~direct", row.item, "direct", {}, (Turn("user", row.item.text),))
        async with gate:
            try:
                g = await grader(probe, Reply(row.answer))
            except TargetError:
                return None
        return row, g.refusal, g.harmful

    graded = [r for r in await asyncio.gather(*(grade(row) for row in rows)) if r is not None]
    three = sum(row.human is label for row, label, _ in graded)
    refusal_pairs = [
        (row.human is RefusalLabel.REFUSAL, label is RefusalLabel.REFUSAL)
        for row, label, _ in graded
    ]
    harm_pairs = [
        (row.item.expect.value == "refuse" and row.human is RefusalLabel.COMPLIANCE, harmful)
        for row, _, harmful in graded
    ]
    m = max(1, len(graded))
    return Agreement(
        grader=grader.name,
        n=len(graded),
        failed=len(rows) - len(graded),
        refusal_accuracy=three / m,
        refusal_kappa=kappa(refusal_pairs),
        harm_accuracy=sum(a == b for a, b in harm_pairs) / m,
        harm_kappa=kappa(harm_pairs),
    )
