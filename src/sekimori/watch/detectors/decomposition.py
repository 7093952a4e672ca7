"""Decomposition: hazard evidence that accumulates across the turns of a session or a key.

A question split into innocent-looking steps passes one by one; its steps still carry some
score in the category they lead to, below the block point. Per session and per key (so that
steps spread over sessions add up), each category keeps a decayed sum of
`max(0, score - FLOOR) ** power` (power 1 by default, the linear reading; with power 2 one
step the classifier is nearly sure of outweighs several just over the floor); a step the screen
refused adds `refused_weight` times as much (it was stopped, but it says where the session is
heading: an attacker rephrases and goes on). A unit alerts once per category when its sum
reaches the level of the category's tier (catastrophic and severe categories each have their
own, chosen on training traffic: benign look-alike chats score in the weapons categories,
ordinary security work in cyber.offense) and at least `min_requests` distinct requests added to it.
A second channel looks at breadth rather than strength. A decomposed weapons question often
shows no single category clearly: the classifier is sure a step is harmful (its harm score) but
spreads the step over the weapons family (conventional explosives, chemical, nuclear) and
ordinary crime. Each request's *family hazard* is its harm times the share of its category
scores that falls in the weapons family (the catastrophic categories and conventional weapons);
a request at or above `breadth_floor` is a hazard request. Ordinary traffic sends one now and
then (`breadth_rate` of benign training requests), so a unit's hazard requests are compared
with what its request count would gather by chance: the Poisson log-likelihood ratio
`k ln(k / rate n) - (k - rate n)` for `k` hazard requests in `n`. The unit alerts when it
reaches `breadth_level` with two hazard requests or more (one request is the strength
channel's business): a chain's few steps in a short session or a quiet key score high, a
translation job whose three thousand requests bring the few such prompts chance predicts does
not.
A key is told about once per category (and once by the breadth channel): a session's alert
stands for its key, so neither the key's own crossing nor a later session of that key raises
the same category again (the first alert already holds or flags the key; a second one would
only repeat it).
A third channel reads the key's evidence requests together (`sekimori.watch.compose`: the live
gateway only, which alone has their texts for a while): the joined text's catastrophic score,
from the gateway's own screen, alerts at `composed_level`; told once per category with the rest.
A fourth channel, *anchored*, reads a step the screen refused as the strongest evidence there
is of where a unit is heading, but never alone (benign sessions hit false blocks): a refused
request whose top catastrophic score reaches `anchor_sure` is an anchor in that category, and
the unit alerts when at least `anchor_support` other requests among its last `anchor_window`
requests bring evidence in the same category (each `score - anchor_floor`, a floor below the
sums') that adds up to `anchor_level`. A decomposed question's steps come one after another on
one topic, a benign chat's false block rarely sits among several same-category steps. Off by
default (`anchored`; it caught no more held-back chains and raised more false alerts on the
test seeds: bench/watch/RESULTS.md).
Read in order (`anchor_before`, branch decomp, bench/watch/DECOMP_RULE_4.md), the anchored
channel is the screen's own stop decision escalated to the key: only requests *before* the
anchor support it, so the alert comes with the refusal itself, when the same session or key was
already held (a score past the tier's hold point) in that category among its last few requests.
A benign false block usually comes first or alone; a question asked in pieces puts its held
steps before the one the screen refuses. The screen's block stands as it was; the watch adds the
key's escalation (its tenant's policy acts on it).
A fifth channel, *refusals* (`refusals`, branch decomp5, bench/watch/DECOMP_RULE_5.md), reads
the screen's blocks themselves rather than their order: a refused request whose top catastrophic
category scores at the tier's sure point (`refusal_sure`) or more is a *sure refusal* in that
category; a unit's distinct sure refusals per category (near-duplicate templates count once; a
key's decay like its sums) are compared with what its request count gathers by chance
(`refusal_rate`, the share of benign training requests that are such refusals), by the same
Poisson log-likelihood ratio as the breadth channel, and the unit alerts at `refusal_level`
with two such refusals or more in one category. A benign look-alike chat is refused once, if at
all (one cautious question); a busy batch job is refused now and then by chance; a question
asked in pieces is refused again and again on one topic in a short session or a quiet key.
Off by default (no chain more and more false alerts on the fresh held-out sets).
A sixth channel, *trajectory* (`trajectory`, branch watch, bench/watch/DECOMP_RULE_7.md), reads
what a unit's requests ask to do (the sketch's phase flags: getting hold of something, making it,
getting it to a target, keeping it unseen) beside their scores in a catastrophic category, for
questions asked in the asker's own voice, which score low one by one: per category, the highest
score of each phase among the unit's last `trajectory_window` requests at `trajectory_floor` or
more, from two requests or more (with `trajectory_conceal`, only when one asked how to stay
unseen), alerting at `trajectory_level` with `trajectory_phases` phases. Off by default (no chain
run more on the held-out fresh4 set: 0 of 160 either way).
Catastrophic categories may each have their own level (`category_levels`) instead of the
tier's one (none by default, for the same reason).
Session sums never decay (a session is one conversation); key sums halve every `KEY_HALF_LIFE_S`.
A busy key gathers some evidence by chance (ordinary prompts score a little too), so a key's
sum is compared after subtracting `base` times its decayed request count; `base` is the mean
gain of a benign request, measured on simulated training traffic like `FLOOR` and
`DEFAULT_LEVEL` (bench/watch/run.py).
State: a float and a count per watched category per unit, a few for the breadth channel, and
for the anchored channel at most `anchor_window` recent evidence entries (amortised O(1): one
entry in, the expired ones out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sekimori.taxonomy import CATEGORIES, Category, Tier, category
from sekimori.types import WatchAction
from sekimori.watch.detectors.base import DETECTORS, Alert, Units, unit_name
from sekimori.watch.sketch import (
    FLAG_CONCEAL,
    FLAG_REFUSED,
    KEPT_CATEGORIES,
    PHASE_FLAGS,
    SCORE_IDS,
    Sketch,
    hamming,
)

NAME = "decomposition"
WATCHED: tuple[str, ...] = tuple(c.id for c in CATEGORIES if c.tier is not Tier.MODERATE)
_INDEX = tuple(SCORE_IDS.index(cid) for cid in WATCHED)
# The weapons family: where a decomposed weapons question's steps put their scores.
FAMILY: tuple[str, ...] = tuple(
    c.id for c in CATEGORIES if c.tier is Tier.CATASTROPHIC or c.id == "weapons.conventional"
)
_FAMILY_INDEX = tuple(SCORE_IDS.index(cid) for cid in FAMILY)
_CATEGORY_INDEX = tuple(SCORE_IDS.index(cid) for cid in KEPT_CATEGORIES)  # not the signals
_BREADTH = len(WATCHED)  # the breadth channel's bit in `alerted`
_CATASTROPHIC = tuple(i for i, c in enumerate(WATCHED) if category(c).tier is Tier.CATASTROPHIC)
# Chosen by bench/watch/run.py on train seeds 1 and 2 with the training chains (half the
# team's chains and the 24 training-only ones) and the training look-alike chats (6 and the 24
# training-only ones: hard negatives), on the scores the gateway's sketches carry
# (the policy's scale: prompt classifier L through the gateway's screen, `watch scores`)
# (floor, refused weight and fewest requests by the chains caught; per tier the lowest level
# within the false-alert budget); see bench/watch/RESULTS.md.
# A request adds `weight * (score - FLOOR) ** POWER`; the default is the linear reading
# (power 1). Power 2 (one step well past the floor counts for more than several just over it)
# with its own levels (refused weight 3, level 0.45, severe 0.4, base 0.00205, breadth
# 0.55/0.00345/9.5; `watch.decomposition` in the settings) was adopted on training traffic by
# the rule of bench/watch/DECOMP_RULE.md and did worse on every decomposition target on the
# test seeds (34/64 chains by the 4th step against 41, 8 benign alerts against 5): not the
# default, decided after seeing the test seeds (bench/watch/RESULTS.md).
FLOOR = 0.55
REFUSED_WEIGHT = 2.0
POWER = 1.0
MIN_REQUESTS = 2
DEFAULT_LEVEL = 1.05  # catastrophic categories
SEVERE_LEVEL = 0.9
BASE = 0.008
KEY_HALF_LIFE_S = 3 * 86_400.0
# Breadth channel, chosen the same way (floor by the training chains caught, level the lowest
# within the false-alert budget; rate the share of benign training requests at the floor).
BREADTH_FLOOR = 0.5
BREADTH_RATE = 0.00743
BREADTH_LEVEL = 8.75
# Composed channel (`watch.compose`): the lowest level within the false-alert budget on the
# training seeds (highest benign key 0.953; 97 training chain runs by the 4th step against 94).
COMPOSED_LEVEL = 0.96
# The composed channel read as a gain (`composed_gain`, off by default; bench/watch/
# DECOMP_RULE_8.md): the joined text's score in a catastrophic category less the highest its
# parts had there alone, so a key whose one request already scores high gains nothing by it.
COMPOSED_GAIN = False
# Anchored channel and per-category levels (branch decomp, bench/watch/DECOMP_RULE_3.md):
# shape explored on the training seeds only (sure point 0.9, floor 0.3, window 3, two more
# requests), level the lowest within the budget (no benign training unit had such a window at
# all: the grid's lowest, 0.01); the catastrophic categories' own levels the lowest within the
# tier's budget (TRAINING_CATEGORY_LEVELS). Together 104 of 176 training chain runs by the 4th
# step against 94, no alert on a benign training key: adopted by the training rule, then
# vetoed by the rule's pre-registered test-seed check (41/64 held-back chains by the 4th step,
# no more than without them; 20 false alerts in 6,824 benign sessions against 5). So both are
# off by default: `anchored=True` turns the channel on with this shape, `category_levels` sets
# the levels (bench/watch/RESULTS.md, section "Tried: anchored").
ANCHORED = False
ANCHOR_SURE = 0.9
ANCHOR_FLOOR = 0.3
ANCHOR_WINDOW = 3
ANCHOR_SUPPORT = 2
ANCHOR_LEVEL = 0.01
# Read in order (`anchor_before`; bench/watch/DECOMP_RULE_4.md): a refusal at 0.88 or more (the
# lowest within the budget on the training seeds) after one earlier request among the unit's
# last six past the hold point (floor 0.5, support 1, level 0.001: any such request). 89 -> 110
# of 176 training chain runs by the 4th step with no benign training alert; on the test seeds
# 47/64 chains (39 without) but 39 false alerts in 6,824 benign sessions (3 without), 37 of them
# from one held-back chemical look-alike chat: its rule missed, so off by default (RESULTS.md,
# section "Tried: ordered").
ANCHOR_BEFORE = False
# Refusals channel (`refusals`; bench/watch/DECOMP_RULE_5.md): a sure refusal is at the tier's
# sure point; rate and level chosen on the training seeds by bench/watch/run.py --refusals
# (rate 0.00291, level 3.75: 89 -> 96 of 176 training chain runs by the 4th step, benign alerts
# 1 -> 1). On the fresh held-out sets no chain more (4/64) and false alerts 1 -> 12 in 7,365
# benign sessions (11 from one chemical look-alike chat refused sure twice), 8 -> 11 in 6,795 on
# fresh2: its rule missed, so off by default (RESULTS.md, section "Tried: refusals").
REFUSALS = False
REFUSAL_SURE = 0.75
REFUSAL_RATE = 0.00291
REFUSAL_LEVEL = float("inf")
# Trajectory channel (`trajectory`; bench/watch/DECOMP_RULE_7.md): what a unit's requests ask
# to do (the sketch's phase flags: acquire, produce, deliver, conceal) beside their scores in a
# catastrophic category. Per category, each phase keeps the highest score of a request that asked
# for it with that category's score at `trajectory_floor` or more; the unit alerts when the
# phases' scores add up to `trajectory_level` with `trajectory_phases` phases or more. Questions
# asked in their askers' own voice score low in the categories one by one (0.37 against 0.62 for
# label-style steps): the screen's scores alone do not part them from a look-alike chat, what
# they ask to do together might.
# Chosen on the training seeds (floor 0.3, 3 phases, conceal required, level 1.65: 110 -> 117 of
# 272 training chain runs by the 4th step, benign alerts 2 -> 2); judged once on fresh4: 0 -> 0
# of 160 chain runs by the 4th step, false alerts 0 -> 2 in 6,615 benign sessions: its rule
# missed, so off by default (RESULTS.md, section "Tried: trajectory").
TRAJECTORY = False
TRAJECTORY_FLOOR = 0.3
TRAJECTORY_PHASES = 2
TRAJECTORY_LEVEL = float("inf")
# With `trajectory_conceal`, only a unit whose phases include keeping it unseen counts (benign
# look-alike chats ask to buy, make and ship things too, for ordinary reasons; hardly ever how to
# do it unnoticed).
TRAJECTORY_CONCEAL = False
# Only a unit's last `trajectory_window` requests count (a busy key gathers every phase in time).
TRAJECTORY_WINDOW = 8
_PHASE_MASK = sum(PHASE_FLAGS)
TRAINING_CATEGORY_LEVELS: Mapping[str, float] = {
    "weapons.bio": 1.02,
    "weapons.chem": 0.93,
    "weapons.nuclear": 0.92,
    "military.targeting": 0.9,
}
# Two hazard requests at least; a key's count decays, so two within a half-life count.
BREADTH_MIN = 1.5
# A prompt sent again (template within NEAR_BITS of one of the unit's last RECENT evidence
# prompts) adds nothing: a batch job repeating one borderline item is not a campaign.
RECENT = 16
NEAR_BITS = 3


class _Evidence:
    __slots__ = (
        "alerted",
        "anchored",
        "blocks",
        "count",
        "count_ts",
        "family",
        "givers",
        "hazard_passed",
        "hazards",
        "passed",
        "recent",
        "seen",
        "sums",
        "trajectory",
        "trajectory_at",
        "ts",
    )

    def __init__(self) -> None:
        self.sums = [0.0] * len(WATCHED)
        self.givers = [0] * len(WATCHED)  # requests that added to each sum
        self.passed = [0] * len(WATCHED)  # ... of them, those the screen let through
        self.count = 0.0  # requests (decayed like the sums), evidence or not
        self.count_ts = 0.0
        self.ts = 0.0
        self.alerted = 0  # bitmap over WATCHED
        self.recent: list[int] = []  # templates that added evidence lately (at most RECENT)
        self.hazards = 0.0  # hazard requests (decayed like the sums)
        self.hazard_passed = 0  # ... of them, those the screen let through
        self.family = [0.0] * len(FAMILY)  # their hazard by family category, to name one
        self.seen = 0  # requests, undecayed: the anchored channel's window counts them
        # The anchored channel's recent evidence: (request number, template, refused, anchor
        # bitmap over the catastrophic categories, gains over them); at most its window (a
        # tuple: the empty one is shared, so a unit with none costs nothing).
        self.anchored: tuple[tuple[int, int, bool, int, tuple[float, ...]], ...] = ()
        # The refusals channel's sure refusals per catastrophic category (decayed like the
        # sums); None until the unit has one, so a unit with none costs nothing.
        self.blocks: list[float] | None = None
        # The trajectory channel's highest score per (catastrophic category, phase), flattened,
        # among the unit's last few requests; None until the unit has one, so a unit with none
        # costs nothing.
        self.trajectory: list[float] | None = None
        self.trajectory_at: list[int] | None = None  # ... and the request number of each


class DecompositionDetector:
    def __init__(
        self,
        *,
        level: float | None = None,
        severe_level: float = SEVERE_LEVEL,
        floor: float = FLOOR,
        base: float = BASE,
        refused_weight: float = REFUSED_WEIGHT,
        power: float = POWER,
        min_requests: int = MIN_REQUESTS,
        breadth_floor: float = BREADTH_FLOOR,
        breadth_rate: float = BREADTH_RATE,
        breadth_level: float = BREADTH_LEVEL,
        composed_level: float = COMPOSED_LEVEL,
        composed_gain: bool = COMPOSED_GAIN,
        category_levels: Mapping[str, float] | None = None,
        anchored: bool = ANCHORED,
        anchor_sure: float = ANCHOR_SURE,
        anchor_floor: float = ANCHOR_FLOOR,
        anchor_window: int = ANCHOR_WINDOW,
        anchor_support: int = ANCHOR_SUPPORT,
        anchor_level: float = ANCHOR_LEVEL,
        anchor_before: bool = ANCHOR_BEFORE,
        refusals: bool = REFUSALS,
        refusal_sure: float = REFUSAL_SURE,
        refusal_rate: float = REFUSAL_RATE,
        refusal_level: float = REFUSAL_LEVEL,
        trajectory: bool = TRAJECTORY,
        trajectory_floor: float = TRAJECTORY_FLOOR,
        trajectory_phases: int = TRAJECTORY_PHASES,
        trajectory_level: float = TRAJECTORY_LEVEL,
        trajectory_conceal: bool = TRAJECTORY_CONCEAL,
        trajectory_window: int = TRAJECTORY_WINDOW,
        max_units: int = 500_000,
        record_peaks: bool = False,
    ) -> None:
        self.level = DEFAULT_LEVEL if level is None else level  # catastrophic categories
        self.severe_level = severe_level
        self.category_levels = dict(category_levels or {})
        unknown = set(self.category_levels) - {WATCHED[i] for i in _CATASTROPHIC}
        if unknown:
            raise ValueError(f"category_levels: not a catastrophic category: {sorted(unknown)}")
        self._levels = [
            self.category_levels.get(c, self.level)
            if category(c).tier is Tier.CATASTROPHIC
            else severe_level
            for c in WATCHED
        ]
        self.floor = floor
        self.base = base
        self.refused_weight = refused_weight
        self.power = power
        self.min_requests = min_requests
        self.breadth_floor = breadth_floor
        self.breadth_rate = breadth_rate
        self.breadth_level = breadth_level
        self.composed_level = composed_level
        self.composed_gain = composed_gain
        self.anchor_sure: float | None = anchor_sure if anchored else None
        self.anchor_floor = anchor_floor
        self.anchor_window = anchor_window
        self.anchor_support = anchor_support
        self.anchor_level = anchor_level
        self.anchor_before = anchor_before
        self.refusal_sure: float | None = refusal_sure if refusals else None
        self.refusal_rate = refusal_rate
        self.refusal_level = refusal_level
        self.trajectory = trajectory
        self.trajectory_floor = trajectory_floor
        self.trajectory_phases = trajectory_phases
        self.trajectory_level = trajectory_level
        self.trajectory_conceal = trajectory_conceal
        self.trajectory_window = trajectory_window
        # Each (unit kind, unit, category)'s highest sum, for choosing the level (unbounded);
        # category "breadth" for the breadth channel's score.
        self.peaks: dict[tuple[str, int, str], float] | None = {} if record_peaks else None
        self._sessions: Units[_Evidence] = Units(_Evidence, max_units)
        self._keys: Units[_Evidence] = Units(_Evidence, max_units)

    def observe(self, sketch: Sketch) -> Alert | None:
        key_state = self._keys.get(sketch.key)
        session_state = self._sessions.get(sketch.session)
        self._count(key_state, sketch.ts, KEY_HALF_LIFE_S)
        self._count(session_state, sketch.ts, None)
        gains = self.gains(sketch)
        # The harm bounds the hazard: most requests are settled without the category sums.
        hazard = family_hazard(sketch) if sketch.harm >= self.breadth_floor * 255 else 0.0
        if hazard < self.breadth_floor:
            hazard = 0.0
        anchored = self._anchored_gains(sketch)
        if anchored is not None:
            self._remember(session_state, sketch, anchored)
            self._remember(key_state, sketch, anchored)
        steps = self._steps(sketch)
        if steps is not None:
            _step(session_state, steps, self.trajectory_window)
            _step(key_state, steps, self.trajectory_window)
            self._record_trajectory("session", sketch.session, session_state)
            self._record_trajectory("key", sketch.key, key_state)
        if not any(gains) and not hazard:
            return (self._anchors(session_state, key_state, sketch) if anchored else None) or (
                self._trajectories(session_state, key_state, sketch) if steps else None
            )
        block = self.sure_refusal(sketch)
        session = self._add(session_state, gains, hazard, sketch, None, block)
        key = self._add(key_state, gains, hazard, sketch, KEY_HALF_LIFE_S, block)
        self._record("session", sketch.session, session)
        self._record("key", sketch.key, key)
        # One alert a request: a key crossing shadowed here is raised with its next evidence.
        # A session's alert marks its key too, so a key hears of each category once.
        return (
            self._crossed(session, "session", sketch.session, sketch, key)
            or self._crossed(key, "key", sketch.key, sketch, None)
            or self._broad(session, "session", sketch.session, sketch, key)
            or self._broad(key, "key", sketch.key, sketch, None)
            or (self._refused(session, "session", sketch.session, sketch, key) if block else None)
            or (self._refused(key, "key", sketch.key, sketch, None) if block else None)
            or (self._anchors(session_state, key_state, sketch) if anchored else None)
            or (self._trajectories(session_state, key_state, sketch) if steps else None)
        )

    # --- the trajectory channel ----------------------------------------------------------
    def _steps(self, sketch: Sketch) -> list[float] | None:
        """The request's contribution to the trajectory state: its score in each catastrophic
        category at the floor or more, at each phase it asks for (flattened category by
        phase), or None when it brings none (or the channel is off)."""
        phases = sketch.flags & _PHASE_MASK
        if not self.trajectory or not phases:
            return None
        floor = self.trajectory_floor * 255
        out = [0.0] * (len(_CATASTROPHIC) * len(PHASE_FLAGS))
        found = False
        for j, i in enumerate(_CATASTROPHIC):
            score = sketch.scores[_INDEX[i]]
            if score < floor:
                continue
            for p, flag in enumerate(PHASE_FLAGS):
                if phases & flag:
                    out[j * len(PHASE_FLAGS) + p] = score / 255
                    found = True
        return out if found else None

    def trajectory_score(self, state: _Evidence, j: int) -> tuple[float, int]:
        """In catastrophic category `j` (an index into the catastrophic categories): the sum of
        the unit's phases' scores and how many phases it has (none unless two requests or more
        asked for them, nor without the conceal phase when `trajectory_conceal` asks for it)."""
        if state.trajectory is None or state.trajectory_at is None:
            return 0.0, 0
        start = state.seen - self.trajectory_window
        cut = slice(j * len(PHASE_FLAGS), (j + 1) * len(PHASE_FLAGS))
        row = [
            v if at > start else 0.0
            for v, at in zip(state.trajectory[cut], state.trajectory_at[cut], strict=True)
        ]
        if self.trajectory_conceal and not row[PHASE_FLAGS.index(FLAG_CONCEAL)]:
            return 0.0, 0
        asked = {at for v, at in zip(row, state.trajectory_at[cut], strict=True) if v > 0}
        if len(asked) < 2:  # a plan asked in pieces: one request naming every phase is not one
            return 0.0, 0
        return sum(row), sum(1 for v in row if v > 0)

    def _record_trajectory(self, kind: str, unit: int, state: _Evidence) -> None:
        if self.peaks is None:
            return
        for j in range(len(_CATASTROPHIC)):
            score, phases = self.trajectory_score(state, j)
            if phases >= self.trajectory_phases:
                peak = (kind, unit, "trajectory")
                self.peaks[peak] = max(score, self.peaks.get(peak, 0.0))

    def _trajectories(self, session: _Evidence, key: _Evidence, sketch: Sketch) -> Alert | None:
        return self._trajectory(session, "session", sketch.session, sketch, key) or (
            self._trajectory(key, "key", sketch.key, sketch, None)
        )

    def _trajectory(
        self, state: _Evidence, kind: str, unit: int, sketch: Sketch, key: _Evidence | None
    ) -> Alert | None:
        """`key`: the session's key state (None for a key), told once for the two."""
        for j, i in _untold(state, key):
            score, phases = self.trajectory_score(state, j)
            if phases < self.trajectory_phases or score < self.trajectory_level:
                continue
            cat = category(WATCHED[i])
            return _told_alert(
                state,
                key,
                i,
                (kind, unit, sketch),
                (score, self.trajectory_level),
                {"phases": phases, "passed_evidence_requests": state.passed[i]},
                (
                    f"{cat.name_en}: requests of this {kind} with some score in this category "
                    f"ask for {phases} steps of a plan (getting hold of something, making it, "
                    f"getting it to a target, keeping it unseen; score {score:.2f}, level "
                    f"{self.trajectory_level})",
                    f"{cat.name_ja}：この{_ja(kind)}で、このカテゴリにスコアのある要求が計画の "
                    f"{phases} 段階（入手、製造、目標への到達、隠蔽）を尋ねている（スコア "
                    f"{score:.2f}、基準 {self.trajectory_level}）",
                ),
            )
        return None

    def composed(
        self,
        sketch: Sketch,
        scores: Mapping[str, float],
        *,
        texts: int,
        passed: int,
        parts: Mapping[str, float] | None = None,
    ) -> Alert | None:
        """The key's composed reading (`watch.compose`): its last `texts` evidence requests (of
        which `passed` got through the screen) joined, as the screen scores them. Alerts once per
        category (with the other channels) when their top catastrophic score reaches the level;
        with `composed_gain`, when the joined score less the highest of its `parts` alone (per
        category) does, in the category where it gained most."""
        given = parts or {}

        def reading(i: int) -> float:
            joined = scores.get(WATCHED[i], 0.0)
            return joined - given.get(WATCHED[i], 0.0) if self.composed_gain else joined

        top = max(_CATASTROPHIC, key=reading)
        score = reading(top)
        if self.peaks is not None:
            unit = ("key", sketch.key, "composed")
            self.peaks[unit] = max(score, self.peaks.get(unit, 0.0))
        state = self._keys.get(sketch.key)
        if score < self.composed_level or state.alerted & (1 << top):
            return None
        _tell(state, None, top)
        cat = category(WATCHED[top])
        return Alert(
            detector=NAME,
            unit=unit_name("key", sketch.key),
            ts=sketch.ts,
            score=round(score, 3),
            level=self.composed_level,
            action=WatchAction.HOLD if passed >= 2 else WatchAction.ALERT,
            features={
                "composed_requests": texts,
                "passed_composed_requests": passed,
                **{c: round(scores[c], 3) for c in WATCHED if scores.get(c, 0.0) > 0},
            },
            reason_en=(
                f"{cat.name_en}: this key's last {texts} requests with evidence, read together, "
                f"{'gain over the requests alone' if self.composed_gain else 'score'} "
                f"{score:.2f} (level {self.composed_level})"
            ),
            reason_ja=(
                f"{cat.name_ja}：このキーの証拠のある直近 {texts} 件の要求をまとめて読むと"
                f"{'単独の要求からの上昇' if self.composed_gain else 'スコア'} "
                f"{score:.2f}（基準 {self.composed_level}）"
            ),
            category=cat.id,
            keys=(sketch.key,),
        )

    def gains(self, sketch: Sketch) -> list[float]:
        """The evidence `sketch` adds to each watched category (a refused one weighted)."""
        weight = self.refused_weight if sketch.has(FLAG_REFUSED) else 1.0
        return [
            weight * max(0.0, sketch.scores[i] / 255 - self.floor) ** self.power for i in _INDEX
        ]

    def _record(self, kind: str, unit: int, state: _Evidence) -> None:
        if self.peaks is None:
            return
        for i, (cid, total) in enumerate(zip(WATCHED, self._excess(state), strict=True)):
            if total > 0 and state.givers[i] >= self.min_requests:
                self.peaks[(kind, unit, cid)] = max(total, self.peaks.get((kind, unit, cid), 0.0))
        if state.blocks is not None:
            for j, refusals in enumerate(state.blocks):
                if refusals >= BREADTH_MIN:
                    peak = (kind, unit, "refusals")
                    score = self._refusal_surprise(state, j)
                    self.peaks[peak] = max(score, self.peaks.get(peak, 0.0))
        if state.hazards >= BREADTH_MIN:
            score = self._surprise(state)
            self.peaks[(kind, unit, "breadth")] = max(
                score, self.peaks.get((kind, unit, "breadth"), 0.0)
            )

    @staticmethod
    def _add(
        state: _Evidence,
        gains: list[float],
        hazard: float,
        sketch: Sketch,
        half_life: float | None,
        block: int = 0,
    ) -> _Evidence:
        """`block`: the request's sure-refusal bitmap over the catastrophic categories."""
        if any(hamming(sketch.template, t) <= NEAR_BITS for t in state.recent):
            return state
        state.recent = [*state.recent[-(RECENT - 1) :], sketch.template]
        keep = 1.0 if half_life is None else math.exp2(-max(0.0, sketch.ts - state.ts) / half_life)
        state.sums = [s * keep + g for s, g in zip(state.sums, gains, strict=True)]
        state.givers = [n + (g > 0) for n, g in zip(state.givers, gains, strict=True)]
        passed = not sketch.has(FLAG_REFUSED)
        if passed:
            state.passed = [n + (g > 0) for n, g in zip(state.passed, gains, strict=True)]
        if state.blocks is not None or block:
            blocks = state.blocks or [0.0] * len(_CATASTROPHIC)
            state.blocks = [b * keep + (block >> j & 1) for j, b in enumerate(blocks)]
        state.hazards *= keep
        if hazard:
            state.hazards += 1
            state.hazard_passed += passed
            mass = sum(sketch.scores[i] for i in _FAMILY_INDEX) or 1
            state.family = [
                f * keep + hazard * sketch.scores[i] / mass
                for f, i in zip(state.family, _FAMILY_INDEX, strict=True)
            ]
        state.ts = sketch.ts
        return state

    @staticmethod
    def _count(state: _Evidence, ts: float, half_life: float | None) -> None:
        keep = 1.0 if half_life is None else math.exp2(-max(0.0, ts - state.count_ts) / half_life)
        state.count = state.count * keep + 1
        state.count_ts = ts
        state.seen += 1

    # --- the anchored channel ------------------------------------------------------------
    def _anchored_gains(self, sketch: Sketch) -> tuple[int, tuple[float, ...]] | None:
        """(anchor bitmap, gains over the catastrophic categories at `anchor_floor`), or None
        when the request brings none (or the channel is off)."""
        if self.anchor_sure is None:
            return None
        scores = [sketch.scores[_INDEX[i]] / 255 for i in _CATASTROPHIC]
        gains = tuple(max(0.0, s - self.anchor_floor) for s in scores)
        if not any(gains):
            return None
        anchors = 0
        if sketch.has(FLAG_REFUSED):
            top = max(range(len(scores)), key=scores.__getitem__)
            if scores[top] >= self.anchor_sure:
                anchors = 1 << top
        return anchors, gains

    def _remember(
        self, state: _Evidence, sketch: Sketch, anchored: tuple[int, tuple[float, ...]]
    ) -> None:
        """The request enters the unit's window (a near-duplicate of one there does not)."""
        start = state.seen - self.anchor_window
        window = tuple(e for e in state.anchored if e[0] > start)
        if any(hamming(sketch.template, e[1]) <= NEAR_BITS for e in window):
            state.anchored = window
            return
        anchors, gains = anchored
        state.anchored = (
            *window,
            (state.seen, sketch.template, sketch.has(FLAG_REFUSED), anchors, gains),
        )

    def _anchors(self, session: _Evidence, key: _Evidence, sketch: Sketch) -> Alert | None:
        return self._anchor(session, "session", sketch.session, sketch, key) or self._anchor(
            key, "key", sketch.key, sketch, None
        )

    def _anchor_support(self, state: _Evidence, j: int) -> tuple[float, int, int, float] | None:
        """In catastrophic category `j` (an index into the catastrophic categories): the unit's
        window's evidence beside its anchor (sum, requests, passed requests, the anchor's score),
        or None when the window holds no anchor there. The anchor is the strongest one; with
        `anchor_before`, the one with the most evidence before it (only earlier requests count)."""
        start = state.seen - self.anchor_window
        window = [e for e in state.anchored if e[0] > start]
        anchors = [e for e in window if e[3] & (1 << j)]
        if not anchors:
            return None
        if self.anchor_before:
            return max(_beside(window, anchor, j, before=True) for anchor in anchors)
        return _beside(window, max(anchors, key=lambda e: e[4][j]), j, before=False)

    def _anchor(
        self, state: _Evidence, kind: str, unit: int, sketch: Sketch, key: _Evidence | None
    ) -> Alert | None:
        """`key`: the session's key state (None for a key), told once for the two."""
        for j, i in _untold(state, key):
            found = self._anchor_support(state, j)
            if found is None:
                continue
            total, supports, passed, sure = found
            if self.peaks is not None and supports >= self.anchor_support:
                peak = (kind, unit, "anchored")
                self.peaks[peak] = max(total, self.peaks.get(peak, 0.0))
                if total > 0:  # the anchor's own score, for choosing `anchor_sure`
                    peak = (kind, unit, "anchored_sure")
                    score = sure + self.anchor_floor
                    self.peaks[peak] = max(score, self.peaks.get(peak, 0.0))
            if supports < self.anchor_support or total < self.anchor_level:
                continue
            _tell(state, key, i)
            cat = category(WATCHED[i])
            reason_en, reason_ja = self._anchor_reasons(cat, kind, supports, total, sure)
            return Alert(
                detector=NAME,
                unit=unit_name(kind, unit),
                ts=sketch.ts,
                score=round(total, 3),
                level=self.anchor_level,
                action=WatchAction.HOLD if passed >= 2 else WatchAction.ALERT,
                features={
                    "anchored_requests": supports + 1,
                    "passed_supporting_requests": passed,
                    "window": self.anchor_window,
                    "refused_score": round(sure + self.anchor_floor, 3),
                },
                reason_en=reason_en,
                reason_ja=reason_ja,
                category=cat.id,
                keys=(sketch.key,),
            )
        return None

    def _anchor_reasons(
        self, cat: Category, kind: str, supports: int, total: float, sure: float
    ) -> tuple[str, str]:
        """The anchored alert's explanation, (English, Japanese)."""
        where = "セッション" if kind == "session" else "キー"
        if self.anchor_before:
            score = sure + self.anchor_floor
            return (
                f"{cat.name_en}: the screen refused a request of this {kind} sure in this "
                f"category (score {score:.2f}, level {self.anchor_sure}) after {supports} "
                f"earlier request(s) among its last {self.anchor_window} with evidence in the "
                f"same category: a question asked in pieces, escalated to the key",
                f"{cat.name_ja}：この{where}で、同じカテゴリに証拠のある要求が直近 "
                f"{self.anchor_window} 件のうちに {supports} 件あった後、スクリーンがこの"
                f"カテゴリで確度の高い要求を拒否した（スコア {score:.2f}、基準 "
                f"{self.anchor_sure}）：分割された質問として、キーに段階を上げる",
            )
        return (
            f"{cat.name_en}: a request the screen refused, sure in this category, and "
            f"{supports} more among this {kind}'s last {self.anchor_window} "
            f"requests in the same category (evidence {total:.2f}, level "
            f"{self.anchor_level})",
            f"{cat.name_ja}：スクリーンが拒否した確度の高い要求に加え、この{where}の"
            f"直近 {self.anchor_window} 件の要求のうち {supports} 件が同じカテゴリに"
            f"寄っている（証拠 {total:.2f}、基準 {self.anchor_level}）",
        )

    def _excess(self, state: _Evidence) -> list[float]:
        """The sums less what the unit's request count gathers by chance."""
        return [s - self.base * state.count for s in state.sums]

    def _surprise(self, state: _Evidence) -> float:
        """How unlikely the unit's hazard requests are by chance: the Poisson log-likelihood
        ratio of `hazards` against `breadth_rate` times the request count (0 at or below it)."""
        return surprise(state.hazards, self.breadth_rate * state.count)

    # --- the refusals channel ------------------------------------------------------------
    def sure_refusal(self, sketch: Sketch) -> int:
        """The request's sure refusal as a bitmap over the catastrophic categories: its top
        one, when the screen refused it there at `refusal_sure` or more (0: none, or off)."""
        if self.refusal_sure is None or not sketch.has(FLAG_REFUSED):
            return 0
        scores = [sketch.scores[_INDEX[i]] for i in _CATASTROPHIC]
        top = max(range(len(scores)), key=scores.__getitem__)
        return 1 << top if scores[top] >= self.refusal_sure * 255 else 0

    def _refusal_surprise(self, state: _Evidence, j: int) -> float:
        """How unlikely the unit's sure refusals in catastrophic category `j` are by chance."""
        assert state.blocks is not None
        return surprise(state.blocks[j], self.refusal_rate * state.count)

    def _refused(
        self, state: _Evidence, kind: str, unit: int, sketch: Sketch, key: _Evidence | None
    ) -> Alert | None:
        """`key`: the session's key state (None for a key), told once for the two."""
        if state.blocks is None:
            return None
        for j, i in _untold(state, key):
            refusals = state.blocks[j]
            if refusals < BREADTH_MIN:
                continue
            score = self._refusal_surprise(state, j)
            if score < self.refusal_level:
                continue
            expected = self.refusal_rate * state.count
            shown = round(refusals, 1)
            cat = category(WATCHED[i])
            return _told_alert(
                state,
                key,
                i,
                (kind, unit, sketch),
                (score, self.refusal_level),
                {
                    "requests": round(state.count, 1),
                    "sure_refusals": shown,
                    "expected_by_chance": round(expected, 3),
                    "passed_evidence_requests": state.passed[i],
                },
                (
                    f"{cat.name_en}: the screen refused {shown:g} distinct requests of this "
                    f"{kind} sure in this category, where chance gives {expected:.2f} "
                    f"(score {score:.2f}, level {self.refusal_level})",
                    f"{cat.name_ja}：この{_ja(kind)}の異なる要求 {shown:g} 件を、スクリーンが"
                    f"このカテゴリで確度高く拒否した（偶然なら {expected:.2f} 件、"
                    f"スコア {score:.2f}、基準 {self.refusal_level}）",
                ),
            )
        return None

    def _broad(
        self, state: _Evidence, kind: str, unit: int, sketch: Sketch, key: _Evidence | None
    ) -> Alert | None:
        """`key`: the session's key state (None for a key), told once for the two."""
        if _told(state, key) & (1 << _BREADTH) or state.hazards < BREADTH_MIN:
            return None
        score = self._surprise(state)
        if score < self.breadth_level:
            return None
        _tell(state, key, _BREADTH)
        top = max(range(len(FAMILY)), key=state.family.__getitem__)
        cat = category(FAMILY[top])
        hazards = round(state.hazards, 1)
        return Alert(
            detector=NAME,
            unit=unit_name(kind, unit),
            ts=sketch.ts,
            score=round(score, 3),
            level=self.breadth_level,
            action=WatchAction.HOLD if state.hazard_passed >= 2 else WatchAction.ALERT,
            features={
                "requests": round(state.count, 1),
                "hazard_requests": hazards,
                "passed_hazard_requests": state.hazard_passed,
                "expected_by_chance": round(self.breadth_rate * state.count, 3),
                **{FAMILY[j]: round(f, 3) for j, f in enumerate(state.family) if f > 0},
            },
            reason_en=(
                f"weapons family (mostly {cat.name_en}): {hazards:g} requests in this {kind} "
                f"lean there, where chance gives {self.breadth_rate * state.count:.2f} "
                f"(score {score:.2f}, level {self.breadth_level})"
            ),
            reason_ja=(
                f"兵器関連（主に{cat.name_ja}）：この"
                f"{'セッション' if kind == 'session' else 'キー'}で {hazards:g} 件の要求が"
                f"この方向に寄っている（偶然なら {self.breadth_rate * state.count:.2f} 件、"
                f"スコア {score:.2f}、基準 {self.breadth_level}）"
            ),
            category=cat.id,
            keys=(sketch.key,),
        )

    def _crossed(
        self, state: _Evidence, kind: str, unit: int, sketch: Sketch, key: _Evidence | None
    ) -> Alert | None:
        """`key`: the session's key state (None for a key), told once for the two."""
        alerted = _told(state, key)
        for i, total in enumerate(self._excess(state)):
            if total < self._levels[i] or alerted & (1 << i):
                continue
            if state.givers[i] < self.min_requests:
                continue
            level = self._levels[i]
            _tell(state, key, i)
            cat = category(WATCHED[i])
            return Alert(
                detector=NAME,
                unit=unit_name(kind, unit),
                ts=sketch.ts,
                score=round(total, 3),
                level=level,
                # Held for review when hazard got through in pieces (two passed requests or
                # more); evidence the screen already stopped is an alert only.
                action=WatchAction.HOLD
                if cat.tier is Tier.CATASTROPHIC and state.passed[i] >= 2
                else WatchAction.ALERT,
                features={
                    "requests": round(state.count, 1),
                    "evidence_requests": state.givers[i],
                    "passed_evidence_requests": state.passed[i],
                    **{WATCHED[j]: round(s, 3) for j, s in enumerate(state.sums) if s > 0},
                },
                reason_en=(
                    f"{cat.name_en}: evidence {total:.2f} accumulated over requests in this "
                    f"{kind} (level {level})"
                ),
                reason_ja=(
                    f"{cat.name_ja}：要求の積み重ねで証拠が {total:.2f} に達した"
                    f"（{'セッション' if kind == 'session' else 'キー'}単位、基準 {level}）"
                ),
                category=cat.id,
                keys=(sketch.key,),
            )
        return None


def _beside(
    window: list[tuple[int, int, bool, int, tuple[float, ...]]],
    anchor: tuple[int, int, bool, int, tuple[float, ...]],
    j: int,
    *,
    before: bool,
) -> tuple[float, int, int, float]:
    """The evidence in catastrophic category `j` of the window's other requests (those before
    the anchor only, when `before`): (sum, requests, passed requests, the anchor's gain)."""
    others = [
        e for e in window if e is not anchor and e[4][j] > 0 and (not before or e[0] < anchor[0])
    ]
    return (
        sum(e[4][j] for e in others),
        len(others),
        sum(1 for e in others if not e[2]),
        anchor[4][j],
    )


def _step(state: _Evidence, steps: list[float], window: int) -> None:
    """The request's phases enter the unit's trajectory state: each (category, phase) keeps the
    highest score among the unit's last `window` requests (an older one is replaced)."""
    if state.trajectory is None:
        # a copy: the session and its key may both start here, and each keeps its own
        state.trajectory = list(steps)
        state.trajectory_at = [state.seen if v else 0 for v in steps]
        return
    assert state.trajectory_at is not None
    start = state.seen - window
    for n, (v, at, new) in enumerate(
        zip(state.trajectory, state.trajectory_at, steps, strict=True)
    ):
        if new and (at <= start or new >= v):
            state.trajectory[n] = new
            state.trajectory_at[n] = state.seen


def _told(state: _Evidence, key: _Evidence | None) -> int:
    """The alert bits a unit has raised; a session's include its key's (told once for both)."""
    return state.alerted | (key.alerted if key is not None else 0)


def _told_alert(
    state: _Evidence,
    key: _Evidence | None,
    i: int,
    where: tuple[str, int, Sketch],
    score: tuple[float, float],
    features: Mapping[str, float],
    reasons: tuple[str, str],
) -> Alert:
    """Watched category `i`'s alert for a unit (`where`: its kind, id and the request; `score`:
    the channel's score and level; `reasons`: English, Japanese), told once with its key: held
    for review when two of the unit's evidence requests there got through the screen."""
    kind, unit, sketch = where
    _tell(state, key, i)
    return Alert(
        detector=NAME,
        unit=unit_name(kind, unit),
        ts=sketch.ts,
        score=round(score[0], 3),
        level=score[1],
        action=WatchAction.HOLD if state.passed[i] >= 2 else WatchAction.ALERT,
        features=features,
        reason_en=reasons[0],
        reason_ja=reasons[1],
        category=WATCHED[i],
        keys=(sketch.key,),
    )


def _ja(kind: str) -> str:
    """A unit's kind in Japanese."""
    return "セッション" if kind == "session" else "キー"


def _untold(state: _Evidence, key: _Evidence | None) -> list[tuple[int, int]]:
    """The catastrophic categories the unit (with its key, for a session) has not raised yet, as
    (index among the catastrophic categories, index among the watched ones)."""
    alerted = _told(state, key)
    return [(j, i) for j, i in enumerate(_CATASTROPHIC) if not alerted & (1 << i)]


def _tell(state: _Evidence, key: _Evidence | None, bit: int) -> None:
    state.alerted |= 1 << bit
    if key is not None:
        key.alerted |= 1 << bit


def surprise(k: float, expected: float) -> float:
    """The Poisson log-likelihood ratio of `k` events where chance gives `expected` (0 at or
    below it): how unlikely a unit's count is by chance."""
    expected = max(expected, 1e-9)
    return k * math.log(k / expected) - (k - expected) if k > expected else 0.0


def family_hazard(sketch: Sketch) -> float:
    """The request's harm times the share of its category scores in the weapons family."""
    total = sum(sketch.scores[i] for i in _CATEGORY_INDEX)
    if not total:
        return 0.0
    return sketch.harm / 255 * sum(sketch.scores[i] for i in _FAMILY_INDEX) / total


@DETECTORS.register(NAME)
def _make(*, level: float | None = None) -> DecompositionDetector:
    return DecompositionDetector(level=level)
