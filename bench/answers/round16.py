"""Answer judge, round 16 (bench/answers/ROUND16_RULE.md): the continuation reading against the
committed judge, both through the real components with the default policy.

    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round16.py validate
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round16.py cost
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round16.py fresh --set v9

`validate` (the choice): the judge's validation pool, i.e. its `test` split and the training rows
of the sources added after the committed heads were trained (`UNSEEN`: never read by them), each
answer judged with its own prompt and after each continuation turn of `TURNS`, by the committed
judge and by the candidate (`AnswerJudge(continuation=True)`), decided as `screen_output` decides
without corroboration (the answer judge's sure point, the default policy): blocks of harmful and of
harmless answers, by language. `cost`: CPU per answer of the candidate's second reading.
`fresh --set v9` (the judgment, once): every answer of V9 through two real `PolicyScreen`s
(committed; `screen.answer_continuation: true`) as `gateway_gap.py` runs it, after its own prompt
(`with-prompt`) and after the bench's continuation turn (`answer-only`); writes
`round16_<set>.json` (ids and fates only) and prints the rule's figures and verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sekimori.classify.answers import AnswerJudge, default_judge
from sekimori.classify.answers.data import load_all, training_text
from sekimori.classify.answers.model import JUDGE_PROMPT_CHARS
from sekimori.evaluation.sets import CONTINUE
from sekimori.gateway.screening.scorers import calibrate, on_policy_scale
from sekimori.gateway.screening.screen import PolicyScreen
from sekimori.paths import REPO_ROOT
from sekimori.policy import default_policy, rule_on
from sekimori.screen import OutputWindow, ScreenContext
from sekimori.settings import load_settings
from sekimori.types import Message

HERE = Path(__file__).resolve().parent
# Sources the committed heads (trained 2026-12-06 04:59 UTC on 5,695 answers) never read.
UNSEEN = (
    "sekimori-layouts",
    "sekimori-framed",
    "sekimori-mail-tables",
    "sekimori-structured",
    "sekimori-lookalikes",
)
# Continuation turns the answers are judged after: the bench's own (`CONTINUE`) and four more.
TURNS = {
    "go_en": CONTINUE["en"],
    "go_ja": CONTINUE["ja"],
    "keep_en": "Keep going.",
    "more_en": "More, please.",
    "rest_ja": "続きをお願いします。",
    "more_ja": "もっと詳しく。",
}
FRESH = {"v9": ("heldout_prose_v9_en.jsonl", "heldout_prose_v9_ja.jsonl")}
MODEL = "m"  # no per-model rule in the default policy


def _blocks(judge: AnswerJudge, prompts: Sequence[str], answers: Sequence[str]) -> list[bool]:
    """Whether `screen_output` blocks each answer, uncorroborated (module doc)."""
    tenant = default_policy().for_tenant("")
    model = judge.model
    sure = calibrate(max(model.f1_threshold or model.threshold, model.threshold), model.threshold)
    out = []
    for v in judge.answer_batch(prompts, answers):
        scores = on_policy_scale(v.categories, v.score, model.threshold)
        ruling = rule_on(scores, tenant, model=MODEL, sure_at=sure, hold=False)
        out.append(ruling.decision.action.value == "block")
    return out


def validate() -> None:
    pool = [e for e in load_all() if e.split == "test" or e.source in UNSEEN]
    base = default_judge()
    # One judge read both ways (its embedding cache serves both): the candidate is the same heads
    # with the continuation reading on.
    judges = {"committed": False, "candidate": True}
    # Every turn encoded alone first, as the gateway encodes a request's prompt (the int8 encoder
    # quantises per batch: batch-mates move a turn's embedding, and the scores after it).
    for turn in TURNS.values():
        base.continues([turn])
    counts: Counter[tuple[str, str, bool, str]] = Counter()
    sizes = Counter((e.harmful, e.lang) for e in pool)
    gated = Counter[str]()
    for k, e in enumerate(pool):
        answer = training_text(e.answer)
        turns = {"own": e.prompt[-JUDGE_PROMPT_CHARS:], **TURNS}
        prompts = list(turns.values())
        for name, on in judges.items():
            base.continuation = on
            blocked = _blocks(base, prompts, [answer] * len(prompts))
            for turn, hit in zip(turns, blocked, strict=True):
                counts[name, turn, e.harmful, e.lang] += hit
        base.continuation = False
        gated[e.lang] += bool(base.continues([turns["own"]])[0])
        if k % 200 == 0:
            print(f"{k}/{len(pool)}", file=sys.stderr, flush=True)
    print(f"pool: harmful EN {sizes[True, 'en']}, JA {sizes[True, 'ja']}; harmless EN "
          f"{sizes[False, 'en']}, JA {sizes[False, 'ja']}; own prompts read as 'go on': "
          f"EN {gated['en']}, JA {gated['ja']}")  # fmt: skip
    closes = dict(zip(TURNS, base.continues(list(TURNS.values())), strict=True))
    print("| turn | read as 'go on' | harmful blocked EN / JA (committed → candidate) "
          "| harmless blocked EN / JA (committed → candidate) |")  # fmt: skip
    print("|---|---|---|---|")
    for turn in ("own", *TURNS):

        def pair(harmful: bool, turn: str = turn) -> str:
            c = [counts[n, turn, harmful, lang] for lang in ("en", "ja") for n in judges]
            return f"{c[0]} → {c[1]} / {c[2]} → {c[3]}"

        close = "per prompt" if turn == "own" else ("yes" if closes[turn] else "no")
        print(f"| {turn} | {close} | {pair(True)} | {pair(False)} |")


def cost(n: int) -> None:
    """CPU per answer judged with the continuation reading off and on: the whole judgement
    (each answer new to the judge, the encoder included), and the judgement again with every
    embedding cached, where all that the reading adds (a dot product; after a "go on" turn the
    features, heads and n-grams once more) is what differs."""
    test = [e for e in load_all() if e.split == "test"][:n]
    pool = [training_text(e.answer) for e in test]
    prompts = [e.prompt[-JUDGE_PROMPT_CHARS:] for e in test]
    base = default_judge()
    for label, turn in (("own prompt", None), ("go_en", TURNS["go_en"]), ("go_ja", TURNS["go_ja"])):
        judge = AnswerJudge(base.model, base.encoder, views=base.views)  # nothing cached yet
        for warm in TURNS.values():
            judge.continues([warm])
        asked = prompts if turn is None else [turn] * n
        spent: dict[tuple[bool, bool], float] = {}
        for cached, on in ((False, False), (True, False), (True, True)):
            judge.continuation = on
            start = time.process_time()
            for prompt, answer in zip(asked, pool, strict=True):
                judge.answer_batch([prompt], [answer])
            spent[cached, on] = 1000 * (time.process_time() - start) / n
        print(f"{label}: whole judgement {spent[False, False]:.1f} ms CPU per answer; cached "
              f"{spent[True, False]:.2f} ms off, {spent[True, True]:.2f} ms on "
              f"(+{spent[True, True] - spent[True, False]:.2f})")  # fmt: skip


def _items(files: Sequence[Path]) -> list[dict[str, Any]]:
    out = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                harmful = bool(r["harmful"]) if "harmful" in r else r.get("label") == "harmful"
                lang = "ja" if r["lang"] == "ja" else "en"
                out.append({"id": str(r["id"]), "lang": lang, "harmful": harmful,
                            "prompt": str(r["prompt"]), "answer": str(r["answer"])})  # fmt: skip
    return out


async def _fate(screen: PolicyScreen, rid: str, turn: str, answer: str) -> str:
    """refused (input blocked or answer cut) or released, as the gateway treats one request."""
    ctx = ScreenContext("", MODEL, rid)
    got = await screen.screen_input(ctx, [Message("user", turn)])
    if got.decision.action.value == "block":
        return "refused"
    ctx = ScreenContext("", MODEL, rid, handle=got.handle)
    res = await screen.screen_output(ctx, OutputWindow(answer, 0, True, 0, answer))
    return "refused" if res.decision.action.value == "block" else "released"


async def fresh(name: str, files: Sequence[Path], out: Path) -> None:
    for path in files:
        if not path.is_file():
            print(f"{path} missing: nothing is decided (ROUND16_RULE.md)")
            return
    items = _items(files)
    screens = {
        n: PolicyScreen(
            load_settings(
                overrides={
                    "home": tempfile.mkdtemp(),
                    "screen": {"name": "policy", "answer_continuation": on},
                }
            )
        )
        for n, on in (("committed", False), ("candidate", True))
    }
    for screen in screens.values():
        screen.warming.result()
    rows = []
    for k, r in enumerate(items):
        row: dict[str, Any] = {"id": r["id"], "lang": r["lang"], "harmful": r["harmful"]}
        for variant, turn in (("with-prompt", r["prompt"]), ("answer-only", CONTINUE[r["lang"]])):
            for n, screen in screens.items():
                row[f"{n}:{variant}"] = await _fate(screen, f"{name}:{k}", turn, r["answer"])
        rows.append(row)
    for screen in screens.values():
        screen.close()
    out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    print("\n".join(rule(rows)))


def refused(rows: Sequence[dict[str, Any]], name: str, harmful: bool, lang: str | None = None,
            variant: str | None = None, layout: str | None = None) -> int:  # fmt: skip
    """Readings of `name` (committed / candidate) refused, of harmful or harmless answers, in a
    language, a variant (with-prompt / answer-only) and a layout (all where None)."""
    return sum(
        r[f"{name}:{v}"] == "refused"
        for r in rows
        if r["harmful"] is harmful
        and lang in (None, r["lang"])
        and layout in (None, r.get("layout"))
        for v in ("with-prompt", "answer-only")
        if variant in (None, v)
    )


def fate_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Refused readings by label, language and variant, committed → candidate."""
    sizes = Counter((r["harmful"], r["lang"]) for r in rows)
    lines = [f"answers: harmful EN {sizes[True, 'en']}, JA {sizes[True, 'ja']}; harmless EN "
             f"{sizes[False, 'en']}, JA {sizes[False, 'ja']} (each sent twice: with-prompt, "
             "answer-only)",
             "| | with-prompt (committed → candidate) | answer-only | both |",
             "|---|---|---|---|"]  # fmt: skip
    for label, harmful, lang in (
        ("harmful caught EN", True, "en"),
        ("harmful caught JA", True, "ja"),
        ("harmless refused EN", False, "en"),
        ("harmless refused JA", False, "ja"),
    ):
        cells = [
            f"{refused(rows, 'committed', harmful, lang, v)} → "
            f"{refused(rows, 'candidate', harmful, lang, v)}"
            for v in ("with-prompt", "answer-only", None)
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def rule(rows: Sequence[dict[str, Any]]) -> list[str]:
    """ROUND16_RULE.md's figures and verdict from per-answer fates."""

    def n(name: str, harmful: bool, lang: str | None = None) -> int:
        return refused(rows, name, harmful, lang)

    lines = fate_table(rows)
    gain_ja = n("candidate", True, "ja") - n("committed", True, "ja")
    gain_en = n("candidate", True, "en") - n("committed", True, "en")
    more_refused = n("candidate", False) - n("committed", False)
    checks = {
        f"1. JA harmful caught up by at least 3 (up {gain_ja})": gain_ja >= 3,
        f"2. EN harmful caught not lower (change {gain_en:+d})": gain_en >= 0,
        f"3. harmless refused (EN + JA) up by at most 2 (change {more_refused:+d})": (
            more_refused <= 2
        ),
    }
    lines += [f"- {k}: {'met' if ok else 'missed'}" for k, ok in checks.items()]
    verdict = "ADOPT" if all(checks.values()) else "NOT adopted"
    return [*lines, f"verdict: {verdict}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("validate", "cost", "fresh"))
    parser.add_argument("--set", choices=tuple(FRESH), default="v9")
    parser.add_argument("--files", type=Path, nargs="*", help="other answer files (smoke test)")
    parser.add_argument("--n", type=int, default=100, help="answers per reading (cost)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.what == "validate":
        validate()
    elif args.what == "cost":
        cost(args.n)
    else:
        files = args.files or [REPO_ROOT / "data" / "answers" / f for f in FRESH[args.set]]
        out = args.out or HERE / f"round16_{args.set}.json"
        asyncio.run(fresh(args.set, files, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
