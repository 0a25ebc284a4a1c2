"""Key-result kinds, units and the progress/score rules.

`progress` and `score` run for every key result on every dashboard read (thousands per
request), so they are plain float maths on plain arguments: no models, no Decimal, no
enum construction. Callers pass floats (cast NUMERIC columns to float8 in SQL) and the
enum values as the strings the database stores.
"""

from __future__ import annotations

from enum import StrEnum


class KeyResultKind(StrEnum):
    """How a key result measures progress."""

    NUMERIC = "NUMERIC"
    THRESHOLD = "THRESHOLD"
    MILESTONE = "MILESTONE"


class KeyResultType(StrEnum):
    """Whether a key result is an outcome or the work that drives one."""

    RESULT = "RESULT"
    ACTIVITY = "ACTIVITY"


class KeyResultUnit(StrEnum):
    """The unit of a key result's values."""

    PERCENT = "PERCENT"
    COUNT = "COUNT"
    CURRENCY = "CURRENCY"
    CUSTOM = "CUSTOM"


class ThresholdDirection(StrEnum):
    """Which side of a threshold key result's value must stay on."""

    AT_LEAST = "AT_LEAST"
    AT_MOST = "AT_MOST"


class KeyResultDirection(StrEnum):
    """Whether a numeric key result aims up or down."""

    INCREASE = "INCREASE"
    DECREASE = "DECREASE"


# Plain str constants: comparing a row's str to an interned str is the cheapest test, and
# an enum member still compares equal because StrEnum inherits str.__eq__.
_NUMERIC: str = KeyResultKind.NUMERIC.value
_THRESHOLD: str = KeyResultKind.THRESHOLD.value
_MILESTONE: str = KeyResultKind.MILESTONE.value
_AT_LEAST: str = ThresholdDirection.AT_LEAST.value
_AT_MOST: str = ThresholdDirection.AT_MOST.value


def progress(
    kind: str,
    start: float | None,
    target: float | None,
    current: float | None,
    threshold_direction: str | None,
    done: bool,
) -> float:
    """Return a key result's raw, unclamped progress (1.0 means the target is reached).

    NUMERIC: ``(current - start) / (target - start)``, which also serves decreases; with no
    check-in yet ``current`` is ``start``, so progress is 0. THRESHOLD: 1.0 while the latest
    value satisfies the bound, else 0.0 (also with no value yet). MILESTONE: 1.0 when done.

    Raises ``ValueError`` for rows that break the write-time rules (a numeric key result
    without a start or target or with ``target == start``, an unknown kind or direction):
    those are bugs to surface, not progress to guess.
    """
    if kind == _NUMERIC:
        if start is None or target is None or target == start:
            raise ValueError(f"numeric key result needs start != target, got {start}, {target}")
        if current is None:
            return 0.0
        return (current - start) / (target - start)
    if kind == _MILESTONE:
        return 1.0 if done else 0.0
    if kind == _THRESHOLD:
        if target is None:
            raise ValueError("threshold key result needs a target")
        if current is None:
            return 0.0
        if threshold_direction == _AT_LEAST:
            return 1.0 if current >= target else 0.0
        if threshold_direction == _AT_MOST:
            return 1.0 if current <= target else 0.0
        raise ValueError(f"unknown threshold direction {threshold_direction!r}")
    raise ValueError(f"unknown key result kind {kind!r}")


def score(raw: float) -> float:
    """Clamp raw progress to [0, 1]: overshooting a target scores as reaching it.

    NaN scores 0.0 rather than leaking out, since both comparisons are false for it.
    """
    if raw >= 1.0:
        return 1.0
    if raw > 0.0:
        return raw
    return 0.0


def direction(start: float | None, target: float | None) -> KeyResultDirection | None:
    """Return whether a numeric key result aims up or down.

    ``None`` when there is no start/target pair to compare (milestones, thresholds) or the
    two are equal.
    """
    if start is None or target is None:
        return None
    if target > start:
        return KeyResultDirection.INCREASE
    if target < start:
        return KeyResultDirection.DECREASE
    return None
