"""What the screen asks the classification layer, behind one small interface.

`Scorer.score_prompts(texts)` returns a prompt `Verdict` per text; `Scorer.judge_answers(prompts,
answers)` an `AnswerVerdict` per answer (prefix). Both are blocking calls: the screen runs them in
its thread pool. Built-ins, in `SCORERS`:

- `model`: the trained prompt classifier (`sekimori.classify.api.classify_batch`) and the answer
  judge (`sekimori.classify.answers.judge_answer_batch`); when the answer judge is not installed,
  answers are scored with the prompt classifier (logged once).
- `lexicon`: a test scorer that you control: a YAML file of phrases and the category scores they
  give, plus `crash` and `hang` phrases that make it fail or stall (for failure-mode tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

import yaml

from sekimori.errors import ClassifierError, ConfigError
from sekimori.lang import detect_lang
from sekimori.registry import Registry
from sekimori.types import AnswerVerdict, RefusalLabel, Verdict

log = logging.getLogger("sekimori.gateway")


class Scorer(Protocol):
    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]: ...

    def judge_answers(
        self, prompts: Sequence[str], answers: Sequence[str]
    ) -> list[AnswerVerdict]: ...


# A harmful answer counts in each category holding at least this share of its harm.
PLAUSIBLE_SHARE = 0.15


def answer_scores(verdict: AnswerVerdict) -> dict[str, float]:
    """Per-category scores for the policy from an answer verdict.

    The judge's category scores are P(harmful) * P(category | harmful), so a clearly harmful
    answer spread over a few plausible categories may leave each below its threshold. A harmful
    answer therefore scores its full harm score in every category with a plausible share, and
    the policy's strictest action among them applies.
    """
    scores = dict(verdict.categories)
    if verdict.harmful and verdict.score > 0:
        for category_id, score in verdict.categories.items():
            if score / verdict.score >= PLAUSIBLE_SHARE:
                scores[category_id] = max(score, verdict.score)
    return scores


ScorerFactory = Callable[[Mapping[str, Any]], Scorer]
SCORERS: Registry[ScorerFactory] = Registry("scorer")

_PromptFn = Callable[[Sequence[str]], list[Verdict]]
_AnswerFn = Callable[[Sequence[str], Sequence[str]], list[AnswerVerdict]]


def _import(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(import_module(module), attr)


class ModelScorer:
    """The trained classifiers, imported on first use (they load their weights once)."""

    def __init__(self) -> None:
        self._prompts: _PromptFn | None = None
        self._answers: _AnswerFn | None = None

    def _prompt_fn(self) -> _PromptFn:
        if self._prompts is None:
            try:
                self._prompts = _import("sekimori.classify.api:classify_batch")
            except (ImportError, AttributeError) as exc:
                raise ClassifierError(
                    f"the prompt classifier is not installed ({exc}); "
                    "hint: install sekimori with its classify models"
                ) from None
        return self._prompts

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        return self._prompt_fn()(texts)

    def judge_answers(self, prompts: Sequence[str], answers: Sequence[str]) -> list[AnswerVerdict]:
        if self._answers is None:
            try:
                self._answers = _import("sekimori.classify.answers:judge_answer_batch")
            except (ImportError, AttributeError):
                log.warning("answer judge not installed: answers are scored by the prompt model")
                self._answers = self._answers_by_prompt_model
        return self._answers(prompts, answers)

    def _answers_by_prompt_model(
        self, prompts: Sequence[str], answers: Sequence[str]
    ) -> list[AnswerVerdict]:
        return [
            AnswerVerdict(v.harmful, v.score, v.categories, RefusalLabel.COMPLIANCE, 0.0)
            for v in self._prompt_fn()(answers)
        ]


class LexiconScorer:
    """Scores by phrases from a file you write: a boundary for tests, not a safety classifier.

    phrases:                      # case-insensitive substring -> category scores
      "Project Kestrel": {weapons.bio: 0.95}
    crash: [CRASH-ME]             # raise ClassifierError
    hang: [HANG-ME]               # sleep `hang_s` seconds (default 30)
    delay_ms: 0                   # every call takes this long (a model's latency, for benches)
    """

    def __init__(self, path: Path) -> None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot load lexicon: {exc}", file=str(path)) from None
        self.phrases: dict[str, dict[str, float]] = {
            str(k).lower(): {str(c): float(s) for c, s in v.items()}
            for k, v in (data.get("phrases") or {}).items()
        }
        self.crash = tuple(str(p).lower() for p in data.get("crash") or ())
        self.hang = tuple(str(p).lower() for p in data.get("hang") or ())
        self.hang_s = float(data.get("hang_s", 30))
        self.delay_s = float(data.get("delay_ms", 0)) / 1000

    def _scores(self, text: str) -> dict[str, float]:
        lower = " ".join(text.lower().split())  # so a phrase split over turns still matches
        if any(p in lower for p in self.crash):
            raise ClassifierError("lexicon scorer: injected crash")
        if any(p in lower for p in self.hang):
            time.sleep(self.hang_s)
        scores: dict[str, float] = {}
        for phrase, cats in self.phrases.items():
            if phrase in lower:
                for cat, score in cats.items():
                    scores[cat] = max(score, scores.get(cat, 0.0))
        return scores

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        if self.delay_s:
            time.sleep(self.delay_s)
        out = []
        for text in texts:
            scores = self._scores(text)
            top = max(scores, key=scores.__getitem__) if scores else None
            best = scores[top] if top else 0.0
            lang = detect_lang(text[:400])
            out.append(Verdict(best >= 0.5, best, scores, top, lang, "lexicon"))
        return out

    def judge_answers(self, prompts: Sequence[str], answers: Sequence[str]) -> list[AnswerVerdict]:
        out = []
        for verdict in self.score_prompts(answers):
            out.append(
                AnswerVerdict(
                    verdict.harmful,
                    verdict.score,
                    verdict.categories,
                    RefusalLabel.COMPLIANCE,
                    0.0,
                )
            )
        return out


def _lexicon(options: Mapping[str, Any]) -> Scorer:
    path = options.get("lexicon")
    if not isinstance(path, str):
        raise ConfigError("the lexicon scorer needs a file path", key="screen.options.lexicon")
    return LexiconScorer(Path(path))


SCORERS.register("model")(lambda options: ModelScorer())
SCORERS.register("lexicon")(_lexicon)
