"""Honest evaluation of the prompt classifier on the evaluation-only sets (never trained on).

Per set: precision, recall, F1, AUPRC, false-positive rate on its benign part, recall per the
set's own category labels; the bilingual held-out split (EN vs JA F1); latency p50/p99 for
100- and 2,000-token prompts on one thread. `render` writes the tables as Markdown.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.cascade import Band, PromptJudge, ruled_score
from sekimori.classify.corpus import Example
from sekimori.classify.embedcache import CachedEncoder
from sekimori.classify.evalsets import EvalSet
from sekimori.classify.prompt import PromptClassifier

# Targets from issue 3 (prompt-level F1; benign sets: false-alarm rate).
F1_TARGETS = {
    "openai-moderation": 0.82,
    "xstest": 0.90,
    "wildguardtest": 0.89,
    "harmbench": 0.98,
    "simplesafetytests": 0.99,
    "toxicchat-test": 0.72,
}
FALSE_ALARM_TARGET = 0.01


@dataclass(frozen=True, slots=True)
class SetResult:
    name: str
    mapping: str
    items: int
    harmful: int
    precision: float | None
    recall: float | None
    f1: float | None
    auprc: float | None
    fpr: float | None
    skipped_encoder: float
    per_label: dict[str, tuple[int, float]] = field(default_factory=dict)
    # The cascade's band: the share of items a judge would see, and of the classifier's own
    # mistakes that lie inside it (what a judge that is right there could fix).
    to_judge: float = 0.0
    errors_in_band: float | None = None
    # What the judge (an LLM judge or a guard model) changed: items it was asked about, items it
    # gave no ruling for, classifier mistakes it put right and right verdicts it made wrong.
    asked: int = 0
    no_ruling: int = 0
    fixed: int = 0
    broken: int = 0


@dataclass(frozen=True, slots=True)
class Latency:
    tokens: int
    encoder: bool
    p50_ms: float
    p99_ms: float
    runs: int


@dataclass(frozen=True, slots=True)
class HeldOut:
    lang: str
    items: int
    harmful: int
    f1: float
    precision: float
    recall: float


def average_precision(y: NDArray[np.bool_], score: NDArray[np.float64]) -> float | None:
    """Area under the precision-recall curve (step-wise, as scikit-learn computes it)."""
    if not y.any():
        return None
    order = np.argsort(-score, kind="stable")
    ys, ss = y[order], score[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(~ys)
    # Only the last item of a run of equal scores is a threshold.
    last = np.r_[ss[1:] != ss[:-1], True]
    tp, fp = tp[last], fp[last]
    precision = tp / (tp + fp)
    recall = tp / ys.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def prf(y: NDArray[np.bool_], pred: NDArray[np.bool_]) -> tuple[float, float, float]:
    tp = float(np.sum(y & pred))
    fp = float(np.sum(~y & pred))
    fn = float(np.sum(y & ~pred))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _warm(clf: PromptClassifier, texts: Sequence[str]) -> None:
    """Fill a cached encoder in chunks first; scoring then embeds one text a call."""
    if isinstance(clf.encoder, CachedEncoder):
        clf.encoder.warm(clf.encoder_inputs(texts))


def evaluate_set(
    clf: PromptClassifier,
    es: EvalSet,
    *,
    batch: int = 64,
    progress: Callable[[int], None] | None = None,
    band: Band | None = None,
    judge: PromptJudge | None = None,
) -> SetResult:
    """Scores of one set. With a `judge`, scores inside `band` are moved to its side of the
    threshold (the cascade) before anything is counted; the band figures are the classifier's."""
    scores: list[float] = []
    gated: list[bool] = []
    _warm(clf, [it.text for it in es.items])
    for start in range(0, len(es.items), batch):
        chunk = es.items[start : start + batch]
        for s in clf.scores_batch([it.text for it in chunk]):
            scores.append(s.harm)
            gated.append(s.gated)
        if progress is not None:
            progress(len(chunk))
    y = np.array([it.harmful for it in es.items])
    sc = np.array(scores, np.float64)
    in_band = np.array([s in band for s in scores], bool) if band else np.zeros(len(y), bool)
    wrong = (sc >= clf.threshold) != y
    errors_in_band = float(np.mean(in_band[wrong])) if wrong.any() else None
    before = sc >= clf.threshold
    asked = no_ruling = 0
    if judge is not None and in_band.any():
        unsure = np.flatnonzero(in_band)
        rulings = judge.rule([es.items[i].text for i in unsure])
        asked = len(unsure)
        for i, ruling in zip(unsure, rulings, strict=True):
            if ruling is None:
                no_ruling += 1
            else:
                sc[i] = ruled_score(float(sc[i]), ruling.harmful, clf.threshold)
    pred = sc >= clf.threshold
    per: dict[str, list[bool]] = defaultdict(list)
    for it, p in zip(es.items, pred, strict=True):
        if it.harmful and it.label:
            per[it.label].append(bool(p))
    has_pos, has_neg = bool(y.any()), bool((~y).any())
    precision, recall, f1 = prf(y, pred) if has_pos else (None, None, None)
    return SetResult(
        name=es.name,
        mapping=es.mapping,
        items=len(y),
        harmful=int(y.sum()),
        precision=precision if has_pos and has_neg else None,
        recall=recall,
        f1=f1,
        auprc=average_precision(y, sc) if has_pos and has_neg else None,
        fpr=float(np.mean(pred[~y])) if has_neg else None,
        skipped_encoder=float(np.mean(gated)) if gated else 0.0,
        per_label={k: (len(v), float(np.mean(v))) for k, v in sorted(per.items())},
        to_judge=float(np.mean(in_band)) if len(y) else 0.0,
        errors_in_band=errors_in_band,
        asked=asked,
        no_ruling=no_ruling,
        fixed=int(np.sum((before != y) & (pred == y))),
        broken=int(np.sum((before == y) & (pred != y))),
    )


def heldout(clf: PromptClassifier, examples: Sequence[Example]) -> list[HeldOut]:
    """F1 per language on the held-back bilingual split (never trained on)."""
    out = []
    for lang in ("en", "ja"):
        ex = [e for e in examples if e.lang == lang and e.harmful is not None]
        if not ex:
            continue
        y = np.array([bool(e.harmful) for e in ex])
        _warm(clf, [e.text for e in ex])
        pred = np.array([s.harm >= clf.threshold for s in clf.scores_batch([e.text for e in ex])])
        p, r, f = prf(y, pred)
        out.append(HeldOut(lang, len(ex), int(y.sum()), f, p, r))
    return out


def _prompt_of(tokens: int) -> str:
    # About 1.3 e5 tokens per English word; the sentence mixes ordinary and sensitive words.
    base = (
        "Please summarise the safety history of the Manhattan Project for a school report and "
        "explain how modern reactors are regulated, with a short list of sources. "
    )
    words = base.split()
    need = int(tokens / 1.3)
    return " ".join(words[i % len(words)] for i in range(need))


def measure_latency(clf: PromptClassifier, tokens: int, runs: int, *, encoder: bool) -> Latency:
    """Latency of `classify`; `encoder` True disables the first stages (the n-gram gate and the
    static stage) so the encoder always runs."""
    if encoder:
        model = replace(clf.model, meta=replace(clf.model.meta, gate=0.0))
        clf = PromptClassifier(model, clf.encoder, fast_path=False)
    text = _prompt_of(tokens)
    clf.classify(text)  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        clf.classify(text)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return Latency(tokens, encoder, statistics.median(times), p99, runs)


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "–"
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


def machine() -> str:
    from sekimori.testing.machine import cpu_model

    return f"{platform.machine()}, {cpu_model()}, Python {platform.python_version()}"


def _band_section(results: Sequence[SetResult], band: Band) -> list[str]:
    lines = [
        f"## The cascade's band [{band.low:g}, {band.high:g})",
        "",
        "Share of each set whose classifier score falls in the band (what an LLM judge would see)"
        " and share of the classifier's own mistakes inside it (what a judge that is right there"
        " could fix; the rest are confident mistakes no cascade reaches). The band is the one the"
        " model's training chose on its validation split (`model.json`) unless `--judge-band` set"
        " another.",
        "",
        "| set | to the judge | classifier mistakes in band |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r.name} | {_fmt(r.to_judge, True)} | {_fmt(r.errors_in_band, True)} |" for r in results
    ]
    if any(r.asked for r in results):
        lines += [
            "",
            "What the judge changed: items asked, items it gave no ruling for (left to the "
            "classifier), classifier mistakes it put right and right verdicts it made wrong.",
            "",
            "| set | asked | no ruling | fixed | broken |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.name} | {r.asked} | {r.no_ruling} | {r.fixed} | {r.broken} |" for r in results
        ]
    return [*lines, ""]


def render(
    results: Sequence[SetResult],
    held: Sequence[HeldOut],
    latency: Sequence[Latency],
    *,
    header: str,
    band: Band | None = None,
) -> str:
    lines = [
        header,
        "",
        "## Evaluation-only sets (never trained on, thresholds from training validation)",
        "",
    ]
    lines.append(
        "| set | items | harmful | precision | recall | F1 | AUPRC | FPR benign | target "
        "| skip encoder |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        target = F1_TARGETS.get(r.name)
        if target is not None and r.f1 is not None:
            verdict = "met" if r.f1 >= target else f"missed by {target - r.f1:.3f}"
            tgt = f"F1 ≥ {target} ({verdict})"
        elif r.harmful == 0 and r.fpr is not None:
            verdict = (
                "met"
                if r.fpr <= FALSE_ALARM_TARGET
                else f"missed by {100 * (r.fpr - FALSE_ALARM_TARGET):.1f} pts"
            )
            tgt = f"FPR ≤ 1% ({verdict})"
        else:
            tgt = ""
        lines.append(
            f"| {r.name} | {r.items} | {r.harmful} | {_fmt(r.precision)} | {_fmt(r.recall)} | "
            f"{_fmt(r.f1)} | {_fmt(r.auprc)} | {_fmt(r.fpr, True)} | {tgt} "
            f"| {_fmt(r.skipped_encoder, True)} |"
        )
    lines += [
        "",
        "Why the misses, and what would close them: `src/sekimori/classify/models/prompt/"
        "MODEL_CARD.md` (known weaknesses; what would close the gaps).",
        "",
    ]
    if band is not None:
        lines += _band_section(results, band)
    lines += ["## Recall per category (each set's own labels)", ""]
    for r in results:
        if r.per_label:
            cells = ", ".join(f"{k} {100 * v:.0f}% (n={n})" for k, (n, v) in r.per_label.items())
            lines.append(f"- **{r.name}**: {cells}")
    lines += ["", "## Label mapping per set", ""]
    lines += [f"- **{r.name}**: {r.mapping}" for r in results]
    lines += ["", "## Bilingual held-out split (held back from training)", ""]
    lines.append("| lang | items | harmful | precision | recall | F1 |")
    lines.append("|---|---|---|---|---|---|")
    lines += [
        f"| {h.lang} | {h.items} | {h.harmful} | {h.precision:.3f} | {h.recall:.3f} | {h.f1:.3f} |"
        for h in held
    ]
    by = {h.lang: h.f1 for h in held}
    if "en" in by and "ja" in by:
        gap = by["en"] - by["ja"]
        lines.append("")
        lines.append(
            f"JA − EN F1: {-gap:+.3f} "
            f"(target: JA within 0.03 of EN: {'met' if gap <= 0.03 else 'missed'})"
        )
    lines += [
        "",
        f"## Latency (one thread, {machine()}, {os.cpu_count()} cores shared with other jobs)",
        "",
        "`as deployed`: with the n-gram first stage; `encoder forced`: the encoder always runs.",
        "",
    ]
    lines.append("| prompt | path | runs | p50 ms | p99 ms |")
    lines.append("|---|---|---|---|---|")
    lines += [
        f"| ~{lat.tokens} tokens | {'encoder forced' if lat.encoder else 'as deployed'} "
        f"| {lat.runs} | {lat.p50_ms:.1f} | {lat.p99_ms:.1f} |"
        for lat in latency
    ]
    return "\n".join(lines) + "\n"
