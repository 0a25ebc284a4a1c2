-- Derived progress columns, maintained on write so that a read never recurses
-- (docs/domain-rules.md, "Objectives").
-- Every statement is filtered by organization_id = $1. Rows are always locked in id order so
-- that two writers touching overlapping rows queue up instead of deadlocking, and with
-- FOR NO KEY UPDATE (what an UPDATE of non-key columns takes anyway) rather than FOR UPDATE:
-- inserting a check-in or key result takes FOR KEY SHARE on the row it references, and
-- FOR UPDATE would conflict with that, so two concurrent check-ins on one key result would
-- each wait for the other's insert: a deadlock.

-- name: lock_key_results
-- Lock the given key results (id order) before their latest check-in is read. This must be a
-- statement of its own: a statement reads from the snapshot taken when it starts, so reading
-- the check-ins in the statement that waited for the lock could miss the check-in committed
-- by the transaction it waited for.
SELECT id
FROM key_result
WHERE organization_id = $1 AND id = ANY($2::bigint[])
ORDER BY id
FOR NO KEY UPDATE

-- name: refresh_key_results
-- Copy each given key result's latest check-in (by measured time, then id, so a back-dated
-- check-in never hides a newer one) into its denormalised columns; no check-in clears them.
-- Run after lock_key_results. Rows already up to date are not rewritten.
UPDATE key_result AS kr
SET current_value = latest.value,
    done = latest.done,
    last_check_in_id = latest.id,
    last_measured_at = latest.measured_at,
    last_confidence = latest.confidence
FROM (
  SELECT k.id AS key_result_id, ci.id, ci.value, coalesce(ci.done, false) AS done,
         ci.measured_at, ci.confidence
  FROM key_result AS k
  LEFT JOIN LATERAL (
    SELECT c.id, c.value, c.done, c.measured_at, c.confidence
    FROM check_in AS c
    WHERE c.organization_id = $1 AND c.key_result_id = k.id
    ORDER BY c.measured_at DESC, c.id DESC
    LIMIT 1
  ) AS ci ON true
  WHERE k.organization_id = $1 AND k.id = ANY($2::bigint[])
) AS latest
WHERE kr.organization_id = $1
  AND kr.id = latest.key_result_id
  AND (kr.current_value, kr.done, kr.last_check_in_id, kr.last_measured_at, kr.last_confidence)
      IS DISTINCT FROM (latest.value, latest.done, latest.id, latest.measured_at,
                        latest.confidence)

-- name: lock_organization_key_results
-- Lock every key result of the organisation (id order), for a recomputation from scratch.
SELECT id
FROM key_result
WHERE organization_id = $1
ORDER BY id
FOR NO KEY UPDATE

-- name: lock_objectives
-- Lock the given objectives (id order) before their progress is read and rewritten, so a
-- concurrent recomputation of the same rows waits and then reads committed inputs (in the
-- statements that follow, for the reason given at lock_key_results). The
-- progress source is read by the locking statement itself: after waiting for a lock it sees
-- the row as committed, so a concurrent change of the source is never missed.
SELECT id, progress_source::text AS progress_source
FROM objective
WHERE organization_id = $1 AND id = ANY($2::bigint[])
ORDER BY id
FOR NO KEY UPDATE

-- name: lock_organization_objectives
-- Lock every objective of the organisation (id order), for a recomputation from scratch.
SELECT id, progress_source::text AS progress_source
FROM objective
WHERE organization_id = $1
ORDER BY id
FOR NO KEY UPDATE

-- name: scoring_inputs
-- Everything the progress rules need about the given (locked) objectives, in one round trip:
-- what drives each one and its stored progress, its key results, its aligned children with
-- their stored progress and the alignment weights, and the objectives it supports (the next
-- level of the walk up).
-- Numbers are read as exact text: scoring is decimal arithmetic (domain/key_results.py).
SELECT 'objective' AS part, o.id AS objective_id, o.progress_source::text AS source,
       NULL::text AS kind, NULL::text AS start_value, NULL::text AS target_value,
       NULL::text AS current_value, NULL::text AS threshold_direction, NULL::boolean AS done,
       NULL::text AS weight, NULL::bigint AS other_id, o.progress::text AS progress
FROM objective AS o
WHERE o.organization_id = $1 AND o.id = ANY($2::bigint[])
UNION ALL
SELECT 'key_result', kr.objective_id, NULL, kr.kind::text, kr.start_value::text,
       kr.target_value::text, kr.current_value::text, kr.threshold_direction::text,
       kr.done, kr.weight::text, kr.id, NULL
FROM key_result AS kr
WHERE kr.organization_id = $1 AND kr.objective_id = ANY($2::bigint[])
UNION ALL
-- The child's progress is looked up per alignment row: a join lets the generic plan (which
-- cannot know how many ids $2 holds) hash every objective of the organisation.
SELECT 'child', a.parent_objective_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       a.weight::text, a.child_objective_id,
       (SELECT c.progress::text FROM objective AS c
        WHERE c.organization_id = a.organization_id AND c.id = a.child_objective_id)
FROM alignment AS a
WHERE a.organization_id = $1 AND a.parent_objective_id = ANY($2::bigint[])
UNION ALL
SELECT 'parent', a.child_objective_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, a.parent_objective_id, NULL
FROM alignment AS a
WHERE a.organization_id = $1 AND a.child_objective_id = ANY($2::bigint[])
-- A fixed order keeps the answer, and so each walk, identical run to run.
ORDER BY part, objective_id, other_id

-- name: parents
-- The alignment edges from the given objectives up to the objectives they support. (What
-- drives each parent is read when the parent is locked, not here: see lock_objectives.)
SELECT child_objective_id, parent_objective_id
FROM alignment
WHERE organization_id = $1 AND child_objective_id = ANY($2::bigint[])
ORDER BY child_objective_id, parent_objective_id

-- name: write_progress
-- Store the progress of many objectives at once ($2 ids, $3 progress as text, NULL for none);
-- returns the ids whose progress actually changed. Neither version nor updated_at moves: they
-- track the owner's edits, and a derived value changing is not one. (Recomputations from
-- scratch use this; changes made by someone use write_progress_announced.)
UPDATE objective AS o
SET progress = v.progress::numeric
FROM unnest($2::bigint[], $3::text[]) AS v(id, progress)
WHERE o.organization_id = $1
  AND o.id = v.id
  AND o.progress IS DISTINCT FROM v.progress::numeric
RETURNING o.id

-- name: write_progress_announced
-- write_progress, also logging an `objective.progress_changed` event for each objective whose
-- progress changed, in the same statement (subscriptions and webhooks hear of it; no actor:
-- it follows from the change that caused it, which has its own event).
WITH written AS (
  UPDATE objective AS o
  SET progress = v.progress::numeric
  FROM unnest($2::bigint[], $3::text[]) AS v(id, progress)
  WHERE o.organization_id = $1
    AND o.id = v.id
    AND o.progress IS DISTINCT FROM v.progress::numeric
  RETURNING o.id, o.progress
), logged AS (
  INSERT INTO event (organization_id, type, subject_type, subject_id, after)
  SELECT $1, 'objective.progress_changed', 'Objective', w.id,
         jsonb_build_object('progress', w.progress)
  FROM written AS w
)
SELECT id FROM written

-- name: due_inputs
-- What the domain's cadence rule needs to date a key result's next check-in.
SELECT id, cadence::text AS cadence, last_measured_at, created_at
FROM key_result
WHERE organization_id = $1 AND id = ANY($2::bigint[])

-- name: write_next_check_in_due
-- Store next check-in due times computed by domain.check_ins.next_check_in_due.
UPDATE key_result AS kr
SET next_check_in_due = d.due
FROM unnest($2::bigint[], $3::timestamptz[]) AS d(id, due)
WHERE kr.organization_id = $1 AND kr.id = d.id
  AND kr.next_check_in_due IS DISTINCT FROM d.due
