"""What the screen asks the classification layer, behind one small interface.

`Scorer.score_prompts(texts)` returns a prompt `Verdict` per text; `Scorer.judge_answers(prompts,
answers)` an `AnswerVerdict` per answer (prefix). Both are blocking calls: the screen runs them in
its thread pool. Built-ins, in `SCORERS`:

- `model`: the trained prompt classifier (`sekimori.classify.api`) and the answer judge
  (`sekimori.classify.answers`), with their scores put on the policy's scale. A prompt model
  with operating points per tier (`sekimori.classify.operating`) maps each category's evidence
  so that its tier's hold point is 0.5 and its sure point `SURE_LEVEL` (0.75), which is then
  `sure_at`; an older model maps its one threshold to 0.5 (`on_policy_scale`). `ip.copyright`
  is scored by the prompt model's own detector (`sekimori.classify.reproduction`), already on
  the policy scale, and taken beside the heads' score for it (the larger). A prompt the model is
  sure of is read again by the second opinion (`sekimori.classify.second_opinion`, unless
  `screen.second_opinion: false`), which may cap its sure scores so the block is held instead;
  with `screen.short_turns: true` (off by default: not adopted), a short turn it would hold is
  read again by the short-turn reading (`sekimori.classify.short_turns`), which may cap its
  hazard scores under the hold point so it is allowed instead.
  With `screen.judge` set, prompts the classifier is unsure of go to that LLM judge (the cascade,
  `sekimori.classify.cascade`) before the scores are put on the policy's scale.
- `lexicon`: a test scorer that you control: a YAML file of phrases and the category scores they
  give, plus `crash` and `hang` phrases that make it fail or stall (for failure-mode tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from sekimori.classify.cascade import CascadeClassifier
from sekimori.classify.operating import SURE_LEVEL, OperatingPoints
from sekimori.classify.reproduction import CATEGORY as REPRODUCTION
from sekimori.classify.reproduction import ReproductionDetector
from sekimori.classify.second_opinion import Embed, classifier_embed, load_second_opinion
from sekimori.classify.short_turns import load_short_turns
from sekimori.errors import ClassifierError, ConfigError
from sekimori.lang import detect_lang
from sekimori.registry import Registry
from sekimori.settings import JudgeSettings, ScreenSettings
from sekimori.taxonomy import BY_ID
from sekimori.types import AnswerVerdict, RefusalLabel, Verdict
from sekimori.upstream.judge import OpenAIJudge

if TYPE_CHECKING:
    from sekimori.classify.answers import AnswerJudge
    from sekimori.classify.answers.fast import FastStage


class Scorer(Protocol):
    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]: ...

    @property
    def sure_at(self) -> float | None:
        """The prompt score (policy scale) from which the classifier is sure of harm; None: the
        scorer knows no certainty (nothing is held, and no `when_sure` action applies)."""
        ...

    def judge_answers(
        self, prompts: Sequence[str], answers: Sequence[str], *, careful: bool = False
    ) -> list[AnswerVerdict]:
        """careful: the prompt's risk asks for the full judge (no cheap first stage)."""
        ...

    @property
    def answer_sure_at(self) -> float | None:
        """The answer score (policy scale) from which the answer judge is sure of harm, so a
        category's `when_sure` action applies (None: never)."""
        ...


# Categories scoring at least this share of the top category are plausible and share its harm.
PLAUSIBLE_SHARE = 0.5


def calibrate(score: float, threshold: float) -> float:
    """Maps a classifier's own operating point to 0.5, the policy's default threshold.

    Piecewise linear and monotonic: 0 -> 0, `threshold` -> 0.5, 1 -> 1. A policy threshold of
    0.5 then means "harmful by the classifier's tuned threshold", whatever that threshold is.
    """
    if not 0.0 < threshold < 1.0:
        return score
    if score < threshold:
        return 0.5 * score / threshold
    return 0.5 + 0.5 * (score - threshold) / (1.0 - threshold)


def on_policy_scale(
    categories: Mapping[str, float], harm: float, threshold: float
) -> dict[str, float]:
    """A classifier's scores as the policy reads them.

    Hazard scores are calibrated like the harm score. The category heads say *which* harm more
    than *whether* (the prompt model's are independent sigmoids capped by the harm score, the
    answer judge's P(harmful) * P(category | harmful)), so a text that is harmful overall scores
    its calibrated harm in its top category, and every category at least half as likely scores
    that harm in proportion (so near-ties stay above 0.5 and the policy's strictest action among
    them applies). Signals (attack.jailbreak) pass unchanged.
    """
    scores = {c: calibrate(s, threshold) if c in BY_ID else s for c, s in categories.items()}
    harm = calibrate(harm, threshold)
    hazards = {c: s for c, s in scores.items() if c in BY_ID}
    if harm >= 0.5 and hazards:
        top = max(hazards.values())
        for category_id, score in hazards.items():
            if top > 0 and score >= PLAUSIBLE_SHARE * top:
                scores[category_id] = max(score, harm * score / top)
    return scores


ScorerFactory = Callable[[ScreenSettings], Scorer]
SCORERS: Registry[ScorerFactory] = Registry("scorer")


def _import(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(import_module(module), attr)


class _Rereading(Protocol):
    """A second reading of a verdict on the policy scale (the second opinion, the short-turn
    reading): the verdict, some scores capped, or unchanged."""

    def reconsider(self, text: str, verdict: Verdict, sure_at: float, embed: Embed) -> Verdict: ...


class ModelScorer:
    """The trained classifiers, loaded once on first use, their scores on the policy's scale."""

    def __init__(
        self,
        judge: JudgeSettings | None = None,
        *,
        second_opinion: bool = True,
        short_turns: bool = False,
        answer_views: bool | None = None,
        answer_continuation: bool = False,
    ) -> None:
        self._classifier: Any = None
        self._judge: AnswerJudge | None = None
        self._answer_views = answer_views  # None: the answer judge's own setting
        self._answer_continuation = answer_continuation
        self._stage: tuple[FastStage | None] | None = None  # loaded once; (None,): no stage
        self._prompt_judge = judge
        self._points: OperatingPoints | None = None
        self._reproduction: ReproductionDetector | None = None  # ip.copyright, scored apart
        self._second_on = second_opinion
        self._short_on = short_turns
        # Loaded with the classifier, in the order they read: the second opinion first (the
        # short-turn reading leaves alone what it held, and reads only what was never sure).
        self._rereadings: tuple[_Rereading, ...] = ()
        self._embed: Embed | None = None  # the classifier's own embedding, which they read

    def _prompt_classifier(self) -> Any:
        if self._classifier is None:
            try:
                classifier = _import("sekimori.classify.api:default_classifier")()
            except (ImportError, AttributeError) as exc:
                raise ClassifierError(
                    f"the prompt classifier is not installed ({exc}); "
                    "hint: install sekimori with its classify models"
                ) from None
            points = classifier.model.meta.operating_points
            if points is not None:  # older models: one threshold for every tier
                self._points = OperatingPoints.from_json(points)
            self._reproduction = getattr(classifier, "reproduction", None)
            # Their points are on the policy scale of this model's operating points; with a
            # judge the hold and sure levels are the judge's ruling, which they do not
            # second-guess.
            if self._points is not None and self._prompt_judge is None:
                meta = classifier.model.meta
                second = load_second_opinion(meta) if self._second_on else None
                short = load_short_turns(meta) if self._short_on else None
                self._rereadings = tuple(r for r in (second, short) if r is not None)
                if self._rereadings:
                    self._embed = classifier_embed(classifier)
            if self._prompt_judge is not None:
                classifier = CascadeClassifier(
                    classifier,
                    OpenAIJudge(self._prompt_judge),
                    classifier.band_or(self._prompt_judge.band),
                )
            self._classifier = classifier
        return self._classifier

    @property
    def sure_at(self) -> float:
        """From this prompt score (policy scale) on the classifier is sure: `SURE_LEVEL` with
        operating points per tier; for older models the top of the uncertain band training
        chose. With an LLM judge the judge has already ruled on that band: every flag is sure.
        """
        if self._prompt_judge is not None:
            return 0.5
        classifier = self._prompt_classifier()
        if self._points is not None:
            return SURE_LEVEL
        return calibrate(classifier.band.high, float(classifier.threshold))

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        classifier = self._prompt_classifier()
        threshold = float(classifier.threshold)
        verdicts: list[Verdict] = classifier.classify_batch(texts)
        points = self._points

        def scaled(v: Verdict, extra: tuple[float, float] | None) -> Verdict:
            certain = v.certain
            if certain is None and extra is not None and extra[1] < extra[0]:
                certain = v  # the detector's sure pieces score less: the pieces that may be sure
            score, sure = (None, None) if extra is None else extra
            certain = None if certain is None else scaled_alone(certain, sure)
            return replace(scaled_alone(v, score), certain=certain)

        def scaled_alone(v: Verdict, copyright: float | None) -> Verdict:
            evidence = v.evidence
            if points is not None:
                categories = points.policy_scale(v.categories, v.score, v.evidence)
                evidence = None
            else:
                categories = on_policy_scale(v.categories, v.score, threshold)
            if copyright is not None:
                categories[REPRODUCTION] = max(categories.get(REPRODUCTION, 0.0), copyright)
            return replace(v, categories=categories, evidence=evidence, certain=None)

        detector = self._reproduction
        extras = [None if detector is None else detector.policy_scores(t) for t in texts]
        out = [scaled(v, e) for v, e in zip(verdicts, extras, strict=True)]
        embed = self._embed
        for reading in self._rereadings:
            assert embed is not None  # loaded with the readings
            out = [
                reading.reconsider(t, v, SURE_LEVEL, embed) for t, v in zip(texts, out, strict=True)
            ]
        return out

    def _answer_judge(self) -> AnswerJudge:
        if self._judge is None:
            from sekimori.classify.answers import AnswerJudge, default_judge

            judge = default_judge()
            views = judge.views if self._answer_views is None else self._answer_views
            if views != judge.views or self._answer_continuation != judge.continuation:
                # The same heads and encoder, read as configured.
                judge = AnswerJudge(
                    judge.model, judge.encoder, views=views, continuation=self._answer_continuation
                )
            self._judge = judge
        return self._judge

    def _answer_stage(self) -> FastStage | None:
        judge = self._answer_judge()
        if self._stage is None:
            from sekimori.classify.answers.fast import load_stage
            from sekimori.classify.answers.model import MODEL_DIR

            self._stage = (load_stage(MODEL_DIR, judge.model),)
        return self._stage[0]

    def judge_answers(
        self, prompts: Sequence[str], answers: Sequence[str], *, careful: bool = False
    ) -> list[AnswerVerdict]:
        """The answer judge's verdicts; without `careful`, pairs its first stage clears are
        judged harmless without the encoder (`sekimori.classify.answers.fast`)."""
        judge = self._answer_judge()
        threshold = judge.model.threshold
        stage = None if careful else self._answer_stage()
        out: list[AnswerVerdict | None] = [None] * len(answers)
        cues = None  # what the stage read besides its vectors, which the judge reads too
        if stage is not None and answers:
            levels, cues = stage.read(prompts, answers)
            for i, level in enumerate(levels):
                if stage.clears(float(level)):
                    # Under the stage's clear point: no category scores, the encoder never ran.
                    out[i] = AnswerVerdict(False, 0.0, {}, RefusalLabel.COMPLIANCE, 0.0)
        rest = [i for i, v in enumerate(out) if v is None]
        if rest:
            judged = judge.answer_batch(
                [prompts[i] for i in rest],
                [answers[i] for i in rest],
                cues=None if cues is None else cues.take(rest),
            )
            for i, v in zip(rest, judged, strict=True):
                out[i] = replace(v, categories=on_policy_scale(v.categories, v.score, threshold))
        return [v for v in out if v is not None]

    @property
    def answer_sure_at(self) -> float | None:
        """The judge's F1 point (chosen out of fold on its training data) on the policy scale:
        its threshold is a recall floor, far below where it is sure."""
        model = self._answer_judge().model
        if model.f1_threshold is None:
            return None
        return calibrate(max(model.f1_threshold, model.threshold), model.threshold)


class LexiconScorer:
    """Scores by phrases from a file you write: a boundary for tests, not a safety classifier.

    phrases:                      # case-insensitive substring -> category scores
      "Project Kestrel": {weapons.bio: 0.95}
    crash: [CRASH-ME]             # raise ClassifierError
    hang: [HANG-ME]               # sleep `hang_s` seconds (default 30)
    delay_ms: 0                   # every call takes this long (a model's latency, for benches)
    sure_at: 0.9                  # prompt scores below this are unsure (left out: certainty
                                  # unknown, so nothing is held and moderate scores only flag)
    answer_sure_at: 0.9           # the same for answers (left out: moderate answers only flag)
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
        sure, answer_sure = data.get("sure_at"), data.get("answer_sure_at")
        self.sure_at: float | None = None if sure is None else float(sure)
        self.answer_sure_at: float | None = None if answer_sure is None else float(answer_sure)

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

    def judge_answers(
        self, prompts: Sequence[str], answers: Sequence[str], *, careful: bool = False
    ) -> list[AnswerVerdict]:
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


def _lexicon(settings: ScreenSettings) -> Scorer:
    path = settings.options.get("lexicon")
    if not isinstance(path, str):
        raise ConfigError("the lexicon scorer needs a file path", key="screen.options.lexicon")
    return LexiconScorer(Path(path))


SCORERS.register("model")(
    lambda settings: ModelScorer(
        settings.judge,
        second_opinion=settings.second_opinion,
        short_turns=settings.short_turns,
        answer_views=settings.answer_views,
        answer_continuation=settings.answer_continuation,
    )
)
SCORERS.register("lexicon")(_lexicon)
