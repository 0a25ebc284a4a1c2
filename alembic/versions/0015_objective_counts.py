"""Objective counts per (organisation, cycle, status), kept by triggers, for `totalCount`.

A list page's `totalCount` counted every objective matching its filter on each request, so
its cost grew with the cycle (4,513 rows at 10x the bench data) while the page itself stayed
50 rows. `objective_count` holds the number of objectives per (organisation, cycle, status);
a total whose filters are only the cycle and the statuses (db/catalog.py: OBJECTIVE.counts)
sums a handful of its rows instead.

- Kept in the same transaction as the change (statement triggers with transition tables for
  inserts and deletes, one call per statement, so a bulk load or a cascading delete adds its
  groups once; a row trigger for the rare update that moves an objective to another cycle or
  status, which the check-in path's progress updates never fire). A reader sees the counts of
  exactly the objectives its snapshot sees.
- A row trigger's two counts are locked in key order, so two transactions moving objectives
  between the same two groups in opposite directions cannot deadlock on them.
- The API's role may only read the table; the trigger functions write it as its owner.
- Tenant rows with row-level security like every other tenant table. Rows that drop to 0 stay
  (a cycle has at most one per status).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
CREATE TABLE objective_count (
  organization_id bigint NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
  cycle_id        bigint NOT NULL,
  status          objective_status NOT NULL,
  n               bigint NOT NULL CHECK (n >= 0),
  PRIMARY KEY (organization_id, cycle_id, status)
);
ALTER TABLE objective_count ENABLE ROW LEVEL SECURITY;
ALTER TABLE objective_count FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON objective_count
  USING (organization_id = okrql_organization_id())
  WITH CHECK (organization_id = okrql_organization_id());
REVOKE ALL ON objective_count FROM okrql_app;
GRANT SELECT ON objective_count TO okrql_app;

CREATE FUNCTION okrql_objective_count_added() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  INSERT INTO objective_count AS c (organization_id, cycle_id, status, n)
  SELECT a.organization_id, a.cycle_id, a.status, count(*)
  FROM added a GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (organization_id, cycle_id, status) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;

CREATE FUNCTION okrql_objective_count_removed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  UPDATE objective_count AS c SET n = c.n - r.n
  FROM (SELECT organization_id, cycle_id, status, count(*) AS n
        FROM removed GROUP BY 1, 2, 3) AS r
  WHERE c.organization_id = r.organization_id AND c.cycle_id = r.cycle_id
    AND c.status = r.status;
  RETURN NULL;
END $$;

CREATE FUNCTION okrql_objective_count_moved() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF (OLD.organization_id, OLD.cycle_id, OLD.status)
     < (NEW.organization_id, NEW.cycle_id, NEW.status) THEN
    UPDATE objective_count SET n = n - 1
    WHERE organization_id = OLD.organization_id AND cycle_id = OLD.cycle_id
      AND status = OLD.status;
  END IF;
  INSERT INTO objective_count AS c (organization_id, cycle_id, status, n)
  VALUES (NEW.organization_id, NEW.cycle_id, NEW.status, 1)
  ON CONFLICT (organization_id, cycle_id, status) DO UPDATE SET n = c.n + 1;
  IF (OLD.organization_id, OLD.cycle_id, OLD.status)
     > (NEW.organization_id, NEW.cycle_id, NEW.status) THEN
    UPDATE objective_count SET n = n - 1
    WHERE organization_id = OLD.organization_id AND cycle_id = OLD.cycle_id
      AND status = OLD.status;
  END IF;
  RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION okrql_objective_count_added() FROM PUBLIC;
REVOKE ALL ON FUNCTION okrql_objective_count_removed() FROM PUBLIC;
REVOKE ALL ON FUNCTION okrql_objective_count_moved() FROM PUBLIC;

CREATE TRIGGER objective_count_insert AFTER INSERT ON objective
  REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION okrql_objective_count_added();
CREATE TRIGGER objective_count_delete AFTER DELETE ON objective
  REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION okrql_objective_count_removed();
CREATE TRIGGER objective_count_update AFTER UPDATE OF organization_id, cycle_id, status
  ON objective FOR EACH ROW
  WHEN ((OLD.organization_id, OLD.cycle_id, OLD.status)
        IS DISTINCT FROM (NEW.organization_id, NEW.cycle_id, NEW.status))
  EXECUTE FUNCTION okrql_objective_count_moved();

-- The objectives already there. A migration role that owns the tables without BYPASSRLS
-- would see no organisation's rows through the FORCEd policies: lifted for the backfill, in
-- this migration's transaction.
ALTER TABLE objective NO FORCE ROW LEVEL SECURITY;
ALTER TABLE objective_count NO FORCE ROW LEVEL SECURITY;
INSERT INTO objective_count (organization_id, cycle_id, status, n)
SELECT organization_id, cycle_id, status, count(*) FROM objective GROUP BY 1, 2, 3;
ALTER TABLE objective FORCE ROW LEVEL SECURITY;
ALTER TABLE objective_count FORCE ROW LEVEL SECURITY;
"""
    )


def downgrade() -> None:
    execute_script(
        """
DROP TRIGGER objective_count_update ON objective;
DROP TRIGGER objective_count_delete ON objective;
DROP TRIGGER objective_count_insert ON objective;
DROP FUNCTION okrql_objective_count_moved();
DROP FUNCTION okrql_objective_count_removed();
DROP FUNCTION okrql_objective_count_added();
DROP TABLE objective_count;
"""
    )
