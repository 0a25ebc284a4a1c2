"""The statements of the read path (db/planner/sql.py) as text: the tenant predicate in each,
one statement for all parents, parameters numbered as the runner binds them, and several
statements of a level sent as one. No database: PostgreSQL's view of them is tests/db's."""

from __future__ import annotations

import re

import pytest

from db.catalog import RELATIONS, SOURCES
from db.planner.plan import Fold
from db.planner.sql import (
    batch_sql,
    by_key_names,
    by_key_sql,
    connection_names,
    connection_sql,
    lookup_sql,
    order_of,
)


def parameters(sql: str) -> set[int]:
    return {int(n) for n in re.findall(r"\$(\d+)", sql)}


def selected(sql: str) -> list[str]:
    """The output names of the outermost select list, in order."""
    head = sql.split(" FROM ", 1)[0]
    return re.findall(r'AS "([^"]+)"', head)


def test_by_key_reads_the_given_columns_of_the_rows_of_all_parents_in_one_statement() -> None:
    sql = by_key_sql("objective", ("id", "title"))
    assert sql == (
        'SELECT t.id AS "id", t.title AS "title" FROM objective t'
        " WHERE t.organization_id = $1 AND t.id = ANY($2::bigint[])"
    )


def test_a_join_is_added_only_for_the_columns_that_need_it() -> None:
    assert "JOIN cycle" not in by_key_sql("objective", ("id", "title"))
    assert "JOIN cycle oc" in by_key_sql("objective", ("id", "cycle_starts_on"))


def test_switching_off_the_application_tenant_filter_keeps_the_organisation_parameter() -> None:
    # Row-level security alone must then keep organisations apart; $1 stays typed and bound.
    sql = by_key_sql("objective", ("id",), (), False)
    assert "organization_id" not in sql
    assert "$1::bigint IS NOT NULL" in sql
    assert parameters(sql) == {1, 2}


def test_a_lookup_compares_the_catalog_key_with_one_parameter() -> None:
    sql = lookup_sql("key_result", "external_id", ("id", "title"))
    assert sql.endswith("WHERE t.organization_id = $1 AND t.external_id = $2")


def test_folds_join_each_to_one_after_the_parents_rows_and_name_its_columns() -> None:
    fold = Fold("j1", "user", "owner_user_id", ("id", "name"))
    sql = by_key_sql("objective", ("id", "owner_user_id"), (fold,))
    assert "LEFT JOIN LATERAL (SELECT" in sql
    assert 'AND t.id = s."owner_user_id" LIMIT 1) j1 ON true' in sql
    assert by_key_names(("id", "owner_user_id"), (fold,)) == (
        "id",
        "owner_user_id",
        "j1__id",
        "j1__name",
    )
    assert sql.startswith('SELECT s.*, j1."id" AS "j1__id", j1."name" AS "j1__name" FROM (')


def test_a_page_per_parent_numbers_parents_and_limits_each_one() -> None:
    sql = connection_sql("objective.key_results", ("id", "title"), (), None, False, False)
    assert "unnest($2::bigint[]) WITH ORDINALITY AS p(key, idx)" in sql
    assert "CROSS JOIN LATERAL (" in sql
    assert "t.objective_id = p.key" in sql
    assert sql.endswith("ORDER BY t.position, t.id LIMIT $3) s")
    assert parameters(sql) == {1, 2, 3}


def test_filters_then_cursor_values_follow_the_limit_in_order() -> None:
    sql = connection_sql("objectives", ("id",), ("cycle", "owner"), "title_desc", True, False)
    assert "t.cycle_id = $4::bigint" in sql
    assert "t.owner_user_id = $5::bigint" in sql
    assert "(t.title, t.id) < (($6::text)::text, ($7::text)::bigint)" in sql
    assert "ORDER BY t.title DESC, t.id DESC" in sql


@pytest.mark.parametrize("relation", sorted(RELATIONS))
@pytest.mark.parametrize(("has_after", "with_total"), [(False, False), (True, True)])
def test_every_relations_parameters_are_those_the_runner_binds(
    relation: str, has_after: bool, with_total: bool
) -> None:
    # The runner binds org, keys, limit, one value per filter, one per order key of a cursor.
    source_filters = tuple(SOURCES[RELATIONS[relation].source].filters)
    sql = connection_sql(relation, ("id",), source_filters, None, has_after, with_total)
    width = len(order_of(RELATIONS[relation], None).keys)
    expected = 3 + len(source_filters) + (width if has_after else 0)
    assert parameters(sql) == set(range(1, expected + 1))


def test_a_total_of_counted_groups_is_summed_instead_of_counting_rows() -> None:
    counted = connection_sql("cycle.objectives", ("id",), ("status",), None, False, True)
    assert "FROM objective_count c" in counted
    assert "c.cycle_id = p.key" in counted
    assert "c.status = ANY($4::text[]::objective_status[])" in counted
    rows = connection_sql("cycle.objectives", ("id",), ("owner",), None, False, True)
    assert "objective_count" not in rows
    assert "SELECT count(*) AS total FROM objective t" in rows


def test_names_of_a_page_are_its_position_total_columns_sort_keys_and_folds() -> None:
    fold = Fold("j2", "team", "owner_team_id", ("id", "name"))
    assert connection_names(("id", "title"), 2, True, (fold,)) == (
        "__idx",
        "__total",
        "id",
        "title",
        "__k0",
        "__k1",
        "j2__id",
        "j2__name",
    )


def test_statements_of_one_level_share_a_round_trip_and_the_organisation() -> None:
    first = connection_sql("objective.key_results", ("id",), (), None, False, False)
    second = connection_sql("objective.children", ("id",), (), None, False, True)
    third = by_key_sql("user", ("id", "name"))
    sql = batch_sql(
        (
            (first, connection_names(("id",), 2, False)),
            (second, connection_names(("id",), 1, True)),
            (third, ("id", "name")),
        )
    )
    # Each part's own parameters after the previous parts' ($1, the organisation, shared):
    # 2 and 3 for the first, 4 and 5 for the second, 6 for the third.
    assert parameters(sql) == {1, 2, 3, 4, 5, 6}
    assert "FROM (VALUES (0), (1), (2)) AS p(part)" in sql
    assert "unnest($4::bigint[])" in sql
    assert "LIMIT $5" in sql
    assert "t.id = ANY($6::bigint[])" in sql
    names = selected(sql)
    assert names[:4] == ["__part", "0.__row", "0.__idx", "0.id"]
    assert "1.__total" in names
    assert names[-3:] == ["2.__row", "2.id", "2.name"]
