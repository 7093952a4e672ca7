"""The watch detectors on hand-built sketch streams: each fires on its pattern and not on the
benign look-alike of it, names the features that drove it, and keeps bounded state."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from sekimori.settings import DecompositionSettings
from sekimori.watch.detectors import DETECTORS, Alert, WatchAction, decomposition
from sekimori.watch.detectors.base import Units
from sekimori.watch.detectors.coordinated import CoordinatedDetector
from sekimori.watch.detectors.decomposition import WATCHED, DecompositionDetector
from sekimori.watch.detectors.distillation import DistillationDetector
from sekimori.watch.detectors.extraction import ExtractionDetector
from sekimori.watch.sketch import (
    FLAG_ACQUIRE,
    FLAG_CONCEAL,
    FLAG_DELIVER,
    FLAG_EXTRACTION,
    FLAG_FINGERPRINT,
    FLAG_PRODUCE,
    SamplingParams,
    Sketch,
    TextFeatures,
    make_sketch,
)

DAY = 86_400.0


def _sketch(
    rng: random.Random,
    ts: float,
    key: str,
    *,
    session: str = "s",
    template: int | None = None,
    reasoning: int = 0,
    flags: int = 0,
    params: SamplingParams | None = None,
    categories: dict[str, float] | None = None,
    refused: bool = False,
    harm: float | None = None,
) -> Sketch:
    features = TextFeatures(
        template=rng.getrandbits(64) if template is None else template,
        topic=rng.randbytes(16),
        prompt_chars=200,
        reasoning=reasoning,
        flags=flags,
    )
    return make_sketch(
        features,
        ts=ts,
        key=key,
        tenant=key,
        session=session,
        harm=max((categories or {}).values(), default=0.0) if harm is None else harm,
        categories=categories or {},
        params=params or SamplingParams(),
        lang="en",
        answer_chars=2000,
        refused=refused,
    )


def test_every_detector_is_registered() -> None:
    assert DETECTORS.names() == ["coordinated", "decomposition", "distillation", "extraction"]


def test_distillation_flags_a_full_speed_key_not_a_template_pipeline() -> None:
    rng = random.Random(1)
    detector = DistillationDetector(level=0.6)
    params = SamplingParams(temperature=1.0, logprobs=True, top_logprobs=5, max_tokens=4096)
    alerts = [
        detector.observe(_sketch(rng, DAY * i / 3000, "distiller", reasoning=1, params=params))
        for i in range(3000)
    ]
    found = [a for a in alerts if a is not None]
    assert len(found) == 1  # once a day
    assert found[0].action is WatchAction.THROTTLE
    assert found[0].features["reasoning_share"] == 1.0
    assert "distillation" in found[0].reason_en and "蒸留" in found[0].reason_ja
    # A pipeline: the same template (a few bits apart) 5,000 times with log-probabilities.
    pipeline = DistillationDetector(level=0.6)
    base = rng.getrandbits(64)
    assert not any(
        pipeline.observe(
            _sketch(
                rng, DAY * i / 5000, "pipe", template=base ^ (1 << rng.randrange(8)), params=params
            )
        )
        for i in range(5000)
    )


def test_distillation_tells_a_benchmark_burst_from_a_script_that_keeps_going() -> None:
    """The same 1,500 broad, fresh, reasoning-eliciting prompts a day: sent in one hour and then
    silence (an evaluation team's run), or spread over the day (a harvesting script)."""
    rng = random.Random(4)
    params = SamplingParams(temperature=0.0, logprobs=True, max_tokens=1024)

    def alerts(span_s: float) -> list[float]:
        detector = DistillationDetector(level=0.4)
        found = []
        for i in range(1_500):
            alert = detector.observe(
                _sketch(rng, span_s * i / 1_500, "k", reasoning=1, params=params)
            )
            if alert is not None:
                found.append(alert.features["active_hours"])
        return found

    assert alerts(3_600.0) == []
    (hours,) = alerts(DAY - 1)
    assert hours >= 8  # found once the day was long past a burst


def test_decomposition_adds_up_steps_across_sessions_of_one_key() -> None:
    rng = random.Random(2)
    detector = DecompositionDetector(
        level=0.8, floor=0.1, base=0.0, power=1.0
    )  # base: the next test
    steps = [0.3, 0.35, 0.3, 0.4]  # each passes alone; together they cross the level
    alerts = [
        detector.observe(
            _sketch(rng, 3600.0 * i, "k", session=f"s{i % 2}", categories={"weapons.chem": s})
        )
        for i, s in enumerate(steps)
    ]
    assert alerts[:3] == [None, None, None]
    alert = alerts[3]
    assert alert is not None and alert.category == "weapons.chem"
    assert alert.unit.startswith("key:") and alert.action is WatchAction.HOLD
    assert alert.features["weapons.chem"] >= 0.8


def test_decomposition_ignores_low_scores_and_weighs_refused_steps() -> None:
    rng = random.Random(3)
    # The category sums alone (five refused near-certain steps are the breadth channel's, and
    # the anchored channel's).
    detector = DecompositionDetector(
        level=0.8,
        floor=0.1,
        refused_weight=0.0,
        power=1.0,
        breadth_level=float("inf"),
        anchored=False,
    )
    for i in range(200):
        assert detector.observe(_sketch(rng, i, "k", categories={"weapons.bio": 0.09})) is None
    for i in range(5):
        refused = _sketch(rng, 300 + i, "k", categories={"weapons.bio": 0.99}, refused=True)
        assert detector.observe(refused) is None  # weight 0: refused steps give nothing
    # Weighed, a refused step counts; with min_requests 2 one alone is not enough.
    # (base 0: the default, the mean gain of a benign request, is chosen on simulated traffic)
    detector = DecompositionDetector(
        level=0.8, floor=0.1, base=0.0, refused_weight=2.0, min_requests=2, power=1.0
    )
    first = _sketch(rng, 0, "k2", categories={"weapons.bio": 0.7}, refused=True)
    assert detector.observe(first) is None
    alert = detector.observe(_sketch(rng, 60, "k2", categories={"weapons.bio": 0.2}))
    assert alert is not None and alert.unit.startswith("session:")
    # One of the two was stopped by the screen: an alert, not a hold (that needs two passed).
    assert alert.action is WatchAction.ALERT and alert.features["passed_evidence_requests"] == 1
    # (scores kept to a byte)
    assert alert.score == pytest.approx(2 * (0.7 - 0.1) + (0.2 - 0.1), abs=0.02)


def test_decomposition_holds_catastrophic_categories_to_a_lower_level() -> None:
    rng = random.Random(5)
    detector = DecompositionDetector(level=0.5, severe_level=2.0, floor=0.1, power=1.0)
    for i, cid in enumerate(("cyber.offense", "cyber.offense")):
        assert detector.observe(_sketch(rng, i, "k", categories={cid: 0.5})) is None
    alerts = [
        detector.observe(_sketch(rng, 10 + i, "k", categories={"weapons.nuclear": 0.45}))
        for i in range(2)
    ]
    assert alerts[0] is None and alerts[1] is not None
    assert (alerts[1].category, alerts[1].level) == ("weapons.nuclear", 0.5)


# A step the classifier is sure is harmful but splits between explosives, chemicals and crime.
SPREAD = {"weapons.conventional": 0.36, "weapons.chem": 0.22, "crime.nonviolent": 0.06}


def _breadth(**levels: float) -> DecompositionDetector:
    return DecompositionDetector(
        level=0.55, floor=0.3, breadth_floor=0.5, breadth_rate=0.005, **levels
    )


def test_decomposition_breadth_counts_steps_spread_over_the_weapons_family() -> None:
    def steps(detector: DecompositionDetector) -> list[object]:
        rng = random.Random(11)
        return [
            detector.observe(
                _sketch(rng, 600.0 * i, "k", categories=SPREAD, harm=0.85, refused=True)
            )
            for i in range(3)
        ]

    # Each category alone gathers too little (conventional 2 x 0.06 a step, chemical nothing).
    assert steps(_breadth(breadth_level=float("inf"))) == [None, None, None]
    alerts = steps(_breadth(breadth_level=6.0))
    assert alerts[0] is None  # one request is the strength channel's business
    alert = alerts[1]
    assert isinstance(alert, Alert) and alert.unit.startswith("session:")
    assert alert.category == "weapons.conventional" and alert.level == 6.0
    assert alert.features["hazard_requests"] == 2
    assert alert.features["weapons.chem"] > 0  # the family share it was spread over
    assert alert.action is WatchAction.ALERT  # both were refused: nothing got through to hold
    assert "weapons family" in alert.reason_en and "兵器" in alert.reason_ja
    # The key crossed too, but its session's alert stood for it: not raised again.
    assert alerts[2] is None


def test_decomposition_tells_a_key_of_each_category_once() -> None:
    rng = random.Random(14)
    detector = DecompositionDetector(
        level=0.8, floor=0.1, base=0.0, power=1.0, breadth_level=float("inf")
    )

    def chat(session: str, start: float) -> list[Alert | None]:
        return [
            detector.observe(
                _sketch(
                    rng, start + 60.0 * i, "k", session=session, categories={"weapons.chem": 0.5}
                )
            )
            for i in range(3)
        ]

    first = chat("s1", 0.0)
    assert first[:1] == [None] and isinstance(first[1], Alert)
    assert first[1].unit.startswith("session:") and first[1].category == "weapons.chem"
    # The key's own sum crosses at once, and a second chat crosses in its session: both would
    # repeat the first alert, so neither is raised.
    assert first[2] is None and chat("s2", 3_600.0) == [None, None, None]
    # Another category is news.
    other = [
        detector.observe(
            _sketch(rng, 7_200.0 + i, "k", session="s3", categories={"weapons.bio": 0.6})
        )
        for i in range(2)
    ]
    assert other[0] is None and isinstance(other[1], Alert)
    assert other[1].category == "weapons.bio"


def test_decomposition_breadth_expects_hazard_requests_by_chance_from_a_busy_key() -> None:
    rng = random.Random(12)
    detector = _breadth(breadth_level=6.0)
    # A translation job: 3,000 requests in a session, two of them leaning to weapons.
    for i in range(3_000):
        hazard = i % 1_000 == 500
        sketch = _sketch(
            rng,
            10.0 * i,
            "busy",
            categories=SPREAD if hazard else {"privacy": 0.01},
            harm=0.85 if hazard else 0.01,
        )
        assert detector.observe(sketch) is None
    # The same two in a quiet key's two sessions are far from chance, and both got through.
    quiet = [
        detector.observe(
            _sketch(rng, 10.0 * i, "quiet", session=f"q{i}", categories=SPREAD, harm=0.85)
        )
        for i in range(2)
    ]
    assert quiet[0] is None and quiet[1] is not None
    assert quiet[1].unit.startswith("key:") and quiet[1].action is WatchAction.HOLD
    assert quiet[1].features["expected_by_chance"] == pytest.approx(0.01)
    # A week apart, the first has decayed to a fifth: not two hazard requests any more.
    far = [
        detector.observe(
            _sketch(rng, 7 * DAY * i, "patient", session=f"p{i}", categories=SPREAD, harm=0.85)
        )
        for i in range(2)
    ]
    assert far == [None, None]


def test_extraction_flags_repeated_probes_and_retries_after_refusals() -> None:
    rng = random.Random(4)
    detector = ExtractionDetector(level=4.0)
    probes = [FLAG_EXTRACTION, FLAG_FINGERPRINT] * 2 + [FLAG_EXTRACTION] * 2
    alerts = [detector.observe(_sketch(rng, 60.0 * i, "p", flags=f)) for i, f in enumerate(probes)]
    assert alerts[:4] == [None] * 4
    assert alerts[-1] is not None and alerts[-1].features["extraction_attempts"] > 2.5
    retry = ExtractionDetector(level=4.0)
    base = rng.getrandbits(64)
    found = [
        retry.observe(_sketch(rng, 30.0 * i, "r", template=base ^ (1 << i), refused=True))
        for i in range(12)
    ]
    assert any(found)
    # A batch job on one template with a few items refused is not walking the policy's edge.
    batch = ExtractionDetector(level=4.0)
    assert not any(
        batch.observe(
            _sketch(rng, 2.0 * i, "b", template=base ^ (1 << i % 64), refused=i % 30 == 0)
        )
        for i in range(3000)
    )
    quiet = ExtractionDetector(level=4.0)
    assert not any(quiet.observe(_sketch(rng, 60.0 * i, "q")) for i in range(500))


def test_coordinated_names_the_keys_of_a_slow_and_low_campaign() -> None:
    rng = random.Random(5)
    detector = CoordinatedDetector(level=0.6)
    params = SamplingParams(temperature=0.7, n=4, logprobs=True, top_logprobs=20, max_tokens=2048)
    keys = [f"slow-{i}" for i in range(20)]
    alerts = []
    for i in range(20 * 130):
        key = keys[i % 20]
        alerts.append(
            detector.observe(_sketch(rng, DAY * i / 2600, key, reasoning=1, params=params))
        )
    found = [a for a in alerts if a is not None]
    assert len(found) == 1
    assert len(found[0].keys) >= 15 and found[0].features["requests_today"] >= 2000
    # Many ordinary keys on default parameters are not a campaign.
    office = CoordinatedDetector(level=0.6)
    assert not any(
        office.observe(_sketch(rng, DAY * i / 5000, f"user-{i % 100}")) for i in range(5000)
    )


def test_state_is_bounded_per_unit() -> None:
    units: Units[list[int]] = Units(list, max_units=3)
    for unit in range(10):
        units.get(unit).append(unit)
    assert len(units) == 3
    assert units.get(9) == [9] and units.get(0) == []  # 0 was evicted and starts afresh


def _topic_session(
    detector: DecompositionDetector,
    rng: random.Random,
    steps: list[tuple[dict[str, float], bool]],
    *,
    key: str,
    sessions: int = 1,
) -> list[Alert | None]:
    """One topic's turns (the same topic bits throughout) over `sessions` sessions of `key`."""
    topic = rng.randbytes(16)
    out = []
    for i, (scores, refused) in enumerate(steps):
        sketch = _sketch(
            rng,
            600.0 * i,
            key,
            session=f"{key}-{i * sessions // len(steps)}",
            categories=scores,
            refused=refused,
        )
        out.append(detector.observe(sketch._replace(topic=topic)))
    return out


def test_decomposition_defaults_flag_a_decomposed_chain_before_its_fifth_step() -> None:
    """At the levels chosen on training traffic (the defaults), a weapons question split into
    steps that each score a little higher, the later ones stopped by the screen, is flagged by
    its fourth step, in one session or spread over two of its key."""
    chain = [
        ({"weapons.bio": 0.56, "weapons.chem": 0.16}, False),
        ({"weapons.bio": 0.76, "weapons.chem": 0.25}, True),
        ({"weapons.bio": 0.9, "weapons.nuclear": 0.52}, True),
        ({"weapons.bio": 0.85, "weapons.chem": 0.5}, True),
        ({"weapons.bio": 0.84, "crime.nonviolent": 0.6}, True),
    ]
    for sessions in (1, 2):
        alerts = _topic_session(
            DecompositionDetector(), random.Random(20 + sessions), chain, key="k", sessions=sessions
        )
        first = next(i for i, a in enumerate(alerts) if a is not None)
        assert first <= 3, alerts
        alert = alerts[first]
        assert alert is not None and alert.category in ("weapons.bio", "weapons.chem")
    # Steps that all pass the screen, each leaning to one weapons category: the breadth channel.
    passed = [({"weapons.chem": s}, False) for s in (0.62, 0.7, 0.68, 0.72)]
    alerts = _topic_session(DecompositionDetector(), random.Random(23), passed, key="k2")
    assert any(a is not None for a in alerts[:4])


def test_decomposition_defaults_leave_a_long_on_topic_benign_session_alone() -> None:
    """A student's long chat on one biology topic: thirty turns below the screen's hold point,
    a few just above it and one the screen stops (as the look-alike chats in the simulator),
    is not flagged at the defaults; the same turns made stronger are (the test can fail)."""
    rng = random.Random(30)
    turns = [
        ({"weapons.bio": rng.uniform(0.3, 0.48), "self_harm": rng.uniform(0.0, 0.3)}, False)
        for _ in range(30)
    ]
    turns[7] = ({"weapons.bio": 0.52, "weapons.chem": 0.2}, False)
    turns[15] = ({"weapons.bio": 0.78, "weapons.chem": 0.4}, True)
    turns[22] = ({"weapons.bio": 0.58, "weapons.chem": 0.3}, False)
    alerts = _topic_session(DecompositionDetector(), rng, turns, key="student")
    assert alerts == [None] * len(turns)
    stronger = [({k: min(1.0, v + 0.3) for k, v in s.items()}, r) for s, r in turns]
    alerts = _topic_session(DecompositionDetector(), rng, stronger, key="student2")
    assert any(a is not None for a in alerts)


def test_decomposition_counts_one_near_certain_step_above_several_just_over_the_floor() -> None:
    """The square of a step's excess over the floor (power 2): a chain whose one step the screen
    stopped is near certain, the others just over the floor, outweighs a look-alike chat with
    more steps just over the floor and one blocked step the classifier is less sure of. Read
    linearly (power 1, with the levels chosen for it before), neither is flagged; the defaults
    are the linear reading."""
    chain = [({"weapons.bio": 0.6}, False), ({"weapons.bio": 0.95}, True)]
    chain += [({"weapons.bio": 0.58}, False)]
    lookalike = [({"weapons.bio": s}, False) for s in (0.56, 0.6, 0.62, 0.58, 0.6, 0.57)]
    lookalike.insert(3, ({"weapons.bio": 0.8}, True))

    def flagged(
        detector: DecompositionDetector, steps: list[tuple[dict[str, float], bool]]
    ) -> bool:
        return any(_topic_session(detector, random.Random(40), steps, key="k"))

    def sums(power: float, weight: float, level: float, base: float) -> DecompositionDetector:
        return DecompositionDetector(
            floor=0.55,
            power=power,
            refused_weight=weight,
            level=level,
            base=base,
            breadth_level=float("inf"),
            anchored=False,
        )

    def squared() -> DecompositionDetector:  # as chosen in branch decomp, sums only
        return sums(2.0, 3.0, 0.45, 0.00205)

    def linear() -> DecompositionDetector:  # power 1 and its levels (main before this change)
        return sums(1.0, 2.0, 1.05, 0.008)

    assert flagged(squared(), chain) and not flagged(squared(), lookalike)
    assert not flagged(linear(), chain) and not flagged(linear(), lookalike)
    alert = next(a for a in _topic_session(squared(), random.Random(41), chain, key="k") if a)
    # 0.05^2 + 3 x 0.40^2, less the base for two requests; by the chain's second step
    assert alert.score == pytest.approx(0.0025 + 3 * 0.16 - 2 * 0.00205, abs=0.02)
    assert alert.features["evidence_requests"] == 2

    # The defaults are the linear reading (power 2 did worse on the test seeds): they leave the
    # chain alone like `linear`, and a step adds its excess over the floor, not its square.
    def default() -> DecompositionDetector:
        return DecompositionDetector(breadth_level=float("inf"))

    assert not flagged(default(), chain) and not flagged(default(), lookalike)
    step = _sketch(random.Random(42), 0.0, "k", session="s", categories={"weapons.bio": 0.95})
    gains = dict(zip(WATCHED, default().gains(step), strict=True))
    assert gains["weapons.bio"] == pytest.approx(0.95 - 0.55, abs=0.005)


# The anchored channel as chosen in branch decomp on training traffic (off by default: vetoed
# by the test seeds, bench/watch/DECOMP_RULE_3.md); its shape is the detector's constants.
ANCHORED = {"anchored": True}


def test_decomposition_anchored_flags_a_refused_step_among_steps_on_its_topic() -> None:
    """A chain whose one sure step the screen refused, between two steps on the same topic that
    score too little for the sums (as `chain.chem.en.03` of the training chains), is flagged by
    the anchored channel by its third step; the sums alone leave it alone."""
    chain = [
        ({"weapons.chem": 0.6}, False),
        ({"weapons.chem": 0.92}, True),
        ({"weapons.chem": 0.4, "weapons.bio": 0.2}, False),
    ]
    sums_only = DecompositionDetector(breadth_level=float("inf"), anchored=False)
    assert not any(_topic_session(sums_only, random.Random(50), chain, key="k"))
    for sessions in (1, 2):
        detector = DecompositionDetector(breadth_level=float("inf"), **ANCHORED)
        alerts = _topic_session(detector, random.Random(51), chain, key="k", sessions=sessions)
        assert alerts[:2] == [None, None]
        alert = alerts[2]
        assert alert is not None and alert.category == "weapons.chem"
        assert alert.features["anchored_requests"] == 3
        assert alert.score == pytest.approx(0.3 + 0.1, abs=0.01)
        assert alert.action is WatchAction.HOLD  # two steps got through the screen
        assert "refused" in alert.reason_en and "拒否" in alert.reason_ja


def test_decomposition_anchored_leaves_a_benign_session_with_one_false_block_alone() -> None:
    """A false block alone never alerts: an office session with one request the screen refused
    as sure in a catastrophic category, among ordinary requests (a little evidence elsewhere or
    none), is not flagged; neither is the block with one more step on its topic, nor with two
    more that are not among the unit's last three requests (ordinary work between them)."""
    ordinary = ({"cyber.offense": 0.2}, False)
    block = ({"weapons.bio": 0.95}, True)
    step = ({"weapons.bio": 0.6}, False)
    quiet = [ordinary, ordinary, block, ordinary, ({"weapons.chem": 0.5}, False), ordinary]
    one_more = [ordinary, step, block, ordinary, ordinary]
    apart = [step, ordinary, ordinary, block, ordinary, ordinary, step]
    for i, turns in enumerate((quiet, one_more, apart)):
        detector = DecompositionDetector(breadth_level=float("inf"), **ANCHORED)
        alerts = _topic_session(detector, random.Random(60 + i), turns, key=f"office{i}")
        assert alerts == [None] * len(turns), i
    # The same block with two more steps on its topic right after it is flagged (the test can
    # fail); refused steps the screen was less sure of are no anchor.
    together = [ordinary, block, step, step]
    detector = DecompositionDetector(breadth_level=float("inf"), **ANCHORED)
    assert _topic_session(detector, random.Random(63), together, key="k")[3] is not None
    unsure = [ordinary, ({"weapons.bio": 0.85}, True), step, step]
    detector = DecompositionDetector(breadth_level=float("inf"), **ANCHORED)
    assert not any(_topic_session(detector, random.Random(64), unsure, key="k"))


def test_decomposition_category_levels_replace_the_tiers_for_their_categories() -> None:
    """A catastrophic category's own level replaces the tier's for it."""
    steps = [({"weapons.nuclear": 0.95}, True), ({"weapons.nuclear": 0.7}, False)]  # 0.95
    # One level for the tier (a `level` given: every catastrophic category's) ...
    tier = DecompositionDetector(level=1.05, breadth_level=float("inf"), anchored=False)
    assert not any(_topic_session(tier, random.Random(70), steps, key="k"))
    # ... or each category's own (none by default).
    assert DecompositionDetector().category_levels == {}
    own = DecompositionDetector(
        level=1.05,
        breadth_level=float("inf"),
        anchored=False,
        category_levels={"weapons.nuclear": 0.92},
    )
    alert = _topic_session(own, random.Random(70), steps, key="k")[1]
    assert alert is not None and alert.category == "weapons.nuclear" and alert.level == 0.92
    with pytest.raises(ValueError, match=r"cyber\.offense"):
        DecompositionDetector(category_levels={"cyber.offense": 0.5})


def test_decomposition_settings_reach_the_anchored_channel_and_category_levels() -> None:
    """`watch.decomposition` in the gateway's settings is what the live watch builds the
    detector from (`model_dump(exclude_none=True)`): the anchored channel and per-category levels
    are off when left out, on as given; bad values are refused by the settings."""

    def build(**given: object) -> DecompositionDetector:
        settings = DecompositionSettings.model_validate(given)
        return DecompositionDetector(**settings.model_dump(exclude_none=True))

    plain = build()
    assert plain.anchor_sure is None and plain.category_levels == {}
    on = build(anchored=True, anchor_window=4, category_levels={"weapons.chem": 0.93})
    assert on.anchor_sure == 0.9 and on.anchor_window == 4
    assert on.category_levels == {"weapons.chem": 0.93}
    for bad in ({"anchor_window": 1}, {"anchor_sure": 1.5}, {"anchored": "perhaps"}):
        with pytest.raises(ValidationError):
            build(**bad)


def test_decomposition_anchored_in_order_escalates_a_refusal_after_a_held_step() -> None:
    """Read in order (`anchor_before`), the anchored channel alerts on the refusal itself when an
    earlier request among the unit's last few scored past the hold point in the same category
    (the screen held it), in the same session or across the key's sessions; a refusal first
    and steps on its topic after it, a refusal with only other categories before it, or one
    the screen was less sure of, do not alert (and the unordered channel does alert on the
    first: the difference is the order)."""
    shape = {
        "anchored": True,
        "anchor_before": True,
        "anchor_sure": 0.9,
        "anchor_floor": 0.5,
        "anchor_window": 5,
        "anchor_support": 1,
        "anchor_level": 0.001,
    }
    ordinary = ({"cyber.offense": 0.2}, False)
    held = ({"weapons.chem": 0.56}, False)
    block = ({"weapons.chem": 0.93}, True)
    for sessions in (1, 2):
        detector = DecompositionDetector(breadth_level=float("inf"), **shape)
        turns = [ordinary, held, ordinary, block]
        alerts = _topic_session(detector, random.Random(80), turns, key="k", sessions=sessions)
        assert alerts[:3] == [None, None, None]
        alert = alerts[3]
        assert alert is not None and alert.category == "weapons.chem"
        assert alert.features["anchored_requests"] == 2
        assert alert.features["refused_score"] == pytest.approx(0.93, abs=0.005)
        assert alert.action is WatchAction.ALERT  # one step got through: the policy decides
        assert "earlier" in alert.reason_en and "拒否" in alert.reason_ja
    after = [ordinary, block, held, held]
    elsewhere = [({"weapons.bio": 0.7}, False), ordinary, block]
    unsure = [held, ({"weapons.chem": 0.85}, True)]
    for i, turns in enumerate((after, elsewhere, unsure)):
        detector = DecompositionDetector(breadth_level=float("inf"), **shape)
        alerts = _topic_session(detector, random.Random(81 + i), turns, key=f"k{i}")
        assert alerts == [None] * len(turns), i
    unordered = DecompositionDetector(
        breadth_level=float("inf"), **(shape | {"anchor_before": False})
    )
    assert _topic_session(unordered, random.Random(81), after, key="k")[2] is not None
    # The settings reach it, and it is off by default.
    assert DecompositionDetector().anchor_before is False
    settings = DecompositionSettings.model_validate({"anchored": True, "anchor_before": True})
    assert DecompositionDetector(**settings.model_dump(exclude_none=True)).anchor_before


def test_decomposition_refusals_count_distinct_sure_refusals_on_one_topic_against_chance() -> None:
    """The refusals channel (`refusals`, DECOMP_RULE_5.md): two distinct requests refused sure in
    one catastrophic category alert in a short session (or a quiet key over its sessions), even
    where the sums stay under their level; one refusal with held steps around it (a cautious
    benign chat) does not, nor two refusals in different categories, a repeated template, or a
    busy batch key whose two refusals chance explains. Off by default; the settings reach it."""
    shape = {"refusals": True, "refusal_rate": 0.003, "refusal_level": 3.75}
    held = ({"weapons.chem": 0.58}, False)
    ordinary = ({"cyber.offense": 0.2}, False)
    twice = [held, ({"weapons.chem": 0.77}, True), ordinary, ({"weapons.chem": 0.79}, True)]
    for sessions in (1, 2):
        detector = DecompositionDetector(breadth_level=float("inf"), **shape)
        alerts = _topic_session(detector, random.Random(90), twice, key="k", sessions=sessions)
        assert alerts[:3] == [None, None, None]
        alert = alerts[3]
        assert alert is not None and alert.category == "weapons.chem"
        assert alert.features["sure_refusals"] == 2
        assert alert.action is WatchAction.ALERT  # one evidence step got through
        assert "refused 2 distinct" in alert.reason_en and "拒否" in alert.reason_ja
        # Without the channel the sums (2 * (0.22 + 0.24) + 0.03 = 0.95 < 1.05) stay quiet.
        plain = DecompositionDetector(breadth_level=float("inf"))
        assert _topic_session(plain, random.Random(90), twice, key="k", sessions=sessions) == [
            None
        ] * len(twice)
    once = [held, ({"weapons.chem": 0.93}, True), held, ({"weapons.chem": 0.6}, False)]
    apart = [({"weapons.chem": 0.8}, True), ordinary, ({"weapons.bio": 0.8}, True)]
    for i, turns in enumerate((once, apart)):
        detector = DecompositionDetector(breadth_level=float("inf"), **shape)
        assert _topic_session(detector, random.Random(91 + i), turns, key=f"k{i}") == [None] * len(
            turns
        )
    # The same refused prompt sent twice counts once.
    detector = DecompositionDetector(breadth_level=float("inf"), **shape)
    rng = random.Random(93)
    again = [
        detector.observe(
            _sketch(rng, 60.0 * i, "r", template=7, categories={"weapons.chem": 0.8}, refused=True)
        )
        for i in range(2)
    ]
    assert again == [None, None]
    # A batch job: 2,000 requests in one session, two of them refused sure far apart.
    detector = DecompositionDetector(breadth_level=float("inf"), **shape)
    for i in range(2_000):
        refused = i % 1_000 == 500
        scores = {"weapons.chem": 0.8} if refused else {"privacy": 0.01}
        sketch = _sketch(rng, 10.0 * i, "busy", categories=scores, refused=refused)
        assert detector.observe(sketch) is None
    # Off by default; the settings turn it on, and refuse bad values.
    assert DecompositionDetector().refusal_sure is None
    settings = DecompositionSettings.model_validate({"refusals": True, "refusal_level": 3.75})
    on = DecompositionDetector(**settings.model_dump(exclude_none=True))
    assert on.refusal_sure == 0.75 and on.refusal_level == 3.75
    for bad in ({"refusal_sure": 1.5}, {"refusal_rate": 0.0}, {"refusal_level": -1.0}):
        with pytest.raises(ValidationError):
            DecompositionSettings.model_validate(bad)


def test_decomposition_trajectory_reads_the_plan_phases_beside_low_category_scores() -> None:
    """The trajectory channel (`trajectory`, DECOMP_RULE_7.md): requests that score low in one
    catastrophic category (under the sums' floor, as questions in an asker's own voice do) but
    ask for getting hold of something, making it and getting it to a target alert once the
    phases' scores reach the level, in one session or over a key's sessions; the same phases
    under the channel's floor, one phase asked again and again, or phases spread over two
    categories do not. Off by default; the settings reach it and refuse bad values."""
    shape = {"trajectory": True, "trajectory_floor": 0.3, "trajectory_phases": 2}
    assert DecompositionDetector().trajectory_window == 8
    level = {"trajectory_level": 1.3}  # over two sessions, neither alone reaches it

    def run(
        detector: DecompositionDetector, turns: list[tuple[dict[str, float], int]], sessions: int
    ) -> list[Alert | None]:
        rng = random.Random(100)
        return [
            detector.observe(
                _sketch(
                    rng,
                    600.0 * i,
                    "k",
                    session=f"k-{i * sessions // len(turns)}",
                    categories=scores,
                    flags=flags,
                )
            )
            for i, (scores, flags) in enumerate(turns)
        ]

    plan = [
        ({"weapons.chem": 0.35}, 0),
        ({"weapons.chem": 0.4}, FLAG_ACQUIRE),
        ({"weapons.chem": 0.38}, FLAG_PRODUCE),
        ({"weapons.chem": 0.42}, FLAG_DELIVER | FLAG_CONCEAL),
    ]
    for sessions in (1, 2):
        detector = DecompositionDetector(breadth_level=float("inf"), **shape, **level)
        alerts = run(detector, plan, sessions)
        assert alerts[:3] == [None, None, None]
        alert = alerts[3]
        assert alert is not None and alert.category == "weapons.chem"
        assert alert.unit.startswith("session" if sessions == 1 else "key")
        assert alert.features["phases"] == 4
        assert alert.score == pytest.approx(0.4 + 0.38 + 0.42 * 2, abs=0.01)
        assert "making it" in alert.reason_en and "入手" in alert.reason_ja
        # The sums' floor (0.55) is above every step: without the channel nothing alerts.
        assert run(DecompositionDetector(breadth_level=float("inf")), plan, sessions) == [None] * 4
    low = [({"weapons.chem": 0.25}, flags) for _, flags in plan]
    again = [({"weapons.chem": 0.45}, FLAG_ACQUIRE)] * 4
    spread = [
        ({"weapons.chem": 0.45}, FLAG_ACQUIRE),
        ({"weapons.bio": 0.45}, FLAG_PRODUCE),
        ({"weapons.nuclear": 0.45}, FLAG_DELIVER),
    ]
    for turns in (low, again, spread):
        detector = DecompositionDetector(breadth_level=float("inf"), **shape, **level)
        assert run(detector, turns, 1) == [None] * len(turns)
    # A busy unit gathers every phase in time: only its last `trajectory_window` requests count.
    ordinary = ({"privacy": 0.01}, 0)
    busy = [plan[1], *[ordinary] * 8, plan[2], *[ordinary] * 8, plan[3]]
    detector = DecompositionDetector(breadth_level=float("inf"), **shape, **level)
    assert run(detector, busy, 1) == [None] * len(busy)
    detector = DecompositionDetector(
        breadth_level=float("inf"), **shape, **level, trajectory_window=20
    )
    assert run(detector, busy, 1)[-1] is not None
    # Under its level the channel stays quiet too.
    quiet = DecompositionDetector(breadth_level=float("inf"), **shape, trajectory_level=2.0)
    assert run(quiet, plan, 1) == [None] * 4
    # Asked to, it counts only units whose phases include keeping it unseen.
    unseen = {**shape, **level, "trajectory_conceal": True}
    seen = [*plan[:3], ({"weapons.chem": 0.42}, FLAG_DELIVER)]
    detector = DecompositionDetector(breadth_level=float("inf"), **unseen)
    assert run(detector, seen, 1) == [None] * 4
    detector = DecompositionDetector(breadth_level=float("inf"), **unseen)
    assert run(detector, plan, 1)[3] is not None
    # Off by default; the settings turn it on, and refuse bad values.
    assert DecompositionDetector().trajectory is False
    settings = DecompositionSettings.model_validate({"trajectory": True, "trajectory_level": 1.0})
    on = DecompositionDetector(**settings.model_dump(exclude_none=True))
    assert on.trajectory and on.trajectory_level == 1.0
    for bad in ({"trajectory_floor": 1.5}, {"trajectory_phases": 0}, {"trajectory_level": 0.0}):
        with pytest.raises(ValidationError):
            DecompositionSettings.model_validate(bad)


def test_decomposition_trajectory_keeps_a_session_and_its_key_apart() -> None:
    """A session's first phase request that is also its key's first starts both units' trajectory
    state: each its own, so what the key's other sessions ask afterwards stays out of the first
    session's state (it reached the key's only)."""
    detector = DecompositionDetector(trajectory=True, trajectory_floor=0.3)
    rng = random.Random(7)
    first = _sketch(
        rng, 0.0, "k", session="k-a", categories={"weapons.chem": 0.4}, flags=FLAG_ACQUIRE
    )
    detector.observe(first)
    detector.observe(
        _sketch(
            rng, 60.0, "k", session="k-b", categories={"weapons.chem": 0.45}, flags=FLAG_PRODUCE
        )
    )
    session, key = detector._sessions.get(first.session), detector._keys.get(first.key)
    assert session.trajectory is not key.trajectory
    j = decomposition._CATASTROPHIC.index(WATCHED.index("weapons.chem"))
    assert detector.trajectory_score(session, j)[1] == 0  # one request: no plan asked in pieces
    assert detector.trajectory_score(key, j)[1] == 2
