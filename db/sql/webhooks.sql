-- name: create_endpoint
INSERT INTO webhook_endpoint (organization_id, url, event_types, secret, created_by)
VALUES ($1, $2, $3::text[], $4, $5)
RETURNING id;

-- name: delete_endpoint
DELETE FROM webhook_endpoint WHERE organization_id = $1 AND id = $2
RETURNING id;

-- name: claim_deliveries
-- Due deliveries of every organisation, leased to the calling worker (migration 0010: a
-- SECURITY DEFINER function with FOR UPDATE SKIP LOCKED; one statement, one short transaction).
SELECT organization_id, delivery_id, lease_token, attempts, url, secret, event_id, event_type,
       subject_type, subject_id, actor_user_id, before, after, occurred_at
FROM okrql_webhook_claim($1, $2);

-- name: mark_delivered
-- Only while the worker's lease holds: a delivery re-claimed after the lease expired is the
-- new claimer's to record.
UPDATE webhook_delivery
SET status = 'DELIVERED', delivered_at = now(), last_status_code = $4, last_error = NULL,
    locked_until = NULL, lease_token = NULL
WHERE organization_id = $1 AND id = $2 AND lease_token = $3
RETURNING id;

-- name: mark_failed_attempt
-- A failed attempt: retried at $6 (status stays PENDING), or FAILED when $6 is NULL.
UPDATE webhook_delivery
SET status = CASE WHEN $6::timestamptz IS NULL THEN 'FAILED' ELSE 'PENDING' END
             ::webhook_delivery_status,
    next_attempt_at = coalesce($6::timestamptz, next_attempt_at),
    last_status_code = $4, last_error = $5, locked_until = NULL, lease_token = NULL
WHERE organization_id = $1 AND id = $2 AND lease_token = $3
RETURNING id;

-- name: redeliver
-- Send again soon, with a fresh retry budget; a delivery being sent right now (its lease
-- holds) is left to that attempt.
UPDATE webhook_delivery
SET status = 'PENDING', next_attempt_at = now(), attempts = 0
WHERE organization_id = $1 AND id = $2
  AND NOT (status = 'PENDING' AND locked_until IS NOT NULL AND locked_until > now())
RETURNING id;

-- name: delivery_exists
SELECT EXISTS (SELECT 1 FROM webhook_delivery WHERE organization_id = $1 AND id = $2);
