-- name: key_result_for_check_in
-- Lock the key result a check-in is for, and then its objective (the lock order: key result,
-- then objective), with what the check-in rules need about them. The key result's lock
-- serialises its check-ins, so the latest one is decided in order; the objective's makes the
-- next statement, which reads the objective's other key results for its progress, see what
-- every concurrent check-in on them committed (a statement sees what committed before it
-- began: this one waited, the next one starts after).
SELECT kr.id, kr.kind::text AS kind, kr.objective_id, o.status::text AS objective_status,
       c.starts_on, c.ends_on, kr.cadence::text AS cadence, kr.created_at, kr.last_measured_at,
       kr.owner_user_id, o.owner_user_id AS objective_owner_user_id,
       o.owner_team_id AS objective_owner_team_id, o.progress_source::text AS progress_source
FROM key_result kr
JOIN objective o ON o.organization_id = kr.organization_id AND o.id = kr.objective_id
JOIN cycle c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
WHERE kr.organization_id = $1 AND kr.id = $2
FOR NO KEY UPDATE OF kr, o;

-- name: record_check_in
-- Append a check-in to its locked key result (its objective locked too) and, in the same
-- round trip: move the key result's latest-check-in columns to the later (by measured time,
-- then id) of its latest check-in and the new one (the history is append-only and only this
-- statement and progress.sql's recompute move those columns, so the latest can only be one
-- of the two: the cost does not grow with the history), store the next due time the caller
-- computed ($10), log the event ($11 type, $12 after, $14 the acting API key). The row of
-- part 'check_in' is the check-in (its id in other_id); with $15, the rows of scoring_inputs
-- (progress.sql) for the objective ($13) come with it, this key result as just updated, so
-- the objective's progress needs no read of its own, and the objectives it supports are
-- locked, each 'parent' row with what drives it (source).
WITH ins AS (
  INSERT INTO check_in (organization_id, key_result_id, author_id, value, done, confidence,
                        comment, measured_at, recorded_at)
  VALUES ($1, $2, $3, $4, $5, $6::confidence, $7, $8::timestamptz, $9::timestamptz)
  RETURNING id, value, done, confidence, measured_at, recorded_at
), latest AS (
  SELECT h.id, h.value, coalesce(h.done, false) AS done, h.confidence, h.measured_at
  FROM (
    SELECT c.id, c.value, c.done, c.confidence, c.measured_at
    FROM key_result AS k
    JOIN check_in AS c ON c.organization_id = k.organization_id AND c.id = k.last_check_in_id
    WHERE k.organization_id = $1 AND k.id = $2
    UNION ALL
    SELECT id, value, done, confidence, measured_at FROM ins
  ) AS h
  ORDER BY h.measured_at DESC, h.id DESC
  LIMIT 1
), kr AS (
  UPDATE key_result AS k
  SET current_value = latest.value,
      done = latest.done,
      last_check_in_id = latest.id,
      last_measured_at = latest.measured_at,
      last_confidence = latest.confidence,
      next_check_in_due = $10::timestamptz
  FROM latest
  WHERE k.organization_id = $1 AND k.id = $2
  RETURNING k.id, k.objective_id, k.kind, k.start_value, k.target_value, k.current_value,
            k.threshold_direction, k.done, k.weight, k.last_measured_at
), ev AS (
  INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id, after,
                     actor_api_key_id)
  SELECT $1, $11, 'CheckIn', ins.id, $3, $12::jsonb, $14::bigint FROM ins
), parents AS (
  -- The next level of the progress walk, locked here (children before parents, id order):
  -- a locked row is read as committed, so what drives each parent is current.
  SELECT o.id, o.progress_source::text AS progress_source
  FROM objective AS o
  WHERE $15 AND o.organization_id = $1
    AND o.id IN (SELECT a.parent_objective_id FROM alignment AS a
                 WHERE a.organization_id = $1 AND a.child_objective_id = $13)
  ORDER BY o.id
  FOR NO KEY UPDATE
)
SELECT 'check_in' AS part, $13 AS objective_id, NULL::text AS source, NULL::text AS kind,
       NULL::float8 AS start_value, NULL::float8 AS target_value, NULL::float8 AS current_value,
       NULL::text AS threshold_direction, NULL::boolean AS done, NULL::float8 AS weight,
       ins.id AS other_id, NULL::float8 AS progress, ins.measured_at, ins.recorded_at,
       (SELECT last_measured_at FROM kr) AS last_measured_at
FROM ins
UNION ALL
SELECT 'objective', o.id, o.progress_source::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, o.progress::float8, NULL, NULL, NULL
FROM objective AS o
WHERE $15 AND o.organization_id = $1 AND o.id = $13
UNION ALL
SELECT 'key_result', k.objective_id, NULL, k.kind::text, k.start_value::float8,
       k.target_value::float8, k.current_value::float8, k.threshold_direction::text, k.done,
       k.weight::float8, k.id, NULL, NULL, NULL, NULL
FROM key_result AS k
WHERE $15 AND k.organization_id = $1 AND k.objective_id = $13 AND k.id <> $2
UNION ALL
SELECT 'key_result', k.objective_id, NULL, k.kind::text, k.start_value::float8,
       k.target_value::float8, k.current_value::float8, k.threshold_direction::text, k.done,
       k.weight::float8, k.id, NULL, NULL, NULL, NULL
FROM kr AS k
WHERE $15
UNION ALL
SELECT 'child', a.parent_objective_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       a.weight::float8, a.child_objective_id,
       (SELECT c.progress::float8 FROM objective AS c
        WHERE c.organization_id = a.organization_id AND c.id = a.child_objective_id),
       NULL, NULL, NULL
FROM alignment AS a
WHERE $15 AND a.organization_id = $1 AND a.parent_objective_id = $13
UNION ALL
SELECT 'parent', $13, p.progress_source, NULL, NULL, NULL, NULL, NULL, NULL, NULL, p.id, NULL,
       NULL, NULL, NULL
FROM parents AS p
-- scoring_inputs' order, so the float sums equal a recomputation's
ORDER BY 1, 2, 11;

-- name: key_results_for_check_ins
-- Lock the key results of several check-ins (by id, $2, or integration external id, $3), in
-- id order so that concurrent bulk check-ins cannot deadlock on each other, with what the
-- check-in rules need about each (as key_result_for_check_in).
SELECT kr.id, kr.kind::text AS kind, kr.objective_id, o.status::text AS objective_status,
       c.starts_on, c.ends_on, kr.cadence::text AS cadence, kr.created_at, kr.last_measured_at,
       kr.external_id, kr.owner_user_id, o.owner_user_id AS objective_owner_user_id,
       o.owner_team_id AS objective_owner_team_id
FROM key_result kr
JOIN objective o ON o.organization_id = kr.organization_id AND o.id = kr.objective_id
JOIN cycle c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
WHERE kr.organization_id = $1
  AND (kr.id = ANY($2::bigint[]) OR kr.external_id = ANY($3::text[]))
ORDER BY kr.id
FOR NO KEY UPDATE OF kr;
