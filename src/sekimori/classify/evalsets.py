"""The evaluation-only sets, with the label mapping each one uses (never used for training).

Label mapping follows the Llama Guard and WildGuard papers so our numbers compare with theirs:
- openai-moderation: a prompt is harmful when any of the 8 flags is 1 (Llama Guard, section 4:
  "unsafe if any category is flagged"); a missing flag counts as 0, as in those papers.
- toxicchat-test: the `toxicity` label (1 → harmful), all 5,083 rows.
- wildguardtest (prompt harm): the `prompt_harm_label`, vanilla and adversarial prompts together.
- xstest: `unsafe` → harmful, `safe` → benign (prompt classification, as in WildGuard table 3).
- harmbench, simplesafetytests: every behaviour is harmful, so F1 = 2R/(1+R) (WildGuard's
  HarmBench prompt column uses the behaviour text alone; so do we).
- arena-hard, chatbot-bench, ifeval: all benign; we report the false-alarm rate per language.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sekimori.lang import detect_lang
from sekimori.types import Lang

EVAL_ONLY: tuple[str, ...] = (
    "openai-moderation",
    "toxicchat-test-thirdparty",
    "wildguardtest-prompts-thirdparty",
    "xstest",
    "simplesafetytests",
    "harmbench",
    "arena-hard-prompts",
    "chatbot-bench-prompts",
    "ifeval-prompts",
)


@dataclass(frozen=True, slots=True)
class EvalItem:
    text: str
    harmful: bool
    lang: Lang
    label: str  # the set's own category label, for per-category recall ("" when none)


@dataclass(frozen=True, slots=True)
class EvalSet:
    name: str
    folder: str
    mapping: str
    items: tuple[EvalItem, ...]


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f)


_OAI_FLAGS = {
    "S": "sexual",
    "H": "hate",
    "V": "violence",
    "HR": "harassment",
    "SH": "self-harm",
    "S3": "sexual/minors",
    "H2": "hate/threatening",
    "V2": "violence/graphic",
}


def openai_moderation(root: Path) -> EvalSet:
    items = []
    with (root / "openai-moderation" / "samples-1680.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            flags = [name for key, name in _OAI_FLAGS.items() if row.get(key) == 1]
            text = row["prompt"]
            items.append(EvalItem(text, bool(flags), detect_lang(text), flags[0] if flags else ""))
    return EvalSet(
        "openai-moderation", "openai-moderation", "harmful = any of the 8 flags is 1", tuple(items)
    )


def _json_labelled(root: Path, folder: str, file: str, name: str, mapping: str) -> EvalSet:
    rows = json.loads((root / folder / file).read_text(encoding="utf-8"))
    items = []
    for row in rows:
        harmful = row["label"] == "harmful"
        label = str(row.get("source", "")).removeprefix("wildguardmix_") if harmful else ""
        if label == "toxicchat":
            label = ""
        items.append(EvalItem(row["text"], harmful, detect_lang(row["text"]), label))
    return EvalSet(name, folder, mapping, tuple(items))


def toxicchat(root: Path) -> EvalSet:
    return _json_labelled(
        root, "toxicchat-test-thirdparty", "toxicchat_test.json", "toxicchat-test", "toxicity = 1"
    )


def wildguardtest(root: Path) -> EvalSet:
    return _json_labelled(
        root,
        "wildguardtest-prompts-thirdparty",
        "wildguard_full_benchmark.json",
        "wildguardtest",
        "prompt_harm_label = harmful",
    )


def xstest(root: Path) -> EvalSet:
    items = tuple(
        EvalItem(
            r["prompt"], r["label"] == "unsafe", "en", r["type"] if r["label"] == "unsafe" else ""
        )
        for r in _csv(root / "xstest" / "xstest_prompts.csv")
    )
    return EvalSet("xstest", "xstest", "label unsafe → harmful", items)


def harmbench(root: Path) -> EvalSet:
    items = tuple(
        EvalItem(r["Behavior"], True, "en", r["SemanticCategory"])
        for r in _csv(root / "harmbench" / "harmbench_behaviors_text_all.csv")
    )
    return EvalSet("harmbench", "harmbench", "all 400 behaviours harmful (behaviour text)", items)


def simplesafetytests(root: Path) -> EvalSet:
    items = tuple(
        EvalItem(r["prompts_final"], True, "en", r["harm_area"])
        for r in _csv(root / "simplesafetytests" / "simplesafetytests.csv")
    )
    return EvalSet("simplesafetytests", "simplesafetytests", "all 100 prompts harmful", items)


def _benign_prompts(root: Path, folder: str, lang: Lang) -> EvalSet:
    items = []
    with (root / folder / "prompts.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["lang"] == lang:
                items.append(EvalItem(row["text"], False, lang, ""))
    name = folder.removesuffix("-prompts")
    return EvalSet(f"{name} ({lang})", folder, "all benign: false-alarm rate", tuple(items))


LOADERS: tuple[Callable[[Path], EvalSet], ...] = (
    openai_moderation,
    toxicchat,
    wildguardtest,
    xstest,
    harmbench,
    simplesafetytests,
    *(
        partial(_benign_prompts, folder=folder, lang=lang)
        for folder in ("arena-hard-prompts", "chatbot-bench-prompts", "ifeval-prompts")
        for lang in ("en", "ja")
    ),
)


def load_eval_sets(root: Path) -> list[EvalSet]:
    return [load(root) for load in LOADERS]


def eval_only_texts(root: Path) -> Iterator[str]:
    """Every text of every evaluation-only set, including rows the loaders above skip."""
    for es in load_eval_sets(root):
        for item in es.items:
            yield item.text
    for row in _csv(root / "harmbench" / "harmbench_behaviors_text_all.csv"):
        if row["ContextString"]:
            yield row["ContextString"]
    for folder in ("arena-hard-prompts",):
        with (root / folder / "prompts.jsonl").open(encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)["text"]
