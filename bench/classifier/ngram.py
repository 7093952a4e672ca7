"""Issue 16: the prompt model's n-gram model refitted with more benign negatives, by the rule in
NGRAM_RULE.md (committed before these figures).

    PYTHONPATH=src python bench/classifier/ngram.py fit            # candidate N's weights
    PYTHONPATH=src python bench/classifier/ngram.py static         # first-stage figures
    PYTHONPATH=src python bench/classifier/ngram.py screen base|N  # prompt-screen figures

Candidate N2 (NGRAM2_RULE.md): N's weights as the first stage's own n-gram weights
(`stage_ngram_weight`), the committed ones kept in the final blend and the committed operating
points; static points by the recall-first rule (severe budget 0):

    PYTHONPATH=src python bench/classifier/ngram.py static2        # first-stage figures
    PYTHONPATH=src python bench/classifier/ngram.py screen base|N2  # prompt-screen figures

Candidate N3 (NGRAM3_RULE.md): N's weights read only by the static stage's decision to clear a
text's whole (`fast_path.stage_ngram_reads` "clear"); the gates, segment clears, blend and
operating points as committed; the recall-first points:

    PYTHONPATH=src python bench/classifier/ngram.py static3          # first-stage figures
    PYTHONPATH=src python bench/classifier/ngram.py screen base|N3    # prompt-screen figures
    PYTHONPATH=src python bench/classifier/ngram.py variants base|N3  # padded/disguised stopped

Candidate N4 (NGRAM4_RULE.md): N3's reading with the segments' clear point held at the committed
one (`fast_path.segment_clear`), the wholes' points chosen by the recall-first rule:

    PYTHONPATH=src python bench/classifier/ngram.py static4          # first-stage figures
    PYTHONPATH=src python bench/classifier/ngram.py screen base|N4    # prompt-screen figures
    PYTHONPATH=src python bench/classifier/ngram.py variants base|N4  # padded/disguised stopped

Candidate N5 (NGRAM5_RULE.md): N's weights read only for the clear decision of the whole of a
text longer than one window (`fast_path.stage_ngram_reads` "long"); combine, clear and segment
point held as committed, only `long_clear` chosen by the recall-first rule on the long items:

    PYTHONPATH=src python bench/classifier/ngram.py static5          # first-stage figures
    PYTHONPATH=src python bench/classifier/ngram.py screen N5         # prompt-screen figures
    PYTHONPATH=src python bench/classifier/ngram.py variants N5       # padded/disguised stopped

Writes under ``--out`` (default .sekimori/ngram; never the model folder): ``N.npz`` (the refitted
``ngram_weight``/``ngram_bias`` and the gate), ``figures.json``, and ``vectors.npz`` (the encoder's
vectors of every piece scored, so the second screen run encodes only the pieces new to it; each
piece encoded alone, as `RecentEmbeddings` does, so the vectors are those a fresh call gives).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))

import static2  # bench/classifier/static2.py

from sekimori.classify.corpus import Split
from sekimori.classify.encoder import Encoder
from sekimori.classify.operating import (
    OperatingPoints,
    choose_points,
    figures_at,
    score_items,
)
from sekimori.classify.prompt import (
    DEFAULT_MODEL_DIR,
    PromptClassifier,
    PromptModel,
    load_encoder,
)
from sekimori.classify.reproduction import ReproductionDetector
from sekimori.classify.stage_ngram import (
    StageNgramSettings,
    extra_dolly,
    fit_stage_ngram,
    stage_gate,
    stage_rows,
)
from sekimori.classify.static import STATIC_FILE, StaticModel
from sekimori.classify.static_train import kind_of, validation_items
from sekimori.classify.train import corpus_settings_of, training_pool
from sekimori.paths import shared_data_dir


def fit(args: argparse.Namespace) -> int:
    """N's weights: the first-stage trainer of the product (`sekimori.classify.stage_ngram`,
    `sekimori train stage-ngram`) with its defaults, written to ``--out`` (not the model); the
    gate by `train.train`'s rule on N's levels, capped at the committed gate (NGRAM_RULE.md)."""
    model = PromptModel.load(DEFAULT_MODEL_DIR)
    pool = training_pool(corpus_settings_of(model.meta))
    settings = StageNgramSettings()
    train = [e for e in pool.examples if e.split is Split.TRAIN]
    extra = extra_dolly(pool.examples, settings.dolly_from, settings.dolly_rows)
    rows = stage_rows(train, extra, settings)
    print(f"rows: {rows.counts}", flush=True)
    started = time.monotonic()
    w, b = fit_stage_ngram(rows, model.meta.buckets, settings.c)
    print(f"fitted ({time.monotonic() - started:.0f} s)", flush=True)
    candidate = replace(model, stage_ngram_weight=w, stage_ngram_bias=b)
    gate = min(stage_gate(candidate, pool.examples, 0.0), float(model.meta.gate))
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "N.npz", ngram_weight=w, ngram_bias=b, gate=np.float32(gate))
    print(f"gate {gate}; wrote {args.out / 'N.npz'}")
    return 0


def candidate_model(
    out: Path,
    fast_path: dict[str, Any] | None = None,
    *,
    stage_only: bool = False,
    clear_only: bool = False,
    reads: str = "clear",
) -> PromptModel:
    """N: the committed model with N's n-gram weights and gate; ``stage_only`` (N2): N's weights
    as the first stage's own n-gram weights, the committed ones kept in the final blend;
    ``clear_only`` (N3, with ``stage_only``): read by the static clear decision only
    (`fast_path.stage_ngram_reads` "clear"), the committed gate kept."""
    model = PromptModel.load(DEFAULT_MODEL_DIR)
    arrays = np.load(out / "N.npz")
    meta = model.meta if clear_only else replace(model.meta, gate=float(arrays["gate"]))
    if clear_only:
        fast_path = dict(fast_path or model.meta.fast_path or {}, stage_ngram_reads=reads)
    if fast_path is not None:
        meta = replace(meta, fast_path=fast_path)
    weight = arrays["ngram_weight"].astype(np.float16)
    bias = arrays["ngram_bias"].astype(np.float32)
    if stage_only:
        return replace(model, meta=meta, stage_ngram_weight=weight, stage_ngram_bias=bias)
    return replace(model, meta=meta, ngram_weight=weight, ngram_bias=bias)


def bench_prompt_level(model: PromptModel) -> dict[str, float]:
    """The screening bench's ~200-token prompt: its whole's n-gram and first-stage levels."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
    import screening

    clf = PromptClassifier(model, static2._PlanOnly(model.meta.dim), fast_path=True)
    text = screening.prompt(1)
    nh, nj = clf.stage_ngram_probs(text)
    lv = clf.first_level(text)
    plan = clf.plan(text)
    return {
        "ngram_harm": round(float(nh), 4),
        "ngram_jailbreak": round(float(nj), 4),
        "first_harm": round(lv.harm, 4),
        "first_jailbreak": round(lv.jailbreak, 4),
        "pieces_to_encoder": len(plan.whole) + len(plan.segments),
    }


def static_figures(args: argparse.Namespace) -> int:
    """N (NGRAM_RULE.md, the unchanged point rule) or, for ``static2``, N2 (NGRAM2_RULE.md: the
    severe budget 0); today's baseline first, with the same code."""
    n2 = args.step in ("static2", "static3", "static4", "static5")
    n3 = args.step in ("static3", "static4", "static5")
    n5 = args.step == "static5"
    n4 = args.step == "static4" or n5
    name, suffix = ("N4", "4") if n4 else ("N3", "3") if n3 else ("N2", "2") if n2 else ("N", "")
    if n5:
        name, suffix = "N5", "5"
    base = PromptModel.load(DEFAULT_MODEL_DIR)
    pool = training_pool(corpus_settings_of(base.meta))
    items = validation_items(pool.examples)
    committed = StaticModel.load(DEFAULT_MODEL_DIR / STATIC_FILE)
    fp = base.meta.fast_path or {}
    figures = load_figures(args.out)
    fixed = (fp["combine"], float(fp["clear"]), float(fp["long_clear"]))
    static2._NGRAM.clear()
    figures[f"static_base{suffix}"] = static2.evaluate("base", base, committed, items, fixed)
    save_figures(args.out, figures)
    static2._NGRAM.clear()  # keyed by text: the candidate's levels differ
    reads = "long" if n5 else "clear"
    cand = candidate_model(args.out, stage_only=n2, clear_only=n3, reads=reads)
    severe = 0.0 if n2 else 0.005
    # N4: the segments' point held at the committed clear point (NGRAM4_RULE.md); N5: the
    # combine and the clear point too (NGRAM5_RULE.md)
    seg = float(fp["clear"]) if n4 else None
    held = (fp["combine"], float(fp["clear"])) if n5 else None
    figures[f"static_{name}"] = static2.evaluate(
        name, cand, committed, items, severe_loss=severe, segment_clear=seg, held=held
    )
    best = figures[f"static_{name}"]["best"]
    fast = dict(fp)
    fast.update(clear=best["clear"], long_clear=best["long_clear"], combine=best["combine"])
    if n4:
        fast["segment_clear"] = seg
    fast["validation"] = {
        k: v for k, v in best.items() if k not in ("combine", "seconds", "segment_clear")
    }
    figures[f"fast_path_{name}"] = fast
    save_figures(args.out, figures)
    if not n2:
        return prompt_levels(args)
    figures[f"bench_prompt_{name}"] = bench_prompt_level(
        candidate_model(args.out, fast, stage_only=True, clear_only=n3, reads=reads)
    )
    save_figures(args.out, figures)
    print(json.dumps(figures[f"bench_prompt_{name}"]))
    return 0


def prompt_levels(args: argparse.Namespace) -> int:
    """The bench prompt's levels with the committed model and with N at its chosen points."""
    figures = load_figures(args.out)
    figures["bench_prompt_base"] = bench_prompt_level(PromptModel.load(DEFAULT_MODEL_DIR))
    cand = candidate_model(args.out, figures["fast_path_N"])
    figures["bench_prompt_N"] = bench_prompt_level(cand)
    save_figures(args.out, figures)
    print(json.dumps({k: figures[k] for k in ("bench_prompt_base", "bench_prompt_N")}))
    return 0


class MemoEncoder:
    """The encoder, one text a call (as `RecentEmbeddings`), each text's vector kept on disk."""

    def __init__(self, inner: Encoder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = path
        self.rows: dict[str, NDArray[np.float32]] = {}
        self.new = 0
        if path.exists():
            data = np.load(path)
            self.rows = dict(zip(data["keys"].tolist(), data["rows"], strict=True))

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = []
        for t in texts:
            key = hashlib.blake2b(t.encode(), digest_size=16).hexdigest()
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = self.inner.encode([t])[0].astype(np.float32)
                self.new += 1
            out.append(row)
        return np.stack(out) if out else np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        keys = np.array(list(self.rows))
        rows = np.stack(list(self.rows.values())) if self.rows else np.zeros((0, self.dim))
        np.savez(self.path.with_suffix(".tmp.npz"), keys=keys, rows=rows)
        os.replace(self.path.with_suffix(".tmp.npz"), self.path)


def screen(args: argparse.Namespace) -> int:
    base = PromptModel.load(DEFAULT_MODEL_DIR)
    figures = load_figures(args.out)
    if args.which == "base":
        model = base
    else:
        fast = figures[f"fast_path_{args.which}"]
        model = candidate_model(
            args.out,
            fast,
            stage_only=args.which in ("N2", "N3", "N4", "N5"),
            clear_only=args.which in ("N3", "N4", "N5"),
            reads="long" if args.which == "N5" else "clear",
        )
    args.out.mkdir(parents=True, exist_ok=True)
    memo = MemoEncoder(load_encoder(DEFAULT_MODEL_DIR, base.meta), args.out / "vectors.npz")
    clf = PromptClassifier(model, memo, reproduction=ReproductionDetector.load(DEFAULT_MODEL_DIR))
    pool = training_pool(corpus_settings_of(base.meta))
    started = time.monotonic()
    rows = [e for e in pool.examples if e.split is Split.VALIDATION and e.harmful is not None]
    scored = []
    for i in range(0, len(rows), 256):
        scored.extend(score_items(clf, rows[i : i + 256]))
        memo.save()
        print(
            f"{args.which}: {len(scored)}/{len(rows)} scored, {memo.new} encoded "
            f"({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    committed = OperatingPoints.from_json(base.meta.operating_points or {})
    out: dict[str, Any] = {"at_committed_points": figures_at(scored, committed)}
    if args.which != "base":
        report = choose_points(scored)
        out["points"] = report.to_json()
        out["at_own_points"] = report.figures
    path = args.out / f"screen_{args.which}.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    print(f"done ({time.monotonic() - started:.0f} s)")
    return 0


def variant_rows() -> list[tuple[str, Any]]:
    """The padded and disguised validation variants (`static_train.validation_items`) as rows
    of their bare example (its labels, the variant's text), with the variant's name."""
    base = PromptModel.load(DEFAULT_MODEL_DIR)
    pool = training_pool(corpus_settings_of(base.meta))
    bare = iter(e for e in pool.examples if e.split is Split.VALIDATION and kind_of(e) is not None)
    out: list[tuple[str, Any]] = []
    ex = None
    for item in validation_items(pool.examples):
        if item.variant == "bare":
            ex = next(bare)
            assert ex.text == item.text
        elif ex is not None:
            out.append((item.variant, replace(ex, text=item.text)))
    return out


def variants(args: argparse.Namespace) -> int:
    """NGRAM3_RULE.md criterion 3: each padded and disguised validation variant's stopped share
    (every tier, language), at the committed operating points, for ``base`` or ``N3``."""
    base = PromptModel.load(DEFAULT_MODEL_DIR)
    if args.which == "base":
        model = base
    else:
        fast = load_figures(args.out)[f"fast_path_{args.which}"]
        reads = "long" if args.which == "N5" else "clear"
        model = candidate_model(args.out, fast, stage_only=True, clear_only=True, reads=reads)
    memo = MemoEncoder(load_encoder(DEFAULT_MODEL_DIR, base.meta), args.out / "vectors.npz")
    clf = PromptClassifier(model, memo, reproduction=ReproductionDetector.load(DEFAULT_MODEL_DIR))
    rows = variant_rows()
    started = time.monotonic()
    scored = []
    for i in range(0, len(rows), 256):
        scored.extend(score_items(clf, [ex for _, ex in rows[i : i + 256]]))
        memo.save()
        print(f"{args.which}: {len(scored)}/{len(rows)} ({time.monotonic() - started:.0f} s)")
    committed = OperatingPoints.from_json(base.meta.operating_points or {})
    out: dict[str, Any] = {}
    for name in dict.fromkeys(n for n, _ in rows):
        own = [s for (n, _), s in zip(rows, scored, strict=True) if n == name]
        tiers = figures_at(own, committed)["tiers"]
        out[name] = {t: f["harmful_stopped"] for t, f in tiers.items()}
    path = args.out / f"variants_{args.which}.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    print(f"done ({time.monotonic() - started:.0f} s)")
    return 0


def load_figures(out: Path) -> dict[str, Any]:
    path = out / "figures.json"
    return dict(json.loads(path.read_text())) if path.exists() else {}


def save_figures(out: Path, figures: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "figures.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    steps = ("fit", "static", "static2", "static3", "static4", "static5", "prompt", "screen")
    steps += ("variants",)
    parser.add_argument("step", choices=steps)
    which = ("base", "N", "N2", "N3", "N4", "N5")
    parser.add_argument("which", nargs="?", default="base", choices=which)
    parser.add_argument("--out", type=Path, default=Path(".sekimori/ngram"))
    args = parser.parse_args()
    os.environ.setdefault("SEKIMORI_SHARED_DATA", str(shared_data_dir()))
    step = {
        "fit": fit,
        "static": static_figures,
        "static2": static_figures,
        "static3": static_figures,
        "static4": static_figures,
        "static5": static_figures,
        "prompt": prompt_levels,
        "screen": screen,
        "variants": variants,
    }[args.step]
    return step(args)


if __name__ == "__main__":
    raise SystemExit(main())
