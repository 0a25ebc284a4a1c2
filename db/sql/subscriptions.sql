-- name: check_in_facts
-- What subscription filters match a new check-in against.
SELECT ci.id AS check_in_id, ci.key_result_id, kr.objective_id, o.cycle_id, o.owner_team_id
FROM check_in ci
JOIN key_result kr ON kr.organization_id = ci.organization_id AND kr.id = ci.key_result_id
JOIN objective o ON o.organization_id = kr.organization_id AND o.id = kr.objective_id
WHERE ci.organization_id = $1 AND ci.id = $2;

-- name: objective_facts
-- What subscription filters match an objective's progress change against.
SELECT o.id AS objective_id, o.cycle_id, o.owner_team_id
FROM objective o
WHERE o.organization_id = $1 AND o.id = $2;

-- name: missed_events
-- The events of the given types after $2 that the hub has not already delivered ($4), oldest
-- first, for catching up after the LISTEN connection was away; the caller asks for one more
-- than it will replay, to tell a gap too long to fill.
SELECT e.id AS event_id, e.type, e.subject_id
FROM event e
WHERE e.organization_id = $1 AND e.id > $2 AND e.type = ANY($3::text[])
  AND e.id <> ALL($4::bigint[])
ORDER BY e.id
LIMIT $5;

-- name: event_horizon
-- The newest event id handed out in any organisation (a sequence is not row-level secured),
-- with the bounds of the transactions running now: once every transaction older than `xmax`
-- has ended (a later sample's `xmin` is past it), no event up to `last_event_id` can still
-- commit, so a catch-up may start there.
SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('event', 'id')::regclass), 0)
         AS last_event_id,
       pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin,
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax;
