"""Segment scoring's cost, and candidates to cut it, judged by `SEGCOST_RULE.md`.

    PYTHONPATH=src python bench/classifier/segcost.py [--quick] [--cost-only] [--rows FILE]

The committed section was assembled from runs kept beside this file (the cost run, about 5
minutes; the validation rows, about 20 minutes on the shared cores), as:

    segcost.py --cost-only --cost-json segcost_cost.json --plan-json segcost_plan.json
    segcost.py --rows-only --rows segcost_rows.json
    segcost.py --from-rows segcost_rows.json --cost-json segcost_cost.json \
        --plan-json segcost_plan.json

Modes (all on the committed prompt model, one onnxruntime thread):

- *whole*: the whole text only (`PromptClassifier(segmented=False)`), as before segments;
- *now*: segment scoring with the scan levelling its pieces one by one (as before *op*);
- *lc* (late chunking): a chosen segment that is a span of a view gets its vector by
  mean-pooling the last-layer token states of the pass of the view piece that holds it (the
  pass that scores the whole; run for its token states alone when the first stage cleared the
  whole); decoded payloads are encoded alone, as now;
- *g45*, *g55*: *now* with the segment gate (`SEGMENT_GATE`, 0.35) at 0.45 or 0.55;
- *op*: the scan's levels read in one pass over each view (`PromptClassifier(one_pass_scan=True)`,
  adopted: the committed code); on the validation texts scored only where its plan differs.

Cost: calling-thread CPU time to score one Dolly prompt of 180-230 tokens (EN and JA, the
first 100 of each in file order; Dolly is not an evaluation-only set), the classifier's memory
of recent pieces emptied before every run, best of two runs. Effect: the team's validation
split as `SEGCOST_RULE.md` names it, replayed under the default policy as `disguises.py` does.
Writes the section "Cost, and candidates to cut it" of `SEGMENTS.md` (between its markers).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

import sekimori.classify.prompt as prompt_module
from sekimori.classify.corpus import Split
from sekimori.classify.embedcache import RecentEmbeddings
from sekimori.classify.encoder import Encoder
from sekimori.classify.encoders.e5_small import E5SmallEncoder, ort_session
from sekimori.classify.operating import OperatingPoints
from sekimori.classify.prompt import PromptClassifier, Scores, TextPlan, _PieceLevels, views
from sekimori.classify.prompt import segments as view_pieces
from sekimori.classify.train import corpus_settings_of, training_pool
from sekimori.evaluation.items import EffectItem
from sekimori.evaluation.sets import wrapped
from sekimori.testing.machine import cpu_model, load_average

sys.path.insert(0, str(Path(__file__).resolve().parent))
from disguises import outcome, pad, write_section
from segments import dolly_200

HERE = Path(__file__).resolve().parent
OUT = HERE / "SEGMENTS.md"
FIGURES = HERE / "segcost.json"  # what `sekimori eval gateway`'s cost row reports
BEGIN = "<!-- segcost.py: begin -->"
END = "<!-- segcost.py: end -->"
PADS = tuple((w, n) for n in (5, 10, 20) for w in ("before", "after"))
WRAPS = ("base64", "rot13", "leetspeak", "spaced", "persona_garak")
GATES = {"g45": 0.45, "g55": 0.55}
MODES = ("now", "lc", *GATES, "op")
SHIPPED = "op"  # the mode the committed code runs (adopted by SEGCOST_RULE.md): the cost row's
COST_TARGET = 0.30
TOKEN_STATES = "l11.h2"  # the last layer's token states in `e5_onnx.build_fp32`'s graph


class TokenStates:
    """The committed encoder's graph with its last layer's token states as a second output
    (the pooled output is bitwise the same as the encoder's own session gives)."""

    def __init__(self, encoder: E5SmallEncoder) -> None:
        import onnx

        model = onnx.load(str(encoder.built.path))
        hidden = encoder.hidden
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(
                TOKEN_STATES, onnx.TensorProto.FLOAT, ["batch", "seq", hidden]
            )
        )
        path = encoder.built.path.with_name(encoder.built.path.stem + ".states.onnx")
        if not path.is_file():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            onnx.save(model, tmp)
            os.replace(tmp, path)
        self.encoder = encoder
        self.session = ort_session(path, 1)

    def ids_offsets(self, piece: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Content token ids of ``prefix + piece`` and each one's span in the normalised form."""
        tk = self.encoder.tokenizer
        enc = tk._tok.encode(tk.normalise(self.encoder.prefix + piece), add_special_tokens=False)
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        for tid, (s, e) in zip(enc.ids, enc.offsets, strict=True):
            if tid == tk.unk:  # one <unk> a character, as the encoder splits them
                ids.extend([tid] * (e - s))
                offsets.extend((s + k, s + k + 1) for k in range(e - s))
            else:
                ids.append(tid)
                offsets.append((s, e))
        return ids, offsets

    def run(self, piece: str) -> tuple[NDArray[np.float32], list[tuple[int, int]]] | None:
        """The piece's last-layer token states (``<s>`` first) and content token offsets; None
        when it is longer than one window (then it is not span-pooled)."""
        ids, offsets = self.ids_offsets(piece)
        if len(ids) > self.encoder.window:
            return None
        tk = self.encoder.tokenizer
        emb, mask = self.encoder._inputs([[tk.bos, *ids, tk.eos]])
        _, states = self.session.run(
            ["layer_means", TOKEN_STATES], {"embeddings": emb, "attention_mask": mask}
        )
        return states[0], offsets

    def vector(self, states: NDArray[np.float32], rows: Sequence[int]) -> NDArray[np.float32]:
        """The encoder's features of the mean of ``rows`` of the token states."""
        enc = self.encoder
        means = np.zeros((1, enc.source.config.layers, enc.hidden), np.float32)
        means[0, -1] = states[list(rows)].mean(axis=0)
        return enc._features(means)[0]

    def span_rows(
        self, piece: str, offsets: Sequence[tuple[int, int]], a: int, b: int
    ) -> list[int]:
        """Rows of the token states (``<s>`` is row 0) of the tokens of ``piece[a:b]``."""
        tk = self.encoder.tokenizer
        pa = len(tk.normalise(self.encoder.prefix + piece[:a]))
        pb = len(tk.normalise(self.encoder.prefix + piece[:b]))
        return [i + 1 for i, (s, e) in enumerate(offsets) if s < pb and e > pa]


class _SpanEmbeddings:
    """`RecentEmbeddings.embed`'s place in a `LateChunked` classifier: the rows of a batch's
    plans (wholes, then segments), segments span-pooled where a view piece holds them."""

    def __init__(self, clf: LateChunked) -> None:
        self.clf = clf
        self.passes = 0  # encoder calls, for the bench

    def clear(self) -> None:
        pass

    def _state(self, run: dict[str, Any], piece: str) -> Any:
        if piece not in run:
            self.passes += 1
            run[piece] = self.clf.states.run(piece)
        return run[piece]

    def embed(self, encoder: Encoder, pieces: Sequence[str]) -> NDArray[np.float32]:
        clf, states = self.clf, self.clf.states
        plans, clf.plans = clf.plans, []
        rows: list[NDArray[np.float32]] = []

        def alone(text: str) -> NDArray[np.float32]:
            self.passes += 1
            return encoder.encode([text])[0]

        for text, plan in plans:
            run: dict[str, Any] = {}  # this text's view pieces' passes
            for piece in plan.whole:
                got = self._state(run, piece)
                rows.append(
                    alone(piece) if got is None else states.vector(got[0], range(len(got[0])))
                )
            size = clf.model.meta.segment_chars
            holders = [p for v in views(text) for p in view_pieces(v, size)]
            for seg in plan.segments:
                holder = None if seg.layer else next((p for p in holders if seg.text in p), None)
                got = None if holder is None else self._state(run, holder)
                if holder is None or got is None:
                    rows.append(alone(seg.text))
                    continue
                a = holder.index(seg.text)
                span = states.span_rows(holder, got[1], a, a + len(seg.text))
                rows.append(states.vector(got[0], span) if span else alone(seg.text))
        if not rows:
            return np.zeros((0, encoder.dim), np.float32)
        if len(rows) != len(pieces):
            raise RuntimeError(f"{len(rows)} rows for {len(pieces)} pieces")
        return np.stack(rows).astype(np.float32)


class LateChunked(PromptClassifier):
    """Today's plans; segments of a view span-pooled from the view's own pass."""

    def __init__(self, base: PromptClassifier) -> None:
        super().__init__(
            base.model, base.encoder, reproduction=base.reproduction, one_pass_scan=False
        )
        if not isinstance(base.encoder, E5SmallEncoder):
            raise SystemExit("late chunking needs the e5-small encoder")
        self.states = TokenStates(base.encoder)
        self.plans: list[tuple[str, TextPlan]] = []
        self.spans = _SpanEmbeddings(self)
        self.recent = self.spans  # type: ignore[assignment]

    def scores_batch(self, texts: Sequence[str]) -> list[Scores]:
        self.plans = []  # `plan` calls outside scoring leave theirs
        return super().scores_batch(texts)

    def _plan(self, text: str, known: _PieceLevels) -> TextPlan:
        plan = super()._plan(text, known)
        self.plans.append((text, plan))
        return plan


@contextlib.contextmanager
def gate(value: float) -> Iterator[None]:
    old = prompt_module.SEGMENT_GATE
    prompt_module.SEGMENT_GATE = value
    try:
        yield
    finally:
        prompt_module.SEGMENT_GATE = old


@dataclass(frozen=True, slots=True)
class Cost:
    lang: str
    mode: str
    median_ms: float
    mean_ms: float
    segments: float  # segments encoded a prompt (mean)
    with_any: float


def _cpu(clf: PromptClassifier, text: str) -> float:
    best = float("inf")
    for _ in range(2):
        clf.recent.clear()
        start = time.thread_time()
        clf.scores_batch([text])
        best = min(best, time.thread_time() - start)
    return best


def costs(n: int, clfs: dict[str, PromptClassifier]) -> tuple[list[Cost], dict[str, Any]]:
    out: list[Cost] = []
    raw: dict[str, Any] = {}
    for lang in ("en", "ja"):
        texts = dolly_200(lang, n)  # type: ignore[arg-type]
        for mode, clf in clfs.items():
            with gate(GATES.get(mode, prompt_module.SEGMENT_GATE)):
                for t in texts[:3]:
                    _cpu(clf, t)
                cpu = np.array([_cpu(clf, t) for t in texts])
                counts = np.array([len(clf.plan(t).segments) for t in texts])
            raw[f"{lang}/{mode}"] = cpu.tolist()
            out.append(
                Cost(
                    lang,
                    mode,
                    1e3 * float(np.median(cpu)),
                    1e3 * float(cpu.mean()),
                    float(counts.mean()),
                    float((counts > 0).mean()),
                )
            )
            print(out[-1], flush=True)
    return out, raw


def plan_costs(n: int, clfs: dict[str, PromptClassifier]) -> dict[str, dict[str, list[float]]]:
    """CPU time of `plan` alone (first stage, normaliser and segment scan; no encoder), median
    and mean in ms, for the whole-only and today's classifiers."""
    out: dict[str, dict[str, list[float]]] = {}
    for lang in ("en", "ja"):
        texts = dolly_200(lang, n)  # type: ignore[arg-type]
        out[lang] = {}
        for mode in ("whole", "now"):
            clf = clfs[mode]
            for t in texts[:3]:
                clf.plan(t)
            best = []
            for t in texts:
                runs = []
                for _ in range(2):
                    start = time.thread_time()
                    clf.plan(t)
                    runs.append(time.thread_time() - start)
                best.append(min(runs))
            out[lang][mode] = [1e3 * float(np.median(best)), 1e3 * float(np.mean(best))]
            print(lang, mode, out[lang][mode], flush=True)
    return out


def validation_texts(stride: int, benign_stride: int, pad_every: int) -> list[dict[str, Any]]:
    """The texts `SEGCOST_RULE.md` names: one dict per item and form."""
    meta = PromptClassifier.load().model.meta
    pool = training_pool(corpus_settings_of(meta)).examples
    val = [e for e in pool if e.split is Split.VALIDATION and e.harmful is not None]
    harmful = [e for e in val if e.harmful][::stride]
    benign = [e for e in val if not e.harmful][::benign_stride]
    from sekimori.classify.normalize import normalize
    from sekimori.classify.segments import estimate_tokens

    out: list[dict[str, Any]] = []
    for kind, items in (("harmful", harmful), ("benign", benign)):
        for i, e in enumerate(items):
            ident = hashlib.sha256(e.text.encode()).hexdigest()[:12]
            forms: dict[str, str] = {}
            if kind == "harmful" or estimate_tokens(e.text) > 60 or normalize(e.text).changed:
                forms["bare"] = e.text
            if kind == "harmful" or i % pad_every == 0:
                for where, count in PADS:
                    forms[f"{where}-{count}"] = pad(e.text, e.lang, where, count, ident)
            if kind == "harmful":
                cat = e.categories[0] if e.categories else None
                item = EffectItem("validation", ident, e.text, True, cat, e.lang, label=e.source)
                forms.update({w.variant or "": w.text for w in wrapped([item])})
            for form, text in forms.items():
                out.append({"id": ident, "kind": kind, "lang": e.lang, "form": form, "text": text})
    return out


def score(
    texts: list[dict[str, Any]], clfs: dict[str, PromptClassifier], rows_path: Path | None
) -> list[dict[str, Any]]:
    base = clfs["now"]
    meta = base.model.meta
    if meta.operating_points is None:
        raise SystemExit("the committed model has no operating points")
    points = OperatingPoints.from_json(meta.operating_points)
    shared = RecentEmbeddings(1 << 20)  # every mode's own passes, kept (the same vectors)
    for mode in ("now", *GATES):
        clfs[mode].recent = shared
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i, t in enumerate(texts):
        row = {k: v for k, v in t.items() if k != "text"}
        for mode in MODES:
            if mode == "op":
                continue
            with gate(GATES.get(mode, 0.35)):
                verdict = clfs[mode].classify(t["text"])
            row[mode] = outcome(points, verdict)
        one_pass(row, t["text"], clfs, points)
        rows.append(row)
        if i % 200 == 0:
            print(f"{i}/{len(texts)} {time.perf_counter() - started:.0f} s", flush=True)
            if rows_path:
                rows_path.write_text(json.dumps(rows), encoding="utf-8")
    if rows_path:
        rows_path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def one_pass(
    row: dict[str, Any], text: str, clfs: dict[str, PromptClassifier], points: OperatingPoints
) -> None:
    """The one-pass scan's outcome (`SEGCOST_RULE.md`, candidate OP): today's where the plan is
    the same (the same encoder inputs), scored where it changes."""
    changed = clfs["op"].plan(text) != clfs["now"].plan(text)
    row["op_plan_changed"] = changed
    row["op"] = outcome(points, clfs["op"].classify(text)) if changed else row["now"]


def add_one_pass(
    rows: list[dict[str, Any]], texts: list[dict[str, Any]], clfs: dict[str, PromptClassifier]
) -> list[dict[str, Any]]:
    """Kept rows of the same texts (same arguments, same order) with the OP column added."""
    if len(rows) != len(texts) or any(
        (r["id"], r["form"], r["kind"]) != (t["id"], t["form"], t["kind"])
        for r, t in zip(rows, texts, strict=True)
    ):
        raise SystemExit("the kept rows are not of these texts (other --stride arguments?)")
    meta = clfs["now"].model.meta
    if meta.operating_points is None:
        raise SystemExit("the committed model has no operating points")
    points = OperatingPoints.from_json(meta.operating_points)
    shared = RecentEmbeddings(1 << 16)
    clfs["op"].recent = shared
    for i, (row, t) in enumerate(zip(rows, texts, strict=True)):
        one_pass(row, t["text"], clfs, points)
        if i % 200 == 0:
            print(f"{i}/{len(texts)}", flush=True)
    return rows


def stopped(o: str) -> bool:
    return o in ("block", "held")


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    bare_stopped = {
        r["id"]
        for r in rows
        if r["kind"] == "harmful" and r["form"] == "bare" and stopped(r["now"])
    }
    groups = {
        "harmful bare": lambda r: r["kind"] == "harmful" and r["form"] == "bare",
        "harmful padded": lambda r: r["kind"] == "harmful" and "-" in r["form"],
        "harmful padded, of those stopped bare now": lambda r: (
            r["kind"] == "harmful" and "-" in r["form"] and r["id"] in bare_stopped
        ),
        "harmful wrapped": lambda r: r["kind"] == "harmful" and r["form"] in WRAPS,
        "benign": lambda r: r["kind"] == "benign",
    }
    out: dict[str, Any] = {}
    for name, pick in groups.items():
        have = [r for r in rows if pick(r)]
        out[name] = {
            mode: {
                "n": sum(mode in r for r in have),
                "stopped": sum(stopped(r.get(mode, "")) for r in have),
                "block": sum(r.get(mode) == "block" for r in have),
                "held": sum(r.get(mode) == "held" for r in have),
            }
            for mode in MODES
        }
    out["texts"] = len(rows)
    out["op_plan_changed"] = sum(bool(r.get("op_plan_changed")) for r in rows)
    forms = sorted({r["form"] for r in rows if r["kind"] == "harmful"})
    out["forms"] = {
        f: {
            mode: sum(
                stopped(r.get(mode, "")) for r in rows if r["kind"] == "harmful" and r["form"] == f
            )
            for mode in MODES
        }
        | {"n": sum(1 for r in rows if r["kind"] == "harmful" and r["form"] == f)}
        for f in forms
    }
    return out


def verdicts(summary: dict[str, Any], cost: Sequence[Cost]) -> dict[str, dict[str, bool]]:
    """Each candidate's rule checks (`SEGCOST_RULE.md`)."""
    mean = {m: sum(c.mean_ms for c in cost if c.mode == m) for m in MODES}

    def share(group: str, mode: str, key: str = "stopped") -> float:
        g = summary[group][mode]
        return g[key] / g["n"] if g["n"] else 0.0

    out = {}
    for mode in MODES[1:]:
        if not summary["benign"][mode]["n"]:
            continue
        out[mode] = {
            "padded": share("harmful padded", mode) >= share("harmful padded", "now") - 0.005,
            "wrapped": share("harmful wrapped", mode) >= share("harmful wrapped", "now") - 0.005,
            "benign blocked": summary["benign"][mode]["block"] <= summary["benign"]["now"]["block"],
            "benign held": summary["benign"][mode]["held"] <= summary["benign"]["now"]["held"],
            "cheaper": mean[mode] < mean["now"] if mean["now"] else False,
        }
    return out


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}% ({k}/{n})" if n else "–"


def section(
    cost: Sequence[Cost],
    summary: dict[str, Any] | None,
    note: str,
    machine: str,
    plans: dict[str, dict[str, list[float]]] | None = None,
    raw: dict[str, Any] | None = None,
    scope: str = "",
) -> str:
    by = {(c.lang, c.mode): c for c in cost}
    lines = [
        BEGIN,
        "## Cost, and candidates to cut it / コストと削減案",
        "",
        f"Written by `bench/classifier/segcost.py` ({note}). Machine: {machine}. The rule these "
        "figures judge was committed before them: `SEGCOST_RULE.md`.",
        "",
        "CPU time of the calling thread to score one Dolly prompt of 180-230 tokens (the first "
        "100 a language in file order), the classifier's memory of recent pieces emptied before "
        "each run, best of two runs, one onnxruntime thread. *whole*: the whole text only; "
        "*now*: segment scoring as it was (the scan levels its pieces one by one); *lc*: late "
        "chunking (segments of a view span-pooled from the view's own pass); *g45*/*g55*: the "
        "segment gate at 0.45/0.55 (0.35); *op*: the scan levelled in one pass over each view "
        "(adopted: the committed code).",
        "",
        "| prompts | mode | median | mean | median vs whole | mean vs whole "
        "| segments encoded (mean) | prompts with any |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lang in ("en", "ja"):
        w = by.get((lang, "whole"))
        for mode in ("whole", *MODES):
            c = by.get((lang, mode))
            if c is None or w is None:
                continue
            lines.append(
                f"| Dolly {lang} | {mode} | {c.median_ms:.1f} ms | {c.mean_ms:.1f} ms "
                f"| {100 * (c.median_ms / w.median_ms - 1):+.0f}% "
                f"| {100 * (c.mean_ms / w.mean_ms - 1):+.0f}% "
                f"| {c.segments:.2f} | {100 * c.with_any:.0f}% |"
            )
    for lang in ("en", "ja"):
        w, n = by.get((lang, "whole")), by.get((lang, SHIPPED))
        if w and n:
            added = n.median_ms / w.median_ms - 1
            per = ratios(raw, lang) if raw else None
            lines += [
                "",
                f"Target (≤ +30% CPU, median), {lang.upper()}, the committed code ({SHIPPED}): "
                f"**{'met' if added <= COST_TARGET else 'missed'}** ({100 * added:+.0f}%; "
                f"means {100 * (n.mean_ms / w.mean_ms - 1):+.0f}%, "
                f"+{n.mean_ms - w.mean_ms:.1f} ms a prompt"
                + (
                    ""
                    if per is None
                    else f"; per prompt, the median ratio is {100 * (np.median(per) - 1):+.0f}% "
                    f"and {100 * np.mean(per <= 1 + COST_TARGET):.0f}% of prompts add ≤ 30%"
                )
                + ").",
            ]
    if plans:
        lines += [
            "",
            "Of which the plan alone (normaliser, first stage of the whole, and with segments the "
            "scan of windows, sentences, runs, clauses and pairs; no encoder), same prompts:",
            "",
            "| prompts | whole: median | whole: mean | now: median | now: mean |",
            "|---|---|---|---|---|",
            *(
                f"| Dolly {lang} | {p['whole'][0]:.1f} ms | {p['whole'][1]:.1f} ms "
                f"| {p['now'][0]:.1f} ms | {p['now'][1]:.1f} ms |"
                for lang, p in plans.items()
            ),
        ]
    if summary is not None:
        lines += [
            "",
            f"Validation split under the default policy (`SEGCOST_RULE.md`: {scope}). "
            "Stopped = blocked or held (`disguises.outcome`).",
            "",
            "| group | items | " + " | ".join(MODES) + " |",
            "|---|---|" + "---|" * len(MODES),
        ]
        for group in (
            "harmful bare",
            "harmful padded",
            "harmful padded, of those stopped bare now",
            "harmful wrapped",
        ):
            g = summary[group]
            lines.append(
                f"| {group}: stopped | {g['now']['n']} | "
                + " | ".join(_pct(g[m]["stopped"], g[m]["n"]) for m in MODES)
                + " |"
            )
        for key in ("block", "held"):
            g = summary["benign"]
            lines.append(
                f"| benign: {key} | {g['now']['n']} | "
                + " | ".join(_pct(g[m][key], g[m]["n"]) for m in MODES)
                + " |"
            )
        lines += [
            "",
            "| harmful form | items | " + " | ".join(MODES) + " |",
            "|---|---|" + "---|" * len(MODES),
        ]
        for form, f in summary["forms"].items():
            lines.append(
                f"| {form} | {f['n']} | " + " | ".join(_pct(f[m], f["n"]) for m in MODES) + " |"
            )
        lines += [
            "",
            f"*op*: the plan (encoder inputs) changed for {summary['op_plan_changed']} of "
            f"{summary['texts']} texts; those were scored with the one-pass scan, the others "
            "keep today's outcome.",
        ]
        checks = verdicts(summary, cost)
        lines += ["", "Rule checks (`SEGCOST_RULE.md`):", ""]
        for mode, c in checks.items():
            passed = all(c.values())
            failed = ", ".join(k for k, ok in c.items() if not ok) or "none"
            lines.append(f"- {mode}: **{'passes' if passed else 'fails'}** (failed: {failed})")
    lines += ["", END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few items, no file")
    parser.add_argument("--cost-only", action="store_true", help="the cost table alone")
    parser.add_argument(
        "--rows-only", action="store_true", help="score the validation texts into --rows, no file"
    )
    parser.add_argument("--stride", type=int, default=12, help="every Nth harmful item")
    parser.add_argument("--benign-stride", type=int, default=6, help="every Nth benign item")
    parser.add_argument("--pad-every", type=int, default=8, help="every Nth benign item padded")
    parser.add_argument("--count", action="store_true", help="count the validation texts")
    parser.add_argument("--plan-json", type=Path, help="keep (or reuse) plan-only CPU times here")
    parser.add_argument("--rows", type=Path, help="keep per-item outcomes in this file")
    parser.add_argument("--from-rows", type=Path, help="summarise rows of an earlier run")
    parser.add_argument("--cost-json", type=Path, help="keep (or reuse) the cost figures here")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.count:
        texts = validation_texts(args.stride, args.benign_stride, args.pad_every)
        print(len(texts), sum(t["kind"] == "harmful" for t in texts))
        return
    now = PromptClassifier.load()
    clfs: dict[str, PromptClassifier] = {
        "whole": PromptClassifier(now.model, now.encoder, segmented=False),
        "now": PromptClassifier(now.model, now.encoder, one_pass_scan=False),
        "lc": LateChunked(now),
        **{g: PromptClassifier(now.model, now.encoder, one_pass_scan=False) for g in GATES},
        "op": PromptClassifier(now.model, now.encoder, one_pass_scan=True),
    }
    machine = (
        f"{cpu_model()}, {os.cpu_count()} cores shared with other jobs (load average at the "
        f"start {load_average()}), Python {platform.python_version()}"
    )
    if args.rows_only:
        texts = validation_texts(args.stride, args.benign_stride, args.pad_every)
        print(json.dumps(summarise(score(texts, clfs, args.rows)), indent=1))
        return
    if args.cost_json and args.cost_json.is_file():
        saved = json.loads(args.cost_json.read_text(encoding="utf-8"))
        cost = [Cost(**c) for c in saved["cost"]]
        machine, raw = saved["machine"], saved["raw"]
    else:
        cost, raw = costs(10 if args.quick else 100, clfs)
        if args.cost_json and not args.quick:
            args.cost_json.write_text(
                json.dumps({"cost": [_asdict(c) for c in cost], "raw": raw, "machine": machine}),
                encoding="utf-8",
            )
    plans = None
    if args.plan_json and args.plan_json.is_file():
        plans = json.loads(args.plan_json.read_text(encoding="utf-8"))
    elif args.plan_json:
        plans = plan_costs(10 if args.quick else 100, clfs)
        args.plan_json.write_text(json.dumps(plans), encoding="utf-8")
    summary = None
    if not args.cost_only:
        if args.from_rows:
            rows = json.loads(args.from_rows.read_text(encoding="utf-8"))
            if rows and "op" not in rows[0]:  # rows kept before candidate OP: add its column
                texts = validation_texts(args.stride, args.benign_stride, args.pad_every)
                rows = add_one_pass(rows, texts, clfs)
                args.from_rows.write_text(json.dumps(rows), encoding="utf-8")
        else:
            texts = validation_texts(args.stride, args.benign_stride, args.pad_every)
            if args.quick:
                texts = texts[::40]
            rows = score(texts, clfs, args.rows)
        summary = summarise(rows)
        print(json.dumps(summary, indent=1))
    scope = (
        f"every {args.stride}th harmful validation item bare, padded with 5, 10 and 20 "
        "sentences before and after, and under five wrappers; every "
        f"{args.benign_stride}th benign item, bare where segments can matter, and every "
        f"{args.pad_every}th of those padded six ways"
    )
    took = time.perf_counter() - started
    note = f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {took:.0f} s"
    if args.from_rows or (args.cost_json and args.cost_json.is_file()):
        note += "; assembled from kept figures: the cost run and the validation rows ran apart"
    if args.quick:
        print(section(cost, summary, note, machine, plans, raw, scope))
        return
    write_section(section(cost, summary, note, machine, plans, raw, scope), BEGIN, END)
    write_figures(cost, machine, raw)
    print(f"wrote {OUT} and {FIGURES}")


def ratios(raw: dict[str, Any], lang: str) -> NDArray[np.float64]:
    """Per prompt: CPU time with segments over the whole-only time."""
    return np.array(raw[f"{lang}/{SHIPPED}"]) / np.array(raw[f"{lang}/whole"])


def write_figures(cost: Sequence[Cost], machine: str, raw: dict[str, Any]) -> None:
    """Today's code against the whole alone, per language (`evaluation.report.cost_target`)."""
    by = {(c.lang, c.mode): c for c in cost}
    langs = {
        lang: {
            "whole_median_ms": round(by[lang, "whole"].median_ms, 3),
            "median_ms": round(by[lang, SHIPPED].median_ms, 3),
            "whole_mean_ms": round(by[lang, "whole"].mean_ms, 3),
            "mean_ms": round(by[lang, SHIPPED].mean_ms, 3),
            "segments_mean": round(by[lang, SHIPPED].segments, 3),
            "ratio_median": round(float(np.median(ratios(raw, lang))), 3),
            "within_target": round(float(np.mean(ratios(raw, lang) <= 1 + COST_TARGET)), 3),
        }
        for lang in ("en", "ja")
        if (lang, "whole") in by and (lang, SHIPPED) in by
    }
    figures = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "prompts": "Dolly 180-230 tokens, the first 100 a language",
        "machine": machine,
        "languages": langs,
    }
    FIGURES.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _asdict(c: Cost) -> dict[str, Any]:
    return {f: getattr(c, f) for f in Cost.__slots__}  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
