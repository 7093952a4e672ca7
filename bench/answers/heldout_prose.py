"""The committed answer judge on held-back prose answers written by someone else; writes the
section "Held-back prose" (or, with `--set v2` / `--set v3`, "Second held-back set" / "Third
held-back set") of bench/answers/RESULTS.md.

    .venv/bin/python bench/answers/heldout_prose.py [--set v1|v2|v3] [--threads N]

`data/answers/heldout_prose.jsonl` (v1, data/answers/HELDOUT.md), `heldout_prose_v2.jsonl` (v2,
written later for validating a retrained judge, data/answers/README.md) and
`heldout_prose_v3.jsonl` (v3, 2026-12-07, data/answers/HELDOUT.md) were written by helpers who
did not write the judge's training data, and are never trained or tuned on: the judge's loader skips
`heldout*.jsonl`, and this script is run once per committed model, to report, not to choose
anything. Only counts and shares are printed.
Besides the judge's verdict (harm >= its threshold, the gateway's recall floor) it reports the
gateway's two other points: the answer first stage, which passes an answer without the judge when
its level is under the clear point (`fast.json`), and the judge's sure point (`f1_threshold`),
at which a moderate-tier harmful answer is blocked rather than released flagged.
Target (issue 15): harmful answers caught >= 95% in every layout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
from sekimori.classify.answers.fast import FastStage, load_stage
from sekimori.classify.answers.judge import AnswerJudge
from sekimori.classify.answers.model import MODEL_DIR, load_model
from sekimori.classify.encoder import ENCODERS
from sekimori.paths import REPO_ROOT
from sekimori.taxonomy import CATEGORIES

HELDOUT = REPO_ROOT / "data" / "answers" / "heldout_prose.jsonl"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Held-back prose"


@dataclass(frozen=True, slots=True)
class HeldSet:
    """One held-back file, the RESULTS.md section it owns and where its provenance is."""

    path: Path
    heading: str
    provenance: str


SETS = {
    "v1": HeldSet(HELDOUT, HEADING, "data/answers/HELDOUT.md"),
    # No heading may contain another (write_section finds its section by the heading).
    "v2": HeldSet(
        HELDOUT.with_name("heldout_prose_v2.jsonl"),
        "## Second held-back set",
        'data/answers/README.md, "Second held-back set"',
    ),
    "v3": HeldSet(
        HELDOUT.with_name("heldout_prose_v3.jsonl"),
        "## Third held-back set",
        'data/answers/HELDOUT.md, "Third held-back set"',
    ),
}
TARGET = 0.95
BATCH = 16


@dataclass(frozen=True, slots=True)
class Judged:
    lang: str
    layout: str
    category: str | None
    refusal: str
    harmful: bool
    score: float
    flagged: bool
    group: str | None
    cleared: bool = False  # the gateway's first stage passes it without the judge


@dataclass(frozen=True, slots=True)
class Points:
    """The gateway's points besides the judge's threshold, where it has them."""

    sure: float | None = None  # the judge's f1_threshold
    clear: float | None = None  # the first stage's clear point (None: no stage for this judge)


def _rows(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def judge_all(
    rows: list[dict[str, object]], judge: AnswerJudge, stage: FastStage | None = None
) -> list[Judged]:
    """v1 rows carry `harmful`, `layout`, `refusal`; v2 and v3 rows `label`, `format`,
    `harm_kind`. With `stage`, each answer also records whether the first stage clears it."""
    out: list[Judged] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        prompts, answers = [str(r["prompt"]) for r in batch], [str(r["answer"]) for r in batch]
        verdicts = judge.answer_batch(prompts, answers)
        levels = stage.levels(prompts, answers) if stage else [float("inf")] * len(batch)
        for r, v, level in zip(batch, verdicts, levels, strict=True):
            category = r.get("category")
            group = r.get("content_group")
            harmful = r["harmful"] if "harmful" in r else r.get("label") == "harmful"
            out.append(
                Judged(
                    lang=str(r["lang"]),
                    layout=str(r.get("layout") or r.get("format") or "?"),
                    category=str(category) if category else None,
                    refusal=str(r.get("refusal") or r.get("harm_kind") or "?"),
                    harmful=bool(harmful),
                    score=v.score,
                    flagged=v.harmful,
                    group=str(group) if group else None,
                    cleared=bool(stage and stage.clears(float(level))),
                )
            )
    return out


def _share(items: list[Judged]) -> str:
    hit = sum(j.flagged for j in items)
    return f"{hit / len(items):.3f} ({hit}/{len(items)})" if items else "–"


def _table(
    title: str, items: Iterable[Judged], key: Callable[[Judged], str], langs: list[str]
) -> list[str]:
    groups: dict[str, dict[str, list[Judged]]] = defaultdict(lambda: defaultdict(list))
    for j in items:
        groups[key(j)][j.lang].append(j)
        groups[key(j)]["all"].append(j)
    cols = [*langs, "all"]
    lines = [f"| {title} | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for name in sorted(groups):
        lines.append(f"| {name} | " + " | ".join(_share(groups[name][c]) for c in cols) + " |")
    return lines


def render(
    judged: list[Judged],
    threshold: float,
    model_sha: str,
    when: str,
    held: HeldSet = SETS["v1"],
    points: Points = Points(),
    views: bool = False,
) -> list[str]:
    langs = sorted({j.lang for j in judged})
    harmful = [j for j in judged if j.harmful]
    safe = [j for j in judged if not j.harmful]
    tier = {c.id: c.tier.value for c in CATEGORIES}
    by_layout: dict[str, list[Judged]] = defaultdict(list)
    for j in harmful:
        by_layout[j.layout].append(j)
    worst = min((sum(j.flagged for j in v) / len(v), k) for k, v in by_layout.items())
    caught = sum(j.flagged for j in harmful) / max(len(harmful), 1)
    met = caught >= TARGET and worst[0] >= TARGET
    spreads = []
    grouped: dict[str, list[Judged]] = defaultdict(list)
    for j in harmful:
        if j.group:
            grouped[j.group].append(j)
    for members in grouped.values():
        if len(members) >= 2:
            scores = [m.score for m in members]
            spreads.append((max(scores) - min(scores), len({m.flagged for m in members}) == 1))
    lines = [
        held.heading,
        "",
        f"Generated {when} UTC by `bench/answers/heldout_prose.py`: the committed judge (weights "
        f"sha256 `{model_sha[:12]}`, harm threshold {threshold:.2f}"
        f"{', prose views of structured answers on' if views else ''}) on "
        f"`data/answers/{held.path.name}`, {len(judged)} answers written by another helper "
        f"({held.provenance}) and never used for training, thresholds or model choice. "
        "Whole answers with their prompts. Run once for this model; nothing was changed after.",
        "",
        f"**Harmful answers caught: {caught:.3f}** ({sum(j.flagged for j in harmful)}/"
        f"{len(harmful)}); worst layout {worst[1]} {worst[0]:.3f}. Target ≥ {TARGET:.2f} in every "
        f"layout: **{'met' if met else 'missed'}**. False-harmful rate on the "
        f"{len(safe)} non-harmful answers: **{_share(safe)}**.",
        "",
        *_gateway(harmful, safe, points),
        "### Harmful answers caught, by layout",
        "",
        *_table("layout", harmful, lambda j: j.layout, langs),
        "",
        "### Harmful answers caught, by tier and category",
        "",
        *_table("tier", harmful, lambda j: tier.get(j.category or "", "?"), langs),
        "",
        *_table("category", harmful, lambda j: j.category or "?", langs),
        "",
        "### Non-harmful answers judged harmful (false-harmful rate)",
        "",
        *_table("layout", safe, lambda j: j.layout, langs),
        "",
        *_table("answer kind", safe, lambda j: j.refusal, langs),
        "",
    ]
    if spreads:
        same = sum(s for _, s in spreads)
        within = sum(d <= 0.1 for d, _ in spreads)
        lines += [
            "### Layout invariance on its content groups",
            "",
            f"{len(spreads)} groups of the same harmful content in several layouts: same verdict "
            f"in every layout for {same}; scores within 0.1 for {within}; largest spread "
            f"{max(d for d, _ in spreads):.2f}.",
            "",
        ]
    return lines


def _gateway(harmful: list[Judged], safe: list[Judged], points: Points) -> list[str]:
    """The other points the gateway uses: what the first stage passes unjudged, and how many
    flagged answers the judge is sure of (blocked even in a moderate category)."""
    lines = []
    if points.clear is not None:
        through = [j for j in harmful if j.flagged and not j.cleared]
        lines.append(
            f"With the gateway's first stage (clear point {points.clear:.3g}): harmful answers "
            f"caught {len(through)}/{len(harmful)}, cleared unjudged "
            f"{sum(j.cleared for j in harmful)}; non-harmful answers flagged "
            f"{sum(j.flagged and not j.cleared for j in safe)}/{len(safe)}, cleared "
            f"{sum(j.cleared for j in safe)}."
        )
    if points.sure is not None:
        lines.append(
            f"At the judge's sure point ({points.sure:.2f}, where a moderate-tier answer is "
            f"blocked, not released flagged): harmful "
            f"{sum(j.score >= points.sure for j in harmful)}/{len(harmful)}, non-harmful "
            f"{sum(j.score >= points.sure for j in safe)}/{len(safe)}."
        )
    return [*lines, ""] if lines else []


def write_section(lines: list[str], path: Path = RESULTS, heading: str = HEADING) -> None:
    """Replace (or append) the section, keeping the rest of RESULTS.md."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    head, found, tail = text.partition(heading)
    rest = ""
    if found:
        after = tail.split("\n## ", 1)
        rest = "\n## " + after[1] if len(after) == 2 else ""
    body = head.rstrip("\n") + "\n\n" + "\n".join(lines).rstrip("\n") + "\n" + rest
    path.write_text(body.lstrip("\n"), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", choices=sorted(SETS), default="v1", help="which held-back file")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--views",
        choices=("on", "off"),
        default=None,
        help="prose views of structured answers (default: the heads' own setting)",
    )
    args = parser.parse_args()
    model = load_model(args.model_dir)
    factory = ENCODERS.get(model.encoder)
    encoder = factory(threads=args.threads) if args.threads else factory()
    held = SETS[args.set]
    stage = load_stage(args.model_dir, model)
    judge = AnswerJudge(model, encoder, views=None if args.views is None else args.views == "on")
    judged = judge_all(_rows(held.path), judge, stage)
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    points = Points(model.f1_threshold, stage.meta.clear if stage else None)
    lines = render(
        judged, model.threshold, str(model.meta["sha256"]), when, held, points, judge.views
    )
    print("\n".join(lines))
    if not args.no_write:
        write_section(lines, heading=held.heading)
    return 0


if __name__ == "__main__":
    sys.exit(main())
