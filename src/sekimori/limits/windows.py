"""The fixed windows limits count in: the UTC minute, day and month that contain a moment.

Fixed windows keep one counter per scope and window, so a check is O(1) and exact inside a
window; the price is that a client may spend a minute's allowance at the end of one window and
again at the start of the next (up to 2x rpm in a 60 s span that straddles the boundary). The
Redis scripts compute the same windows from the Redis server's clock (`redis.py`).
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass

MINUTE = 60
DAY = 86_400


@dataclass(frozen=True, slots=True)
class Windows:
    """The ids of the windows containing `now`, and the seconds until each ends."""

    minute: int
    day: int
    month: int  # year * 12 + month - 1
    minute_reset: float
    day_reset: float
    month_reset: float


def month_of(day: int) -> tuple[int, int]:
    """(year * 12 + month - 1, the day number on which the next month starts) for a day number."""
    date = time.gmtime(day * DAY)
    first = day - (date.tm_mday - 1)
    length = calendar.monthrange(date.tm_year, date.tm_mon)[1]
    return date.tm_year * 12 + date.tm_mon - 1, first + length


def windows(now: float) -> Windows:
    minute = int(now // MINUTE)
    day = int(now // DAY)
    month, next_month_day = month_of(day)
    return Windows(
        minute=minute,
        day=day,
        month=month,
        minute_reset=(minute + 1) * MINUTE - now,
        day_reset=(day + 1) * DAY - now,
        month_reset=next_month_day * DAY - now,
    )
