"""The resident memory, CPU time and zombies of a process and its descendants (psutil)."""

from __future__ import annotations

import threading
import time


def _tree(pid: int) -> list:
    """The process and its descendants as psutil.Process objects (empty once it has gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.Error:
        return []


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it has gone)."""
    import psutil

    total = 0
    for proc in _tree(pid):
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def zombies(pid: int) -> list[str]:
    """The descendants of a process that exited and were never reaped (`<defunct>`), as
    "name (pid)"."""
    import psutil

    found = []
    for proc in _tree(pid)[1:]:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                found.append(f"{proc.name()} ({proc.pid})")
        except psutil.Error:
            pass
    return found


class TreeSampler(threading.Thread):
    """Samples a process tree every `every_s` s in the background: `peak` and `last` resident
    bytes, `samples` ((monotonic s, bytes), ...), and `cpu_s`, its CPU seconds so far (children
    that have gone included). Stop it with `stop()`."""

    def __init__(self, pid: int, every_s: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.peak, self.last, self.cpu_s = 0, 0, 0.0
        self.samples: list[tuple[float, int]] = []
        self._cpu: dict[int, float] = {}
        self._stop = threading.Event()

    def run(self) -> None:
        """Sample until stopped or until the process has gone."""
        import psutil

        while not self._stop.is_set():
            procs = _tree(self.pid)
            if not procs:
                return
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    self._cpu[proc.pid] = times.user + times.system
                except psutil.Error:
                    pass
            self.last, self.peak = total, max(self.peak, total)
            self.samples.append((time.monotonic(), total))
            self.cpu_s = sum(self._cpu.values())
            self._stop.wait(self.every_s)

    def stop(self) -> None:
        """Stop sampling (the thread ends within one period)."""
        self._stop.set()

    def median_mb(self, since: float, until: float) -> float:
        """Median resident memory (MiB) of the samples taken between two monotonic times; the
        latest sample's when none falls in between."""
        inside = sorted(b for t, b in self.samples if since <= t <= until)
        value = inside[len(inside) // 2] if inside else self.last
        return value / 2**20


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot, all cores together (Linux's
    /proc/stat: every state but idle and iowait); 0.0 where it cannot be read."""
    import os

    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def named_cpu_s(name: str) -> float:
    """CPU seconds so far of every running process whose name starts with name (the
    browsers' share, say)."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["name", "cpu_times"]):
        times = proc.info.get("cpu_times")
        if times is not None and (proc.info.get("name") or "").startswith(name):
            total += times.user + times.system
    return total
