"""The composed reading (`watch.compose`): a key's evidence requests held in memory, bounded,
read together at most a few times a day, and the decomposition detector's channel on it."""

from __future__ import annotations

import random
from collections.abc import Mapping

from sekimori.watch.compose import JOINER, Composer
from sekimori.watch.detectors import WatchAction
from sekimori.watch.detectors.decomposition import DecompositionDetector
from sekimori.watch.sketch import MAX_CHARS, SamplingParams, Sketch, TextFeatures, make_sketch

HOUR = 3_600.0
INF = float("inf")  # the breadth channel out of the way: these steps would add up there too


def _sketch(
    ts: float,
    key: str = "k",
    *,
    score: float = 0.6,
    category: str = "weapons.bio",
    template: int | None = None,
    refused: bool = False,
    seed: int = 0,
    categories: Mapping[str, float] | None = None,
) -> Sketch:
    rng = random.Random(f"{seed}:{ts}:{key}")
    features = TextFeatures(
        template=rng.getrandbits(64) if template is None else template,
        topic=rng.randbytes(16),
        prompt_chars=40,
        reasoning=0,
        flags=0,
    )
    return make_sketch(
        features,
        ts=ts,
        key=key,
        tenant="t",
        session=f"{key}-{ts}",
        harm=score,
        categories=dict(categories) if categories else {category: score},
        params=SamplingParams(),
        lang="en",
        refused=refused,
    )


class _Screen:
    """Records what it is asked to read; scores a joined text by how many parts it has."""

    def __init__(self, per_part: float = 0.3) -> None:
        self.asked: list[str] = []
        self.per_part = per_part

    def __call__(self, text: str) -> Mapping[str, float] | None:
        self.asked.append(text)
        return {"weapons.bio": min(1.0, self.per_part * len(text.split(JOINER)))}


def test_only_evidence_requests_enter_and_two_are_read_together_oldest_first() -> None:
    screen = _Screen()
    composer = Composer(screen, floor=0.55)
    assert composer.see(_sketch(0, score=0.3), "an ordinary question") is None
    assert composer.see(_sketch(1), "first step") is None  # one text: nothing to compose
    assert composer.held_chars() == len("first step")
    reading = composer.see(_sketch(2), "second step")
    assert reading is not None
    assert screen.asked == [f"first step{JOINER}second step"]
    assert reading.texts == 2 and reading.passed == 2
    assert reading.scores == {"weapons.bio": 0.6}


def test_the_buffer_keeps_the_last_few_short_texts_and_forgets_old_ones() -> None:
    screen = _Screen()
    composer = Composer(screen, size=3, window_s=10 * HOUR, calls_per_day=100)
    for i in range(5):
        composer.see(_sketch(i * HOUR), f"step {i}" + "x" * 2 * MAX_CHARS)
    assert screen.asked[-1].split(JOINER) == [
        f"step {i}" + "x" * (MAX_CHARS - 6) for i in (2, 3, 4)
    ]
    assert composer.held_chars() == 3 * MAX_CHARS
    composer.see(_sketch(20 * HOUR), "a day later")  # the others left the window
    assert composer.held_chars() == len("a day later")


def test_a_repeated_template_does_not_enter_twice() -> None:
    screen = _Screen()
    composer = Composer(screen)
    composer.see(_sketch(0, template=0xABC), "item one")
    assert composer.see(_sketch(1, template=0xABD), "item one again") is None  # 1 bit apart
    assert screen.asked == []


def test_a_busy_key_is_read_at_most_so_often_a_day() -> None:
    screen = _Screen()
    composer = Composer(screen, calls_per_day=3)
    readings = [composer.see(_sketch(i * 60.0), f"step {i}") for i in range(20)]
    assert sum(r is not None for r in readings) == 3
    assert composer.see(_sketch(25 * HOUR), "the next day") is not None


def test_keys_are_bounded_and_the_least_recent_dropped_whole() -> None:
    screen = _Screen()
    composer = Composer(screen, max_keys=2)
    for key in ("a", "b", "c"):
        composer.see(_sketch(0, key), f"{key} one")
    assert len(composer) == 2
    composer.see(_sketch(1, "a"), "a two")  # "a" was dropped: it starts over
    assert screen.asked == []
    composer.see(_sketch(1, "c"), "c two")
    assert screen.asked == [f"c one{JOINER}c two"]


def test_a_failed_reading_is_left_out() -> None:
    composer = Composer(lambda text: None)
    composer.see(_sketch(0), "one")
    assert composer.see(_sketch(1), "two") is None


def test_the_channel_alerts_once_per_category_at_its_level() -> None:
    detector = DecompositionDetector(composed_level=0.8, breadth_level=INF)
    first, second = _sketch(0), _sketch(1, refused=True)
    for s in (first, second):
        assert detector.observe(s) is None  # each step alone is far from the sums' level
    low = {"weapons.bio": 0.7, "weapons.chem": 0.6}
    assert detector.composed(second, low, texts=2, passed=1) is None
    high = {"weapons.bio": 0.9, "weapons.chem": 0.6, "crime.violent": 0.95}
    alert = detector.composed(second, high, texts=2, passed=1)
    assert alert is not None
    assert alert.category == "weapons.bio"  # the top catastrophic category, not crime
    assert alert.action is WatchAction.ALERT  # one of the two was stopped by the screen
    assert alert.features["composed_requests"] == 2
    assert "read together" in alert.reason_en and "まとめて読む" in alert.reason_ja
    assert detector.composed(_sketch(2), high, texts=3, passed=2) is None  # told once
    other = detector.composed(_sketch(3), {"weapons.chem": 0.85}, texts=3, passed=3)
    assert other is not None and other.action is WatchAction.HOLD


def test_a_key_already_alerted_by_the_sums_is_not_told_again() -> None:
    detector = DecompositionDetector(level=0.3, composed_level=0.8, breadth_level=INF)
    alerts = [detector.observe(_sketch(i, score=0.9)) for i in range(3)]
    assert [a.category for a in alerts if a is not None] == ["weapons.bio"]
    assert detector.composed(_sketch(4), {"weapons.bio": 0.95}, texts=3, passed=3) is None


def test_composer_and_channel_together_flag_a_chain_whose_steps_alone_pass() -> None:
    def screen(text: str) -> Mapping[str, float]:
        # Joined, "culture it" and "spread it" read as the question; each alone does not.
        whole = "culture it" in text and "spread it" in text
        return {"weapons.bio": 0.9 if whole else 0.6}

    composer, detector = (
        Composer(screen),
        DecompositionDetector(composed_level=0.8, breadth_level=INF),
    )
    alerts = []
    for i, text in enumerate(("grow it", "culture it", "what is a lab", "spread it")):
        sketch = _sketch(i * HOUR, score=0.3 if text == "what is a lab" else 0.6)
        assert detector.observe(sketch) is None
        reading = composer.see(sketch, text)
        if reading is not None:
            alerts.append(detector.composed(sketch, reading.scores, texts=3, passed=3))
    assert [a is not None for a in alerts] == [False, True]


# --- The low-floor composition (bench/watch/DECOMP_RULE_8.md) ---------------------------------


def _scored(ts: float, scores: Mapping[str, float], key: str = "k") -> Sketch:
    return _sketch(ts, key, score=max(scores.values()), categories=scores)


def test_by_category_buffers_take_low_scores_per_category_and_read_from_the_third_text() -> None:
    screen = _Screen()
    composer = Composer(screen, floor=0.2, min_texts=3, by_category=True, calls_per_day=10)
    bio, chem = "weapons.bio", "weapons.chem"
    assert composer.see(_scored(0, {bio: 0.25}), "bio one") is None
    assert composer.see(_scored(1, {chem: 0.3}), "chem one") is None  # another buffer
    assert composer.see(_scored(2, {bio: 0.1}), "too low") is None  # under the floor: kept out
    assert composer.see(_scored(3, {bio: 0.22}), "bio two") is None  # two texts: not yet
    reading = composer.see(_scored(4, {bio: 0.3, chem: 0.21}), "both")
    assert reading is not None
    assert screen.asked == [JOINER.join(("bio one", "bio two", "both"))]  # chem has two: not yet
    assert reading.texts == 3
    assert abs(reading.parts[bio] - 0.3) < 0.01 and abs(reading.parts[chem] - 0.21) < 0.01
    assert len(composer) == 1  # one key, two buffers
    # the key-wide buffer at the old floor takes none of these
    old = Composer(_Screen())
    assert all(old.see(_scored(i, {bio: 0.3}), f"s{i}") is None for i in range(5))
    assert old.held_chars() == 0


def test_one_reading_a_key_a_day_whatever_its_buffers() -> None:
    screen = _Screen()
    composer = Composer(screen, floor=0.2, min_texts=3, by_category=True, calls_per_day=1)
    cats = ("weapons.bio", "weapons.chem", "weapons.nuclear")
    readings = [composer.see(_scored(i * 60.0, {cats[i % 3]: 0.4}), f"step {i}") for i in range(30)]
    assert sum(r is not None for r in readings) == 1
    assert len(screen.asked) == 1
    other = [composer.see(_scored(i * 60.0, {cats[0]: 0.4}, key="o"), f"o{i}") for i in range(3)]
    assert other[2] is not None  # another key has its own reading
    assert composer.see(_scored(25 * HOUR, {cats[1]: 0.4}), "the next day") is not None


def test_the_gain_reading_alerts_on_what_joining_adds_not_on_a_request_already_high() -> None:
    bio = "weapons.bio"

    def screen(text: str) -> Mapping[str, float]:
        # Joined, the steps read as the question; a text that is alarming alone stays so.
        return {bio: 0.9 if "spread it" in text else 0.3}

    def run(steps: list[tuple[str, float]]) -> list[bool]:
        composer = Composer(screen, floor=0.2, min_texts=3, by_category=True)
        detector = DecompositionDetector(composed_level=0.5, composed_gain=True, breadth_level=INF)
        out = []
        for i, (text, score) in enumerate(steps):
            sketch = _scored(i * HOUR, {bio: score})
            detector.observe(sketch)
            reading = composer.see(sketch, text)
            if reading is not None:
                alert = detector.composed(
                    sketch, reading.scores, texts=reading.texts, passed=3, parts=reading.parts
                )
                out.append(alert is not None)
                if alert is not None:
                    assert "gain" in alert.reason_en and "上昇" in alert.reason_ja
        return out

    assert run([("grow it", 0.3), ("culture it", 0.25), ("spread it", 0.3)]) == [True]
    # the same joined score, but one request scored 0.85 alone: the gain is 0.05
    assert run([("grow it", 0.3), ("culture it", 0.25), ("spread it", 0.85)]) == [False]
    # read as a score, the second one alerts too
    detector = DecompositionDetector(composed_level=0.5, breadth_level=INF)
    assert detector.composed(_scored(0, {bio: 0.85}), {bio: 0.9}, texts=3, passed=3) is not None


def test_the_settings_reach_the_composer_and_the_detector() -> None:
    from sekimori.settings import ComposeSettings, DecompositionSettings

    compose = ComposeSettings(floor=0.2, min_texts=3, calls_per_day=1, by_category=True)
    composer = Composer(_Screen(), **compose.model_dump(exclude_none=True))
    assert (composer.floor, composer.min_texts, composer.calls_per_day, composer.by_category) == (
        0.2,
        3,
        1,
        True,
    )
    assert Composer(_Screen(), **ComposeSettings().model_dump(exclude_none=True)).floor == 0.55
    decomposition = DecompositionSettings(composed_level=0.3, composed_gain=True)
    detector = DecompositionDetector(**decomposition.model_dump(exclude_none=True))
    assert detector.composed_gain and detector.composed_level == 0.3
