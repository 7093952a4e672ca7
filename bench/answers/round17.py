"""Answer judge, round 17 (bench/answers/ROUND17_RULE.md): candidate K, the harm heads retrained
with prompt substitution (`sekimori train answers --prompt-substitution`), against the committed
judge, both through the real components with the default policy.

    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round17.py validate --heads DIR...
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round17.py fresh --set v10 \
        --heads DIR --files EN.jsonl JA.jsonl

`validate` (the choice of the share): round 16's validation pool (the judge's `test` split and the
training rows of the sources the committed heads never read, `round16.UNSEEN`), each answer judged
after its own prompt and after each continuation turn of `round16.TURNS` (every turn encoded
alone, as the gateway encodes a request's prompt), by the committed heads and by each candidate's
(same embeddings), decided as `screen_output` decides without corroboration (each heads' own
threshold and sure point, the default policy). Prints blocks of harmful and harmless answers by
turn and language, and the rule's choice; writes the counts as JSON (`--out`).
`bind --heads DIR`: the first stage beside the candidate's heads. The stage reads only the refusal
cues and the judge's harm n-gram head (`fast.extra_columns`), which substitution leaves alone (it
reads the answer only); where that head is bitwise the committed one, the committed `fast.npz` is
copied unchanged and `fast.json` bound to the candidate's weights, else it refuses (then rebuild:
`sekimori train answer-fast --model-dir DIR --vectors-from <committed fast.npz>`).
`fresh --set v10` (the judgment, once): every answer of the set through a real `PolicyScreen`
(default settings and policy, corroboration as the gateway applies it, the first stage as served,
not streamed) after its own prompt (`with-prompt`) and after the bench's continuation turn
(`answer-only`): first with the committed model files, then with the candidate's folder in their
place (its heads and its first stage, as adoption would put them); writes `round17_<set>.json`
(ids and fates only) and prints round 16's criteria (`round16.rule`, the same three numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from round16 import TURNS, UNSEEN, _blocks, _fate, _items, rule  # noqa: E402

import sekimori.classify.answers.judge as judge_module  # noqa: E402
import sekimori.classify.answers.model as model_module  # noqa: E402
from sekimori.classify.answers import AnswerJudge, default_judge  # noqa: E402
from sekimori.classify.answers.data import AnswerExample, load_all, training_text  # noqa: E402
from sekimori.classify.answers.fast import (  # noqa: E402
    FAST_FILE,
    META_FILE,
    FastMeta,
    load_stage,
    write_meta,
)
from sekimori.classify.answers.model import (  # noqa: E402
    JUDGE_PROMPT_CHARS,
    MODEL_DIR,
    load_model,
)
from sekimori.evaluation.sets import CONTINUE  # noqa: E402
from sekimori.gateway.screening.screen import PolicyScreen  # noqa: E402
from sekimori.paths import REPO_ROOT  # noqa: E402
from sekimori.settings import load_settings  # noqa: E402

FRESH = {"v10": ("heldout_prose_v10_en.jsonl", "heldout_prose_v10_ja.jsonl")}
LANGS = ("en", "ja")


def validate(
    heads: Sequence[Path],
    out: Path,
    limit: int | None = None,
    *,
    pool: Sequence[AnswerExample] | None = None,
    warm: Callable[[AnswerJudge, AnswerExample], None] | None = None,
    chooser: Callable[[Counter[tuple[str, str, bool, str]], list[str]], list[str]] | None = None,
) -> None:
    """`pool` (default round 16's) judged by the committed heads and each of `heads`; `warm` is
    called with the committed judge before each answer (its embeddings shared by all heads);
    `chooser` says which candidate the counts choose (default this round's `choose`)."""
    if pool is None:
        pool = [e for e in load_all() if e.split == "test" or e.source in UNSEEN]
    pool = list(pool)[:limit]
    base = default_judge()
    judges = {"committed": base}
    for folder in heads:
        judge = AnswerJudge(load_model(folder), base.encoder, views=base.views)
        # One embedding cache for all heads: every text is encoded once, in the same calls.
        judge._cache, judge._cache_lock = base._cache, base._cache_lock
        judges[folder.name] = judge
    for turn in TURNS.values():
        base.continues([turn])  # each turn encoded alone first, as the gateway encodes a prompt
    counts: Counter[tuple[str, str, bool, str]] = Counter()
    sizes = Counter((e.harmful, e.lang) for e in pool)
    for k, e in enumerate(pool):
        if warm is not None:
            warm(base, e)
        answer = training_text(e.answer)
        turns = {"own": e.prompt[-JUDGE_PROMPT_CHARS:], **TURNS}
        prompts = list(turns.values())
        for name, judge in judges.items():
            blocked = _blocks(judge, prompts, [answer] * len(prompts))
            for turn, hit in zip(turns, blocked, strict=True):
                counts[name, turn, e.harmful, e.lang] += hit
        if k % 200 == 0:
            print(f"{k}/{len(pool)}", file=sys.stderr, flush=True)
    rows = [
        {"heads": n, "turn": t, "harmful": h, "lang": lang, "blocked": c}
        for (n, t, h, lang), c in sorted(counts.items())
    ]
    sized = {f"{'harmful' if h else 'harmless'}_{lang}": n for (h, lang), n in sizes.items()}
    out.write_text(json.dumps({"pool": sized, "counts": rows}, indent=1) + "\n", encoding="utf-8")
    print(f"pool: {sized}; wrote {out}")
    print("\n".join(validation_table(counts, list(judges))))
    print("\n".join((chooser or choose)(counts, list(judges)[1:])))


def validation_table(counts: Counter[tuple[str, str, bool, str]], names: list[str]) -> list[str]:
    lines = [
        "| turn | heads | harmful blocked EN / JA | harmless blocked EN / JA |",
        "|---|---|---|---|",
    ]
    for turn in ("own", *TURNS):
        for name in names:
            h = [counts[name, turn, True, lang] for lang in LANGS]
            b = [counts[name, turn, False, lang] for lang in LANGS]
            lines.append(f"| {turn} | {name} | {h[0]} / {h[1]} | {b[0]} / {b[1]} |")
    return lines


def _sum(counts: Counter[tuple[str, str, bool, str]], name: str, turns: Sequence[str],
         harmful: bool, langs: Sequence[str] = LANGS) -> int:  # fmt: skip
    return sum(counts[name, t, harmful, lang] for t in turns for lang in langs)


def choose(counts: Counter[tuple[str, str, bool, str]], candidates: list[str]) -> list[str]:
    """ROUND17_RULE.md's choice of the share: eligible if, against the committed heads, harmful
    blocks after the continuation turns (all six, EN + JA) rise and JA's alone rise, and harmless
    blocks neither under own prompts nor after the continuation turns rise; of the eligible, the
    largest rise in harmful blocks after the turns, ties to the smaller share (listed first)."""
    cont = list(TURNS)
    lines = []
    best: tuple[int, str] | None = None
    for name in candidates:

        def delta(turns: Sequence[str], harmful: bool, langs: Sequence[str] = LANGS,
                  name: str = name) -> int:  # fmt: skip
            return _sum(counts, name, turns, harmful, langs) - _sum(
                counts, "committed", turns, harmful, langs
            )

        gain, gain_ja = delta(cont, True), delta(cont, True, ("ja",))
        own_fp, cont_fp = delta(["own"], False), delta(cont, False)
        ok = gain > 0 and gain_ja > 0 and own_fp <= 0 and cont_fp <= 0
        lines.append(
            f"- {name}: harmful after the turns {gain:+d} (JA {gain_ja:+d}); harmless own prompts "
            f"{own_fp:+d}, after the turns {cont_fp:+d}; harmful own prompts "
            f"{delta(['own'], True):+d} (not a condition): {'eligible' if ok else 'not eligible'}"
        )
        if ok and (best is None or gain > best[0]):
            best = (gain, name)
    lines.append(f"chosen: {best[1] if best else 'none (no candidate K; nothing to judge)'}")
    return lines


def bind(heads: Path) -> None:
    committed, candidate = load_model(), load_model(heads)
    pairs = zip(committed.harm_ngram.layers, candidate.harm_ngram.layers, strict=True)
    if not all(np.array_equal(a, x) and np.array_equal(b, y) for (a, b), (x, y) in pairs):
        raise SystemExit(f"{heads}: its harm n-gram head differs; rebuild the first stage")
    meta = FastMeta.from_json(json.loads((MODEL_DIR / META_FILE).read_text(encoding="utf-8")))
    shutil.copy(MODEL_DIR / FAST_FILE, heads / FAST_FILE)
    bound = replace(meta, judge_sha256=str(candidate.meta["sha256"]))
    bound = replace(bound, validation={**meta.validation, "bound_from": committed.meta["sha256"]})
    print(f"wrote {write_meta(heads, bound)}: the committed stage, bound to {bound.judge_sha256}")


async def _fates(
    name: str, items: Sequence[dict[str, Any]], rows: list[dict[str, Any]], tag: str
) -> None:
    screen = PolicyScreen(
        load_settings(overrides={"home": tempfile.mkdtemp(), "screen": {"name": "policy"}})
    )
    screen.warming.result()
    for k, (r, row) in enumerate(zip(items, rows, strict=True)):
        for variant, turn in (("with-prompt", r["prompt"]), ("answer-only", CONTINUE[r["lang"]])):
            row[f"{tag}:{variant}"] = await _fate(screen, f"{name}:{k}", turn, r["answer"])
    screen.close()


async def fresh(name: str, files: Sequence[Path], heads: Path, out: Path) -> None:
    for path in files:
        if not path.is_file():
            print(f"{path} missing: nothing is decided (ROUND17_RULE.md)")
            return
    candidate = load_model(heads)
    if load_stage(heads, candidate) is None:
        raise SystemExit(f"{heads}: no first stage built beside these heads")
    items = _items(files)
    rows: list[dict[str, Any]] = [
        {"id": r["id"], "lang": r["lang"], "harmful": r["harmful"]} for r in items
    ]
    await _fates(name, items, rows, "committed")
    # The candidate's folder in the committed files' place: the judge the gateway builds
    # (`default_judge`) and the first stage it loads beside it (`MODEL_DIR`).
    model_module.MODEL_DIR = heads
    base = default_judge()
    judge_module._default = AnswerJudge(candidate, base.encoder)
    await _fates(name, items, rows, "candidate")
    out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}; candidate answers.json sha256 {candidate.meta.get('sha256')}")
    print("\n".join(rule(rows)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("validate", "bind", "fresh"))
    parser.add_argument("--heads", type=Path, nargs="+", required=True, help="candidate folders")
    parser.add_argument("--set", choices=tuple(FRESH), default="v10")
    parser.add_argument("--files", type=Path, nargs="*", help="the set's files (copies)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="first N answers (smoke test)")
    args = parser.parse_args()
    if args.what == "validate":
        validate(args.heads, args.out or HERE / "round17_validation.json", args.limit)
    elif args.what == "bind":
        bind(args.heads[0])
    else:
        files = args.files or [REPO_ROOT / "data" / "answers" / f for f in FRESH[args.set]]
        out = args.out or HERE / f"round17_{args.set}.json"
        asyncio.run(fresh(args.set, files, args.heads[0], out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
