"""A fair gate around model work shared by many visitors of one server.

Each visitor's request runs in its own thread; left alone, eight uploads at once split two
cores eight ways and every visitor waits for the slowest. The gate lets `slots` pieces of work
run at a time and serves the others first come, first served: a piece is one model scoring one
clip (or one clip of a batch), so a heavy request (a batch of 200 clips, a 10-minute file) goes
back in the queue between pieces and cannot starve a single short clip that arrived meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from typing import Iterator, TypeVar

T = TypeVar("T")

#: Pieces of model work run at once in one server (the rest of the cores serve the pages).
INFERENCE_SLOTS: int = max(1, (os.cpu_count() or 1) // 2)


class FairGate:
    """At most `slots` holders at a time; waiters go through in the order they arrived, except
    that work marked `later` (an explanation, not an answer) waits while any answer is queued."""

    def __init__(self, slots: int = INFERENCE_SLOTS):
        self.slots = max(1, int(slots))
        self._free = self.slots
        self._queue: deque[object] = deque()
        self._later: deque[object] = deque()
        self._cond = threading.Condition()

    @property
    def waiting(self) -> int:
        """Pieces of work queued behind the ones running."""
        with self._cond:
            return len(self._queue) + len(self._later)

    def _my_turn(self, ticket: object, later: bool) -> bool:
        """Whether ticket may take a free slot now (the lock held)."""
        if self._free == 0:
            return False
        if later:
            return not self._queue and self._later[0] is ticket
        return self._queue[0] is ticket

    @contextlib.contextmanager
    def slot(self, later: bool = False) -> Iterator[None]:
        """Hold one slot for the duration of the block (waiting in line for it first); later:
        let every queued answer go first (Try it's "why" map waits for other visitors' verdicts)."""
        ticket = object()
        line = self._later if later else self._queue
        with self._cond:
            line.append(ticket)
            while not self._my_turn(ticket, later):
                self._cond.wait()
            line.popleft()
            self._free -= 1
            self._cond.notify_all()   # the next in line may take another free slot
        try:
            yield
        finally:
            with self._cond:
                self._free += 1
                self._cond.notify_all()

    def each(self, items: Iterator[T]) -> Iterator[T]:
        """The items of an iterator, each one computed while holding a slot (the slot is given
        back between items, so other requests take turns)."""
        items = iter(items)
        while True:
            with self.slot():
                try:
                    item = next(items)
                except StopIteration:
                    return
            yield item


#: The gate of this process (the Streamlit server's visitors share it).
GATE = FairGate()
