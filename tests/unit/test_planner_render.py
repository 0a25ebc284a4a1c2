"""Rendering rows into the response (db/planner/plan.py's generated renderers, db/planner/run.py's
pages and levels), fed with the rows a test gives in PostgreSQL's shape. No database: the
statements are recorded, not run."""

from __future__ import annotations

import datetime as dt

from db.catalog import RELATIONS
from db.ids import encode_id
from db.planner import cursors
from db.planner.sql import order_of
from tests.planner import READ, batched, by_path, compile_query, row, run


def test_a_row_renders_in_request_order_with_aliases_derived_values_and_relations_queued() -> None:
    plan = compile_query(
        """{ keyResults(first: 1) { nodes { __typename name: title progress
            lastCheckIn { value } checkIns(first: 2) { totalCount } done } } }"""
    )
    shape = by_path(plan)["keyResults"].shape
    assert shape is not None
    (node,) = shape.node_plans
    queues: list[list[tuple[dict[str, object], object]]] = [[] for _ in node.fetches]
    given = row(
        id=57,
        title="Leads per quarter",
        kind="NUMERIC",
        start_value="250",
        target_value="350",
        current_value="300",
        done=False,
    )
    rendered = node.render(given, READ, queues)
    assert rendered == {
        "__typename": "KeyResult",
        "name": "Leads per quarter",
        "progress": 0.5,
        "lastCheckIn": None,  # no check-in yet: last_check_in_id is NULL
        "checkIns": None,  # filled once the next level's statement answers
        "done": False,
    }
    assert list(rendered) == ["__typename", "name", "progress", "lastCheckIn", "checkIns", "done"]
    assert queues == [[(rendered, 57)]]  # the check-ins wait for this parent, by its id


def test_the_latest_check_in_renders_from_the_key_results_own_columns() -> None:
    plan = compile_query(
        "{ keyResults(first: 1) { nodes { lastCheckIn { id value confidence measuredAt } } } }"
    )
    shape = by_path(plan)["keyResults"].shape
    assert shape is not None
    (node,) = shape.node_plans
    measured = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    given = row(
        id=57,
        last_check_in_id=901,
        current_value="1235",
        latest_confidence="AT_RISK",
        last_measured_at=measured,
    )
    assert node.render(given, READ, []) == {
        "lastCheckIn": {
            "id": encode_id("CheckIn", 901),
            "value": "1235",  # numeric travels as the server's text
            "confidence": "AT_RISK",
            "measuredAt": measured,  # left to the serialiser, which writes ISO 8601
        }
    }


def test_a_folded_to_one_renders_from_its_aliased_columns_or_null() -> None:
    plan = compile_query("{ objectives(first: 2) { nodes { title ownerTeam { name } } } }")
    shape = by_path(plan)["objectives"].shape
    assert shape is not None
    (node,) = shape.node_plans
    (fold,) = node.folds
    with_team = row(id=1, title="Grow", owner_team_id=4)
    with_team[f"{fold.alias}__id"] = 4
    with_team[f"{fold.alias}__name"] = "Marketing"
    assert node.render(with_team, READ, []) == {"title": "Grow", "ownerTeam": {"name": "Marketing"}}
    assert node.render(row(id=2, title="Alone"), READ, []) == {"title": "Alone", "ownerTeam": None}


async def test_a_page_reads_one_more_row_than_asked_to_know_there_is_a_next_page() -> None:
    document = """{ objectives(first: 2) { totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor } nodes { title } } }"""
    page = [row(__idx=1, __total=3, id=i, title=f"O{i}", __k0=i) for i in (10, 11, 12)]
    data, sent = await run(document, [page])
    ((_, args),) = sent.statements
    assert args == (READ.organization_id, [0], 3)  # the root's one parent; first + 1
    objectives = data["objectives"]
    assert objectives["totalCount"] == 3
    assert objectives["nodes"] == [{"title": "O10"}, {"title": "O11"}]
    assert objectives["pageInfo"]["hasNextPage"] is True
    assert objectives["pageInfo"]["hasPreviousPage"] is False
    order = order_of(RELATIONS["objectives"], None)
    assert cursors.decode(objectives["pageInfo"]["endCursor"], order) == ["11"]


async def test_an_empty_page_keeps_its_total_from_the_null_row_of_its_parent() -> None:
    data, _ = await run(
        "{ objectives(first: 5) { totalCount nodes { title } } }",
        [[row(__idx=1, __total=0)]],  # LEFT JOIN: the parent's count, no row of its own
    )
    assert data == {"objectives": {"totalCount": 0, "nodes": []}}


async def test_a_level_is_one_statement_for_all_parents_and_its_rows_go_to_their_own() -> None:
    document = """{ objectives(first: 3) { nodes { title
        keyResults(first: 1) { nodes { title } }
        children(first: 5) { totalCount } } } }"""
    objectives = [row(__idx=1, id=i, title=f"O{i}", __k0=i) for i in (10, 11, 12)]
    key_results = [
        {"__idx": 1, "id": 100, "title": "KR 10.a", "__k0": 0, "__k1": 100},
        {"__idx": 1, "id": 101, "title": "KR 10.b", "__k0": 1, "__k1": 101},  # beyond first: 1
        {"__idx": 3, "id": 120, "title": "KR 12.a", "__k0": 0, "__k1": 120},
    ]
    children = [
        {"__idx": 1, "__total": 2, "id": 11, "__k0": 11},
        {"__idx": 1, "__total": 2, "id": 12, "__k0": 12},
        {"__idx": 2, "__total": 0},
        {"__idx": 3, "__total": 0},
    ]
    data, sent = await run(document, [objectives, batched(key_results, children)])
    assert len(sent.statements) == 2  # whatever the number of objectives
    _, args = sent.statements[1]
    # Both relations of the level bind every parent's key once, in the order of the page.
    assert args == (READ.organization_id, [10, 11, 12], 2, [10, 11, 12], 6)
    assert data["objectives"]["nodes"] == [
        {
            "title": "O10",
            "keyResults": {"nodes": [{"title": "KR 10.a"}]},
            "children": {"totalCount": 2},
        },
        {"title": "O11", "keyResults": {"nodes": []}, "children": {"totalCount": 0}},
        {
            "title": "O12",
            "keyResults": {"nodes": [{"title": "KR 12.a"}]},
            "children": {"totalCount": 0},
        },
    ]


async def test_parents_sharing_a_to_one_ask_for_it_once_and_share_its_rendering() -> None:
    document = "{ keyResults(first: 3) { nodes { objective { title keyResults(first: 1) { totalCount } } } } }"
    key_results = [row(__idx=1, id=i, objective_id=5, __k0=i, __k1=i) for i in (1, 2, 3)]
    objective = [row(id=5, title="Grow")]
    counts = [row(__idx=1, __total=3, id=1, __k0=0, __k1=1)]
    data, sent = await run(document, [key_results, objective, counts])
    _, args = sent.statements[1]
    assert args == (READ.organization_id, [5])
    nodes = data["keyResults"]["nodes"]
    assert [n["objective"] for n in nodes] == [
        {"title": "Grow", "keyResults": {"totalCount": 3}}
    ] * 3


async def test_nodes_come_back_in_the_order_asked_with_null_for_an_unknown_id() -> None:
    ids = [encode_id("Objective", 8), encode_id("Objective", 404), encode_id("Objective", 7)]
    data, sent = await run(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Objective { title } } }",
        [[row(id=7, title="Seven"), row(id=8, title="Eight")]],
        {"ids": ids},
    )
    ((_, args),) = sent.statements
    assert args == (READ.organization_id, [8, 404, 7])
    assert data == {"nodes": [{"title": "Eight"}, None, {"title": "Seven"}]}


async def test_a_page_of_exactly_first_rows_has_no_next_page() -> None:
    page = [row(__idx=1, id=i, title=f"O{i}", __k0=i) for i in (10, 11)]
    data, _ = await run(
        "{ objectives(first: 2) { pageInfo { hasNextPage } nodes { title } } }", [page]
    )
    assert data["objectives"]["pageInfo"] == {"hasNextPage": False}
    assert len(data["objectives"]["nodes"]) == 2


async def test_a_child_under_two_parents_is_asked_for_once_and_rendered_under_each() -> None:
    # Alignments form a DAG: objective 12 supports both 10 and 11.
    document = """{ objectives(first: 2) { nodes { title children(first: 5) { nodes {
        title keyResults(first: 5) { nodes { title } } } } } } }"""
    objectives = [row(__idx=1, id=i, title=f"O{i}", __k0=i) for i in (10, 11)]
    children = [
        row(__idx=1, id=12, title="O12", __k0=12),
        row(__idx=2, id=12, title="O12", __k0=12),
    ]
    key_results = [row(__idx=1, id=120, title="KR 12.a", __k0=0, __k1=120)]
    data, sent = await run(document, [objectives, children, key_results])
    _, args = sent.statements[2]
    assert args == (READ.organization_id, [12], 6)
    shared = {"title": "O12", "keyResults": {"nodes": [{"title": "KR 12.a"}]}}
    assert [o["children"]["nodes"] for o in data["objectives"]["nodes"]] == [[shared], [shared]]
