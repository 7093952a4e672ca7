"""Evaluating the answer judges on the held-back split, whole answers and streamed prefixes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sekimori.classify.answers.data import AnswerExample, split
from sekimori.classify.answers.model import REFUSAL_LABELS, AnswerModel
from sekimori.classify.answers.prefix import PREFIX_TOKENS
from sekimori.classify.answers.train import EmbeddingCache, View, featurize, texts_of, views_of
from sekimori.classify.encoder import Encoder

# Subsets reported separately: XSTest held-back completions and our own held-back sets.
SUBSETS: dict[str, Callable[[AnswerExample], bool]] = {
    "xstest-en": lambda e: e.source.startswith("xstest"),
    "sekimori-en": lambda e: e.source == "sekimori" and e.lang == "en",
    "sekimori-ja": lambda e: e.source == "sekimori" and e.lang == "ja",
    "prose-en": lambda e: e.source == "sekimori-prose" and e.lang == "en",
    "prose-ja": lambda e: e.source == "sekimori-prose" and e.lang == "ja",
    "benign-en": lambda e: e.source == "sekimori-benign" and e.lang == "en",
    "benign-ja": lambda e: e.source == "sekimori-benign" and e.lang == "ja",
    "formats-en": lambda e: e.source == "sekimori-formats" and e.lang == "en",
    "formats-ja": lambda e: e.source == "sekimori-formats" and e.lang == "ja",
    "layouts-en": lambda e: e.source == "sekimori-layouts" and e.lang == "en",
    "layouts-ja": lambda e: e.source == "sekimori-layouts" and e.lang == "ja",
    "dolly-en": lambda e: e.source == "dolly" and e.lang == "en",
    "dolly-ja": lambda e: e.source == "dolly" and e.lang == "ja",
    # Without the Dolly answers, so "all" stays comparable with the figures before they came.
    "all": lambda e: e.source != "dolly",
}


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    refusal_accuracy: float
    harm_precision: float
    harm_recall: float
    harm_f1: float
    harmful: int
    false_harmful: float  # share of the harmless answers judged harmful
    confusion: dict[str, dict[str, int]]
    category_accuracy: float | None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Scores by subset and prefix ("all" = whole answers), with the ids of misjudged answers."""

    scores: dict[str, dict[str, Scores]]
    refusal_misses: list[str] = field(default_factory=list)
    harm_misses: list[str] = field(default_factory=list)


def _scores(
    views: Sequence[View],
    refusal_p: np.ndarray,
    harm_p: np.ndarray,
    cats: np.ndarray,
    model: AnswerModel,
) -> Scores:
    truth_r = [v.example.refusal for v in views]
    pred_r = [REFUSAL_LABELS[i] for i in refusal_p.argmax(axis=1)]
    truth_h = np.asarray([v.example.harmful for v in views])
    pred_h = harm_p >= model.threshold
    tp = int(np.sum(pred_h & truth_h))
    precision = tp / max(int(pred_h.sum()), 1)
    recall = tp / max(int(truth_h.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    confusion = {str(t): {str(p): 0 for p in REFUSAL_LABELS} for t in REFUSAL_LABELS}
    for t, p in zip(truth_r, pred_r, strict=True):
        confusion[str(t)][str(p)] += 1
    hit = [
        model.category_ids[int(cats[i].argmax())] == v.example.category
        for i, v in enumerate(views)
        if v.example.harmful and pred_h[i] and v.example.category
    ]
    return Scores(
        n=len(views),
        refusal_accuracy=sum(t == p for t, p in zip(truth_r, pred_r, strict=True)) / len(views),
        harm_precision=precision,
        harm_recall=recall,
        harm_f1=f1,
        harmful=int(truth_h.sum()),
        false_harmful=float(np.mean(pred_h[~truth_h])) if (~truth_h).any() else 0.0,
        confusion=confusion,
        category_accuracy=sum(hit) / len(hit) if hit else None,
    )


def evaluate(
    examples: Sequence[AnswerExample],
    model: AnswerModel,
    encoder: Encoder,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Score the held-back split (split == 'test') of `examples`."""
    test = split(examples, "test")
    views = views_of(test, PREFIX_TOKENS)
    cache = EmbeddingCache(encoder)
    cache.embed(texts_of(views), progress)
    out = model.predict(featurize(views, cache), [v.answer for v in views])
    scores: dict[str, dict[str, Scores]] = {}
    for name, member in SUBSETS.items():
        scores[name] = {}
        for n in PREFIX_TOKENS:
            idx = [i for i, v in enumerate(views) if member(v.example) and n in v.prefixes]
            if idx:
                scores[name][str(n or "all")] = _scores(
                    [views[i] for i in idx],
                    out.refusal[idx],
                    out.harm[idx],
                    out.categories[idx],
                    model,
                )
    whole = [i for i, v in enumerate(views) if None in v.prefixes]
    refusal_misses = [
        f"{views[i].example.id}: {views[i].example.refusal} -> "
        f"{REFUSAL_LABELS[int(out.refusal[i].argmax())]}"
        for i in whole
        if REFUSAL_LABELS[int(out.refusal[i].argmax())] != views[i].example.refusal
    ]
    harm_misses = [
        f"{views[i].example.id}: harmful={views[i].example.harmful} score={out.harm[i]:.2f}"
        for i in whole
        if (out.harm[i] >= model.threshold) != views[i].example.harmful
    ]
    return EvalReport(scores, refusal_misses, harm_misses)


def render_markdown(report: EvalReport) -> str:
    """Tables of the report: refusal accuracy and harm precision/recall/F1 per subset and prefix."""
    lines = [
        "| subset | prefix | n | refusal acc. | harmful | harm P | harm R | harm F1 "
        "| false harmful | category acc. |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for subset, by_prefix in report.scores.items():
        for prefix, s in by_prefix.items():
            cat = "–" if s.category_accuracy is None else f"{s.category_accuracy:.3f}"
            lines.append(
                f"| {subset} | {prefix} | {s.n} | {s.refusal_accuracy:.3f} | {s.harmful} | "
                f"{s.harm_precision:.3f} | {s.harm_recall:.3f} | {s.harm_f1:.3f} | "
                f"{s.false_harmful:.3f} | {cat} |"
            )
    lines += ["", "Refusal confusion on whole answers (rows: truth, columns: predicted):", ""]
    for subset, by_prefix in report.scores.items():
        whole = by_prefix.get("all")
        if whole is None:
            continue
        labels = list(whole.confusion)
        lines += [f"*{subset}*", "", "| truth \\ predicted | " + " | ".join(labels) + " |"]
        lines.append("|---|" + "---:|" * len(labels))
        for t in labels:
            row = " | ".join(str(whole.confusion[t][p]) for p in labels)
            lines.append(f"| {t} | {row} |")
        lines.append("")
    return "\n".join(lines)
