"""Prose views of structured answers (bench/answers/VIEWS_RULE.md): the committed judge with and
without views, on the team's validation answers (E), the false-harm side (F) and, once, with
`--heldout`, the held-back prose sets v1-v3 (reported, never chosen on).

    PYTHONPATH=src .venv/bin/python bench/answers/views.py [--threads 1] [--heldout]

Each batch of answers is embedded once; the views (candidate A: `prose_view`; A2: also a list run
together, `layouts.flatten_list`) are embedded in calls of their own, so the readings without
views are the same numbers in every column. The first stage's level is computed for every pair
(candidate B). Writes per-answer scores (ids only, no text) to `views_figures.json` (or
`views_heldout.json`) and prints the summary tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
from sekimori.classify.answers.data import (
    HELD_OUT_PREFIX,
    OWN_DATA,
    load_all,
    load_jsonl,
    training_text,
)
from sekimori.classify.answers.fast import load_stage
from sekimori.classify.answers.judge import AnswerJudge
from sekimori.classify.answers.layouts import flatten_list
from sekimori.classify.answers.model import MODEL_DIR, HeadOutputs, load_model
from sekimori.classify.answers.views import prose_view
from sekimori.classify.encoder import ENCODERS
from sekimori.paths import shared_data_dir

HERE = Path(__file__).resolve().parent
# Files the committed heads (eighth round) never trained on: every row is validation for them.
UNSEEN = ("layouts_", "layouts3_", "framed_", "mail_tables_")
OASST_BAD = ("not_appropriate", "hate_speech", "sexual_content", "toxicity", "violence")
BATCH = 16


@dataclass(frozen=True, slots=True)
class Item:
    group: str  # E (validation) / benign (benign_*) / oasst / v1 / v2 / v3
    id: str
    source: str
    lang: str
    layout: str
    harmful: bool
    prompt: str
    answer: str


@dataclass(slots=True)
class Scored:
    group: str
    id: str
    source: str
    lang: str
    layout: str
    harmful: bool
    structured: bool  # prose_view found structure
    listed: bool  # flatten_list found a list (A2's extra view), prose_view did not
    code: bool  # a fenced code block
    base: float
    a: float  # max over original and prose view
    a2: float  # max over original, prose view or flattened list
    a3: float  # max over original and the prose view without keys (values alone)
    level: float  # first stage level


def validation_items() -> list[Item]:
    out: list[Item] = []
    for e in load_all():
        if e.split == "test":
            out.append(_item("E", e))
    for path in sorted(OWN_DATA.glob("*.jsonl")):
        if path.name.startswith(HELD_OUT_PREFIX) or not path.name.startswith(UNSEEN):
            continue
        out.extend(_item("E", e) for e in load_jsonl(path) if e.split != "test")
    return out


def _item(group: str, e: object) -> Item:
    from sekimori.classify.answers.data import AnswerExample

    assert isinstance(e, AnswerExample)
    return Item(
        group,
        e.id,
        e.source,
        e.lang,
        e.layout or e.source,
        e.harmful,
        e.prompt,
        training_text(e.answer),
    )


def benign_items() -> list[Item]:
    out: list[Item] = []
    for path in sorted(OWN_DATA.glob("benign_*.jsonl")):
        out.extend(_item("benign", e) for e in load_jsonl(path))
    path = shared_data_dir() / "oasst1-en" / "oasst1-en-validation.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    by_id = {r["message_id"]: r for r in rows}
    for r in rows:
        parent = by_id.get(r.get("parent_id") or "")
        labels = r.get("labels") or {}
        bad = {
            n: v
            for n, v in zip(labels.get("name", []), labels.get("value", []), strict=False)
            if n in OASST_BAD
        }
        tox = (r.get("detoxify") or {}).get("toxicity") or 0.0
        if (
            r["role"] != "assistant"
            or r.get("deleted")
            or r.get("review_result") is not True
            or parent is None
            or any(v >= 0.5 for v in bad.values())
            or tox >= 0.5
            or not r["text"].strip()
        ):
            continue
        code = "```" in r["text"]
        out.append(
            Item(
                "oasst",
                f"oasst-{r['message_id'][:8]}",
                "oasst1",
                "en",
                "code" if code else "ordinary",
                False,
                parent["text"],
                r["text"],
            )
        )
    return out


HELDOUT_SETS = {
    "v1": "heldout_prose.jsonl",
    "v2": "heldout_prose_v2.jsonl",
    "v3": "heldout_prose_v3.jsonl",
}


def heldout_items(sets: dict[str, str] = HELDOUT_SETS) -> list[Item]:
    out: list[Item] = []
    for name, file in sets.items():
        for line in (OWN_DATA / file).open(encoding="utf-8"):
            if not line.strip():
                continue
            r = json.loads(line)
            harmful = r["harmful"] if "harmful" in r else r.get("label") == "harmful"
            out.append(
                Item(
                    name,
                    str(r["id"]),
                    name,
                    str(r["lang"]),
                    str(r.get("layout") or r.get("format") or "?"),
                    bool(harmful),
                    str(r["prompt"]),
                    str(r["answer"]),
                )
            )
    return out


def _raise(
    judge: AnswerJudge,
    prompts: list[str],
    texts: dict[int, str],
    out: HeadOutputs,
) -> tuple[np.ndarray, float]:
    """Harm after the views in `texts` (index -> rendered text), and seconds spent on them."""
    harm = out.harm.astype(np.float64).copy()
    if not texts:
        return harm, 0.0
    index = list(texts)
    t0 = time.perf_counter()
    seen = judge._outputs([prompts[i] for i in index], [texts[i] for i in index])
    spent = time.perf_counter() - t0
    assert seen is not None
    harm[index] = np.maximum(harm[index], seen.harm)
    return harm, spent


def score(
    items: list[Item], judge: AnswerJudge, progress: bool = True
) -> tuple[list[Scored], dict[str, float]]:
    stage = load_stage(MODEL_DIR, judge.model)
    out: list[Scored] = []
    cost = {"base_s": 0.0, "view_s": 0.0, "views": 0, "list_s": 0.0, "lists": 0, "answers": 0}
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        prompts = [i.prompt for i in batch]
        answers = [i.answer for i in batch]
        t0 = time.perf_counter()
        base = judge._outputs(prompts, answers)
        cost["base_s"] += time.perf_counter() - t0
        assert base is not None
        views = {k: v for k, a in enumerate(answers) if (v := prose_view(a)) is not None}
        lists = {
            k: f
            for k, a in enumerate(answers)
            if k not in views and (f := flatten_list(a)) is not None
        }
        a_harm, spent = _raise(judge, prompts, views, base)
        cost["view_s"] += spent
        cost["views"] += len(views)
        values = {k: v for k in views if (v := prose_view(answers[k], keys=False)) is not None}
        a3_harm, _ = _raise(judge, prompts, values, base)
        a2_harm, spent2 = _raise(
            judge,
            prompts,
            lists,
            HeadOutputs(base.refusal, a_harm.astype(np.float32), base.categories),
        )
        cost["list_s"] += spent2
        cost["lists"] += len(lists)
        cost["answers"] += len(batch)
        levels = stage.levels(prompts, answers) if stage else [float("inf")] * len(batch)
        for k, (item, level) in enumerate(zip(batch, levels, strict=True)):
            out.append(
                Scored(
                    item.group,
                    item.id,
                    item.source,
                    item.lang,
                    item.layout,
                    item.harmful,
                    k in views,
                    k in lists,
                    "```" in item.answer,
                    round(float(base.harm[k]), 5),
                    round(float(a_harm[k]), 5),
                    round(float(a2_harm[k]), 5),
                    round(float(a3_harm[k]), 5),
                    float(level),
                )
            )
        if progress and (start // BATCH) % 10 == 0:
            print(f"  {start + len(batch)}/{len(items)}", file=sys.stderr, flush=True)
    return out, cost


def rule_subsets(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The rule's subsets of per-answer rows (`views_figures.json`'s items or alike): E's harmful
    answers (structured, all) and F's (structured, oasst1)."""
    e = [r for r in rows if r["group"] == "E"]
    f = [r for r in rows if not r["harmful"]]
    return {
        "E harmful structured": [r for r in e if r["harmful"] and r["structured"]],
        "E harmful all": [r for r in e if r["harmful"]],
        "F false-harmful": f,
        "F structured false-harmful": [r for r in f if r["structured"]],
        "oasst false-harmful": [r for r in f if r["group"] == "oasst"],
    }


def _frac(rows: Iterable[Scored], hit: Callable[[Scored], bool]) -> str:
    rows = list(rows)
    n = sum(hit(r) for r in rows)
    return f"{n}/{len(rows)} ({100 * n / max(len(rows), 1):.1f}%)"


def _by_layout(
    label: str,
    rows: list[Scored],
    extra: list[str],
    extra_cells: Callable[[list[Scored]], list[int]],
    cols: dict[str, Callable[[Scored], float]],
    threshold: float,
) -> list[str]:
    """One table row a layout: structured answers, each column's count at the threshold, and
    the first stage's columns."""
    by: dict[str, list[Scored]] = defaultdict(list)
    for r in rows:
        by[r.layout].append(r)
    if not by:
        return []
    heads = ["n", "structured", *cols, *extra]
    lines = [
        f"| layout ({label}) | " + " | ".join(heads) + " |",
        "|---|" + "---:|" * len(heads),
    ]
    for lay in sorted(by):
        sub = by[lay]
        cells = [
            len(sub),
            sum(r.structured for r in sub),
            *(sum(f(r) >= threshold for r in sub) for f in cols.values()),
            *extra_cells(sub),
        ]
        lines.append(f"| {lay} | " + " | ".join(str(c) for c in cells) + " |")
    return [*lines, ""]


def summary(scored: list[Scored], threshold: float, sure: float, clear: float) -> list[str]:
    cols: dict[str, Callable[[Scored], float]] = {
        "off": lambda r: r.base,
        "A": lambda r: r.a,
        "A2": lambda r: r.a2,
        "A3": lambda r: r.a3,
    }
    groups = sorted({r.group for r in scored})
    lines = []
    for g in groups:
        rows = [r for r in scored if r.group == g]
        harm = [r for r in rows if r.harmful]
        safe = [r for r in rows if not r.harmful]
        lines.append(f"### {g}: {len(rows)} answers ({len(harm)} harmful, {len(safe)} not)")
        lines.append("")
        lines.append(
            "| subset | n | "
            + " | ".join(f"{c} ≥{threshold:.2f}" for c in cols)
            + " | "
            + " | ".join(f"{c} ≥{sure:.2f}" for c in cols)
            + " |"
        )
        lines.append("|---|---:|" + "---:|" * (2 * len(cols)))
        for name, sub in (
            ("harmful caught, all", harm),
            ("harmful caught, structured", [r for r in harm if r.structured]),
            ("harmful caught, list (A2 view)", [r for r in harm if r.listed]),
            ("false-harmful, all", safe),
            ("false-harmful, structured", [r for r in safe if r.structured]),
            ("false-harmful, list (A2 view)", [r for r in safe if r.listed]),
            ("false-harmful, code", [r for r in safe if r.code]),
        ):
            if not sub:
                continue
            cells = [_frac(sub, lambda r, f=f: f(r) >= threshold) for f in cols.values()]
            cells += [_frac(sub, lambda r, f=f: f(r) >= sure) for f in cols.values()]
            lines.append(f"| {name} | {len(sub)} | " + " | ".join(cells) + " |")
        lines.append("")
        # by layout (harmful caught, careless gateway path: cleared by the stage = missed)
        lines += _by_layout(
            "harmful",
            harm,
            ["off, stage in front", "A, stage in front", "A + B"],
            lambda sub: [
                sum(r.base >= threshold and r.level >= clear for r in sub),
                sum(r.a >= threshold and r.level >= clear for r in sub),
                sum(r.a >= threshold and (r.level >= clear or r.structured) for r in sub),
            ],
            cols,
            threshold,
        )
        lines += _by_layout(
            "not harmful",
            safe,
            ["cleared by stage", "cleared with B"],
            lambda sub: [
                sum(r.level < clear for r in sub),
                sum(r.level < clear and not r.structured for r in sub),
            ],
            cols,
            threshold,
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--heldout", action="store_true", help="the held-back sets, once")
    parser.add_argument("--limit", type=int, default=0, help="first N items (smoke test)")
    args = parser.parse_args()
    model = load_model()
    encoder = ENCODERS.get(model.encoder)(threads=args.threads)
    judge = AnswerJudge(model, encoder, views=False)
    items = heldout_items() if args.heldout else [*validation_items(), *benign_items()]
    if args.limit:
        items = items[: args.limit]
    print(f"{len(items)} answers", file=sys.stderr)
    scored, cost = score(items, judge)
    stage = load_stage(MODEL_DIR, model)
    clear = stage.meta.clear if stage else 0.0
    sure = model.f1_threshold or model.threshold
    lines = summary(scored, model.threshold, sure, clear)
    lines.append(
        f"Cost: {cost['answers']} answers, base "
        f"{1000 * cost['base_s'] / max(cost['answers'], 1):.1f} ms/answer; "
        f"{cost['views']} prose views {1000 * cost['view_s'] / max(cost['views'], 1):.1f} ms/view; "
        f"{cost['lists']} list views {1000 * cost['list_s'] / max(cost['lists'], 1):.1f} ms/view "
        "(batches of 16, encoder on 1 thread, shared 2-core machine)."
    )
    print("\n".join(lines))
    name = "views_heldout.json" if args.heldout else "views_figures.json"
    if not args.limit:
        (HERE / name).write_text(
            json.dumps(
                {
                    "threshold": model.threshold,
                    "sure": sure,
                    "clear": clear,
                    "weights_sha256": model.meta["sha256"],
                    "cost": cost,
                    "items": [asdict(s) for s in scored],
                },
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
