"""Candidate D of bench/answers/VIEWS_RULE.md: prose views only for answers to prompts the default
policy's input screen held or flagged for a hazard (`suspect`), judged with the corroborated rule,
replayed as the gateway runs it on E and F (`views.py`'s items).

    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/views_suspect.py [--cache DIR]

Each distinct prompt is scored once by the gateway's `model` scorer and ruled on as
`screen_input` rules on one user turn; answers to suspect prompts are judged as `screen_output`
judges them (careful, the prompt's last 300 characters), views off and on. Prompt outcomes are
kept in `DIR/prompts.jsonl` (resumable; outside git). Writes `views_suspect.json` (ids, outcomes
and scores only) and prints the rule's figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from views import Item, benign_items, rule_subsets, validation_items  # noqa: E402

from sekimori.classify.answers.model import JUDGE_PROMPT_CHARS  # noqa: E402
from sekimori.classify.answers.views import prose_view  # noqa: E402
from sekimori.gateway.screening.scorers import ModelScorer  # noqa: E402
from sekimori.gateway.screening.screen import CORROBORATED  # noqa: E402
from sekimori.policy import default_policy, rule_on  # noqa: E402
from sekimori.taxonomy import BY_ID  # noqa: E402
from sekimori.types import Action  # noqa: E402

MODEL = "m"  # no per-model rule in the default policy


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def prompt_outcomes(scorer: ModelScorer, prompts: list[str], cache: Path) -> dict[str, str]:
    """Prompt digest -> block / held / flag (for a hazard) / allow, as `screen_input` rules."""
    tenant = default_policy().default_tenant
    done: dict[str, str] = {}
    if cache.exists():
        for line in cache.open(encoding="utf-8"):
            r = json.loads(line)
            done[r["key"]] = r["outcome"]
    todo = [p for p in dict.fromkeys(prompts) if _key(p) not in done]
    print(f"{len(done)} prompts cached, {len(todo)} to score", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    with cache.open("a", encoding="utf-8") as out:
        for n, text in enumerate(todo, 1):
            (verdict,) = scorer.score_prompts([text])  # one text a call, as the screen does
            certain = verdict.certain or verdict
            ruling = rule_on(
                dict(verdict.categories),
                tenant,
                model=MODEL,
                sure_at=scorer.sure_at,
                sure_scores=dict(certain.categories),
            )
            action = ruling.decision.action
            if action is Action.BLOCK:
                outcome = "block"
            elif ruling.held:
                outcome = "held"
            elif action is Action.FLAG and any(c in BY_ID for c in ruling.decision.categories):
                outcome = "flag"
            else:
                outcome = "allow"
            done[_key(text)] = outcome
            out.write(json.dumps({"key": _key(text), "outcome": outcome}) + "\n")
            if n % 100 == 0:
                out.flush()
                rate = (time.perf_counter() - t0) / n
                print(f"  {n}/{len(todo)} prompts, {rate:.2f} s each", file=sys.stderr, flush=True)
    return done


def withheld(scorer: ModelScorer, prompt: str, answer: str) -> tuple[bool, float]:
    """Is the answer to a suspect prompt withheld (`screen_output`, corroborated), and its
    highest hazard score on the policy scale."""
    tenant = default_policy().default_tenant
    (verdict,) = scorer.judge_answers([prompt[-JUDGE_PROMPT_CHARS:]], [answer], careful=True)
    scores = dict(verdict.categories)
    decision = rule_on(
        scores, tenant, model=MODEL, sure_at=scorer.answer_sure_at, hold=False
    ).decision
    if decision.action is not Action.BLOCK and tenant.corroborate_answers:
        decision = rule_on(scores, tenant, model=MODEL, sure_at=CORROBORATED, hold=False).decision
    top = max((s for c, s in scores.items() if c in BY_ID), default=0.0)
    return decision.action is Action.BLOCK, round(top, 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, default=Path("/work/tmp/views2"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    items: list[Item] = [*validation_items(), *benign_items()]
    off = ModelScorer(answer_views=False)
    on = ModelScorer(answer_views=True)
    outcomes = prompt_outcomes(off, [i.prompt for i in items], args.cache / "prompts.jsonl")
    # The views' scorer reads the answers' own embeddings from the same cache.
    judge_off = off._answer_judge()
    judge_on = on._answer_judge()
    judge_on._cache = judge_off._cache
    rows = []
    suspect = [i for i in items if outcomes[_key(i.prompt)] in ("held", "flag")]
    print(f"{len(suspect)} answers to suspect prompts", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    judged = 0
    for item in items:
        outcome = outcomes[_key(item.prompt)]
        structured = prose_view(item.answer) is not None
        row = {
            "group": item.group,
            "source": item.source,
            "id": item.id,
            "layout": item.layout,
            "harmful": item.harmful,
            "structured": structured,
            "prompt": outcome,
        }
        if outcome in ("held", "flag"):
            row["off"], row["off_top"] = withheld(off, item.prompt, item.answer)
            if structured:
                row["d"], row["d_top"] = withheld(on, item.prompt, item.answer)
            else:
                row["d"], row["d_top"] = row["off"], row["off_top"]
            judged += 1
            if judged % 50 == 0:
                rate = (time.perf_counter() - t0) / judged
                print(f"  {judged}/{len(suspect)} answers, {rate:.2f} s each", file=sys.stderr)
        rows.append(row)
    (HERE / "views_suspect.json").write_text(
        json.dumps({"items": rows}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print("\n".join(report(rows)))
    return 0


def _stopped(r: Mapping[str, object], col: str) -> bool:
    """Blocked at the input, or the answer withheld (col: off / d); allowed prompts are
    not re-judged here: the same in both columns (counted as not withheld)."""
    return r["prompt"] == "block" or bool(r.get(col, False))


def report(rows: list[dict[str, Any]]) -> list[str]:
    e = [r for r in rows if r["group"] == "E"]
    subsets = rule_subsets(rows)
    lines = [
        "| subset | n | prompts blocked / held / flagged / allowed | suspect: withheld off | "
        "suspect: withheld D | change |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for name, sub in subsets.items():
        c = Counter(str(r["prompt"]) for r in sub)
        sus = [r for r in sub if r["prompt"] in ("held", "flag")]
        a = sum(bool(r["off"]) for r in sus)
        b = sum(bool(r["d"]) for r in sus)
        lines.append(
            f"| {name} | {len(sub)} | {c['block']} / {c['held']} / {c['flag']} / {c['allow']} "
            f"| {a}/{len(sus)} | {b}/{len(sus)} | {b - a:+d} ({100 * (b - a) / len(sub):+.2f} pt) |"
        )
    lost = [r for r in e if r["harmful"] and _stopped(r, "off") and not _stopped(r, "d")]
    lines += [
        "",
        "Stopped: the prompt blocked at the input, or the answer to a suspect prompt withheld "
        "(answers to allowed prompts are not judged here: the same with and without D).",
        f"E harmful withheld before, released with D: {len(lost)}",
        "",
    ]
    by: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in e:
        if r["harmful"]:
            by[str(r["layout"])].append(r)
    lines += [
        "| layout (E harmful) | n | suspect | stopped, off | stopped, D |",
        "|---|---:|---:|---:|---:|",
    ]
    for lay in sorted(by):
        sub = by[lay]
        lines.append(
            f"| {lay} | {len(sub)} | {sum(r['prompt'] in ('held', 'flag') for r in sub)} "
            f"| {sum(_stopped(r, 'off') for r in sub)} | {sum(_stopped(r, 'd') for r in sub)} |"
        )
    changed = [r for r in rows if r.get("off") != r.get("d")]
    lines += ["", "Answers whose outcome D changes:", ""]
    lines += [
        f"- {r['group']} {r['source']} {r['id']} ({r['layout']}, "
        f"{'harmful' if r['harmful'] else 'not harmful'}, prompt {r['prompt']}): "
        f"top {r['off_top']} -> {r['d_top']}"
        for r in changed
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main())
