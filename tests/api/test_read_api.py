"""The read API over the demo organisation: nested pages, Relay ids, paging, filters.

Every query here also runs through the standard executor (tests/graphql.py), so each one is
a differential test of the planner as well.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest

from db.ids import encode_id
from tests.graphql import GraphQLClient
from tests.statements import statements_of

DASHBOARD = """
query Dashboard($cycle: ID!) {
  cycle: node(id: $cycle) { ... on Cycle { id name startsOn endsOn expectedProgress } }
  objectives(filter: {cycleId: $cycle}, first: 100) {
    totalCount
    nodes {
      id title status level progress expectedProgress paceStatus
      owner: ownerTeam { name }
      ownerUser { name role }
      keyResults(first: 20) {
        nodes {
          id title kind type unit currency unitLabel startValue currentValue targetValue
          thresholdDirection direction weight progress score paceStatus done
          cadence dataSource nextCheckInDue isOverdue
          owner { name email }
          lastCheckIn { value done confidence comment measuredAt author { name } }
        }
      }
      children(first: 10) { totalCount nodes { title progress } }
    }
  }
}
"""


async def _cycle_id(demo: GraphQLClient, name: str) -> str:
    data = await demo.data("{ cycles(first: 20) { nodes { id name } } }")
    return next(c["id"] for c in data["cycles"]["nodes"] if c["name"] == name)


async def _all_objectives(demo: GraphQLClient) -> list[dict[str, Any]]:
    data = await demo.data(
        "{ objectives(first: 100) { totalCount nodes { id title progress createdAt } } }"
    )
    assert data["objectives"]["totalCount"] == len(data["objectives"]["nodes"])
    nodes: list[dict[str, Any]] = data["objectives"]["nodes"]
    return nodes


async def test_dashboard_nests_objectives_key_results_and_check_ins(demo: GraphQLClient) -> None:
    # given the current quarter of the demo organisation
    cycle = await _cycle_id(demo, "Q4 2026")
    # when the dashboard is read
    data = await demo.data(DASHBOARD, {"cycle": cycle})
    # then every objective of the cycle comes with its key results and their latest check-in
    objectives = data["objectives"]["nodes"]
    assert data["cycle"]["id"] == cycle
    assert len(objectives) == data["objectives"]["totalCount"] > 5
    key_results = [kr for o in objectives for kr in o["keyResults"]["nodes"]]
    assert len(key_results) > 20
    checked_in = [kr for kr in key_results if kr["lastCheckIn"] is not None]
    assert checked_in, "the demo has a check-in history"
    for kr in checked_in:
        if kr["kind"] != "MILESTONE":
            assert kr["currentValue"] == kr["lastCheckIn"]["value"]


async def test_objective_progress_is_the_weighted_mean_of_key_result_scores(
    demo: GraphQLClient,
) -> None:
    data = await demo.data(
        """{ objectives(first: 100) { nodes { progress progressSource
             keyResults(first: 50) { nodes { score weight } } } } }"""
    )
    checked = 0
    for objective in data["objectives"]["nodes"]:
        krs = objective["keyResults"]["nodes"]
        if objective["progressSource"] != "KEY_RESULTS":
            continue
        if not krs:
            assert objective["progress"] is None  # nothing to score is null, never 0
            continue
        weights = [float(kr["weight"]) for kr in krs]
        expected = sum(kr["score"] * w for kr, w in zip(krs, weights, strict=True)) / sum(weights)
        assert objective["progress"] == pytest.approx(expected, abs=1e-6)
        checked += 1
    assert checked > 5


async def test_the_seed_decrease_key_result_scores_half_way(demo: GraphQLClient) -> None:
    data = await demo.data(
        "{ keyResults(first: 200) { nodes { startValue targetValue currentValue progress direction } } }"
    )
    cost_per_lead = [
        kr
        for kr in data["keyResults"]["nodes"]
        if (kr["startValue"], kr["targetValue"]) == ("1300", "1170")
    ]
    assert cost_per_lead, "seed 001: cost per lead from 1300 kr to 1170 kr"
    assert cost_per_lead[0]["currentValue"] == "1235"
    assert cost_per_lead[0]["progress"] == pytest.approx(0.5)
    assert cost_per_lead[0]["direction"] == "DECREASE"


async def test_node_and_nodes_by_global_id(demo: GraphQLClient) -> None:
    objectives = await _all_objectives(demo)
    first, second = objectives[0], objectives[1]
    missing = encode_id("Objective", 999_999_999)
    data = await demo.data(
        """query ($a: ID!, $ids: [ID!]!) {
             node(id: $a) { __typename id ... on Objective { title } }
             nodes(ids: $ids) { id ... on Objective { title } }
           }""",
        {"a": first["id"], "ids": [second["id"], missing, first["id"]]},
    )
    assert data["node"] == {"__typename": "Objective", "id": first["id"], "title": first["title"]}
    assert data["nodes"] == [
        {"id": second["id"], "title": second["title"]},
        None,
        {"id": first["id"], "title": first["title"]},
    ]


async def test_unknown_well_formed_id_is_null(demo: GraphQLClient) -> None:
    data = await demo.data(
        "query ($id: ID!) { node(id: $id) { id } }", {"id": encode_id("KeyResult", 123456789)}
    )
    assert data == {"node": None}


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-an-id",
        base64.urlsafe_b64encode(b"Objective:abc").decode(),
        base64.urlsafe_b64encode(b"Spaceship:1").decode(),
        base64.urlsafe_b64encode(b"Objective:-1").decode(),
        "",
    ],
)
async def test_malformed_ids_are_coded_user_errors(demo: GraphQLClient, bad_id: str) -> None:
    body = await demo("query ($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    assert body["data"] is None or body["data"] == {"node": None}
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_id_of_another_type_in_a_filter_is_rejected(demo: GraphQLClient) -> None:
    team_id = encode_id("Team", 1)
    body = await demo(
        "query ($c: ID!) { objectives(first: 5, filter: {cycleId: $c}) { totalCount } }",
        {"c": team_id},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("first", [-1, 1001])
async def test_page_size_is_bounded(demo: GraphQLClient, first: int) -> None:
    # A request error, found while costing the query (before any SQL): no `data`.
    response = await demo.post(
        "query ($n: Int!) { cycles(first: $n) { totalCount } }", {"n": first}
    )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first" in body["errors"][0]["message"]


async def test_a_forged_cursor_is_rejected(demo: GraphQLClient) -> None:
    body = await demo('{ objectives(first: 2, after: "bm90IGEgY3Vyc29y") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("field", "direction", "key"),
    [
        ("TITLE", "ASC", "title"),
        ("TITLE", "DESC", "title"),
        ("PROGRESS", "ASC", "progress"),
        ("PROGRESS", "DESC", "progress"),
        ("CREATED_AT", "ASC", "createdAt"),
    ],
)
async def test_paging_by_cursor_walks_the_whole_sorted_list(
    demo: GraphQLClient, field: str, direction: str, key: str
) -> None:
    query = """query ($after: String, $order: ObjectiveOrder) {
      objectives(first: 4, after: $after, orderBy: $order) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id title progress createdAt } }
      }
    }"""
    order = {"field": field, "direction": direction}
    seen: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        page = (await demo.data(query, {"after": after, "order": order}))["objectives"]
        seen.extend(edge["node"] for edge in page["edges"])
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == page["totalCount"] == len({o["id"] for o in seen})

    def sort_key(o: dict[str, Any]) -> Any:
        value = o[key]
        return -1 if value is None else value

    values = [sort_key(o) for o in seen]
    assert values == sorted(values, reverse=direction == "DESC")


async def test_filters_narrow_objectives(demo: GraphQLClient) -> None:
    cycle = await _cycle_id(demo, "Q4 2026")
    data = await demo.data(
        """query ($c: ID!) {
          all: objectives(first: 100) { totalCount nodes { id level status cycle { id } } }
          inCycle: objectives(first: 100, filter: {cycleId: $c}) { totalCount }
          teams: objectives(first: 100, filter: {level: TEAM}) { nodes { level ownerTeam { id } } }
          active: objectives(first: 100, filter: {status: [ACTIVE]}) { totalCount }
          roots: objectives(first: 100, filter: {rootsOnly: true}) {
            nodes { parents(first: 1) { totalCount } }
          }
        }""",
        {"c": cycle},
    )
    every = data["all"]["nodes"]
    assert data["inCycle"]["totalCount"] == sum(o["cycle"]["id"] == cycle for o in every)
    assert data["teams"]["nodes"]
    assert all(o["level"] == "TEAM" and o["ownerTeam"] for o in data["teams"]["nodes"])
    assert data["active"]["totalCount"] == sum(o["status"] == "ACTIVE" for o in every)
    assert data["roots"]["nodes"]
    assert all(o["parents"]["totalCount"] == 0 for o in data["roots"]["nodes"])


async def test_filter_by_team_and_owner(demo: GraphQLClient) -> None:
    data = await demo.data(
        "{ teams(first: 50) { nodes { id name objectives(first: 50) { totalCount } } } }"
    )
    team = max(data["teams"]["nodes"], key=lambda t: t["objectives"]["totalCount"])
    filtered = await demo.data(
        "query ($t: ID!) { objectives(first: 100, filter: {teamId: $t}) { totalCount nodes { ownerTeam { id } } } }",
        {"t": team["id"]},
    )
    assert filtered["objectives"]["totalCount"] == team["objectives"]["totalCount"] > 0
    assert {o["ownerTeam"]["id"] for o in filtered["objectives"]["nodes"]} == {team["id"]}


async def test_overdue_filter_matches_is_overdue(demo: GraphQLClient) -> None:
    data = await demo.data(
        """{ all: keyResults(first: 200) { nodes { id isOverdue } }
             overdue: keyResults(first: 200, filter: {overdue: true}) { nodes { id isOverdue } }
             onTime: keyResults(first: 200, filter: {overdue: false}) { totalCount } }"""
    )
    expected = {kr["id"] for kr in data["all"]["nodes"] if kr["isOverdue"]}
    assert {kr["id"] for kr in data["overdue"]["nodes"]} == expected
    assert expected, "the demo has an overdue key result"
    assert data["onTime"]["totalCount"] == len(data["all"]["nodes"]) - len(expected)


async def test_check_in_history_is_latest_measured_first(demo: GraphQLClient) -> None:
    data = await demo.data(
        """{ keyResults(first: 200) { nodes { lastCheckIn { id }
             checkIns(first: 100) { totalCount nodes { id measuredAt recordedAt } } } } }"""
    )
    histories = [kr for kr in data["keyResults"]["nodes"] if kr["checkIns"]["totalCount"] > 1]
    assert histories
    for kr in histories:
        times = [c["measuredAt"] for c in kr["checkIns"]["nodes"]]
        assert times == sorted(times, reverse=True)
        assert kr["lastCheckIn"]["id"] == kr["checkIns"]["nodes"][0]["id"]


async def test_swedish_text_round_trips(demo: GraphQLClient) -> None:
    data = await demo.data("{ objectives(first: 100) { nodes { title description } } }")
    text = " ".join(f"{o['title']} {o['description'] or ''}" for o in data["objectives"]["nodes"])
    assert any(ch in text for ch in "åäö")


async def test_viewer_teams_cycles_and_users(demo: GraphQLClient) -> None:
    data = await demo.data(
        """{ viewer { name role teams(first: 10) { nodes { name } } }
             organization { name slug timeZone }
             cycles(first: 10) { nodes { name parentCycle { name } childCycles(first: 4) { totalCount } } }
             users(first: 50) { totalCount nodes { name email role } }
             teams(first: 50) { nodes { name parentTeam { name } members(first: 50) { totalCount nodes { name } } childTeams(first: 5) { totalCount } } } }"""
    )
    assert data["viewer"]["role"] == "ADMIN"
    assert data["organization"] == {
        "name": "Demo AB",
        "slug": "demo",
        "timeZone": "Europe/Stockholm",
    }
    year = next(c for c in data["cycles"]["nodes"] if c["childCycles"]["totalCount"] == 4)
    quarters = [c for c in data["cycles"]["nodes"] if c["parentCycle"]]
    assert {q["parentCycle"]["name"] for q in quarters} == {year["name"]}
    assert data["users"]["totalCount"] >= 5
    assert any(t["members"]["totalCount"] for t in data["teams"]["nodes"])


async def test_another_organisation_sees_none_of_it(
    demo: GraphQLClient, gql: GraphQLClient
) -> None:
    objectives = await _all_objectives(demo)
    data = await gql.data(
        "query ($id: ID!) { node(id: $id) { id } objectives(first: 10) { totalCount } }",
        {"id": objectives[0]["id"]},
    )
    assert data == {"node": None, "objectives": {"totalCount": 0}}


async def test_aliases_of_one_relation_with_different_arguments_are_fetched_apart(
    demo: GraphQLClient,
) -> None:
    data = await demo.data(
        """{ keyResults(first: 200) { nodes { id
             one: checkIns(first: 1) { nodes { id } }
             three: checkIns(first: 3) { nodes { id } }
             ...History } } }
           fragment History on KeyResult { three: checkIns(first: 3) { totalCount } }"""
    )
    for kr in data["keyResults"]["nodes"]:
        assert len(kr["one"]["nodes"]) <= 1
        assert len(kr["three"]["nodes"]) <= 3
        assert kr["one"]["nodes"] == kr["three"]["nodes"][:1]
        assert list(kr["three"]) == ["nodes", "totalCount"]


async def test_a_planned_query_takes_each_requests_variables_beside_its_literals(
    demo: GraphQLClient,
) -> None:
    # One document, planned once: literal arguments are coerced once for the plan, those
    # naming a variable again for every request.
    query = """query ($n: Int!, $id: ID!) {
        literal: objectives(first: 2, filter: {level: TEAM, status: [ACTIVE]}) {
          nodes { level status } }
        variable: cycles(first: $n) { nodes { id } }
        byLiteral: node(id: "Q3ljbGU6OTk5OTk5") { id }
        byVariable: node(id: $id) { id } }"""
    everything = await demo.data("{ cycles(first: 10) { nodes { id } } }")
    ids = [c["id"] for c in everything["cycles"]["nodes"]]
    assert len(ids) >= 3
    for n, node_id in [(1, ids[0]), (3, ids[2]), (2, ids[1]), (3, ids[0])]:
        data = await demo.data(query, {"n": n, "id": node_id})
        assert [c["id"] for c in data["variable"]["nodes"]] == ids[:n]
        assert data["byVariable"] == {"id": node_id}
        assert data["byLiteral"] is None
        assert data["literal"]["nodes"] == [{"level": "TEAM", "status": "ACTIVE"}] * 2


async def test_skip_and_include_follow_variables(demo: GraphQLClient) -> None:
    query = """query ($with: Boolean!) { organization {
        name @include(if: $with) slug @skip(if: $with) } }"""
    assert (await demo.data(query, {"with": True}))["organization"] == {"name": "Demo AB"}
    assert (await demo.data(query, {"with": False}))["organization"] == {"slug": "demo"}


async def test_typename_everywhere(demo: GraphQLClient) -> None:
    data = await demo.data(
        "{ __typename cycles(first: 1) { __typename pageInfo { __typename } edges { __typename node { __typename } } } }"
    )
    assert data == {
        "__typename": "Query",
        "cycles": {
            "__typename": "CycleConnection",
            "pageInfo": {"__typename": "PageInfo"},
            "edges": [{"__typename": "CycleEdge", "node": {"__typename": "Cycle"}}],
        },
    }


SIDE_BY_SIDE = """
query ($id: ID!, $kr: String, $ci: String, $child: String, $a: String, $b: String) {
  node(id: $id) {
    ... on Objective {
      keyResults(first: 2, after: $kr) { totalCount pageInfo { endCursor } nodes { title } }
      checkIns(first: 2, after: $ci) { pageInfo { endCursor } nodes { value measuredAt } }
      children(first: 1, after: $child) { totalCount pageInfo { endCursor } nodes { title } }
      cycle { name }
    }
  }
  a: objectives(first: 2, after: $a, filter: {level: TEAM}) {
    totalCount pageInfo { endCursor } nodes { title level }
  }
  b: objectives(first: 3, after: $b, filter: {status: [ACTIVE], rootsOnly: true},
                orderBy: {field: TITLE, direction: DESC}) {
    totalCount pageInfo { endCursor } nodes { title }
  }
}
"""


async def test_sibling_pages_with_cursors_and_filters_share_a_statement_and_stay_apart(
    demo: GraphQLClient,
) -> None:
    """Pages of one level are read in one statement, each with its own limit, filters, order
    and cursor (every parameter renumbered); the standard executor must agree."""
    data = await demo.data(
        "{ objectives(first: 100) { nodes { id children(first: 5) { totalCount } } } }"
    )
    objective = max(data["objectives"]["nodes"], key=lambda o: o["children"]["totalCount"])
    assert objective["children"]["totalCount"] >= 2
    first = await demo.data(SIDE_BY_SIDE, {"id": objective["id"]})
    node = first["node"]
    cursors = {
        "kr": node["keyResults"]["pageInfo"]["endCursor"],
        "ci": node["checkIns"]["pageInfo"]["endCursor"],
        "child": node["children"]["pageInfo"]["endCursor"],
        "a": first["a"]["pageInfo"]["endCursor"],
        "b": first["b"]["pageInfo"]["endCursor"],
    }
    second = await demo.data(SIDE_BY_SIDE, {"id": objective["id"], **cursors})
    for page in ("a", "b"):
        assert second[page]["nodes"]
        assert second[page]["nodes"] != first[page]["nodes"]
        assert second[page]["totalCount"] == first[page]["totalCount"]
    assert {o["level"] for o in first["a"]["nodes"] + second["a"]["nodes"]} == {"TEAM"}
    assert second["node"]["children"]["nodes"] != node["children"]["nodes"]
    assert second["node"]["checkIns"]["nodes"] != node["checkIns"]["nodes"]


W2 = (Path(__file__).parents[2] / "bench" / "workloads" / "okrql" / "w2.graphql").read_text()


async def test_the_objective_page_is_one_statement_with_its_pages(
    app: Any, demo: GraphQLClient
) -> None:
    """The benchmark's objective page (W2): the objective by id and its four pages share one
    statement (the pages' parent key is the id the request names), inside BEGIN ... COMMIT;
    for an id that names nothing the answer is null all the same."""
    data = await demo.data("{ objectives(first: 100) { nodes { id } } }")
    ids = [o["id"] for o in data["objectives"]["nodes"][:5]] + [encode_id("Objective", 10**9)]
    for objective_id in ids:
        with statements_of(app) as log:
            response = await demo.post(W2, {"id": objective_id})
            await asyncio.sleep(0)  # query loggers are called soon, not at once
        assert response.status_code == 200, response.text
        assert len(log.statements) == 3, "\n".join(log.statements)
        expected = await demo.data(W2, {"id": objective_id})  # and the oracle agrees
        assert response.json()["data"] == expected
