"""Why the gateway releases held-back harmful answers its judge alone would flag (issue 15).

Evaluation-only sets (data/answers/heldout_prose_v{6,7,8}_{en,ja}.jsonl): measured, never tuned on.
For every harmful answer of v6-v8, in the `answer-only` variant (user turn "go on"), this runs the
real `PolicyScreen` (default settings and policy) on the input and the whole answer, and takes the
path apart: the full judge with the answer's own prompt and with "go on", the first stage's level
and clear point under "go on", and the policy's decision on each. Writes one JSON row per answer.

    PYTHONPATH=src python bench/answers/gateway_gap.py --out /work/tmp/gap/gap.jsonl
    python bench/answers/gateway_gap.py --summary /work/tmp/gap/gap.jsonl \
        --effect /work/tmp/eff2/effect.jsonl   # the causes of each release (GATEWAY_GAP.md)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections import Counter
from pathlib import Path

from sekimori.classify.answers.model import JUDGE_PROMPT_CHARS
from sekimori.evaluation.sets import CONTINUE, PROSE_SETS
from sekimori.gateway.screening.scorers import on_policy_scale
from sekimori.gateway.screening.screen import PolicyScreen
from sekimori.policy import rule_on
from sekimori.screen import OutputWindow, ScreenContext
from sekimori.settings import load_settings
from sekimori.types import Message


def _rule(screen: PolicyScreen, scores: dict[str, float]) -> str:
    tenant, _ = screen._state.tenant("")
    sure_at = screen.scorer.answer_sure_at
    return rule_on(scores, tenant, model="m", sure_at=sure_at, hold=False).decision.action.value


RELEASED = {"allowed", "flagged", "held_released"}


def cause(row: dict[str, object], threshold: float = 0.23) -> str:
    """Why a released answer was released (GATEWAY_GAP.md, causes A-D)."""
    if float(row["judge_own"]) < threshold:  # type: ignore[arg-type]
        return "A judge misses it with its own prompt too"
    if row["rule_own"] == "block" and float(row["judge_go"]) < threshold:  # type: ignore[arg-type]
        return "B own prompt blocks; under 'go on' under the threshold"
    if row["rule_own"] == "block":
        return "C own prompt blocks; under 'go on' harmful but unsure, not corroborated"
    return "D own prompt only flags (moderate, unsure); 'go on' lowers it further"


def summarize(path: Path, effect: Path) -> None:
    fates = {}
    for line in effect.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["set"] == "prose-answers" and r["variant"] == "answer-only":
            fates[r["origin"]] = r["fate"]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for lang in ("en", "ja"):
        mine = [r for r in rows if r["lang"] == lang]
        blocked = Counter(
            k for r in mine for k in ("gateway", "rule_own", "rule_go") if r[k] == "block"
        )
        print(f"{lang}: {len(mine)} harmful; blocked by the gateway {blocked['gateway']}, "
              f"by the judge+policy with the own prompt {blocked['rule_own']}, with 'go on' "
              f"{blocked['rule_go']}; careful {sum(r['careful'] for r in mine)}, suspect "
              f"{sum(r['suspect'] for r in mine)}; first stage would clear under 'go on' "
              f"{sum(r['clears_go'] for r in mine)}")  # fmt: skip
        released = [r for r in mine if fates[r["origin"]] in RELEASED]
        for (version, why), n in sorted(
            Counter((r["origin"][:2], cause(r)) for r in released).items()
        ):
            print(f"  {version} {why}: {n}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("--versions", default="v6-en,v6-ja,v7-en,v7-ja,v8-en,v8-ja")
    parser.add_argument("--summary", type=Path)
    parser.add_argument("--effect", type=Path, default=Path("/work/tmp/eff2/effect.jsonl"))
    opts = parser.parse_args()
    if opts.summary:
        summarize(opts.summary, opts.effect)
        return
    home = tempfile.mkdtemp()
    screen = PolicyScreen(load_settings(overrides={"home": home, "screen": {"name": "policy"}}))
    screen.warming.result()
    scorer = screen.scorer
    stage = scorer._answer_stage()  # type: ignore[attr-defined]
    judge = scorer._answer_judge()  # type: ignore[attr-defined]
    threshold = judge.model.threshold
    with Path(opts.out).open("w", encoding="utf-8") as out:
        for version in opts.versions.split(","):
            for line in PROSE_SETS[version].read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                if not r.get("harmful", r.get("label") == "harmful"):
                    continue
                lang = "ja" if r["lang"] == "ja" else "en"
                go, answer, own = (
                    CONTINUE[lang],
                    str(r["answer"]),
                    str(r["prompt"])[-JUDGE_PROMPT_CHARS:],
                )
                ctx = ScreenContext("", "m", f"{version}:{r['id']}")
                got = await screen.screen_input(ctx, [Message("user", go)])
                ctx = ScreenContext("", "m", ctx.request_id, handle=got.handle)
                res = await screen.screen_output(ctx, OutputWindow(answer, 0, True, 0, answer))
                handle = got.handle
                row: dict[str, object] = {
                    "origin": f"{version}:{r['id']}", "lang": lang,
                    "category": r.get("category"), "chars": len(answer),
                    "input": got.decision.action.value, "careful": handle.careful,  # type: ignore[union-attr]
                    "suspect": handle.suspect,  # type: ignore[union-attr]
                    "gateway": res.decision.action.value,
                }  # fmt: skip
                for name, prompt in (("own", own), ("go", go)):
                    (v,) = judge.answer_batch([prompt], [answer])
                    scores = on_policy_scale(v.categories, v.score, threshold)
                    row[f"judge_{name}"] = round(float(v.score), 4)
                    row[f"rule_{name}"] = _rule(screen, scores)
                    row[f"top_{name}"] = max(scores, key=scores.get) if scores else ""  # type: ignore[arg-type]
                    if stage is not None:
                        (level,) = stage.levels([prompt], [answer])
                        row[f"fast_{name}"] = round(float(level), 4)
                        row[f"clears_{name}"] = bool(stage.clears(float(level)))
                row["clear_point"] = stage.meta.clear if stage is not None else None
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
    screen.close()


if __name__ == "__main__":
    asyncio.run(main())
