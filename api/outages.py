"""Logging a database outage once, not once per refused request.

While the database is unreachable every request is answered 503 DATABASE_UNAVAILABLE, at
whatever rate clients send them: one ERROR line per request drowned the logs (about 1,700 lines
in 20 s). Instead: one ERROR when the first request is refused, a WARNING summary with the
count at most every `interval` seconds while it lasts (written by the next refusal after
that), and one WARNING with the total once a request is served again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("okrql.outage")


class OutageLog:
    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.active = False
        self.started = 0.0
        self.total = 0
        self.since_summary = 0
        self.last_summary = 0.0

    def refused(self, error: BaseException) -> None:
        """A request was refused because the database is unavailable."""
        now = self.clock()
        if not self.active:
            self.active = True
            self.started = self.last_summary = now
            self.total = self.since_summary = 1
            log.error(
                "database unavailable: %s: %s; requests are answered 503 until it is back "
                "(summarised every %g s)",
                type(error).__name__, error, self.interval,
            )  # fmt: skip
            return
        self.total += 1
        self.since_summary += 1
        if now - self.last_summary >= self.interval:
            log.warning(
                "database still unavailable after %.0f s: %d requests answered 503 in the last "
                "%.0f s (last error %s: %s)",
                now - self.started, self.since_summary, now - self.last_summary,
                type(error).__name__, error,
            )  # fmt: skip
            self.since_summary = 0
            self.last_summary = now

    def served(self) -> None:
        """A request reached the database; callers test `active` first, so the hot path pays
        one attribute read."""
        if not self.active:
            return
        self.active = False
        log.warning(
            "database available again after %.0f s; %d requests were answered 503",
            self.clock() - self.started, self.total,
        )  # fmt: skip
