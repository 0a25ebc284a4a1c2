"""What a process costs, read from /proc: CPU seconds, peak memory, and Postgres' own processes.

CPU time is utime + stime of all threads (Node's GC and libuv helpers count). Peak memory is
VmHWM, reset before each run by writing 5 to /proc/PID/clear_refs (only ever for a server this
harness started), so each run reports its own peak. Postgres is found through the postmaster
of the server the bench connects to (its data directory's postmaster.pid), never by process
name: other Postgres servers on the machine are left alone.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def parent_pid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def memory_mb(pid: int, field: str = "VmRSS") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except FileNotFoundError:
        return None
    return None


def reset_peak_memory(pid: int) -> None:
    """Make VmHWM start again from the current RSS (Linux >= 4.0)."""
    # If the kernel refuses, the peak is the process's lifetime peak: still an upper bound.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def steal_seconds() -> float:
    """Time the hypervisor took from this VM (all CPUs): a run with much of it is suspect."""
    return int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8]) / TICK


class Postgres:
    """The postmaster of the bench's server and its children (backends, background workers)."""

    def __init__(self, data_directory: str) -> None:
        pid_file = Path(data_directory) / "postmaster.pid"
        self.postmaster = int(pid_file.read_text().split("\n", 1)[0])
        self._original: set[int] | None = None

    def pids(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and parent_pid(int(entry.name)) == self.postmaster:
                children.append(int(entry.name))
        return [self.postmaster, *children]

    def pin(self, cpus: set[int]) -> None:
        """Pin every process; new backends inherit the postmaster's affinity."""
        if self._original is None:
            self._original = os.sched_getaffinity(self.postmaster)
        self._set_affinity(cpus)

    def restore(self) -> None:
        if self._original is not None:
            self._set_affinity(self._original)
            self._original = None

    def _set_affinity(self, cpus: set[int]) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):  # a backend exited
                os.sched_setaffinity(pid, cpus)


class PostgresCpu:
    """CPU seconds of the Postgres processes over a window, sampled every 0.25 s in a thread.

    Backends that exit during the window (a pool closing idle connections) keep the CPU they
    had at their last sample, so the sum never goes backwards."""

    def __init__(self, postgres: Postgres, interval: float = 0.25) -> None:
        self._postgres = postgres
        self._interval = interval
        self._start = {p: cpu_seconds(p) for p in postgres.pids()}
        self._last = dict(self._start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        for pid in self._postgres.pids():
            value = cpu_seconds(pid)
            if value >= self._last.get(pid, 0.0):
                self._last[pid] = value

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._sample()
        return sum(v - self._start.get(p, 0.0) for p, v in self._last.items())


def wait_idle(pid: int, timeout: float = 60, interval: float = 0.5) -> float:
    """Wait until a server stops burning CPU (work left by requests abandoned when wrk stopped).

    Idle = under 10% of a core for two intervals in a row. Returns the seconds waited."""
    t0 = time.monotonic()
    quiet, last = 0, cpu_seconds(pid)
    while time.monotonic() - t0 < timeout and quiet < 2:
        time.sleep(interval)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.1 * interval else 0
        last = now
    return round(time.monotonic() - t0, 1)


def cpu_probe_ms(cpu: int) -> float | None:
    """Wall time of a fixed pure-Python loop on `cpu`: this (virtual) CPU's speed right now."""
    import subprocess
    import sys

    code = (
        "import time\nt=time.perf_counter()\nx=0\n"
        "for i in range(3_000_000): x += i*i % 7\nprint((time.perf_counter()-t)*1000)"
    )
    cmd = ["taskset", "-c", str(cpu), sys.executable, "-c", code]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
        return round(float(out), 1)
    except (ValueError, subprocess.TimeoutExpired):
        return None
