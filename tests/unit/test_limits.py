"""api/limits.py on its own: the rules, the cost calculator and the leaky bucket.

`check` runs them all without a database (no pool, no connection exists here), which is what
"rejected before any SQL" means.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import Source, get_introspection_query
from graphql.language import Lexer, TokenKind

from api import limits
from api.executor import RequestError, check
from api.settings import Settings
from services.identity import Identity

SETTINGS = Settings(environment="development")


def token_count(query: str) -> int:
    lexer = Lexer(Source(query))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def cost(query: str, variables: dict[str, Any] | None = None, **settings: Any) -> int:
    return check(Settings(**settings), query, None, variables).cost


def refusal(query: str, variables: dict[str, Any] | None = None, **settings: Any) -> Any:
    with pytest.raises(RequestError) as caught:
        check(Settings(**settings), query, None, variables)
    return caught.value.errors[0]


def cycle_chain(levels: int) -> str:
    """A query `levels + 3` deep: cycles > nodes > parentCycle x levels > id."""
    return (
        "{ cycles(first: 1) { nodes { "
        + "parentCycle { " * levels
        + "id"
        + " }" * levels
        + " } } }"
    )


# --- cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ __typename }", 0),
        ("{ organization { name } }", 1),
        ("{ objectives(first: 10) { nodes { title } } }", 1 + 10 * 1),
        ("{ objectives(first: 10) { totalCount pageInfo { hasNextPage } } }", 1 + 1),
        # an edge is a wrapper: its node is what costs
        ("{ objectives(first: 10) { edges { cursor node { title } } } }", 1 + 10 * 1),
        ("{ objectives(first: 0) { nodes { title } } }", 1),
        (
            "{ objectives(first: 100) { nodes { cycle { name } keyResults(first: 20) { nodes { title } } } } }",
            1 + 100 * (1 + 1 + (1 + 20 * 1)),
        ),
        # aliases run again, so they cost again
        ("{ a: organization { name } b: organization { name } }", 2),
        # fragments are expanded
        (
            "query { ...Q } fragment Q on Query { objectives(first: 5) { nodes { ...O } } } "
            "fragment O on Objective { keyResults(first: 2) { nodes { title } } }",
            1 + 5 * (1 + 1 + 2),
        ),
        # mutations cost their payload and MUTATION_FIELD_COST
        (
            'mutation { createTeam(input: {name: "x"}) { team { name } userErrors { code } } }',
            limits.MUTATION_FIELD_COST + 1 + 1 + 1,
        ),
    ],
)
def test_cost(query: str, expected: int) -> None:
    assert cost(query) == expected


def test_cost_reads_variables_and_respects_skip_and_include() -> None:
    query = (
        "query ($n: Int!, $kr: Boolean!) { objectives(first: $n) { nodes { title "
        "keyResults(first: 10) @include(if: $kr) { nodes { title } } } } }"
    )
    assert cost(query, {"n": 3, "kr": False}) == 1 + 3
    assert cost(query, {"n": 3, "kr": True}) == 1 + 3 * (1 + 11)
    assert cost(query, {"n": 7, "kr": True}) == 1 + 7 * (1 + 11)  # not the cached 3


def test_nodes_by_id_cost_the_costliest_type_per_id() -> None:
    query = (
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id "
        "... on Objective { keyResults(first: 5) { nodes { title } } } "
        "... on Team { name } } }"
    )
    assert cost(query, {"ids": ["a", "b", "c"]}) == 3 * (1 + 6)


def test_introspection_costs_little_and_is_recognised() -> None:
    checked = check(SETTINGS, get_introspection_query(), None, None)
    assert checked.introspection
    assert checked.cost < 100
    assert check(
        SETTINGS, '{ ...F } fragment F on Query { __type(name: "Query") { name } }', None, None
    ).introspection
    assert not check(SETTINGS, "{ __typename organization { name } }", None, None).introspection


def test_a_fragment_bomb_is_costed_in_linear_time() -> None:
    # each fragment doubles the one after it: 2**40 objects, yet each is costed once
    fragments = " ".join(
        f"fragment F{i} on Cycle {{ a: parentCycle {{ ...F{i + 1} }} b: parentCycle {{ ...F{i + 1} }} }}"
        for i in range(40)
    )
    query = (
        "{ cycles(first: 1) { nodes { ...F0 } } } " + fragments + " fragment F40 on Cycle { id }"
    )
    error = refusal(query, max_depth=100, max_aliases=100)
    assert error.extensions == {"code": "QUERY_TOO_COSTLY", "cost": 2**41, "maxCost": 500_000}


@pytest.mark.parametrize(("first", "ok"), [(-1, False), (0, True), (1000, True), (1001, False)])
def test_first_is_checked_while_costing(first: int, ok: bool) -> None:
    query = (
        "query ($n: Int!) { cycles(first: 1) { nodes { objectives(first: $n) { totalCount } } } }"
    )
    if ok:
        check(SETTINGS, query, None, {"n": first})
        return
    error = refusal(query, {"n": first})
    assert error.extensions["code"] == "BAD_USER_INPUT"
    assert error.path == ["cycles", "nodes", "objectives"]


def test_too_many_ids_are_refused_while_costing() -> None:
    error = refusal("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 1001})
    assert error.extensions["code"] == "BAD_USER_INPUT"


def test_the_maximum_cost_is_inclusive() -> None:
    query = "{ objectives(first: 10) { nodes { title } } }"
    assert cost(query, max_query_cost=11) == 11
    error = refusal(query, max_query_cost=10)
    assert error.extensions == {"code": "QUERY_TOO_COSTLY", "cost": 11, "maxCost": 10}


# --- document limits ----------------------------------------------------------------------------


def test_depth_counts_fields_through_fragments() -> None:
    assert check(SETTINGS, cycle_chain(9), None, None)  # 12 deep
    error = refusal(cycle_chain(10))
    assert error.extensions == {"code": "DEPTH_LIMIT_EXCEEDED", "depth": 13, "maxDepth": 12}
    hidden = (
        "{ cycles(first: 1) { nodes { ...A } } } fragment A on Cycle { parentCycle { ...B } } "
        "fragment B on Cycle { parentCycle { id } }"
    )
    assert check(SETTINGS, hidden, None, None)
    assert refusal(hidden, max_depth=4).extensions["depth"] == 5


def test_depth_rule_survives_fragment_cycles() -> None:
    # the cycle is the standard rules' to report, after the limits passed
    error = refusal(
        "{ cycles(first: 1) { nodes { ...A } } } fragment A on Cycle { parentCycle { ...A } }"
    )
    assert "within itself" in error.message


def test_introspection_does_not_count_towards_depth() -> None:
    assert check(SETTINGS, get_introspection_query(), None, None).introspection


def test_aliases_and_directives_are_counted_per_document() -> None:
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(50)) + " }"
    check(SETTINGS, aliases, None, None)
    error = refusal(aliases.replace("{ ", "{ extra: __typename ", 1))
    assert error.extensions == {"code": "TOO_MANY_ALIASES", "aliases": 51, "maxAliases": 50}

    directives = "{ organization { " + "name @include(if: true) " * 50 + "} }"
    check(SETTINGS, directives, None, None)
    error = refusal(directives.replace("{ name", "{ id @skip(if: false) name", 1))
    assert error.extensions == {
        "code": "TOO_MANY_DIRECTIVES",
        "directives": 51,
        "maxDirectives": 50,
    }


def test_tokens_are_limited_while_parsing() -> None:
    query = "{ organization { name } }"
    assert token_count(query) == 6
    check(Settings(max_tokens=6), query, None, None)
    error = refusal(query, max_tokens=5)
    assert error.extensions == {"code": "TOO_MANY_TOKENS", "maxTokens": 5}
    # comments are not free either
    error = refusal("# 1\n# 2\n# 3\n" * 3 + query, max_tokens=6)
    assert error.extensions["code"] == "TOO_MANY_TOKENS"


def test_documents_are_cached_per_limits() -> None:
    query = "{ organization { id } }"
    check(SETTINGS, query, None, None)
    assert refusal(query, max_depth=1).extensions["code"] == "DEPTH_LIMIT_EXCEEDED"


def test_suggestions_are_hidden_in_production() -> None:
    query = "{ organizatio { name } }"
    assert "Did you mean" in refusal(query).message
    assert "Did you mean" not in refusal(query, environment="production").message
    variables = "query ($s: [ObjectiveStatus!]) { objectives(first: 1, filter: {status: $s}) { totalCount } }"
    assert "Did you mean" in refusal(variables, {"s": ["ACTIV"]}).message
    hidden = refusal(variables, {"s": ["ACTIV"]}, environment="production")
    assert "Did you mean" not in hidden.message


# --- the leaky bucket ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_admits_what_fits_and_leaks_at_its_rate() -> None:
    clock = Clock()
    bucket = limits.LeakyBucket(100, 10, clock=clock)
    assert bucket.acquire("a", 60) is None
    assert bucket.acquire("a", 40) is None
    assert bucket.remaining("a") == 0
    assert bucket.acquire("a", 30) == pytest.approx(3.0)  # 30 over: 3 s at 10/s
    assert bucket.acquire("b", 100) is None  # every caller has a bucket of its own
    clock.now += 3
    assert bucket.acquire("a", 30) is None
    assert bucket.acquire("a", 1) == pytest.approx(0.1)


def test_a_request_larger_than_the_capacity_runs_on_an_empty_bucket() -> None:
    clock = Clock()
    bucket = limits.LeakyBucket(10, 1, clock=clock)
    assert bucket.acquire("a", 25) is None
    assert bucket.acquire("a", 25) == pytest.approx(25.0)  # until it is empty again
    clock.now += 25
    assert bucket.acquire("a", 25) is None


def test_bucket_forgets_drained_callers() -> None:
    clock = Clock()
    bucket = limits.LeakyBucket(10, 1, clock=clock, max_callers=3)
    for caller in "abc":
        bucket.acquire(caller, 5)
    clock.now += 10
    bucket.acquire("d", 5)
    assert set(bucket.buckets) == {"d"}


def test_retry_after_is_whole_seconds() -> None:
    assert limits.retry_after_seconds(0.01) == 1
    assert limits.retry_after_seconds(2.5) == 3
    assert limits.rate_limited_error(7, 2.5).extensions == {
        "code": "RATE_LIMITED",
        "cost": 7,
        "retryAfter": 3,
    }


def test_caller_key_is_the_user_in_the_organisation() -> None:
    person = Identity(organization_id=1, user_id=2, time_zone="UTC", role="ADMIN")
    assert limits.caller_key(person) == ("user", 1, 2)
