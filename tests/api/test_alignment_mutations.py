"""alignObjective and removeAlignment: the DAG rules, also under concurrent requests."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from db.ids import encode_id
from domain.alignments import has_cycle
from services.progress import recompute_all
from tests.arrange import objective_tree
from tests.derived import assert_matches_recomputation
from tests.graphql import GraphQLClient

ALIGN = """mutation ($input: AlignObjectiveInput!) {
  alignObjective(input: $input) {
    child { id title parents(first: 10) { nodes { id } } }
    parent { id progress children(first: 10) { totalCount nodes { id } } }
    parentKeyResult { id title }
    userErrors { field message code }
  }
}"""

REMOVE = """mutation ($input: RemoveAlignmentInput!) {
  removeAlignment(input: $input) {
    child { id parents(first: 10) { totalCount } }
    parent { id progress children(first: 10) { totalCount nodes { id } } }
    userErrors { field message code }
  }
}"""


def gid(objective_id: int) -> str:
    return encode_id("Objective", objective_id)


async def _cycle(
    conn: asyncpg.Connection[Any], org: dict[str, Any], name: str, starts: str, ends: str
) -> int:
    cycle_id: int = await conn.fetchval(
        "INSERT INTO cycle (organization_id, name, starts_on, ends_on)"
        " VALUES ($1, $2, $3::text::date, $4::text::date) RETURNING id",
        org["id"],
        name,
        starts,
        ends,
    )
    return cycle_id


async def _objective(
    conn: asyncpg.Connection[Any], org: dict[str, Any], cycle_id: int, title: str
) -> int:
    objective_id: int = await conn.fetchval(
        "INSERT INTO objective (organization_id, cycle_id, level, title)"
        " VALUES ($1, $2, 'COMPANY', $3) RETURNING id",
        org["id"],
        cycle_id,
        title,
    )
    return objective_id


@pytest.fixture
async def tree(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> dict[str, Any]:
    """Q4 2026: a company objective driven by its aligned children (1 and 2 under 0), a fourth
    objective standing alone; Q1 2027 (disjoint) and the year 2026 (overlapping) each with one."""
    async with pool.acquire() as conn, conn.transaction():
        ids = await objective_tree(conn, org["id"], org["admin_id"], 4)
        await conn.execute(
            "DELETE FROM alignment WHERE organization_id = $1 AND child_objective_id = $2",
            org["id"],
            ids[3],
        )
        await conn.execute(
            "UPDATE objective SET progress_source = 'CHILDREN' WHERE organization_id = $1"
            " AND id = $2",
            org["id"],
            ids[0],
        )
        next_quarter = await _cycle(conn, org, "Q1 2027", "2027-01-01", "2027-03-31")
        year = await _cycle(conn, org, "2026", "2026-01-01", "2026-12-31")
        later = await _objective(conn, org, next_quarter, "Nästa kvartal")
        annual = await _objective(conn, org, year, "Årsmål: växa från 1,5 till 2,5 MUSD")
        await recompute_all(conn, org["id"])
        key_results = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM key_result WHERE organization_id = $1 ORDER BY objective_id, id",
                org["id"],
            )
        ]
    return {"ids": ids, "later": later, "annual": annual, "krs": key_results}


async def _state(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> list[Any]:
    """What a refused write must leave as it was: alignments, objectives, events."""
    return [
        [
            tuple(r)
            for r in await pool.fetch(
                f"SELECT * FROM {table} WHERE organization_id = $1 ORDER BY id", org["id"]
            )
        ]
        for table in ("alignment", "objective", "key_result", "event")
    ]


async def _edges(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> list[tuple[int, int]]:
    return [
        (r["child_objective_id"], r["parent_objective_id"])
        for r in await pool.fetch(
            "SELECT child_objective_id, parent_objective_id FROM alignment"
            " WHERE organization_id = $1",
            org["id"],
        )
    ]


async def _refused(
    gql: GraphQLClient,
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    document: str,
    input: dict[str, Any],
) -> list[tuple[tuple[str, ...], str]]:
    before = await _state(pool, org)
    response = await gql.post(document, {"input": input})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    [payload] = body["data"].values()
    assert (payload["child"], payload["parent"]) == (None, None)
    assert payload["userErrors"]
    assert await _state(pool, org) == before, "a refused write leaves no trace"
    return [(tuple(e["field"]), e["code"]) for e in payload["userErrors"]]


async def test_aligning_a_child_moves_a_parent_driven_by_children(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    root, first, second, alone = tree["ids"]
    before = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { progress } } }", {"id": gid(root)}
    )
    # when the standalone objective is aligned under the root with weight 2, supporting a KR
    payload = (
        await gql.data(
            ALIGN,
            {
                "input": {
                    "childObjectiveId": gid(alone),
                    "parentObjectiveId": gid(root),
                    "parentKeyResultId": encode_id("KeyResult", tree["krs"][0]),
                    "weight": "2",
                }
            },
        )
    )["alignObjective"]
    # then both ends show the alignment and the root's progress counts the new child
    assert payload["userErrors"] == []
    assert payload["child"]["parents"]["nodes"] == [{"id": gid(root)}]
    assert {n["id"] for n in payload["parent"]["children"]["nodes"]} == {
        gid(first),
        gid(second),
        gid(alone),
    }
    assert payload["parentKeyResult"]["id"] == encode_id("KeyResult", tree["krs"][0])
    progress = {
        r["id"]: r["progress"]
        for r in await pool.fetch(
            "SELECT id, progress::float8 AS progress FROM objective WHERE organization_id = $1",
            org["id"],
        )
    }
    expected = (progress[first] + progress[second] + 2 * progress[alone]) / 4
    assert payload["parent"]["progress"] == pytest.approx(expected, abs=1e-6)
    assert payload["parent"]["progress"] != before["node"]["progress"]
    event = await pool.fetchrow(
        "SELECT type, subject_type, actor_user_id, after FROM event"
        " WHERE organization_id = $1 ORDER BY id DESC LIMIT 1",
        org["id"],
    )
    assert (event["type"], event["subject_type"], event["actor_user_id"]) == (
        "alignment.created",
        "Alignment",
        org["admin_id"],
    )
    assert event["after"] == {  # references are global ids, as in every answer
        "childObjectiveId": gid(alone),
        "parentObjectiveId": gid(root),
        "parentKeyResultId": encode_id("KeyResult", tree["krs"][0]),
        "weight": "2",
    }
    await assert_matches_recomputation(pool, org["id"])


async def test_an_objective_may_support_several_parents_across_overlapping_cycles(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    root, first, _, _ = tree["ids"]
    # the root (Q4) supports the annual objective (2026): overlapping cycles
    up = (
        await gql.data(
            ALIGN,
            {"input": {"childObjectiveId": gid(root), "parentObjectiveId": gid(tree["annual"])}},
        )
    )["alignObjective"]
    assert up["userErrors"] == []
    # and the first child supports the annual objective directly too (a second parent)
    shortcut = (
        await gql.data(
            ALIGN,
            {"input": {"childObjectiveId": gid(first), "parentObjectiveId": gid(tree["annual"])}},
        )
    )["alignObjective"]
    assert shortcut["userErrors"] == []
    assert {n["id"] for n in shortcut["child"]["parents"]["nodes"]} == {
        gid(root),
        gid(tree["annual"]),
    }
    assert not has_cycle(await _edges(pool, org))
    await assert_matches_recomputation(pool, org["id"])


async def test_the_parent_chain_follows_a_change_below(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given root -> annual, with the annual objective driven by its children
    root, _, _, alone = tree["ids"]
    await pool.execute(
        "UPDATE objective SET progress_source = 'CHILDREN' WHERE organization_id = $1 AND id = $2",
        org["id"],
        tree["annual"],
    )
    await gql.data(
        ALIGN, {"input": {"childObjectiveId": gid(root), "parentObjectiveId": gid(tree["annual"])}}
    )
    # when an objective is aligned under the root, and then removed again
    await gql.data(
        ALIGN, {"input": {"childObjectiveId": gid(alone), "parentObjectiveId": gid(root)}}
    )
    await assert_matches_recomputation(pool, org["id"])
    annual = await pool.fetchval(
        "SELECT progress FROM objective WHERE organization_id = $1 AND id = $2",
        org["id"],
        tree["annual"],
    )
    payload = (
        await gql.data(
            REMOVE, {"input": {"childObjectiveId": gid(alone), "parentObjectiveId": gid(root)}}
        )
    )["removeAlignment"]
    # then the grandparent was recomputed each time, from scratch-equal inputs
    assert payload["userErrors"] == []
    await assert_matches_recomputation(pool, org["id"])
    assert annual != await pool.fetchval(
        "SELECT progress FROM objective WHERE organization_id = $1 AND id = $2",
        org["id"],
        tree["annual"],
    )


async def test_removing_an_alignment(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    root, first, second, _ = tree["ids"]
    payload = (
        await gql.data(
            REMOVE, {"input": {"childObjectiveId": gid(first), "parentObjectiveId": gid(root)}}
        )
    )["removeAlignment"]
    assert payload["userErrors"] == []
    assert payload["child"]["parents"]["totalCount"] == 0
    assert payload["parent"]["children"]["nodes"] == [{"id": gid(second)}]
    second_progress = await pool.fetchval(
        "SELECT progress::float8 FROM objective WHERE organization_id = $1 AND id = $2",
        org["id"],
        second,
    )
    assert payload["parent"]["progress"] == pytest.approx(second_progress, abs=1e-6)
    event = await pool.fetchrow(
        "SELECT type, before, after FROM event WHERE organization_id = $1 ORDER BY id DESC LIMIT 1",
        org["id"],
    )
    assert (event["type"], event["before"]["childObjectiveId"], event["after"]) == (
        "alignment.removed",
        gid(first),
        None,
    )
    # removing it again: there is nothing to remove
    errors = await _refused(
        gql, pool, org, REMOVE, {"childObjectiveId": gid(first), "parentObjectiveId": gid(root)}
    )
    assert errors == [(("input", "parentObjectiveId"), "NOT_FOUND")]
    await assert_matches_recomputation(pool, org["id"])


def _bad_alignments(tree: dict[str, Any]) -> list[tuple[dict[str, Any], str, str]]:
    root, first, _, alone = tree["ids"]
    return [
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(alone)},
         "parentObjectiveId", "ALIGNMENT_SELF"),
        # root <- first exists, so first <- root closes a loop of two
        ({"childObjectiveId": gid(root), "parentObjectiveId": gid(first)},
         "parentObjectiveId", "ALIGNMENT_CYCLE"),
        ({"childObjectiveId": gid(first), "parentObjectiveId": gid(root)},
         "parentObjectiveId", "ALIGNMENT_EXISTS"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(tree["later"])},
         "parentObjectiveId", "ALIGNMENT_CYCLES_DISJOINT"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(root),
          "parentKeyResultId": encode_id("KeyResult", tree["krs"][-1])},
         "parentKeyResultId", "INVALID"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(root),
          "parentKeyResultId": encode_id("KeyResult", 987654321)},
         "parentKeyResultId", "NOT_FOUND"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(root),
          "parentKeyResultId": gid(root)},
         "parentKeyResultId", "INVALID_ID"),
        ({"childObjectiveId": gid(987654321), "parentObjectiveId": gid(root)},
         "childObjectiveId", "NOT_FOUND"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(987654321)},
         "parentObjectiveId", "NOT_FOUND"),
        ({"childObjectiveId": encode_id("KeyResult", alone), "parentObjectiveId": gid(root)},
         "childObjectiveId", "INVALID_ID"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": encode_id("Cycle", 1)},
         "parentObjectiveId", "INVALID_ID"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": "garbage"},
         "parentObjectiveId", "INVALID_ID"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(root), "weight": "0"},
         "weight", "NOT_POSITIVE"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(root), "weight": "-1"},
         "weight", "NOT_POSITIVE"),
        ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(root), "weight": "1001"},
         "weight", "OUT_OF_RANGE"),
        *[
            ({"childObjectiveId": gid(alone), "parentObjectiveId": gid(root), "weight": value},
             "weight", "INVALID_NUMBER")
            for value in ("NaN", "Infinity", "-Infinity", "1e400")
        ],
    ]  # fmt: skip


BAD_ALIGNMENT_CASES = [
    "self", "loop", "exists", "disjoint_cycles", "key_result_of_another_objective",
    "unknown_key_result", "key_result_id_of_another_type", "unknown_child", "unknown_parent",
    "child_id_of_another_type", "parent_id_of_another_type", "garbage_id", "weight_0",
    "weight_negative", "weight_too_big", "weight_nan", "weight_infinity",
    "weight_minus_infinity", "weight_1e400",
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(BAD_ALIGNMENT_CASES)), ids=BAD_ALIGNMENT_CASES)
async def test_bad_alignment_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    case: int,
) -> None:
    input, field, code = _bad_alignments(tree)[case]
    errors = await _refused(gql, pool, org, ALIGN, input)
    assert errors == [(("input", field), code)]


async def test_a_longer_loop_is_refused(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given first -> root -> annual
    root, first, _, _ = tree["ids"]
    await gql.data(
        ALIGN, {"input": {"childObjectiveId": gid(root), "parentObjectiveId": gid(tree["annual"])}}
    )
    # then annual -> first would close first -> root -> annual -> first
    errors = await _refused(
        gql,
        pool,
        org,
        ALIGN,
        {"childObjectiveId": gid(tree["annual"]), "parentObjectiveId": gid(first)},
    )
    assert errors == [(("input", "parentObjectiveId"), "ALIGNMENT_CYCLE")]


@pytest.mark.parametrize("status", ["CLOSED", "ARCHIVED"])
@pytest.mark.parametrize("end", ["childObjectiveId", "parentObjectiveId"])
async def test_a_closed_or_archived_objective_keeps_its_alignments(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    status: str,
    end: str,
) -> None:
    root, first, _, alone = tree["ids"]
    closed = {"childObjectiveId": (alone, first), "parentObjectiveId": (root, root)}[end]
    for objective_id in set(closed):
        await pool.execute(
            "UPDATE objective SET status = $3::objective_status, closed_at = now(),"
            " final_score = 0.5, outcome = 'PARTIAL' WHERE organization_id = $1 AND id = $2",
            org["id"],
            objective_id,
            status,
        )
    errors = await _refused(
        gql, pool, org, ALIGN, {"childObjectiveId": gid(alone), "parentObjectiveId": gid(root)}
    )
    assert (("input", end), "OBJECTIVE_READ_ONLY") in errors
    errors = await _refused(
        gql, pool, org, REMOVE, {"childObjectiveId": gid(first), "parentObjectiveId": gid(root)}
    )
    assert (("input", end), "OBJECTIVE_READ_ONLY") in errors


@pytest.mark.parametrize(
    ("input", "field", "code"),
    [
        ({"childObjectiveId": gid(987654321)}, "childObjectiveId", "NOT_FOUND"),
        ({"childObjectiveId": encode_id("Team", 1)}, "childObjectiveId", "INVALID_ID"),
        ({"parentObjectiveId": "garbage"}, "parentObjectiveId", "INVALID_ID"),
    ],
)
async def test_bad_removal_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    input: dict[str, Any],
    field: str,
    code: str,
) -> None:
    root, first, _, _ = tree["ids"]
    errors = await _refused(
        gql,
        pool,
        org,
        REMOVE,
        {"childObjectiveId": gid(first), "parentObjectiveId": gid(root), **input},
    )
    assert errors == [(("input", field), code)]


async def test_another_organisations_objective_is_not_found(
    gql: GraphQLClient,
    demo: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    demo_objective = (await demo.data("{ objectives(first: 1) { nodes { id } } }"))["objectives"][
        "nodes"
    ][0]["id"]
    errors = await _refused(
        gql,
        pool,
        org,
        ALIGN,
        {"childObjectiveId": gid(tree["ids"][3]), "parentObjectiveId": demo_objective},
    )
    assert errors == [(("input", "parentObjectiveId"), "NOT_FOUND")]


# --- concurrency ------------------------------------------------------------------------

RACES = 20


async def _align(gql: GraphQLClient, child: int, parent: int) -> dict[str, Any]:
    response = await gql.post(
        ALIGN, {"input": {"childObjectiveId": gid(child), "parentObjectiveId": gid(parent)}}
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["data"]["alignObjective"]
    return payload


async def test_two_concurrent_alignments_never_close_a_loop(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with pool.acquire() as conn:
        cycle = await _cycle(conn, org, "Race", "2026-10-01", "2026-12-31")
    for race in range(RACES):
        # given two unaligned objectives
        async with pool.acquire() as conn:
            a = await _objective(conn, org, cycle, f"A{race}")
            b = await _objective(conn, org, cycle, f"B{race}")
        # when A under B and B under A are sent at the same time, each on its own connection
        results = await asyncio.gather(_align(gql, a, b), _align(gql, b, a))
        # then exactly one wins and the other is told it would close a loop
        errors = sorted([(tuple(e["field"]), e["code"]) for e in r["userErrors"]] for r in results)
        assert errors == [[], [(("input", "parentObjectiveId"), "ALIGNMENT_CYCLE")]], race
        edges = await _edges(pool, org)
        assert len([e for e in edges if set(e) == {a, b}]) == 1
        assert not has_cycle(edges)


async def test_three_concurrent_alignments_never_close_a_triangle(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with pool.acquire() as conn:
        cycle = await _cycle(conn, org, "Triangle", "2026-10-01", "2026-12-31")
    for race in range(RACES // 2):
        async with pool.acquire() as conn:
            a, b, c = [await _objective(conn, org, cycle, f"{n}{race}") for n in "ABC"]
        results = await asyncio.gather(_align(gql, a, b), _align(gql, b, c), _align(gql, c, a))
        codes = sorted(e["code"] for r in results for e in r["userErrors"])
        assert codes == ["ALIGNMENT_CYCLE"], race
        assert not has_cycle(await _edges(pool, org))
