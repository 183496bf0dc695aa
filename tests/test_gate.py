"""core.prediction.gate: at most `slots` pieces of model work at once, first come first served."""

from __future__ import annotations

import threading
import time

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
