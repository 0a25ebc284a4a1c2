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
-- Append a check-in to its key result, which the caller locked together with its objective
-- (key_result_for_check_in), and in the same round trip move the key result's latest-check-in
-- columns, log the event and, when asked (`scoring`), read what the objective's progress
-- needs as the check-in leaves it, so the progress walk (services/progress.py) sends no
-- statement of its own for this level.
-- The answer has scoring_inputs' columns and order (progress.sql), so one reader
-- (db/progress.py: scoring_from_rows) parses both: first the row of part 'check_in' (the new
-- check-in: its id in other_id, its times, and the key result's latest measured time after
-- this statement), then, with `scoring`, scoring_inputs' rows for the objective.
--
-- The parameters (db/check_ins.py: record), written in place rather than named once in a row
-- the steps join: measured in process on the bench data, a `params` row (even NOT
-- MATERIALIZED, with the same plan nodes) cost about 1.5 ms more per check-in.
--    $1 organization_id       $6 confidence            $11 event type
--    $2 key_result_id         $7 comment               $12 event after (jsonb)
--    $3 author_id (NULL: key) $8 measured_at           $13 objective_id (the key result's)
--    $4 value (numeric kinds) $9 recorded_at           $14 actor API key (NULL: a person)
--    $5 done (milestones)     $10 next_check_in_due    $15 scoring
WITH new_check_in AS (
  -- The history is append-only: a check-in is only ever added.
  INSERT INTO check_in (organization_id, key_result_id, author_id, value, done, confidence,
                        comment, measured_at, recorded_at)
  VALUES ($1, $2, $3, $4, $5, $6::confidence, $7, $8::timestamptz, $9::timestamptz)
  RETURNING id, value, done, confidence, measured_at, recorded_at
), latest AS (
  -- The key result's latest check-in (by measured time, then id) is the later of its latest so
  -- far and the new one: only this statement and progress.sql's refresh_key_results move the
  -- latest-check-in columns, both under the key result's lock, so the cost does not grow with
  -- the history. A back-dated check-in joins the history without hiding a newer value.
  -- (The statement's snapshot does not see the insert above: the key result still names its
  -- previous latest check-in here.)
  SELECT h.id, h.value, coalesce(h.done, false) AS done, h.confidence, h.measured_at
  FROM (
    SELECT c.id, c.value, c.done, c.confidence, c.measured_at
    FROM key_result AS k
    JOIN check_in AS c ON c.organization_id = k.organization_id AND c.id = k.last_check_in_id
    WHERE k.organization_id = $1 AND k.id = $2
    UNION ALL
    SELECT id, value, done, confidence, measured_at FROM new_check_in
  ) AS h
  ORDER BY h.measured_at DESC, h.id DESC
  LIMIT 1
), moved_key_result AS (
  -- The columns reads take the latest check-in from (currentValue, lastCheckIn, isOverdue),
  -- kept on the key result so that no read looks for it in the history; and the next due
  -- time the caller computed from the cadence rule.
  UPDATE key_result AS k
  SET current_value = l.value,
      done = l.done,
      last_check_in_id = l.id,
      last_measured_at = l.measured_at,
      last_confidence = l.confidence,
      next_check_in_due = $10::timestamptz
  FROM latest AS l
  WHERE k.organization_id = $1 AND k.id = $2
  RETURNING k.id, k.objective_id, k.kind, k.start_value, k.target_value, k.current_value,
            k.threshold_direction, k.done, k.weight, k.last_measured_at
), logged_event AS (
  -- In the check-in's own transaction, so the audit history, the webhook deliveries (queued by
  -- a trigger on event) and subscriptions (announced at commit) hear of exactly what commits.
  INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id, after,
                     actor_api_key_id)
  SELECT $1, $11, 'CheckIn', c.id, $3, $12::jsonb, $14::bigint FROM new_check_in AS c
), locked_parents AS (
  -- The next level of the progress walk, locked here (children before parents, id order): a
  -- locked row is read as committed, so what drives each parent is current.
  SELECT o.id, o.progress_source::text AS progress_source
  FROM objective AS o
  WHERE $15 AND o.organization_id = $1
    AND o.id IN (SELECT a.parent_objective_id FROM alignment AS a
                 WHERE a.organization_id = $1 AND a.child_objective_id = $13)
  ORDER BY o.id
  FOR NO KEY UPDATE
)
-- The new check-in, and the key result's latest measured time as moved above.
SELECT 'check_in' AS part, $13 AS objective_id, NULL::text AS source, NULL::text AS kind,
       NULL::text AS start_value, NULL::text AS target_value, NULL::text AS current_value,
       NULL::text AS threshold_direction, NULL::boolean AS done, NULL::text AS weight,
       c.id AS other_id, NULL::text AS progress, c.measured_at, c.recorded_at,
       (SELECT last_measured_at FROM moved_key_result) AS last_measured_at
FROM new_check_in AS c
UNION ALL
-- With `scoring`, scoring_inputs' rows (numbers as exact text, as there). The objective: what
-- drives it and its stored progress (read under its lock, so current).
SELECT 'objective', o.id, o.progress_source::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, o.progress::text, NULL, NULL, NULL
FROM objective AS o
WHERE $15 AND o.organization_id = $1 AND o.id = $13
UNION ALL
-- Its other key results, as committed (their check-ins wait for the objective's lock).
SELECT 'key_result', k.objective_id, NULL, k.kind::text, k.start_value::text,
       k.target_value::text, k.current_value::text, k.threshold_direction::text, k.done,
       k.weight::text, k.id, NULL, NULL, NULL, NULL
FROM key_result AS k
WHERE $15 AND k.organization_id = $1 AND k.objective_id = $13 AND k.id <> $2
UNION ALL
-- This key result as moved above (the snapshot would show it as it was before).
SELECT 'key_result', k.objective_id, NULL, k.kind::text, k.start_value::text,
       k.target_value::text, k.current_value::text, k.threshold_direction::text, k.done,
       k.weight::text, k.id, NULL, NULL, NULL, NULL
FROM moved_key_result AS k
WHERE $15
UNION ALL
-- Its aligned children with their stored progress, looked up per alignment row (as in
-- scoring_inputs: a join would let the generic plan hash every objective).
SELECT 'child', a.parent_objective_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       a.weight::text, a.child_objective_id,
       (SELECT c.progress::text FROM objective AS c
        WHERE c.organization_id = a.organization_id AND c.id = a.child_objective_id),
       NULL, NULL, NULL
FROM alignment AS a
WHERE $15 AND a.organization_id = $1 AND a.parent_objective_id = $13
UNION ALL
-- The objectives it supports, locked above, each with what drives it.
SELECT 'parent', $13, lp.progress_source, NULL, NULL, NULL, NULL, NULL, NULL, NULL, lp.id,
       NULL, NULL, NULL, NULL
FROM locked_parents AS lp
-- scoring_inputs' order, the order a recomputation reads them in
ORDER BY part, objective_id, other_id;

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
