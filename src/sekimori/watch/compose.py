"""The composed reading: a key's evidence requests read together by the gateway's own screen.

A decomposed question's steps each read as a plain question ("which precursor...", "what
temperature...", "how to spread it"); joined they may read as the question. The sketch keeps no
text, so only the live watch can do this, and only for a short while:

- Per key, in memory, the texts of its last `size` *evidence requests* (those whose highest
  catastrophic-tier score reaches `floor`), each cut to `MAX_CHARS` characters. A prompt whose
  template is within `NEAR_BITS` of one already held does not enter (a batch job repeating one
  item). An entry leaves after `WINDOW_S`; a key's buffer leaves with the key, the least recently
  seen beyond `max_keys`, and all of them when the gateway stops. None of it is ever stored:
  at most `max_keys * size * MAX_CHARS` characters are held.
- When an evidence request enters a buffer that then holds two texts or more, the buffer joined
  (oldest first) is scored once by `score` (the gateway: its own input screen, as a one-turn
  request of the watch's own tenant, so the figures are those `watch scores` gives); a key gets
  at most `CALLS_PER_DAY` such scorings in 24 hours, however busy it is.
- The scores go to the decomposition detector (`DecompositionDetector.composed`), which alerts
  when the joined text's catastrophic score reaches its `composed_level`. The alert is stored
  like every alert; `watch replay` over stored sketches cannot compose (no text) and so never
  raises it.

The low-floor composition (`by_category`; bench/watch/DECOMP_RULE_8.md, off by default): one
buffer per key and catastrophic category, which a request enters where its score is `floor` or
more (a low floor: own-voice steps score about 0.3), read from its `min_texts`th text; the cap of
`calls_per_day` readings is per key, whatever its buffers, and `max_keys` bounds the buffers. A
reading carries, per catastrophic category, the highest score its requests had alone (`parts`),
so the detector can read what the joining added (`composed_gain`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sekimori.taxonomy import CATEGORIES, Tier
from sekimori.watch.detectors.decomposition import NEAR_BITS
from sekimori.watch.sketch import FLAG_REFUSED, MAX_CHARS, SCORE_IDS, Sketch, hamming

log = logging.getLogger("sekimori.watch")

CATASTROPHIC: tuple[str, ...] = tuple(c.id for c in CATEGORIES if c.tier is Tier.CATASTROPHIC)
_INDEX = tuple(SCORE_IDS.index(cid) for cid in CATASTROPHIC)
# Chosen by bench/watch/run.py on the training seeds with the training chains (see RESULTS.md).
FLOOR = 0.55
SIZE = 4
WINDOW_S = 48 * 3_600.0
CALLS_PER_DAY = 8
MAX_KEYS = 10_000
MIN_TEXTS = 2
JOINER = "\n\n"

# Joined text -> its category scores on the policy's scale; None when it could not be scored.
ScoreText = Callable[[str], Mapping[str, float] | None]


@dataclass(frozen=True, slots=True)
class Composed:
    """One composed reading: the joined texts' scores, how many texts, how many passed."""

    scores: Mapping[str, float]
    texts: int
    passed: int
    # Per catastrophic category, the highest score of the joined requests alone (their sketches').
    parts: Mapping[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _Buffer:
    # ts, template, passed, text, the request's catastrophic scores (on the sketch's 0-255 scale)
    entries: list[tuple[float, int, bool, str, tuple[int, ...]]] = field(default_factory=list)


class Composer:
    """The per-key buffers and the bounded scoring (the live watch's writer thread owns it)."""

    def __init__(
        self,
        score: ScoreText,
        *,
        floor: float = FLOOR,
        size: int = SIZE,
        window_s: float = WINDOW_S,
        calls_per_day: int = CALLS_PER_DAY,
        max_keys: int = MAX_KEYS,
        min_texts: int = MIN_TEXTS,
        by_category: bool = False,
    ) -> None:
        self.score = score
        self.floor = floor
        self.size = size
        self.window_s = window_s
        self.calls_per_day = calls_per_day
        self.max_keys = max_keys
        self.min_texts = min_texts
        self.by_category = by_category
        # By key (slot -1), or by key and catastrophic category (`by_category`).
        self._buffers: OrderedDict[tuple[int, int], _Buffer] = OrderedDict()
        # When each key was read, the last 24 hours (bounded per key, whatever its buffers).
        self._calls: OrderedDict[int, list[float]] = OrderedDict()

    def __len__(self) -> int:
        return len({key for key, _ in self._buffers})

    def held_chars(self) -> int:
        return sum(len(e[3]) for b in self._buffers.values() for e in b.entries)

    def evidence(self, sketch: Sketch) -> bool:
        return max(sketch.scores[i] for i in _INDEX) >= round(self.floor * 255)

    def see(self, sketch: Sketch, text: str) -> Composed | None:
        """Takes the request's text if it is evidence; the composed reading when one is made."""
        if not self.by_category:  # one buffer a key (slot -1)
            return self._see(sketch, text, -1) if self.evidence(sketch) else None
        floor = round(self.floor * 255)
        reading = None
        for slot, i in enumerate(_INDEX):  # each catastrophic category's buffer at the floor
            if sketch.scores[i] >= floor:
                reading = self._see(sketch, text, slot) or reading
        return reading

    def _see(self, sketch: Sketch, text: str, slot: int) -> Composed | None:
        unit = (sketch.key, slot)
        buffer = self._buffers.get(unit)
        if buffer is None:
            buffer = self._buffers[unit] = _Buffer()
            if len(self._buffers) > self.max_keys:
                self._buffers.popitem(last=False)
        self._buffers.move_to_end(unit)
        since = sketch.ts - self.window_s
        buffer.entries = [e for e in buffer.entries if e[0] > since]
        if any(hamming(sketch.template, e[1]) <= NEAR_BITS for e in buffer.entries):
            return None
        passed = not sketch.has(FLAG_REFUSED)
        alone = tuple(sketch.scores[i] for i in _INDEX)
        entry = (sketch.ts, sketch.template, passed, text[:MAX_CHARS], alone)
        buffer.entries = [*buffer.entries[-(self.size - 1) :], entry]
        if len(buffer.entries) < self.min_texts:
            return None
        calls = [t for t in self._calls.pop(sketch.key, []) if t > sketch.ts - 86_400.0]
        self._calls[sketch.key] = calls  # the most recent last
        if len(self._calls) > self.max_keys:
            self._calls.popitem(last=False)
        if len(calls) >= self.calls_per_day:
            return None
        calls.append(sketch.ts)
        scores = self.score(JOINER.join(e[3] for e in buffer.entries))
        if scores is None:
            return None
        parts = {
            cid: max(e[4][slot] for e in buffer.entries) / 255
            for slot, cid in enumerate(CATASTROPHIC)
        }
        return Composed(scores, len(buffer.entries), sum(e[2] for e in buffer.entries), parts)
