"""A fair gate around model work shared by many visitors of one server.

Each visitor's request runs in its own thread; left alone, eight uploads at once split two
cores eight ways and every visitor waits for the slowest. The gate lets `slots` pieces of work
run at a time and serves the others first come, first served: a piece is one model scoring one
clip (or one clip of a batch), so a heavy request (a batch of 200 clips, a 10-minute file) goes
back in the queue between pieces and cannot starve a single short clip that arrived meanwhile.

Pieces wait in three lines, served in this order: FIRST (what a visitor needs for the headline
answer: decoding the clip and the model that leads it, core.prediction.streaming), ANSWER (every
other verdict) and LATER (explanations and charts, such as Try it's "why" map). Within a line,
first come, first served. So with sixteen visitors uploading at once, every visitor's headline
comes before any visitor's slower models, and those before any explanation.

A visitor's verdict is a run of pieces with pauses between them (the page draws each verdict):
`answering()` marks such a run from its first piece to its last, and LATER pieces wait while any
visitor's verdict is under way, not only while a piece is queued, so that no chart or
explanation (and the browser's work of drawing it) slips into those pauses.
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

#: The lines of the gate, in the order they are served.
FIRST, ANSWER, LATER = 0, 1, 2


class FairGate:
    """At most `slots` holders at a time; waiters go through line by line (FIRST, then ANSWER,
    then LATER), each line in the order its pieces arrived."""

    def __init__(self, slots: int = INFERENCE_SLOTS):
        self.slots = max(1, int(slots))
        self._free = self.slots
        self._lines: tuple[deque[object], ...] = (deque(), deque(), deque())
        self._answering = 0
        self._cond = threading.Condition()

    @property
    def waiting(self) -> int:
        """Pieces of work queued behind the ones running."""
        with self._cond:
            return sum(len(line) for line in self._lines)

    @property
    def answering_now(self) -> int:
        """Visitors' verdicts under way (inside answering())."""
        with self._cond:
            return self._answering

    def _my_turn(self, ticket: object) -> bool:
        """Whether ticket heads the first line that is not empty and a slot is free; a LATER
        piece also waits while any verdict is under way (the lock held)."""
        if self._free == 0:
            return False
        line = next(line for line in self._lines if line)
        if line is self._lines[LATER] and self._answering:
            return False
        return line[0] is ticket

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Mark one visitor's verdict as under way for the duration of the block: LATER pieces
        wait until no verdict is (the mark is removed however the block ends)."""
        with self._cond:
            self._answering += 1
        try:
            yield
        finally:
            with self._cond:
                self._answering -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def slot(self, later: bool = False, first: bool = False) -> Iterator[None]:
        """Hold one slot for the duration of the block (waiting in line for it first).
        first: the piece leads a visitor's headline answer (FIRST line); later: it explains a
        verdict and lets every queued answer go first (LATER line); neither: ANSWER."""
        if first and later:
            raise ValueError("a piece of work is either first or later, not both")
        ticket = object()
        line = self._lines[FIRST if first else LATER if later else ANSWER]
        with self._cond:
            line.append(ticket)
            while not self._my_turn(ticket):
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
        """The items of an iterator, each one computed while holding a slot in the ANSWER line
        (the slot is given back between items, so other requests take turns)."""
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
