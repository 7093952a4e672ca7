"""Short chat turns at the prompt screen (issue 15): the diagnosis and the short-turn reading's
figures (bench/classifier/SHORT_TURNS.md; rule: SHORT_TURNS_RULE.md).

    PYTHONPATH=src python bench/classifier/short_turns.py diagnose   # the written turns, ST off
    PYTHONPATH=src python bench/classifier/short_turns.py validation # criteria 1-3
    PYTHONPATH=src python bench/classifier/short_turns.py heldback   # criteria 4-5 (once)
    PYTHONPATH=src python bench/classifier/short_turns.py heldback \
        --rows data/heldback/short_turns_v2.jsonl --output FILE   # another held-back file (once)

`diagnose` takes the committed model apart on the hand-written short turns
(data/prompts/candidates/chat_turns.jsonl, the reading's training rows: nothing about the
reading is measured on them): the first stage (n-gram gate, static clear point), the encoder's
harm head, the n-gram model, the blend, the category heads, the policy scale, the decision.
`validation` scores every labelled validation row of the prompt pool through the real
`ModelScorer` (second opinion on) with the reading off, applies the reading to each verdict and
checks that result against `ModelScorer` with the reading on for every row in scope; the
default policy rules on both. `heldback` sends each held-back short turn alone through the real
`PolicyScreen.screen_input` (default settings and policy), the reading on and off; `--rows` names
another held-back file of the same schema (`short_turns_v2.jsonl`, for RETRAIN_RULE.md item 5).
Writes JSON figures next to this file (`short_turns_*.json`, or `--output`), no text of an
evaluation or held-back row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sekimori.classify.corpus import Split, team_files
from sekimori.classify.operating import SURE_LEVEL, tier_score
from sekimori.classify.second_opinion import classifier_embed
from sekimori.classify.short_turns import in_scope, load_short_turns
from sekimori.classify.short_turns_train import written_rows_path
from sekimori.classify.train import corpus_settings_of, is_ordinary, training_pool
from sekimori.gateway.screening.scorers import ModelScorer
from sekimori.policy import rule_on
from sekimori.policy.defaults import default_policy
from sekimori.taxonomy import BY_ID, MARK_SHORT_TURN, Tier
from sekimori.types import Verdict

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HELD_BACK = ROOT / "data" / "heldback" / "short_turns.jsonl"
LANGS = ("all", "en", "ja")


def fate(v: Verdict) -> tuple[str, tuple[str, ...]]:
    """The default policy's decision on one verdict: block, hold, flag or allow (held
    categories)."""
    r = rule_on(
        dict(v.categories),
        default_policy().default_tenant,
        model="m",
        sure_at=SURE_LEVEL,
        sure_scores=dict((v.certain or v).categories),
    )
    if r.held:
        return "hold", r.held
    return r.decision.action.value, ()


def _share(hits: Iterable[bool]) -> dict[str, Any]:
    got = list(hits)
    return {"n": len(got), "hit": sum(got), "share": round(sum(got) / len(got), 4) if got else None}


def by_lang(
    rows: Sequence[dict[str, Any]], hit: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    return {
        lang: _share(hit(r) for r in rows if lang == "all" or r["lang"] == lang) for lang in LANGS
    }


def diagnose(out: Path) -> None:
    from sekimori.classify.api import default_classifier
    from sekimori.classify.prompt import _PieceLevels

    scorer = ModelScorer(short_turns=False)
    clf = default_classifier()
    rows = []
    for ex in team_files([written_rows_path()]):
        if ex.harmful:
            continue
        text = ex.text
        plan = clf.plan(text)
        (raw,) = clf.classify_batch([text])
        emb = clf.recent.embed(clf.encoder, [text])
        mlp = float(clf._per_row(clf.model.harm, emb)[0, 0])
        ngram = float(clf.ngram_probs(text)[0])
        static = _PieceLevels(clf).whole_first(text, long_whole=False)
        (v,) = scorer.score_prompts([text])
        action, held = fate(v)
        hazards = {c: s for c, s in raw.categories.items() if c in BY_ID}
        policy = {c: s for c, s in v.categories.items() if c in BY_ID}
        top = max(policy, key=policy.__getitem__)
        rows.append(
            {
                "lang": ex.lang,
                "fate": action,
                "held": list(held),
                "first_stage_cleared": not plan.whole,
                "segments": len(plan.segments),
                "harm": round(raw.score, 4),
                "mlp_harm": round(mlp, 4),
                "ngram_harm": round(ngram, 4),
                "first_level": round(static.harm, 4),
                "category_mass": round(sum(hazards.values()), 4),
                "top_policy": top,
                "top_policy_score": round(policy[top], 4),
                "tiers": {t.value: round(tier_score(v.categories, t), 4) for t in Tier},
            }
        )
    held_rows = [r for r in rows if r["fate"] == "hold"]
    summary = {
        "rows": len(rows),
        "fate": {
            lang: dict(Counter(r["fate"] for r in rows if lang in ("all", r["lang"])))
            for lang in LANGS
        },
        "held_by_category": dict(Counter(c for r in held_rows for c in r["held"])),
        "held_first_category": dict(Counter(r["held"][0] for r in held_rows)),
        "first_stage_cleared": by_lang(rows, lambda r: r["first_stage_cleared"]),
        "segments_scored": sum(r["segments"] for r in rows),
        "held_mean": {
            k: round(sum(r[k] for r in held_rows) / len(held_rows), 4)
            for k in ("harm", "mlp_harm", "ngram_harm", "first_level", "category_mass")
        },
        "not_held_encoded_mean": {
            k: round(sum(r[k] for r in ok) / len(ok), 4)
            for ok in [[r for r in rows if r["fate"] != "hold" and not r["first_stage_cleared"]]]
            for k in ("harm", "mlp_harm", "ngram_harm", "first_level", "category_mass")
        },
        "held_driven_by": dict(
            Counter(
                "ngram" if 0.3 * r["ngram_harm"] > 0.7 * r["mlp_harm"] else "encoder head"
                for r in held_rows
            )
        ),
    }
    out.write_text(json.dumps({"summary": summary}, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


def _tier_of(category: str | None) -> Tier | None:
    return BY_ID[category].tier if category in BY_ID else None


def validation(out: Path, keep: Path | None) -> None:
    from sekimori.classify.prompt import PromptModel

    meta = PromptModel.load().meta
    pool = training_pool(corpus_settings_of(meta))
    valid = [e for e in pool.examples if e.split is Split.VALIDATION and e.harmful is not None]
    off = ModelScorer(short_turns=False)
    on = ModelScorer(short_turns=True)
    reading = load_short_turns(meta)
    if reading is None:
        sys.exit("the short-turn reading is not installed for this prompt model")
    embed = classifier_embed(on._prompt_classifier())
    rows: list[dict[str, Any]] = []
    checked = mismatched = 0
    for i in range(0, len(valid), 64):
        chunk = valid[i : i + 64]
        texts = [e.text for e in chunk]
        before = off.score_prompts(texts)
        after = [
            reading.reconsider(t, v, SURE_LEVEL, embed) for t, v in zip(texts, before, strict=True)
        ]
        scope = [j for j, t in enumerate(texts) if in_scope(t)]
        if scope:
            live = on.score_prompts([texts[j] for j in scope])
            checked += len(scope)
            mismatched += sum(live[k] != after[j] for k, j in enumerate(scope))
        for ex, b, a in zip(chunk, before, after, strict=True):
            category = ex.categories[0] if ex.harmful and ex.categories else None
            row: dict[str, Any] = {
                "lang": ex.lang,
                "harmful": bool(ex.harmful),
                "tier": None if (t := _tier_of(category)) is None else t.value,
                "ordinary": is_ordinary(ex) and not ex.harmful,
                "in_scope": in_scope(ex.text),
            }
            for name, v in (("off", b), ("on", a)):
                own = Tier(row["tier"]) if row["tier"] else None
                row[name] = {
                    "fate": fate(v)[0],
                    "at_hold": own is not None and tier_score(v.categories, own) >= 0.5,
                    "at_sure": own is not None
                    and tier_score((v.certain or v).categories, own) >= SURE_LEVEL,
                    "marked": v.categories.get(MARK_SHORT_TURN, 0.0) > 0,
                }
            rows.append(row)
        print(f"{len(rows)}/{len(valid)}", file=sys.stderr)
    if keep is not None:
        keep.write_text("".join(json.dumps(r) + "\n" for r in rows))
    figures = validation_figures(rows) | {
        "live_check": {"in_scope_rows": checked, "differing_from_the_scorer_with_it_on": mismatched}
    }
    out.write_text(json.dumps(figures, indent=1) + "\n")
    print(json.dumps(figures["criteria"], indent=1))


def validation_figures(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {"items": len(rows)}
    met: dict[str, bool] = {}
    for arm in ("off", "on"):
        arm_fig: dict[str, Any] = {}
        for tier in Tier:
            own = [r for r in rows if r["harmful"] and r["tier"] == tier.value]
            arm_fig[tier.value] = {
                "at_hold": by_lang(own, lambda r, a=arm: r[a]["at_hold"]),
                "at_sure": by_lang(own, lambda r, a=arm: r[a]["at_sure"]),
                "stopped": by_lang(own, lambda r, a=arm: r[a]["fate"] in ("block", "hold")),
            }
        benign = [r for r in rows if not r["harmful"]]
        ordinary = [r for r in benign if r["ordinary"]]
        arm_fig["benign_blocked"] = by_lang(benign, lambda r, a=arm: r[a]["fate"] == "block")
        arm_fig["benign_held"] = by_lang(benign, lambda r, a=arm: r[a]["fate"] == "hold")
        arm_fig["ordinary_held"] = by_lang(ordinary, lambda r, a=arm: r[a]["fate"] == "hold")
        arm_fig["marked"] = by_lang(rows, lambda r, a=arm: r[a]["marked"])
        arm_fig["harmful_marked"] = by_lang(
            [r for r in rows if r["harmful"]], lambda r, a=arm: r[a]["marked"]
        )
        figures[arm] = arm_fig
    off, on = figures["off"], figures["on"]
    for tier in Tier:
        for k in ("at_hold", "at_sure", "stopped"):
            met[f"1-2 {tier.value} {k} not lower"] = all(
                on[tier.value][k][lang]["hit"] >= off[tier.value][k][lang]["hit"] for lang in LANGS
            )
    met["1 catastrophic at hold >= 0.99"] = (
        on["catastrophic"]["at_hold"]["all"]["share"] or 0
    ) >= 0.99
    met["1 severe at hold >= 0.97"] = (on["severe"]["at_hold"]["all"]["share"] or 0) >= 0.97
    for k in ("benign_blocked", "benign_held", "ordinary_held"):
        met[f"3 {k} not higher"] = all(on[k][lang]["hit"] <= off[k][lang]["hit"] for lang in LANGS)
    figures["criteria"] = met
    return figures


async def _screen_all(texts: Sequence[str], short_turns: bool) -> list[tuple[str, list[str], bool]]:
    from sekimori.gateway.screening.screen import PolicyScreen
    from sekimori.screen import ScreenContext
    from sekimori.settings import load_settings
    from sekimori.types import Message

    home = tempfile.mkdtemp()
    settings = load_settings(
        overrides={"home": home, "screen": {"name": "policy", "short_turns": short_turns}}
    )
    screen = PolicyScreen(settings)
    screen.warming.result()
    out = []
    for i, text in enumerate(texts):
        got = await screen.screen_input(ScreenContext("", "m", f"st{i}"), [Message("user", text)])
        action = got.decision.action.value
        name = "hold" if got.hold else action
        marked = any(c == MARK_SHORT_TURN for c, _ in got.decision.scores)
        out.append((name, [c for c in got.decision.categories if c in BY_ID], marked))
    screen.close()
    return out


def heldback(out: Path, source: Path = HELD_BACK) -> None:
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line]
    texts = [str(r["text"]) for r in rows]
    arms = {
        name: asyncio.run(_screen_all(texts, on)) for name, on in (("off", False), ("on", True))
    }
    items = []
    for r, off, on in zip(rows, arms["off"], arms["on"], strict=True):
        items.append(
            {
                "id": r["id"],
                "lang": r["lang"],
                "label": r["label"],
                "kind": r["kind"],
                "in_scope": in_scope(str(r["text"])),
                "off": off[0],
                "on": on[0],
                "off_categories": off[1],
                "marked": on[2],
            }
        )
    benign = [i for i in items if i["label"] == "benign"]
    harmful = [i for i in items if i["label"] == "harmful"]
    stopped = ("block", "hold")
    figures: dict[str, Any] = {
        "source": source.name,
        "rows": len(items),
        "in_scope": by_lang(items, lambda i: i["in_scope"]),
        "benign_held_or_blocked": {
            arm: by_lang(benign, lambda i, a=arm: i[a] in stopped) for arm in ("off", "on")
        },
        "benign_fates": {
            arm: {
                lang: dict(Counter(i[arm] for i in benign if lang in ("all", i["lang"])))
                for lang in LANGS
            }
            for arm in ("off", "on")
        },
        "benign_held_by_kind": {
            arm: dict(Counter(i["kind"] for i in benign if i[arm] in stopped))
            for arm in ("off", "on")
        },
        "harmful_stopped": {
            arm: by_lang(harmful, lambda i, a=arm: i[a] in stopped) for arm in ("off", "on")
        },
        "harmful_stopped_by_kind": {
            arm: dict(Counter(i["kind"] for i in harmful if i[arm] in stopped))
            for arm in ("off", "on")
        },
        "harmful_fates": {
            arm: {
                lang: dict(Counter(i[arm] for i in harmful if lang in ("all", i["lang"])))
                for lang in LANGS
            }
            for arm in ("off", "on")
        },
        "harmful_released_by_the_reading": [
            {"id": i["id"], "category_off": i["off_categories"]}
            for i in harmful
            if i["off"] in stopped and i["on"] not in stopped
        ],
        "benign_held_off_categories": dict(
            Counter(c for i in benign if i["off"] in stopped for c in i["off_categories"][:1])
        ),
    }
    b_off = figures["benign_held_or_blocked"]["off"]
    b_on = figures["benign_held_or_blocked"]["on"]
    h_off, h_on = figures["harmful_stopped"]["off"], figures["harmful_stopped"]["on"]
    share_off, share_on = b_off["all"]["share"] or 0.0, b_on["all"]["share"] or 0.0
    figures["criteria"] = {
        "4 benign held-or-blocked falls by >= 40% and >= 3 points": share_on <= 0.6 * share_off
        and share_off - share_on >= 0.03,
        "4 benign not higher in EN": b_on["en"]["hit"] <= b_off["en"]["hit"],
        "4 benign not higher in JA": b_on["ja"]["hit"] <= b_off["ja"]["hit"],
        "5 harmful stopped not lower in EN": h_on["en"]["hit"] >= h_off["en"]["hit"],
        "5 harmful stopped not lower in JA": h_on["ja"]["hit"] >= h_off["ja"]["hit"],
    }
    out.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=1, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("diagnose", "validation", "heldback"))
    parser.add_argument("--keep", type=Path, help="validation: write the per-row results here")
    parser.add_argument(
        "--rows", type=Path, default=HELD_BACK, help="heldback: the held-back file to read"
    )
    parser.add_argument("--output", type=Path, help="where the JSON figures go")
    opts = parser.parse_args()
    out = opts.output or HERE / f"short_turns_{opts.what}.json"
    if opts.what == "diagnose":
        diagnose(out)
    elif opts.what == "validation":
        validation(out, opts.keep)
    else:
        heldback(out, opts.rows)


if __name__ == "__main__":
    main()
