-- Objective writes. Every statement is filtered by organization_id = $1. Objectives are locked
-- FOR NO KEY UPDATE (what an UPDATE of non-key columns takes anyway, so check-ins and key
-- results that reference the row are not blocked by the lock itself), and only a delete takes
-- FOR UPDATE; the order is the one in services/progress.py: key results, then objectives.

-- name: lock_objective
-- Lock one objective before it is checked and changed: the checks then see the row as
-- committed, and no concurrent writer changes it in between.
SELECT id, cycle_id, level::text AS level, owner_team_id, owner_user_id, title, description,
       status::text AS status, progress_source::text AS progress_source, progress,
       final_score, outcome::text AS outcome, reflection, closed_at, version
FROM objective
WHERE organization_id = $1 AND id = $2
FOR NO KEY UPDATE

-- name: lock_objective_for_delete
-- Like lock_objective, with the lock a DELETE takes: it also keeps new key results and
-- alignments (which take FOR KEY SHARE on the row) away until the delete commits.
SELECT id, cycle_id, level::text AS level, owner_team_id, owner_user_id, title, description,
       status::text AS status, progress_source::text AS progress_source, progress,
       final_score, outcome::text AS outcome, reflection, closed_at, version
FROM objective
WHERE organization_id = $1 AND id = $2
FOR UPDATE

-- name: lock_key_results_of_objective
-- Lock the key results a delete will cascade to, in id order and before their objective, so a
-- concurrent check-in (key result, then objective) queues behind the delete, never across it.
SELECT id
FROM key_result
WHERE organization_id = $1 AND objective_id = $2
ORDER BY id
FOR UPDATE

-- name: cycle_dates
-- The cycle an objective is put in, if it is the organisation's; FOR KEY SHARE keeps it from
-- being deleted before the objective referencing it commits.
SELECT starts_on, ends_on
FROM cycle
WHERE organization_id = $1 AND id = $2
FOR KEY SHARE

-- name: team_exists
-- Whether a team of the organisation may own an objective (kept until the write commits).
SELECT EXISTS (
  SELECT 1 FROM team WHERE organization_id = $1 AND id = $2 FOR KEY SHARE
)

-- name: member_exists
-- Whether a person is an active member of the organisation, so may own an objective (an
-- invitee has not joined yet; a deactivated member keeps what they own, but gets nothing new).
SELECT EXISTS (
  SELECT 1 FROM membership
  WHERE organization_id = $1 AND user_id = $2 AND status = 'ACTIVE'
  FOR KEY SHARE
)

-- name: aligned_cycles
-- The cycles of the objectives aligned with one objective, whether above it or below it.
SELECT c.starts_on, c.ends_on
FROM alignment a
JOIN objective o
  ON o.organization_id = a.organization_id
 AND o.id = CASE WHEN a.child_objective_id = $2 THEN a.parent_objective_id
                 ELSE a.child_objective_id END
JOIN cycle c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
WHERE a.organization_id = $1 AND (a.child_objective_id = $2 OR a.parent_objective_id = $2)

-- name: insert_objective
INSERT INTO objective (organization_id, cycle_id, level, owner_team_id, owner_user_id, title,
                       description, status, progress_source, created_at, updated_at)
VALUES ($1, $2, $3::objective_level, $4, $5, $6, $7, $8::objective_status,
        $9::progress_source, $10, $10)
RETURNING id, cycle_id, level::text AS level, owner_team_id, owner_user_id, title, description,
          status::text AS status, progress_source::text AS progress_source, progress,
          final_score, outcome::text AS outcome, reflection, closed_at, version

-- name: update_objective
-- Write an objective's editable columns (the caller merges the change into the locked row).
UPDATE objective
SET title = $3, description = $4, cycle_id = $5, level = $6::objective_level,
    owner_team_id = $7, owner_user_id = $8, progress_source = $9::progress_source,
    version = version + 1, updated_at = $10
WHERE organization_id = $1 AND id = $2
RETURNING id, cycle_id, level::text AS level, owner_team_id, owner_user_id, title, description,
          status::text AS status, progress_source::text AS progress_source, progress,
          final_score, outcome::text AS outcome, reflection, closed_at, version

-- name: write_lifecycle
-- Write an objective's status with what its close keeps (NULLs when it is not closed).
UPDATE objective
SET status = $3::objective_status, final_score = $4::numeric, outcome = $5::objective_outcome,
    reflection = $6, closed_at = $7, version = version + 1, updated_at = $8
WHERE organization_id = $1 AND id = $2
RETURNING id, cycle_id, level::text AS level, owner_team_id, owner_user_id, title, description,
          status::text AS status, progress_source::text AS progress_source, progress,
          final_score, outcome::text AS outcome, reflection, closed_at, version

-- name: has_children
-- Whether any objective is aligned under this one.
SELECT EXISTS (
  SELECT 1 FROM alignment WHERE organization_id = $1 AND parent_objective_id = $2
)

-- name: delete_objective
-- Its key results, their check-ins and its alignments go with it (ON DELETE CASCADE).
DELETE FROM objective
WHERE organization_id = $1 AND id = $2

-- name: lock_objectives_of_cycle
-- Lock the objectives of a cycle in the given statuses ($3, the ones a close may move from:
-- a domain rule), in id order, before the cycle is closed.
SELECT id, cycle_id, level::text AS level, owner_team_id, owner_user_id, title, description,
       status::text AS status, progress_source::text AS progress_source, progress,
       final_score, outcome::text AS outcome, reflection, closed_at, version
FROM objective
WHERE organization_id = $1 AND cycle_id = $2 AND status = ANY($3::objective_status[])
ORDER BY id
FOR NO KEY UPDATE

-- name: close_objectives
-- Close many objectives at once ($2 ids, $3 final scores as text, $4 outcomes; $5 the time).
UPDATE objective AS o
SET status = 'CLOSED', final_score = v.final_score::numeric,
    outcome = v.outcome::objective_outcome, reflection = NULL, closed_at = $5,
    version = o.version + 1, updated_at = $5
FROM unnest($2::bigint[], $3::text[], $4::text[]) AS v(id, final_score, outcome)
WHERE o.organization_id = $1 AND o.id = v.id
RETURNING o.id, o.cycle_id, o.level::text AS level, o.owner_team_id, o.owner_user_id, o.title,
          o.description, o.status::text AS status, o.progress_source::text AS progress_source,
          o.progress, o.final_score, o.outcome::text AS outcome, o.reflection, o.closed_at,
          o.version
