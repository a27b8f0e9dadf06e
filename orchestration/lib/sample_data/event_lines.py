"""Event lines while a shard builds them: the fixed pieces lines are glued from, and the per-day buffers events
are routed into (today's, or a later day's when an event happens after the end of today).

A buffered event is (code, head, body): the written line is head + messageId/timestamp middle + body, the
middle filled in when the day is written (event_files).  code = t_ms << 5 | timestamp style << 1 | unknown flag.
"""

from __future__ import annotations

from orchestration.lib.sample_data.clock import DAY_MS
from orchestration.lib.sample_data.contract import CONTRACT_EVENTS
from orchestration.lib.sample_data.tracking import (
    UNKNOWN_CART_EVENTS,
    UNKNOWN_OTHER_EVENTS,
    UNKNOWN_PRODUCT_EVENTS,
)

TRACK_HEAD = '{"type":"track","messageId":"'
PAGE_HEAD = '{"type":"page","messageId":"'
IDENTIFY_HEAD = '{"type":"identify","messageId":"'
LINE_END = '"}}}\n'  # closes page.url, page, context and the line; every buffered body ends with the newline


def event_prefix(name: str) -> str:
    """The piece of a track line between the identities and the properties object."""
    return ',"event":"' + name + '","properties":'


EVENT_PREFIX = {n: event_prefix(n) for n in
                CONTRACT_EVENTS | set(UNKNOWN_PRODUCT_EVENTS) | set(UNKNOWN_CART_EVENTS) | set(UNKNOWN_OTHER_EVENTS)}


class DayBuffer:
    """A day's events as parallel lists: code = t_ms << 5 | style << 1 | unknown flag."""

    __slots__ = ("codes", "heads", "bodies", "late")

    def __init__(self):
        self.codes: list[int] = []
        self.heads: list[str] = []
        self.bodies: list[str] = []
        self.late: list[tuple[int, int]] = []  # (index, sort key) of late-delivered events


class EventRouter:
    """Today's buffer and the buffers of later days of the window; `start_day` moves on to the next day."""

    def __init__(self, day_starts: list[int], as_of_ms: int):
        self.day_starts = day_starts
        self.first_day_start = day_starts[0]
        self.day_count = len(day_starts)
        self.as_of_ms = as_of_ms
        self.pending: dict[int, DayBuffer] = {}
        self.today: DayBuffer | None = None
        self.day_index = -1
        self.day_start = self.day_end = 0

    def start_day(self, day_index: int) -> DayBuffer:
        self.today = self.pending.pop(day_index, None) or DayBuffer()
        self.day_index = day_index
        self.day_start = self.day_starts[day_index]
        self.day_end = self.day_start + DAY_MS
        return self.today

    def end_day(self) -> None:
        self.today = None

    def route(self, t, head, body, style, flags) -> bool:
        """Put an event in today's buffer, or a later day's when it happens after today."""
        if t >= self.as_of_ms:
            return False
        if t < self.day_end:
            b = self.today
        else:
            di = (t - self.first_day_start) // DAY_MS
            if di >= self.day_count:
                return False
            b = self.pending.get(di)
            if b is None:
                b = self.pending[di] = DayBuffer()
        b.codes.append(t << 5 | style << 1 | flags)
        b.heads.append(head)
        b.bodies.append(body)
        return True
