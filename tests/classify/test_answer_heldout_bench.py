"""bench/answers/heldout_prose.py: its figures and the RESULTS.md section it writes (on made-up
judged items; the held-back file itself is only ever read by the script)."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "answers" / "heldout_prose.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("heldout_prose", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["heldout_prose"] = module  # dataclasses look their module up while executing
    spec.loader.exec_module(module)
    return module


def _item(bench: ModuleType, lang: str, layout: str, harmful: bool, flagged: bool) -> object:
    return bench.Judged(
        lang=lang,
        layout=layout,
        category="weapons.chem" if harmful else None,
        refusal="compliance",
        harmful=harmful,
        score=0.9 if flagged else 0.1,
        flagged=flagged,
        group=None,
    )


def test_a_layout_below_target_is_missed_even_when_the_total_is_high(bench: ModuleType) -> None:
    judged = [_item(bench, "en", "prose", True, True) for _ in range(40)]
    judged += [_item(bench, "ja", "json", True, i > 0) for i in range(5)]  # 4/5 = 0.8
    judged += [_item(bench, "en", "prose", False, i == 0) for i in range(10)]
    text = "\n".join(bench.render(judged, 0.5, "0" * 64, "2026-12-05 00:00"))
    assert "Harmful answers caught: 0.978** (44/45)" in text
    assert "worst layout json 0.800" in text and "**missed**" in text
    assert "**0.100 (1/10)**" in text
    assert "| json | – | 0.800 (4/5) | 0.800 (4/5) |" in text


def test_the_section_is_replaced_and_the_rest_of_results_kept(
    bench: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("# R\n\n## Targets\n\nx\n\n## Notes\n\ny\n", encoding="utf-8")
    bench.write_section([bench.HEADING, "", "first"], path)
    bench.write_section([bench.HEADING, "", "second"], path)
    text = path.read_text(encoding="utf-8")
    assert text.count(bench.HEADING) == 1 and "second" in text and "first" not in text
    assert "## Targets\n\nx" in text and "## Notes\n\ny" in text
    path.write_text(f"# R\n\n{bench.HEADING}\n\nold\n\n## Notes\n\ny\n", encoding="utf-8")
    bench.write_section([bench.HEADING, "", "new"], path)
    text = path.read_text(encoding="utf-8")
    assert "old" not in text and "new" in text and text.endswith("## Notes\n\ny\n")


def test_the_second_set_reads_its_own_schema_and_keeps_its_own_section(
    bench: ModuleType, tmp_path: Path
) -> None:
    class Judge:
        def answer_batch(self, prompts: list[str], answers: list[str]) -> list[object]:
            return [SimpleNamespace(score=0.9, harmful="sure" in a) for a in answers]

    rows = [
        {"lang": "en", "prompt": "p", "answer": "sure, here", "label": "harmful",
         "category": "weapons.chem", "format": "news", "harm_kind": "procedure"},
        {"lang": "ja", "prompt": "p", "answer": "できません", "label": "benign",
         "category": "weapons.chem", "format": "letter", "harm_kind": "refusal"},
    ]  # fmt: skip
    judged = bench.judge_all(rows, Judge())
    assert [(j.harmful, j.layout, j.refusal, j.flagged) for j in judged] == [
        (True, "news", "procedure", True),
        (False, "letter", "refusal", False),
    ]
    v1, v2 = bench.SETS["v1"], bench.SETS["v2"]
    assert v2.path.name == "heldout_prose_v2.jsonl"
    assert v1.heading not in v2.heading and v2.heading not in v1.heading
    text = "\n".join(bench.render(judged, 0.5, "0" * 64, "2026-12-05 00:00", v2))
    assert text.startswith(v2.heading) and "heldout_prose_v2.jsonl" in text
    path = tmp_path / "RESULTS.md"
    bench.write_section([v1.heading, "", "one"], path)
    bench.write_section([v2.heading, "", "two"], path, heading=v2.heading)
    bench.write_section([v2.heading, "", "three"], path, heading=v2.heading)
    text = path.read_text(encoding="utf-8")
    assert "one" in text and "three" in text and "two" not in text


def test_the_third_set_and_the_gateway_points(bench: ModuleType) -> None:
    v1, v2, v3 = bench.SETS["v1"], bench.SETS["v2"], bench.SETS["v3"]
    assert v3.path.name == "heldout_prose_v3.jsonl" and "HELDOUT.md" in v3.provenance
    for other in (v1, v2):
        assert v3.heading not in other.heading and other.heading not in v3.heading

    class Stage:
        def levels(self, prompts: list[str], answers: list[str]) -> list[float]:
            return [0.0 if "hello" in a else 1.0 for a in answers]

        def clears(self, level: float) -> bool:
            return level < 0.5

    class Judge:
        def answer_batch(self, prompts: list[str], answers: list[str]) -> list[object]:
            return [SimpleNamespace(score=float(a[-1]) / 10, harmful=a[-1] >= "3") for a in answers]

    rows = [
        {"lang": "en", "prompt": "p", "answer": a, "label": label, "category": "hate",
         "format": "email", "harm_kind": "content" if label == "harmful" else "ordinary"}
        for a, label in [("sure 9", "harmful"), ("hello 4", "harmful"), ("ok 2", "harmful"),
                         ("hello 5", "benign"), ("no 3", "benign"), ("no 1", "benign")]
    ]  # fmt: skip
    judged = bench.judge_all(rows, Judge(), Stage())
    assert [j.cleared for j in judged] == [False, True, False, True, False, False]
    points = bench.Points(sure=0.45, clear=0.5)
    text = "\n".join(bench.render(judged, 0.3, "0" * 64, "2026-12-07 00:00", v3, points))
    assert text.startswith(v3.heading) and "heldout_prose_v3.jsonl" in text
    assert "Harmful answers caught: 0.667** (2/3)" in text  # the judge alone
    assert "harmful answers caught 1/3, cleared unjudged 1; non-harmful answers flagged 1/3, " \
        "cleared 1." in text  # fmt: skip
    assert "At the judge's sure point (0.45" in text and "harmful 1/3, non-harmful 1/3." in text
    plain = "\n".join(bench.render(judged, 0.3, "0" * 64, "2026-12-07 00:00", v3))
    assert "first stage" not in plain and "sure point" not in plain
