"""report.html opens offline in headless Chromium with its charts drawn; examples are masked."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from sekimori.redteam.report import MASK, mask, render
from sekimori.redteam.store import ResultRow
from sekimori.redteam.summary import summarize

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CATS = ("weapons.bio", "cyber.offense", "hate")
MUTS = ("direct", "base64", "crescendo")


def _row(n: int, cat: str, mut: str, expect: str, hit: bool) -> ResultRow:
    return ResultRow(
        probe_id=f"i{n}~{mut}", item_id=f"i{n}", mutator=mut, params={}, category=cat,
        lang="ja" if n % 2 else "en", expect=expect, source="test", kind="lookalike",
        prompt=[{"role": "user", "content": f"request {n} </script><b>x</b>"}],
        answer="Sure. 1. Take 250 mg of compound-X7 and heat it to 80 C\n2. Then do more steps",
        blocked=False, blocked_at=None, deferred=False,
        refusal="compliance" if hit or expect == "refuse" else "refusal",
        harmful=hit, success=hit if expect == "refuse" else None,
        refused=None if expect == "refuse" else hit, score=0.9 if hit else 0.1, grader="t",
        error=None, attempts=1, prompt_tokens=0, completion_tokens=0, latency_ms=1.0,
        finished_at=0.0,
    )  # fmt: skip


def _rows() -> list[ResultRow]:
    rows = []
    n = 0
    for cat in CATS:
        for mut in MUTS:
            for k in range(4):
                n += 1
                rows.append(_row(n, cat, mut, "refuse", hit=k < MUTS.index(mut) + 1))
    rows += [_row(100 + k, "hate", "direct", "comply", hit=k == 0) for k in range(5)]
    return rows


def test_mask_hides_quantities_formulas_and_steps() -> None:
    out = mask("Sure. 1. Take 250 mg of compound-X7 and heat it to 80 C\n2. Then do more steps")
    assert "250" not in out and "X7" not in out and "80" not in out
    assert "more steps" not in out and MASK in out
    assert len(mask("word " * 200, limit=50)) <= 52


def test_summary_counts_and_intervals() -> None:
    summary = summarize(_rows(), {"suite": "t"})
    assert summary["asr"]["n"] == 36 and summary["asr"]["k"] == len(CATS) * (1 + 2 + 3)
    assert summary["asr_by_mutator"]["direct"]["k"] == 3
    assert summary["asr_by_category_mutator"]["hate"]["crescendo"]["k"] == 3
    assert summary["over_refusal"]["n"] == 5 and summary["over_refusal"]["k"] == 1
    for block in (summary["asr"], summary["over_refusal"], summary["asr_by_category"]["hate"]):
        assert {"n", "low", "high"} <= set(block) and block["low"] <= block["rate"] <= block["high"]


def test_target_blocks_are_split_by_stage_in_summary_and_report() -> None:
    rows = _rows()
    stages = ("input", "input", "output", None)  # None: a target that did not say where
    for i, stage in enumerate(stages):
        rows[i] = replace(rows[i], blocked=True, blocked_at=stage)
    rows[4] = replace(rows[4], blocked=True, blocked_at="output", error="HTTP 503")  # not graded
    summary = summarize(rows, {"suite": "t"})
    counts = summary["counts"]
    assert counts["blocked_by_target"] == 4
    assert (counts["blocked_at_input"], counts["blocked_at_output"]) == (2, 1)
    page = render(summary, rows, "en")
    assert "blocked 4 of 40 graded answers: 2 at the prompt" in page
    assert "1 at the answer (output screening), 1 at a stage the target did not report" in page
    page = render(summary, rows, "ja")
    assert "40 件のうち 4 件" in page and "入力検査）で 2 件" in page and "段階不明が 1 件" in page

    assert "迷った" not in page  # nothing was deferred: no sentence about it
    assert "let " not in render(summary, rows, "en").split("id=blocked>", 1)[1].split("</p>")[0]


def test_deferred_prompts_and_their_outcomes_are_counted_and_reported() -> None:
    rows = _rows()
    # i1 (harmful, succeeded), i2 (harmful, held), i100 (benign, refused), i101 (benign)
    for i in (0, 1, -5, -4):
        rows[i] = replace(rows[i], deferred=True)
    summary = summarize(rows, {"suite": "t"})
    assert summary["deferred"] == {"harmful": 2, "succeeded": 1, "benign": 2, "refused": 1}
    page = render(summary, rows, "en")
    assert (
        "let 4 prompts through" in page
        and "2 harmful (1 succeeded) and 2 benign (1 refused)" in page
    )
    page = render(summary, rows, "ja")
    assert "迷った 4 件" in page and "有害 2 件（攻撃成功 1 件）、無害 2 件（拒否 1 件）" in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_report_renders_charts_in_headless_chromium(tmp_path: Path, lang: str) -> None:
    rows = _rows()
    page = render(summarize(rows, {"suite": "t", "sources": ["test"]}), rows, lang)
    assert not re.search(r"(src|href)=['\"]?https?:", page), "the report must not load anything"
    assert "</script><b>" not in page.split("<script", 1)[0]
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    assert CHROMIUM is not None
    dom = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True, text=True, timeout=90, check=True,
    ).stdout  # fmt: skip
    assert 'data-rendered="1"' in dom, "the chart script did not run"
    assert dom.count('class="cell"') == len(CATS) * len(MUTS)
    # one bar per mutator, per category and per kind of benign item (here one kind)
    assert dom.count('class="bar"') == len(MUTS) + len(CATS) + 1
    assert dom.count('class="ci"') == len(MUTS) + len(CATS) + 1
    title = "レッドチーム報告書" if lang == "ja" else "red-team report"
    assert title in dom
    if lang == "ja":
        assert "生物兵器" in dom  # category names in the reader's language


def test_report_fonts_fall_back_to_japanese_fonts_before_the_generic_family() -> None:
    rows = _rows()
    page = render(summarize(rows, {"suite": "t", "sources": ["test"]}), rows, "ja")
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    family = style.split("body,svg text{font-family:", 1)[1].split("}", 1)[0].split(",")
    assert family[-1] == "sans-serif"
    for font in ("'Noto Sans CJK JP'", "'Hiragino Sans'", "Meiryo", "'IPAexGothic'"):
        assert family.index(font) < len(family) - 1
