-- name: key_result_for_check_in
-- Lock the key result a check-in is for, with what the check-in rules need about it.
-- The lock serialises check-ins of one key result, so the latest one is decided in order.
SELECT kr.id, kr.kind::text AS kind, kr.objective_id, o.status::text AS objective_status,
       c.starts_on, c.ends_on
FROM key_result kr
JOIN objective o ON o.organization_id = kr.organization_id AND o.id = kr.objective_id
JOIN cycle c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
WHERE kr.organization_id = $1 AND kr.id = $2
FOR NO KEY UPDATE OF kr;

-- name: insert_check_in
INSERT INTO check_in (organization_id, key_result_id, author_id, value, done, confidence,
                      comment, measured_at, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6::confidence, $7, $8::timestamptz, $9::timestamptz)
RETURNING id, measured_at, recorded_at;
