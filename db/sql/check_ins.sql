-- name: key_result_for_check_in
-- Lock the key result a check-in is for, with what the check-in rules need about it.
-- The lock serialises check-ins of one key result, so the latest one is decided in order.
SELECT kr.id, kr.kind::text AS kind, kr.objective_id, o.status::text AS objective_status,
       c.starts_on, c.ends_on, kr.cadence::text AS cadence, kr.created_at, kr.last_measured_at,
       kr.owner_user_id, o.owner_user_id AS objective_owner_user_id,
       o.owner_team_id AS objective_owner_team_id
FROM key_result kr
JOIN objective o ON o.organization_id = kr.organization_id AND o.id = kr.objective_id
JOIN cycle c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
WHERE kr.organization_id = $1 AND kr.id = $2
FOR NO KEY UPDATE OF kr;

-- name: record_check_in
-- Append a check-in to its (locked) key result and, in the same round trip: recompute the key
-- result's latest-check-in columns from its history (the new row included: a statement does
-- not see its own inserts, so it joins the history explicitly), store the next due time the
-- caller computed ($10), log the event ($11 type, $12 after, $14 the acting API key), and lock
-- the objective ($13) whose progress the caller recomputes next (lock order: key result, then
-- objective).
WITH ins AS (
  INSERT INTO check_in (organization_id, key_result_id, author_id, value, done, confidence,
                        comment, measured_at, recorded_at)
  VALUES ($1, $2, $3, $4, $5, $6::confidence, $7, $8::timestamptz, $9::timestamptz)
  RETURNING id, value, done, confidence, measured_at, recorded_at
), latest AS (
  SELECT h.id, h.value, coalesce(h.done, false) AS done, h.confidence, h.measured_at
  FROM (
    SELECT c.id, c.value, c.done, c.confidence, c.measured_at
    FROM check_in c
    WHERE c.organization_id = $1 AND c.key_result_id = $2
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
  RETURNING k.last_measured_at
), ev AS (
  INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id, after,
                     actor_api_key_id)
  SELECT $1, $11, 'CheckIn', ins.id, $3, $12::jsonb, $14::bigint FROM ins
), locked AS (
  SELECT o.progress_source::text AS progress_source
  FROM objective o
  WHERE o.organization_id = $1 AND o.id = $13
  FOR NO KEY UPDATE
)
SELECT ins.id, ins.measured_at, ins.recorded_at,
       (SELECT last_measured_at FROM kr) AS last_measured_at,
       (SELECT progress_source FROM locked) AS progress_source
FROM ins;

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
