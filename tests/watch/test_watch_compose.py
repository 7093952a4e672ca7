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
        categories={category: score},
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
