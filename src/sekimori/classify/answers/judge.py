"""The answer judges: refusal detection and response harm for (prompt, answer) pairs.

An answer may be a prefix of a streamed answer; the heads were trained on prefixes of 64, 128
and 256 tokens as well as whole answers.

With views on (`AnswerJudge(views=True)`, or `"prose_views": true` in the heads' answers.json),
an answer written as JSON, YAML, key-value lines, a table or code comments is also judged as
plain sentences (`views.prose_view`), and its harm and category scores are the higher of the
two readings: layout cannot hide content. Answers that are not structured cost nothing more.

With the continuation reading on (`AnswerJudge(continuation=True)`,
`screen.answer_continuation`; off by default: not adopted on V9, bench/answers/ROUND16.md), an
answer whose prompt only says "go on" (its embedding within `CONTINUATION_SIMILARITY` of
"Continue." or 「続けて。」) is also read under "Continue.", and its harm and category scores are
the higher of the two readings: the phrasing of a content-free turn cannot lower them. It
reuses the embeddings already computed (the answer, its opening, the prompt); other prompts cost
one dot product.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.answers.model import (
    OPENING_TOKENS,
    REFUSAL_LABELS,
    AnswerCues,
    AnswerModel,
    HeadOutputs,
    load_model,
    pair_features,
)
from sekimori.classify.answers.prefix import take_tokens
from sekimori.classify.answers.views import prose_view
from sekimori.classify.encoder import ENCODERS, Encoder
from sekimori.errors import InputError, ModelError
from sekimori.types import AnswerVerdict, RefusalLabel

# Embeddings kept (blake2b keys of the texts, ~1.5 KB a row), whatever a text is to the judge:
# a stream's windows all share the request's prompt; a short window is its own opening (under
# OPENING_TOKENS tokens); a stream's final judgement reads the opening the first window read
# when that window was long enough; a final judgement of the text the last window saw encodes
# nothing again. Every text is encoded as before (same calls, same batches), only once.
EMBED_CACHE = 2048
# The continuation reading (ROUND16_RULE.md): a prompt this close (cosine of the judge's own
# embeddings) to an anchor says only "go on"; its answer is also read under CONTINUATION_PROMPT.
# 0.90 lies above every user turn of the judge's validation pool that names a topic (the closest,
# 0.88, "Continue the romance story with …") and below plain follow-ups ("Go on.", 0.93).
CONTINUATION_ANCHORS = ("Continue.", "続けて。")
CONTINUATION_PROMPT = "Continue."
CONTINUATION_SIMILARITY = 0.90


def embedding_key(text: str) -> bytes:
    """The key a text's embedding is kept under in an `AnswerJudge`'s cache."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class RefusalResult:
    """Whether an answer refused: the label, its probability, and all three probabilities."""

    label: RefusalLabel
    score: float
    probabilities: Mapping[str, float]


def _check(prompts: Sequence[str], answers: Sequence[str]) -> None:
    if isinstance(prompts, str) or isinstance(answers, str):
        raise InputError("batch judges take sequences of prompts and answers, not one string")
    if len(prompts) != len(answers):
        raise InputError(f"{len(prompts)} prompts but {len(answers)} answers; pass one per answer")
    for i, (prompt, answer) in enumerate(zip(prompts, answers, strict=True)):
        if not isinstance(prompt, str):
            raise InputError(f"prompt {i}: expected a string, got {type(prompt).__name__}")
        if not isinstance(answer, str):
            raise InputError(f"answer {i}: expected a string, got {type(answer).__name__}")
        if not answer.strip():
            raise InputError(f"answer {i}: empty; there is nothing to judge yet")


class AnswerJudge:
    """Judges answers with the committed heads and the encoder they were trained on."""

    def __init__(
        self,
        model: AnswerModel,
        encoder: Encoder,
        *,
        views: bool | None = None,
        continuation: bool = False,
    ) -> None:
        """views: also judge a structured answer as plain sentences (None: the heads' setting,
        `prose_views` in answers.json, off when absent). continuation: also read the answer to a
        content-free "go on" turn under `CONTINUATION_PROMPT` (module doc)."""
        if encoder.dim != model.dim:
            raise ModelError(
                f"encoder {encoder.name!r} has dim {encoder.dim}, the answer heads need {model.dim}"
            )
        self.model = model
        self.encoder = encoder
        self.views = bool(model.meta.get("prose_views", False)) if views is None else views
        self.continuation = continuation
        self._cache: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _embeddings(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The texts' embeddings, each distinct text not in the cache encoded once, together in
        one encoder call (as every text of the call was before the cache)."""
        keys = [embedding_key(t) for t in texts]
        with self._cache_lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
            for k in found:
                self._cache.move_to_end(k)
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            fresh = self.encoder.encode(list(missing.values())).astype(np.float32)
            with self._cache_lock:
                for k, row in zip(missing, fresh, strict=True):
                    found[k] = self._cache[k] = row
                while len(self._cache) > EMBED_CACHE:
                    self._cache.popitem(last=False)
        return np.stack([found[k] for k in keys])

    def _outputs(
        self, prompts: Sequence[str], answers: Sequence[str], cues: AnswerCues | None = None
    ) -> HeadOutputs | None:
        _check(prompts, answers)
        if not answers:
            return None
        if cues is not None and len(cues.openings) != len(answers):
            raise InputError(f"{len(cues.openings)} rows of cues but {len(answers)} answers")
        openings = (
            list(cues.openings)
            if cues is not None
            else [take_tokens(a, OPENING_TOKENS) for a in answers]
        )
        # Answers and openings in calls of their own: in one batch the 32-token openings were
        # padded to the longest answer. Answers first: an opening that is the whole answer
        # (a short answer or window) is then found in the cache.
        prompt_emb = self._embeddings(prompts)
        answer_emb = self._embeddings(answers)
        features = pair_features(
            prompt_emb,
            answer_emb,
            self._embeddings(openings),
            prompts,
            answers,
            None if cues is None else cues.cues,
        )
        return self.model.predict(features, answers, None if cues is None else cues.grams)

    def refusal_batch(self, prompts: Sequence[str], answers: Sequence[str]) -> list[RefusalResult]:
        out = self._outputs(prompts, answers)
        if out is None:
            return []
        results = []
        for row in out.refusal:
            best = int(np.argmax(row))
            probs = {str(label): float(p) for label, p in zip(REFUSAL_LABELS, row, strict=True)}
            results.append(RefusalResult(REFUSAL_LABELS[best], float(row[best]), probs))
        return results

    def _with_views(
        self, prompts: Sequence[str], answers: Sequence[str], out: HeadOutputs
    ) -> HeadOutputs:
        """`out` with each structured answer's harm and category scores raised to those of its
        prose view where higher; refusal stays the answer's own. The views are encoded in a
        call of their own, so the answers' embeddings (and verdicts) are those without views."""
        rendered = {i: v for i, a in enumerate(answers) if (v := prose_view(a)) is not None}
        if not rendered:
            return out
        index = list(rendered)
        seen = self._outputs([prompts[i] for i in index], [rendered[i] for i in index])
        return _raised(out, index, seen)

    def continues(self, prompts: Sequence[str]) -> NDArray[np.bool_]:
        """Which prompts only say "go on" (cosine to an anchor at least CONTINUATION_SIMILARITY);
        their embeddings are the judge's own, cached from the reading just done."""
        if not prompts:
            return np.zeros(0, dtype=np.bool_)
        # Each anchor encoded alone, as the gateway encodes a prompt: the int8 encoder quantises
        # activations per batch, and batch-mates would move the anchors (and the reading).
        anchors = np.vstack([self._embeddings([a]) for a in CONTINUATION_ANCHORS])
        close: NDArray[np.bool_] = (self._embeddings(prompts) @ anchors.T).max(
            axis=1
        ) >= np.float32(CONTINUATION_SIMILARITY)
        return close

    def _with_continuation(
        self, prompts: Sequence[str], answers: Sequence[str], out: HeadOutputs
    ) -> HeadOutputs:
        """`out` with the harm and category scores of each answer to a "go on" turn raised to
        its reading under CONTINUATION_PROMPT where higher; refusal stays the answer's own."""
        index = [i for i, close in enumerate(self.continues(prompts)) if close]
        if not index:
            return out
        seen = self._outputs([CONTINUATION_PROMPT] * len(index), [answers[i] for i in index])
        return _raised(out, index, seen)

    def answer_batch(
        self, prompts: Sequence[str], answers: Sequence[str], *, cues: AnswerCues | None = None
    ) -> list[AnswerVerdict]:
        """The verdicts; ``cues``: the pairs' `AnswerCues` where the first stage read them."""
        out = self._outputs(prompts, answers, cues)
        if out is None:
            return []
        if self.continuation:
            out = self._with_continuation(prompts, answers, out)
        if self.views:
            out = self._with_views(prompts, answers, out)
        verdicts = []
        for refusal, harm, cats in zip(out.refusal, out.harm, out.categories, strict=True):
            best = int(np.argmax(refusal))
            verdicts.append(
                AnswerVerdict(
                    harmful=bool(harm >= self.model.threshold),
                    score=float(harm),
                    categories={
                        c: float(s) for c, s in zip(self.model.category_ids, cats, strict=True)
                    },
                    refusal=REFUSAL_LABELS[best],
                    refusal_score=float(refusal[best]),
                )
            )
        return verdicts


def _raised(out: HeadOutputs, index: list[int], seen: HeadOutputs | None) -> HeadOutputs:
    """`out` with the harm and category scores at `index` raised to a second reading's (`seen`,
    one row per index) where higher; the refusal reading stays the answer's own."""
    if seen is None:
        return out
    harm, cats = out.harm.copy(), out.categories.copy()
    harm[index] = np.maximum(harm[index], seen.harm)
    cats[index] = np.maximum(cats[index], seen.categories)
    return HeadOutputs(out.refusal, harm, cats)


_lock = threading.Lock()
_default: AnswerJudge | None = None


def default_judge() -> AnswerJudge:
    """The judge built from the committed heads and their registered encoder (built once)."""
    global _default
    with _lock:
        if _default is None:
            import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)

            model = load_model()
            _default = AnswerJudge(model, ENCODERS.get(model.encoder)())
        return _default


def judge_refusal(prompt: str, answer: str) -> RefusalResult:
    """Did this answer (or answer prefix) refuse, comply, or partly refuse?"""
    return default_judge().refusal_batch([prompt], [answer])[0]


def judge_refusal_batch(prompts: Sequence[str], answers: Sequence[str]) -> list[RefusalResult]:
    return default_judge().refusal_batch(prompts, answers)


def judge_answer(prompt: str, answer_or_prefix: str) -> AnswerVerdict:
    """Does this answer (or streamed prefix) give harmful uplift, per taxonomy category?"""
    return default_judge().answer_batch([prompt], [answer_or_prefix])[0]


def judge_answer_batch(prompts: Sequence[str], answers: Sequence[str]) -> list[AnswerVerdict]:
    return default_judge().answer_batch(prompts, answers)
