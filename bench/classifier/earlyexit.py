"""Early exit inside the prompt encoder (issue 16): is it worth building? Feasibility only;
figures for bench/classifier/EARLYEXIT.md.

    PYTHONPATH=src nice -n 19 python bench/classifier/earlyexit.py

The committed prompt model's encoder is e5-small with a LoRA delta merged into layers 7-12 only,
so layers 1-6 are e5's own. The idea: run layers 1-6 (part A), let a small head on the
mean-pooled layer-6 state clear a piece as clearly benign, and run layers 7-12 (part B) from the
same states only for the pieces it does not clear.

1. Split: the cached int8 graph cut at the layer-6 token states (``l5.h2``) with
   ``onnx.utils.extract_model``: A = (embeddings, mask) -> (layer-6 states, layer-6 mean),
   B = (layer-6 states, mask) -> layer-12 mean. A then B against the full graph (max abs diff),
   and their cost: the calling thread's CPU time, median of 5, one onnxruntime thread, one row;
   per token length (the cost curves below) and on ordinary Dolly prompts of 180-230 tokens.
2. Head: harm and jailbreak MLPs (the static stage's recipe, `static_train.fit_heads` sizes) on
   the layer-6 means (L2-normalised) of the static stage's training rows
   (`static_tune.training_rows`: the TRAINING split's views, catastrophic and severe rows x3,
   padded and disguised grave prompts, longer ordinary texts). A piece's level: max(harm, jb).
3. Points: on the VALIDATION split only, by the static stage's rule and code
   (`static_train.validation_items`, `choose_points`): over the pieces the classifier encodes
   today (static stage on: the whole's pieces it does not clear and the segments it keeps;
   decoded payloads never cleared), the clear point and the point for the whole of a longer
   text at which no catastrophic item, at most 0.5% of each severe set (bare, padded,
   disguised) and at most 2% of the moderate and of the jailbreak prompts newly skip the
   encoder. Also reported: the same sets with the static stage's and early exit's skips together.
4. Cost: the expected encoder CPU per validation ordinary prompt, the sum over the pieces it
   encodes of one full pass (now) against part A plus, for a piece not cleared, part B, from
   the cost curves (one row per window).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Split
from sekimori.classify.encoders.e5_small import E5SmallEncoder, l2_normalise, ort_session
from sekimori.classify.heads import MLPHead, sigmoid
from sekimori.classify.normalize import normalize
from sekimori.classify.prompt import (
    DEFAULT_MODEL_DIR,
    PromptClassifier,
    PromptModel,
    load_encoder,
    one_window,
    views,
)
from sekimori.classify.static_train import (
    Tops,
    _keeps,
    _PlanOnly,
    choose_points,
    figures,
    holds_request,
    tier_of,
    validation_items,
)
from sekimori.classify.static_tune import TuneSettings, training_rows
from sekimori.classify.train import corpus_settings_of, fit_mlp, is_ordinary, training_pool

sys.path.insert(0, str(Path(__file__).parent))
from segments import dolly_200, machine

CUT = "l5.h2"  # layer 6's token states (layers are 0-based in the graph)
LAYER6 = "l5.pooled"
LAST = "l11.pooled"
WORK = Path("/work/cache/earlyexit") if Path("/work/cache").is_dir() else Path(".earlyexit")
TRAIN_ROWS = 6000  # sampled training rows (of ~39,000): what 2 busy cores embed in minutes
LENGTHS = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def split_graph(full: Path) -> tuple[Path, Path]:
    from onnx.utils import extract_model

    WORK.mkdir(parents=True, exist_ok=True)
    a, b = WORK / f"{full.stem}.partA.onnx", WORK / f"{full.stem}.partB.onnx"
    if not a.is_file():
        extract_model(str(full), str(a), ["embeddings", "attention_mask"], [CUT, LAYER6], False)
    if not b.is_file():
        extract_model(str(full), str(b), [CUT, "attention_mask"], [LAST], False)
    return a, b


class Parts:
    """The full graph and its two parts, on one onnxruntime thread each."""

    def __init__(self, enc: E5SmallEncoder) -> None:
        self.enc = enc
        self.full = ort_session(enc.built.path, 1)
        pa, pb = split_graph(enc.built.path)
        self.a = ort_session(pa, 1)
        self.b = ort_session(pb, 1)

    def feed(self, ids: Sequence[int]) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
        return self.enc._inputs([list(ids)])

    def run_full(self, emb: NDArray[np.float32], mask: NDArray[np.int32]) -> Any:
        return self.full.run(["layer_means"], {"embeddings": emb, "attention_mask": mask})[0]

    def run_a(self, emb: NDArray[np.float32], mask: NDArray[np.int32]) -> Any:
        return self.a.run([CUT, LAYER6], {"embeddings": emb, "attention_mask": mask})

    def run_b(self, states: NDArray[np.float32], mask: NDArray[np.int32]) -> Any:
        return self.b.run([LAST], {CUT: states, "attention_mask": mask})[0]

    def layer6(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Layer-6 mean of each text, windows weighted by length as `encode` does, L2-normalised;
        batched like `E5SmallEncoder._run` (part A only)."""
        enc = self.enc
        windows = enc._windows(list(texts))
        means = np.empty((len(windows), enc.hidden), np.float32)
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].ids))
        start = 0
        while start < len(order):
            rows = max(1, enc.batch_tokens // len(windows[order[start]].ids))
            batch = order[start : start + rows]
            emb, mask = enc._inputs([windows[i].ids for i in batch])
            means[batch] = self.run_a(emb, mask)[1][:, 0, :]
            start += len(batch)
        sums = np.zeros((len(texts), enc.hidden), np.float32)
        for w, m in zip(windows, means, strict=True):
            sums[w.text] += max(len(w.ids) - 2, 1) * m
        return l2_normalise(sums)


def cpu_ms(fn: Callable[[], Any], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return 1e3 * statistics.median(times)


def equivalence_and_cost(parts: Parts, texts: Sequence[str]) -> dict[str, Any]:
    tok = parts.enc.tokenizer
    diffs6, diffs12, full_ms, a_ms, b_ms = [], [], [], [], []
    for text in texts:
        ids = [tok.bos, *parts.enc.token_ids(text)[: parts.enc.window], tok.eos]
        emb, mask = parts.feed(ids)
        means = parts.run_full(emb, mask)
        states, six = parts.run_a(emb, mask)
        last = parts.run_b(states, mask)
        diffs6.append(float(np.abs(six[:, 0] - means[:, 5]).max()))
        diffs12.append(float(np.abs(last[:, 0] - means[:, 11]).max()))
        full_ms.append(cpu_ms(lambda e=emb, m=mask: parts.run_full(e, m)))
        a_ms.append(cpu_ms(lambda e=emb, m=mask: parts.run_a(e, m)))
        b_ms.append(cpu_ms(lambda s=states, m=mask: parts.run_b(s, m)))
    return {
        "texts": len(texts),
        "max_abs_diff_layer6": max(diffs6),
        "max_abs_diff_layer12": max(diffs12),
        "full_ms": statistics.median(full_ms),
        "a_ms": statistics.median(a_ms),
        "b_ms": statistics.median(b_ms),
    }


def cost_curves(parts: Parts, text: str) -> dict[str, list[float]]:
    tok = parts.enc.tokenizer
    ids = parts.enc.token_ids(text)
    while len(ids) < max(LENGTHS):
        ids = ids + ids
    out: dict[str, list[float]] = {"tokens": [float(n) for n in LENGTHS]}
    out.update(full=[], a=[], b=[])
    for n in LENGTHS:
        emb, mask = parts.feed([tok.bos, *ids[: n - 2], tok.eos])
        states, _ = parts.run_a(emb, mask)
        out["full"].append(cpu_ms(lambda e=emb, m=mask: parts.run_full(e, m), 7))
        out["a"].append(cpu_ms(lambda e=emb, m=mask: parts.run_a(e, m), 7))
        out["b"].append(cpu_ms(lambda s=states, m=mask: parts.run_b(s, m), 7))
    return out


class Cache:
    """Layer-6 vectors by text (sha1), kept on disk between runs."""

    def __init__(self, parts: Parts, path: Path) -> None:
        self.parts, self.path = parts, path
        self.vecs: dict[str, NDArray[np.float32]] = {}
        if path.is_file():
            with np.load(path) as data:
                self.vecs = dict(zip(data["keys"].tolist(), data["vecs"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        todo = sorted({t for t in texts if self.key(t) not in self.vecs})
        for i in range(0, len(todo), 2000):
            chunk = todo[i : i + 2000]
            for t, v in zip(chunk, self.parts.layer6(chunk), strict=True):
                self.vecs[self.key(t)] = v
            log(f"  layer 6: {min(i + 2000, len(todo))}/{len(todo)}")
            self.save()
        return np.stack([self.vecs[self.key(t)] for t in texts]) if texts else np.zeros((0, 384))

    def save(self) -> None:
        keys = sorted(self.vecs)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vecs=np.stack([self.vecs[k] for k in keys]))
        tmp.replace(self.path)


def windows_tokens(enc: E5SmallEncoder, text: str) -> list[int]:
    n = len(enc.token_ids(text))
    return [min(enc.window, n - s) + 2 for s in range(0, max(n, 1), enc.window)]


def main() -> None:
    started = time.monotonic()
    model = PromptModel.load(DEFAULT_MODEL_DIR)
    enc = load_encoder(DEFAULT_MODEL_DIR, model.meta, threads=1)
    assert isinstance(enc, E5SmallEncoder)
    parts = Parts(enc)
    results: dict[str, Any] = {"machine": machine(), "graph": str(enc.built.path)}

    split_file = WORK / "split.json"
    if split_file.is_file():  # measured by an earlier run of this script
        results.update(json.loads(split_file.read_text()))
    else:
        log("split graph: equivalence and cost on Dolly prompts of 180-230 tokens")
        for lang in ("en", "ja"):
            texts = dolly_200(lang, 20)  # type: ignore[arg-type]
            results[f"split_{lang}"] = equivalence_and_cost(parts, texts)
            log(f"  {lang}: {results[f'split_{lang}']}")
        results["curves"] = cost_curves(parts, dolly_200("en", 1)[0])  # type: ignore[arg-type]
        keep = ("split_en", "split_ja", "curves")
        split_file.write_text(json.dumps({k: results[k] for k in keep}))
    curves = results["curves"]
    log(f"  split: {results['split_en']} {results['split_ja']}")

    def cost(tokens: Sequence[int], which: str) -> float:
        return float(sum(np.interp(t, curves["tokens"], curves[which]) for t in tokens))

    pool = training_pool(corpus_settings_of(model.meta))
    cache = Cache(parts, WORK / "layer6.npz")

    log("head: training rows (training split only)")
    train = [e for e in pool.examples if e.split is Split.TRAIN]
    every = training_rows(train, tier_of, is_ordinary, TuneSettings())
    # 2 shared cores: a sample of the rows (the ones embedded by an earlier run first)
    rng = np.random.default_rng(13)
    order = sorted(
        rng.permutation(len(every)), key=lambda i: Cache.key(every[i].text) not in cache.vecs
    )
    rows = [every[i] for i in sorted(order[:TRAIN_ROWS])]
    results["training_rows"] = {"all": len(every), "sampled": len(rows)}
    x_rows = cache.embed([r.text for r in rows])
    reps = np.array([max(1, round(r.weight)) for r in rows])
    x = np.repeat(x_rows, reps, axis=0).astype(np.float32)
    yh = np.repeat(np.array([r.harm for r in rows]), reps)
    yj = np.repeat(np.array([r.jailbreak for r in rows]), reps)
    log(f"  {len(rows)} rows, {len(x)} with repeats; fitting")
    harm = fit_mlp(x[yh >= 0], yh[yh >= 0] == 1, 128, 40, 13)
    jail = fit_mlp(x[yj >= 0], yj[yj >= 0] == 1, 64, 40, 13)

    def level(vecs: NDArray[np.float32]) -> NDArray[np.float64]:
        def p(head: MLPHead) -> NDArray[np.float32]:
            return sigmoid(head.logits(vecs))[:, 0]

        return np.maximum(p(harm), p(jail)).astype(np.float64)

    log("validation: plans with the static stage on")
    items = validation_items(pool.examples)
    planner = PromptClassifier(model, _PlanOnly(model.meta.dim), fast_path=True)
    flat: list[tuple[int, str, bool, bool, bool]] = []  # item, text, whole, counts, layer
    longs, always = [], []
    for i, item in enumerate(items):
        plan = planner.plan(item.text)
        longs.append(not one_window(views(item.text)))
        always.append(bool(normalize(item.text).decoded))
        # only what the rule and the cost read: a harmful item's pieces that hold its
        # request, an ordinary prompt's every piece; the other benign prompts are left out
        # (the points then keep the most ordinary characters from part B)
        if item.kind == "benign":
            continue
        for t in plan.whole:
            flat.append((i, t, True, True, False))
        for s in plan.segments:
            counts = item.request is None or holds_request(s.text, item.request)
            if counts or item.kind == "ordinary":
                flat.append((i, s.text, False, counts, s.layer))
    log(f"  {len(items)} items, {len(flat)} pieces to embed")
    vecs = cache.embed([f[1] for f in flat])
    lv = level(vecs)
    lv[np.array([f[4] for f in flat], bool)] = np.inf  # decoded payloads always reach part B
    tops = Tops(
        np.array([f[0] for f in flat], np.int64),
        lv,
        np.array([f[2] for f in flat], bool),
        np.array([len(f[1]) for f in flat], np.int64),
        np.array([f[3] for f in flat], bool),
        np.array(longs, bool),
        np.array(always, bool),
    )
    clear, long_clear, figs = choose_points(items, tops, 0.005, 0.02)
    ee_skip = tops.reachable & tops.skipped(clear, long_clear)
    static_skip = ~tops.reachable
    both = ee_skip | static_skip
    results["points"] = {"clear": clear, "long_clear": long_clear}
    results["early_exit_figures"] = figs
    results["static_figures"] = figures(items, static_skip)
    results["together_figures"] = figures(items, both)
    results["together_keeps_rule"] = bool(_keeps(items, both, 0.005, 0.02))
    log(f"  points {clear} / {long_clear}")

    # cost per validation ordinary prompt
    under = tops.under(clear, long_clear) & np.isfinite(lv)
    toks = [windows_tokens(enc, f[1]) for f in flat]
    now_ms = np.array([cost(t, "full") for t in toks])
    ee_ms = np.array([cost(t, "a") for t in toks]) + np.where(
        under, 0.0, np.array([cost(t, "b") for t in toks])
    )
    per_item_now = np.bincount(tops.item, now_ms, minlength=len(items))
    per_item_ee = np.bincount(tops.item, ee_ms, minlength=len(items))
    kinds = np.array([i.kind for i in items])
    langs = np.array([i.lang for i in items])
    bare = np.array([i.variant == "bare" for i in items])
    long_a = np.array(longs)
    table = {}
    for kind in ("ordinary",):
        for lang in ("en", "ja"):
            for sub, m in (("all", np.ones(len(items), bool)), ("long", long_a)):
                sel = bare & (kinds == kind) & (langs == lang) & m
                if not sel.any():
                    continue
                now, ee = float(per_item_now[sel].mean()), float(per_item_ee[sel].mean())
                table[f"{kind}/{lang}/{sub}"] = {
                    "n": int(sel.sum()),
                    "static_cleared": round(float(static_skip[sel].mean()), 4),
                    "early_exit_cleared_beyond": round(float(ee_skip[sel].mean()), 4),
                    "mean_ms_now": round(now, 2),
                    "mean_ms_early_exit": round(ee, 2),
                    "change": round(ee / now - 1, 4) if now else None,
                }
    results["cost"] = table

    # how far the rule is from the adoption bar: the same at higher points (not chosen)
    kinds_bare = {k: bare & (kinds == k) for k in ("severe", "moderate", "jailbreak")}
    sens = {}
    for point in (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5):
        cleared = tops.under(point, point) & np.isfinite(lv)
        ms = np.array([cost(t, "a") for t in toks]) + np.where(
            cleared, 0.0, np.array([cost(t, "b") for t in toks])
        )
        per_item = np.bincount(tops.item, ms, minlength=len(items))
        skip = tops.reachable & tops.skipped(point, point)
        row: dict[str, Any] = {"keeps_rule": bool(_keeps(items, skip, 0.005, 0.02))}
        for k, m in kinds_bare.items():
            row[f"{k}_newly_skipped"] = f"{int((skip & m).sum())}/{int(m.sum())}"
        for lang in ("en", "ja"):
            sel = bare & (kinds == "ordinary") & (langs == lang)
            row[f"ordinary_{lang}_change"] = round(
                float(per_item[sel].mean() / per_item_now[sel].mean() - 1), 4
            )
        sens[str(point)] = row
    results["sensitivity"] = sens
    results["seconds"] = round(time.monotonic() - started)
    out = WORK / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
