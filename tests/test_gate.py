"""core.prediction.gate: at most `slots` pieces of model work at once, line by line (every
visitor's headline, other verdicts, explanations), first come first served within a line."""

from __future__ import annotations

import threading
import time

import pytest

from core.prediction.gate import FairGate


def test_the_gate_holds_slots_and_serves_in_arrival_order() -> None:
    gate = FairGate(slots=1)
    order: list[int] = []
    running, most = [0], [0]
    lock = threading.Lock()

    def work(k: int) -> None:
        with gate.slot():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            order.append(k)
            time.sleep(0.02)
            with lock:
                running[0] -= 1

    with gate.slot():                       # the gate is busy while the others arrive in turn
        threads = []
        for k in range(5):
            threads.append(threading.Thread(target=work, args=(k,)))
            threads[-1].start()
            while gate.waiting < k + 1:
                time.sleep(0.001)
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4] and most[0] == 1 and gate.waiting == 0


def test_each_item_takes_its_own_turn() -> None:
    gate = FairGate(slots=2)
    seen: list[int] = []

    def items():
        for k in range(3):
            seen.append(gate._free)         # one slot taken while an item is computed
            yield k

    assert list(gate.each(items())) == [0, 1, 2] and seen == [1, 1, 1] and gate._free == 2


def test_later_work_lets_every_queued_answer_go_first() -> None:
    """An explanation (Try it's "why" map) waits while any visitor's verdict is queued,
    whatever the order they arrived in; among themselves later pieces keep their order."""
    gate = FairGate(slots=1)
    order: list[str] = []

    def work(name: str, later: bool) -> None:
        with gate.slot(later=later):
            order.append(name)

    arrivals = [("why-1", True), ("answer-1", False), ("why-2", True), ("answer-2", False)]
    with gate.slot():
        threads = []
        for k, (name, later) in enumerate(arrivals):
            threads.append(threading.Thread(target=work, args=(name, later)))
            threads[-1].start()
            while gate.waiting < k + 1:
                time.sleep(0.001)
    for thread in threads:
        thread.join(5)
    assert order == ["answer-1", "answer-2", "why-1", "why-2"] and gate.waiting == 0


def test_every_visitors_headline_goes_before_any_visitors_slower_models() -> None:
    """Pieces that lead a visitor's headline (first) are served before every other verdict, and
    those before explanations (later); each line keeps the order its pieces arrived in."""
    gate = FairGate(slots=1)
    order: list[str] = []

    def work(name: str, tier: str) -> None:
        with gate.slot(first=tier == "first", later=tier == "later"):
            order.append(name)

    arrivals = [("a-rest", "answer"), ("why-a", "later"), ("b-headline", "first"),
                ("b-rest", "answer"), ("c-headline", "first"), ("a-rest-2", "answer")]
    with gate.slot():
        threads = []
        for k, (name, tier) in enumerate(arrivals):
            threads.append(threading.Thread(target=work, args=(name, tier)))
            threads[-1].start()
            while gate.waiting < k + 1:
                time.sleep(0.001)
    for thread in threads:
        thread.join(5)
    assert order == ["b-headline", "c-headline", "a-rest", "b-rest", "a-rest-2", "why-a"]
    assert gate.waiting == 0


def test_a_piece_cannot_be_both_first_and_later() -> None:
    gate = FairGate(slots=1)
    with pytest.raises(ValueError, match="first or later"):
        with gate.slot(first=True, later=True):
            pass
    assert gate.waiting == 0 and gate._free == 1


def test_later_work_waits_while_any_verdict_is_under_way() -> None:
    """Between two of a visitor's models no piece is queued, yet a chart or an explanation
    still waits: it runs only once no visitor's verdict is under way (answering())."""
    gate = FairGate(slots=1)
    ran = threading.Event()

    def chart() -> None:
        with gate.slot(later=True):
            ran.set()

    with gate.answering():
        with gate.slot():                    # one of the visitor's models
            pass
        thread = threading.Thread(target=chart)
        thread.start()                       # the pause before the visitor's next model
        assert not ran.wait(0.3) and gate.answering_now == 1
        with gate.slot():                    # the next model still gets the free slot first
            assert not ran.is_set()
    assert ran.wait(5) and gate.answering_now == 0
    thread.join(5)


def test_a_verdict_that_fails_midway_stops_holding_back_later_work() -> None:
    gate = FairGate(slots=1)
    with pytest.raises(RuntimeError):
        with gate.answering():
            raise RuntimeError("the visitor left")
    assert gate.answering_now == 0
    with gate.slot(later=True):              # not blocked: nothing is under way
        pass
