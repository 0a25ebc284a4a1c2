"""Key-result writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from db.progress import Connection
from db.queries import query
from domain.key_results import KeyResultDraft

# The constraints whose violations are the caller's input, not a bug (see alembic 0001).
_EXTERNAL_ID_KEY = "key_result_organization_id_external_id_key"
_OWNER_FKEY = "key_result_organization_id_owner_user_id_fkey"


class ExternalIdTakenError(Exception):
    """Another key result of the organisation has the external id (the unique constraint,
    so this also holds between concurrent writers)."""


class OwnerNotMemberError(Exception):
    """The owner left the organisation between the membership check and the write."""


@dataclass(frozen=True, slots=True)
class LockedObjective:
    id: int
    status: str
    # Who owns it (authorization).
    owner_user_id: int | None = None
    owner_team_id: int | None = None


@dataclass(frozen=True, slots=True)
class LockedKeyResult:
    id: int
    objective_id: int
    objective_status: str
    version: int
    values: KeyResultDraft
    # Who owns its objective (authorization).
    objective_owner_user_id: int | None = None
    objective_owner_team_id: int | None = None


def _decimal(text: str | None) -> Decimal | None:
    # numeric columns arrive as their exact text (db/pool.py)
    return None if text is None else Decimal(text)


async def lock_objective(
    conn: Connection, organization_id: int, objective_id: int
) -> LockedObjective | None:
    row = await conn.fetchrow(query("key_results", "lock_objective"), organization_id, objective_id)
    if row is None:
        return None
    return LockedObjective(
        id=row["id"],
        status=row["status"],
        owner_user_id=row["owner_user_id"],
        owner_team_id=row["owner_team_id"],
    )


async def is_member(conn: Connection, organization_id: int, user_id: int) -> bool:
    found: bool = await conn.fetchval(query("key_results", "is_member"), organization_id, user_id)
    return found


async def next_position(conn: Connection, organization_id: int, objective_id: int) -> int:
    position: int = await conn.fetchval(
        query("key_results", "next_position"), organization_id, objective_id
    )
    return position


def _arguments(values: KeyResultDraft) -> tuple[object, ...]:
    return (
        values.title,
        values.description,
        values.kind,
        values.result_type,
        values.unit,
        values.currency,
        values.unit_label,
        values.start_value,
        values.target_value,
        values.threshold_direction,
        values.weight,
        values.owner_id,
        values.cadence,
        values.data_source,
        values.external_id,
        values.position,
    )


def _translate(error: asyncpg.IntegrityConstraintViolationError) -> Exception:
    constraint = getattr(error, "constraint_name", None)
    if constraint == _EXTERNAL_ID_KEY:
        return ExternalIdTakenError()
    if constraint == _OWNER_FKEY:
        return OwnerNotMemberError()
    return error


async def insert(
    conn: Connection,
    organization_id: int,
    objective_id: int,
    values: KeyResultDraft,
    now: dt.datetime,
) -> int:
    """Insert a key result; its id. Raises ExternalIdTakenError / OwnerNotMemberError."""
    try:
        key_result_id: int = await conn.fetchval(
            query("key_results", "insert_key_result"),
            organization_id,
            objective_id,
            *_arguments(values),
            now,
        )
    except asyncpg.IntegrityConstraintViolationError as error:
        raise _translate(error) from None
    return key_result_id


async def lock(
    conn: Connection, organization_id: int, key_result_id: int
) -> LockedKeyResult | None:
    row = await conn.fetchrow(
        query("key_results", "lock_key_result"), organization_id, key_result_id
    )
    if row is None:
        return None
    return LockedKeyResult(
        id=row["id"],
        objective_id=row["objective_id"],
        objective_status=row["objective_status"],
        version=row["version"],
        values=KeyResultDraft(
            title=row["title"],
            description=row["description"],
            kind=row["kind"],
            result_type=row["result_type"],
            unit=row["unit"],
            currency=row["currency"],
            unit_label=row["unit_label"],
            start_value=_decimal(row["start_value"]),
            target_value=_decimal(row["target_value"]),
            threshold_direction=row["threshold_direction"],
            weight=Decimal(row["weight"]),
            owner_id=row["owner_id"],
            cadence=row["cadence"],
            data_source=row["data_source"],
            external_id=row["external_id"],
            position=row["position"],
        ),
        objective_owner_user_id=row["objective_owner_user_id"],
        objective_owner_team_id=row["objective_owner_team_id"],
    )


async def update(
    conn: Connection,
    organization_id: int,
    key_result_id: int,
    values: KeyResultDraft,
    now: dt.datetime,
) -> int:
    """Write the key result's editable state; its new version. Raises like `insert`."""
    try:
        version: int = await conn.fetchval(
            query("key_results", "update_key_result"),
            organization_id,
            key_result_id,
            *_arguments(values),
            now,
        )
    except asyncpg.IntegrityConstraintViolationError as error:
        raise _translate(error) from None
    return version


async def delete(conn: Connection, organization_id: int, key_result_id: int) -> None:
    await conn.execute(query("key_results", "delete_key_result"), organization_id, key_result_id)
