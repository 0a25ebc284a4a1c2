"""Key-result kinds, units, the progress/score rules, and the rules a key result's fields obey.

`progress` and `score` are exact: decimal arithmetic on the stored decimals, rounded half-even
to `PROGRESS_PLACES` places (docs/domain-rules.md, "Key results"), so a key result from 0.1
to 0.3 at 0.2 is exactly 0.5 and the stored objective progress equals a recomputation's.
They run for every key result on every dashboard read (thousands per request): the numbers
arrive as the database's decimal text, and the quotient is memoised on the row's scoring
inputs, so a dashboard read again costs a dictionary lookup per key result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, TypeAlias

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from domain.check_ins import CheckInCadence
from domain.errors import Problem, UserErrorCode
from domain.updates import Update
from domain.validation import Command, Number, Text, Title, Weight


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


# Progress and scores are rounded half-even to this many decimal places: far below what a
# dashboard shows, and the scale of the stored objective progress.
PROGRESS_PLACES = 6
_QUANTUM = Decimal(1).scaleb(-PROGRESS_PLACES)
_ZERO_PLACES = Decimal(0).quantize(_QUANTUM)
# Inputs have at most 25 significant digits (domain/validation.py's number grammar), so
# differences fit in 26 and a quotient rounded to 60 digits is never a false tie at the sixth
# place: the one rounding to PROGRESS_PLACES is the only one that shows. Traps are on, so a
# value that would not fit raises instead of being rounded silently.
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)
ZERO = Decimal(0)
ONE = Decimal(1)

# A number as a rule receives it: the database's decimal text, a Decimal, or (in tests and
# callers holding literals) an int or float, taken by its shortest decimal spelling.
DecimalLike: TypeAlias = "str | Decimal | int | float"


def exact(value: DecimalLike) -> Decimal:
    """`value` as a Decimal; a float by its shortest spelling (0.1 is 0.1, not 0.1000…0555)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value) if isinstance(value, float) else value)


def rounded(value: Decimal) -> Decimal:
    """A progress or score at the documented precision (half-even, PROGRESS_PLACES)."""
    result = EXACT.quantize(value, _QUANTUM)
    # 0 / -129.5 is -0, which JSON would show as -0.0: progress has no signed zero.
    return result if result else _ZERO_PLACES


# Room for every key result a busy organisation shows (the benchmark's has 8,000), about 10 MB
# with the texts the keys hold; a check-in moves one key result to a new entry.
@lru_cache(maxsize=1 << 14)
def progress(
    kind: str,
    start: DecimalLike | None,
    target: DecimalLike | None,
    current: DecimalLike | None,
    threshold_direction: str | None,
    done: bool,
) -> Decimal:
    """Return a key result's raw, unclamped progress (1 means the target is reached), exact
    and rounded half-even to PROGRESS_PLACES.

    NUMERIC: ``(current - start) / (target - start)``, which also serves decreases; with no
    check-in yet ``current`` is ``start``, so progress is 0. THRESHOLD: 1 while the latest
    value satisfies the bound, else 0 (also with no value yet). MILESTONE: 1 when done.

    Raises ``ValueError`` for rows that break the write-time rules (a numeric key result
    without a start or target or with ``target == start``, an unknown kind or direction):
    those are bugs to surface, not progress to guess.
    """
    if kind == _NUMERIC:
        if start is None or target is None:
            raise ValueError(f"numeric key result needs a start and target, got {start}, {target}")
        first, goal = exact(start), exact(target)
        if goal == first:
            raise ValueError(f"numeric key result needs start != target, got {start}, {target}")
        if current is None:
            return ZERO
        span = EXACT.subtract(goal, first)
        return rounded(EXACT.divide(EXACT.subtract(exact(current), first), span))
    if kind == _MILESTONE:
        return ONE if done else ZERO
    if kind == _THRESHOLD:
        if target is None:
            raise ValueError("threshold key result needs a target")
        if current is None:
            return ZERO
        if threshold_direction == _AT_LEAST:
            return ONE if exact(current) >= exact(target) else ZERO
        if threshold_direction == _AT_MOST:
            return ONE if exact(current) <= exact(target) else ZERO
        raise ValueError(f"unknown threshold direction {threshold_direction!r}")
    raise ValueError(f"unknown key result kind {kind!r}")


def score(raw: Decimal) -> Decimal:
    """Clamp raw progress to [0, 1]: overshooting a target scores as reaching it."""
    if raw >= ONE:
        return ONE
    if raw > ZERO:
        return raw
    return ZERO


def direction(start: DecimalLike | None, target: DecimalLike | None) -> KeyResultDirection | None:
    """Return whether a numeric key result aims up or down.

    ``None`` when there is no start/target pair to compare (milestones, thresholds) or the
    two are equal.
    """
    if start is None or target is None:
        return None
    start, target = exact(start), exact(target)
    if target > start:
        return KeyResultDirection.INCREASE
    if target < start:
        return KeyResultDirection.DECREASE
    return None


# --- writing key results ----------------------------------------------------------------
# Everything below validates key-result writes (createKeyResult, updateKeyResult); the
# scoring functions above never see a row that breaks these rules.

# The key_result and alignment tables bound weights to (0, 1000]: one item a thousand times
# another is already more than any scorecard needs, and it keeps weighted sums short.
WEIGHT_MAX = Decimal(1000)
UNIT_LABEL_MAX = 40
DATA_SOURCE_MAX = 500
EXTERNAL_ID_MAX = 200

# ISO 4217 codes in use (list one of the standard: national currencies, funds, supranational
# units and precious metals), plus a few withdrawn since 2021 that still appear in books being
# closed (ANG, BGN, CUC, HRK, SLL, ZWL). XTS (testing) and XXX (no currency) are left out:
# a money key result always has a currency.
_CURRENCY_TABLE = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS
    INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR
    PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW
    UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA
    YER ZAR ZMW ZWG ZWL
"""
CURRENCY_CODES = frozenset(_CURRENCY_TABLE.split())

READ_ONLY_STATUSES = frozenset({"CLOSED", "ARCHIVED"})


def _error(code: UserErrorCode, message: str) -> PydanticCustomError:
    return PydanticCustomError(code.value, message)


def _weight_at_most_max(value: Decimal) -> Decimal:
    if value > WEIGHT_MAX:
        raise _error(UserErrorCode.OUT_OF_RANGE, f"At most {WEIGHT_MAX}.")
    return value


def _short_text(limit: int) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        trimmed = value.strip()
        if len(trimmed) > limit:
            raise _error(UserErrorCode.TOO_LONG, f"At most {limit} characters.")
        return trimmed or None

    return check


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in CURRENCY_CODES:
        raise _error(UserErrorCode.INVALID, "Must be an ISO 4217 code in capitals, e.g. SEK.")
    return value


def _not_negative(value: int) -> int:
    if value < 0:
        raise _error(UserErrorCode.OUT_OF_RANGE, "Must be 0 or more.")
    return value


# Weight plus the table's upper bound; shared by key results and alignments.
BoundedWeight = Annotated[Weight, AfterValidator(_weight_at_most_max)]
UnitLabel = Annotated[str | None, AfterValidator(_short_text(UNIT_LABEL_MAX))]
DataSource = Annotated[str | None, AfterValidator(_short_text(DATA_SOURCE_MAX))]
ExternalId = Annotated[str | None, AfterValidator(_short_text(EXTERNAL_ID_MAX))]
Currency = Annotated[str | None, AfterValidator(_currency)]
Position = Annotated[int, AfterValidator(_not_negative)]


class CreateKeyResult(Command):
    """A new key result, its global ids already resolved to keys."""

    objective_id: int
    title: Title
    description: Text = None
    kind: KeyResultKind
    # `type` in the API; renamed here so it does not shadow the builtin.
    result_type: KeyResultType = Field(KeyResultType.RESULT, alias="type")
    unit: KeyResultUnit = KeyResultUnit.COUNT
    currency: Currency = None
    unit_label: UnitLabel = None
    start_value: Number | None = None
    target_value: Number | None = None
    threshold_direction: ThresholdDirection | None = None
    weight: BoundedWeight = Decimal(1)
    owner_id: int | None = None
    cadence: CheckInCadence = CheckInCadence.WEEKLY
    data_source: DataSource = None
    external_id: ExternalId = None
    position: Position | None = None


class UpdateKeyResult(Update):
    """Changes to a key result: an explicit null clears a field where a key result may lack it,
    and is refused as REQUIRED (`cleared`) where it may not."""

    # Every key result has these. An owner is required too: reporting is someone's job
    # (docs/domain-rules.md, "Key results").
    never_cleared = (
        "cadence",
        "kind",
        "owner_id",
        "position",
        "result_type",
        "title",
        "unit",
        "weight",
    )

    id: int
    version: int | None = None
    title: Title | None = None
    description: Text = None
    kind: KeyResultKind | None = None
    result_type: KeyResultType | None = Field(None, alias="type")
    unit: KeyResultUnit | None = None
    currency: Currency = None
    unit_label: UnitLabel = None
    start_value: Number | None = None
    target_value: Number | None = None
    threshold_direction: ThresholdDirection | None = None
    weight: BoundedWeight | None = None
    owner_id: int | None = None
    cadence: CheckInCadence | None = None
    data_source: DataSource = None
    external_id: ExternalId = None
    position: Position | None = None


class DeleteKeyResult(Command):
    """A key result to delete with its check-ins."""

    id: int
    version: int | None = None


@dataclass(frozen=True, slots=True)
class KeyResultDraft:
    """A key result's editable state, as it would be written; the rules judge this whole state,
    so an update is checked against what the key result becomes, not only what changed."""

    title: str
    description: str | None
    kind: str
    result_type: str
    unit: str
    currency: str | None
    unit_label: str | None
    start_value: Decimal | None
    target_value: Decimal | None
    threshold_direction: str | None
    weight: Decimal
    owner_id: int | None
    cadence: str
    data_source: str | None
    external_id: str | None
    position: int


# The API name of each draft attribute, for problems found on the resulting state.
INPUT_FIELDS = {
    "title": "title",
    "description": "description",
    "kind": "kind",
    "result_type": "type",
    "unit": "unit",
    "currency": "currency",
    "unit_label": "unitLabel",
    "start_value": "startValue",
    "target_value": "targetValue",
    "threshold_direction": "thresholdDirection",
    "weight": "weight",
    "owner_id": "ownerId",
    "cadence": "cadence",
    "data_source": "dataSource",
    "external_id": "externalId",
    "position": "position",
}


def _field(attribute: str) -> tuple[str, str]:
    return ("input", INPUT_FIELDS[attribute])


def draft_from_command(
    command: CreateKeyResult, *, default_owner_id: int | None, next_position: int
) -> KeyResultDraft:
    """The state a new key result would have: the command plus the defaults the server picks
    (owner: the creator; position: after the objective's last key result)."""
    return KeyResultDraft(
        title=command.title,
        description=command.description,
        kind=command.kind.value,
        result_type=command.result_type.value,
        unit=command.unit.value,
        currency=command.currency,
        unit_label=command.unit_label,
        start_value=command.start_value,
        target_value=command.target_value,
        threshold_direction=(
            None if command.threshold_direction is None else command.threshold_direction.value
        ),
        weight=command.weight,
        owner_id=default_owner_id if command.owner_id is None else command.owner_id,
        cadence=command.cadence.value,
        data_source=command.data_source,
        external_id=command.external_id,
        position=next_position if command.position is None else command.position,
    )


def apply_update(draft: KeyResultDraft, command: UpdateKeyResult) -> KeyResultDraft:
    """The state a key result would have after the update (refuse `command.cleared()` first)."""
    # Enum members become their stored strings, like every other value of a draft.
    changes: dict[str, Any] = {
        name: value.value if isinstance(value, StrEnum) else value
        for name, value in command.changes().items()
    }
    return replace(draft, **changes)


def read_only_problems(objective_status: str, field: tuple[str, ...]) -> list[Problem]:
    """Closed and archived objectives, and what they hold, change only after a reopen."""
    if objective_status not in READ_ONLY_STATUSES:
        return []
    return [
        Problem(
            UserErrorCode.OBJECTIVE_READ_ONLY,
            field,
            f"The objective is {objective_status.lower()}; reopen it to change it.",
        )
    ]


def _wrong_kind(attribute: str, message: str) -> Problem:
    return Problem(UserErrorCode.WRONG_KIND, _field(attribute), message)


def _required(attribute: str, message: str) -> Problem:
    return Problem(UserErrorCode.REQUIRED, _field(attribute), message)


def key_result_problems(draft: KeyResultDraft) -> list[Problem]:
    """The rules between a key result's fields: what each kind measures with, and what each
    unit needs.

    NUMERIC needs a start and a different target; THRESHOLD a bound (target) and a direction;
    MILESTONE no numbers at all. CURRENCY needs an ISO 4217 code, CUSTOM a label; a code or
    label on another unit is a mistake worth reporting rather than storing.
    """
    problems: list[Problem] = []
    if draft.kind == _NUMERIC:
        if draft.start_value is None:
            problems.append(_required("start_value", "A numeric key result needs a start."))
        if draft.target_value is None:
            problems.append(_required("target_value", "A numeric key result needs a target."))
        if (
            draft.start_value is not None
            and draft.target_value is not None
            and draft.target_value == draft.start_value
        ):
            problems.append(
                Problem(
                    UserErrorCode.TARGET_EQUALS_START,
                    _field("target_value"),
                    "The target must differ from the start.",
                )
            )
        if draft.threshold_direction is not None:
            problems.append(
                _wrong_kind("threshold_direction", "Only threshold key results have one.")
            )
    elif draft.kind == _THRESHOLD:
        if draft.target_value is None:
            problems.append(_required("target_value", "A threshold needs its bound."))
        if draft.threshold_direction is None:
            problems.append(_required("threshold_direction", "AT_LEAST or AT_MOST the bound?"))
        if draft.start_value is not None:
            problems.append(_wrong_kind("start_value", "A threshold has no start value."))
    elif draft.kind == _MILESTONE:
        for attribute in ("start_value", "target_value", "threshold_direction"):
            if getattr(draft, attribute) is not None:
                problems.append(
                    _wrong_kind(attribute, "A milestone is done or not; it takes no numbers.")
                )
    if draft.unit == KeyResultUnit.CURRENCY:
        if draft.currency is None:
            problems.append(_required("currency", "A currency amount needs its ISO 4217 code."))
    elif draft.currency is not None:
        problems.append(_wrong_kind("currency", "Only CURRENCY key results have a currency."))
    if draft.unit == KeyResultUnit.CUSTOM:
        if draft.unit_label is None:
            problems.append(_required("unit_label", "A custom unit needs its label."))
    elif draft.unit_label is not None:
        problems.append(_wrong_kind("unit_label", "Only CUSTOM key results have a unit label."))
    return problems


def new_key_result_problems(draft: KeyResultDraft) -> list[Problem]:
    """`key_result_problems` plus what only a new key result must have: an owner (older rows
    without one can still be edited; an update may not clear the owner)."""
    problems = key_result_problems(draft)
    if draft.owner_id is None:
        problems.append(_required("owner_id", "Someone must report the key result's values."))
    return problems
