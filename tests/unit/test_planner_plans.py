"""The planner's compiler (db/planner/plan.py) on documents against the real schema: which
relations become statements, on which parent key they batch, which columns each reads, and which
to-one relations ride along in their parent's statement. No database."""

from __future__ import annotations

from db.planner.mapping import Many, Mutation, NodeById, ToOne
from tests.planner import by_path, compile_query

DASHBOARD = """query Dashboard($cycleId: ID!) {
  objectives(filter: {cycleId: $cycleId}, first: 100) {
    totalCount
    nodes {
      title status progress expectedProgress paceStatus
      ownerTeam { name }
      keyResults(first: 20) {
        nodes {
          title kind unit startValue currentValue targetValue progress score isOverdue
          lastCheckIn { value confidence measuredAt author { name } }
        }
      }
      children(first: 20) { nodes { title progress } }
    }
  }
}"""
CYCLE = {"cycleId": "Q3ljbGU6MQ"}


def test_the_dashboard_is_three_levels_of_statements_whatever_its_rows() -> None:
    fetches = by_path(compile_query(DASHBOARD, CYCLE))
    assert {path: (f.kind, f.parent_column) for path, f in fetches.items()} == {
        "objectives": ("many", "__root"),
        "objectives.nodes.keyResults": ("many", "id"),
        "objectives.nodes.children": ("many", "id"),
        "objectives.nodes.keyResults.nodes.lastCheckIn": ("one", "last_check_in_id"),
    }


def test_a_connection_reads_the_columns_its_selection_needs_and_no_other() -> None:
    objectives = by_path(compile_query(DASHBOARD, CYCLE))["objectives"]
    assert objectives.shape is not None
    assert objectives.shape.with_total
    # expectedProgress and paceStatus need the cycle's dates and the latest confidence;
    # ownerTeam its key; keyResults and children batch on the objective's id.
    assert set(objectives.shape.columns) == {
        "id",
        "title",
        "status",
        "progress",
        "cycle_starts_on",
        "cycle_ends_on",
        "latest_confidence",
        "owner_team_id",
    }
    children = by_path(compile_query(DASHBOARD, CYCLE))["objectives.nodes.children"]
    assert children.shape is not None
    assert children.shape.columns == ("id", "title", "progress")
    assert not children.shape.with_total


def test_a_to_one_that_reads_nothing_further_is_joined_into_its_parents_statement() -> None:
    fetches = by_path(compile_query(DASHBOARD, CYCLE))
    objectives = fetches["objectives"].shape
    assert objectives is not None
    (team,) = objectives.folds
    assert (team.source, team.parent_key, team.columns) == ("team", "owner_team_id", ("id", "name"))
    check_in = fetches["objectives.nodes.keyResults.nodes.lastCheckIn"].plan
    assert check_in is not None
    (author,) = check_in.folds
    assert (author.source, author.parent_key, author.columns) == (
        "user",
        "author_id",
        ("id", "name"),
    )


def test_a_to_one_that_reads_further_relations_gets_its_own_statement() -> None:
    plan = compile_query(
        "{ keyResults(first: 5) { nodes { objective { title keyResults(first: 1) { totalCount } } } } }"
    )
    fetches = by_path(plan)
    objective = fetches["keyResults.nodes.objective"]
    assert (objective.kind, objective.parent_column) == ("one", "objective_id")
    assert isinstance(objective.mapping, ToOne)
    assert fetches["keyResults.nodes.objective.keyResults"].kind == "many"
    key_results = fetches["keyResults"].shape
    assert key_results is not None
    assert key_results.folds == ()


def test_the_latest_check_in_is_read_from_its_copy_on_the_key_result() -> None:
    plan = compile_query(
        "{ keyResults(first: 5) { nodes { lastCheckIn { value confidence measuredAt } } } }"
    )
    fetches = by_path(plan)
    assert list(fetches) == ["keyResults"]
    shape = fetches["keyResults"].shape
    assert shape is not None
    assert set(shape.columns) == {
        "id",
        "last_check_in_id",
        "current_value",
        "latest_confidence",
        "last_measured_at",
    }
    (node,) = shape.node_plans
    assert [(key, kind) for key, kind, _ in node.steps] == [("lastCheckIn", "projected")]


def test_fragments_and_inline_fragments_merge_into_one_selection_in_first_seen_order() -> None:
    plan = compile_query(
        """{ objectives(first: 3) { nodes { ...Head ... on Objective { status title } } } }
        fragment Head on Objective { title progress }"""
    )
    shape = by_path(plan)["objectives"].shape
    assert shape is not None
    (node,) = shape.node_plans
    assert [key for key, _, _ in node.steps] == ["title", "progress", "status"]


def test_aliases_of_one_relation_are_fetches_of_their_own() -> None:
    plan = compile_query(
        "{ objectives(first: 3) { nodes { first: keyResults(first: 1) { totalCount }"
        " all: keyResults(first: 50) { nodes { title } } } } }"
    )
    fetches = by_path(plan)
    assert [p for p in fetches if p != "objectives"] == [
        "objectives.nodes.first",
        "objectives.nodes.all",
    ]
    assert all(isinstance(f.mapping, Many) for f in fetches.values())


def test_skip_and_include_prune_the_plan_per_variable_value() -> None:
    document = """query ($more: Boolean!) { objectives(first: 3) { nodes {
        title keyResults(first: 5) @include(if: $more) { nodes { title } } } } }"""
    with_more = by_path(compile_query(document, {"more": True}))
    without = by_path(compile_query(document, {"more": False}))
    assert list(with_more) == ["objectives", "objectives.nodes.keyResults"]
    assert list(without) == ["objectives"]
    shape = without["objectives"].shape
    assert shape is not None
    assert shape.columns == ("id", "title")


def test_literal_arguments_are_coerced_once_per_plan_and_variables_per_request() -> None:
    literal = by_path(compile_query("{ objectives(first: 3) { totalCount } }"))["objectives"]
    variable = by_path(
        compile_query("query ($n: Int!) { objectives(first: $n) { totalCount } }", {"n": 3})
    )["objectives"]
    assert literal.arguments_are_constant
    assert not variable.arguments_are_constant


def test_node_plans_every_node_type_it_may_return() -> None:
    node = by_path(compile_query('{ node(id: "T2JqZWN0aXZlOjE") { id ... on Cycle { name } } }'))[
        "node"
    ]
    assert node.kind == "node"
    assert isinstance(node.mapping, NodeById)
    assert {"Objective", "KeyResult", "Cycle", "Team", "User"} <= set(node.plans_by_type)
    assert node.plans_by_type["Cycle"].columns == ("id", "name")
    assert node.plans_by_type["Objective"].columns == ("id",)


def test_a_mutation_runs_its_use_case_and_reads_the_payloads_entities_by_id() -> None:
    plan = compile_query(
        """mutation { createCycle(input: {name: "Q1", startsOn: "2026-01-01", endsOn: "2026-03-31"})
        { cycle { name } userErrors { code } } }"""
    )
    fetches = by_path(plan)
    create = fetches["createCycle"]
    assert create.kind == "mutation"
    assert isinstance(create.mapping, Mutation)
    assert create.plan is not None
    assert create.plan.source is None  # the payload is built in Python, not read
    assert [(key, kind) for key, kind, _ in create.plan.steps] == [
        ("cycle", "fetch"),
        ("userErrors", "embedded"),
    ]
    cycle = fetches["createCycle.cycle"]
    assert (cycle.kind, cycle.parent_column) == ("one", "cycle_id")
