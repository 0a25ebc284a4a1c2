"""An outage is logged once, summarised periodically, and its end once (api/outages.py)."""

from __future__ import annotations

import logging

import pytest

from api.outages import OutageLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "okrql.outage"]


def test_an_outage_is_one_error_then_summaries_then_one_line_at_its_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outages = OutageLog(30, clock)
    caplog.set_level(logging.DEBUG, logger="okrql.outage")
    # when 100 requests are refused within the first interval
    for _ in range(100):
        outages.refused(ConnectionRefusedError("refused"))
        clock.now += 0.1
    # then one ERROR says the outage began
    records = _records(caplog)
    assert [level for level, _ in records] == [logging.ERROR]
    assert "ConnectionRefusedError" in records[0][1]
    # when the interval has passed, the next refusal writes a summary with the count
    clock.now = 131.0
    outages.refused(ConnectionRefusedError("refused"))
    records = _records(caplog)
    assert [level for level, _ in records] == [logging.ERROR, logging.WARNING]
    assert "101 requests answered 503" in records[1][1]
    # when a request is served again, one line ends the outage with the total
    outages.served()
    outages.served()
    records = _records(caplog)
    assert len(records) == 3
    assert "available again" in records[2][1]
    assert "101 requests were answered 503" in records[2][1]
    assert not outages.active


def test_a_second_outage_is_reported_afresh(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outages = OutageLog(30, clock)
    caplog.set_level(logging.DEBUG, logger="okrql.outage")
    outages.refused(OSError("down"))
    outages.served()
    outages.refused(OSError("down again"))
    levels = [level for level, _ in _records(caplog)]
    assert levels == [logging.ERROR, logging.WARNING, logging.ERROR]


def test_nothing_is_logged_while_the_database_is_fine(caplog: pytest.LogCaptureFixture) -> None:
    outages = OutageLog(30, Clock())
    caplog.set_level(logging.DEBUG, logger="okrql.outage")
    for _ in range(10):
        outages.served()
    assert _records(caplog) == []
