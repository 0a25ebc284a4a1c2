-- name: create_endpoint
INSERT INTO webhook_endpoint (organization_id, url, event_types, secret, created_by)
VALUES ($1, $2, $3::text[], $4, $5)
RETURNING id;

-- name: update_endpoint
-- The changes ($3 url, $4 event types, $5 active; NULL keeps the value), beside the values
-- they replace (for the audit event); no row when the organisation has no such endpoint.
UPDATE webhook_endpoint e
SET url = coalesce($3, e.url), event_types = coalesce($4::text[], e.event_types),
    active = coalesce($5, e.active)
FROM (SELECT id, url, event_types, active FROM webhook_endpoint
      WHERE organization_id = $1 AND id = $2 FOR UPDATE) old
WHERE e.organization_id = $1 AND e.id = old.id
RETURNING old.url AS old_url, old.event_types AS old_event_types, old.active AS old_active,
          e.url, e.event_types, e.active;

-- name: delete_endpoint
DELETE FROM webhook_endpoint WHERE organization_id = $1 AND id = $2
RETURNING id;

-- name: claim_deliveries
-- Due deliveries of every organisation, leased to the calling worker (migration 0010: a
-- SECURITY DEFINER function with FOR UPDATE SKIP LOCKED; one statement, one short transaction).
SELECT organization_id, delivery_id, lease_token, attempts, url, secret, event_id, event_type,
       subject_type, subject_id, actor_user_id, before, after, occurred_at
FROM okrql_webhook_claim($1, $2);

-- name: record_attempt
-- One attempt's outcome: DELIVERED when it has no error ($5), else a retry at $6 (status stays
-- PENDING) or FAILED for good when $6 is NULL. Only while the worker's lease holds: a delivery
-- re-claimed after the lease expired is the new claimer's to record. The attempt ($7 started,
-- $8 ms, $9 body excerpt) is appended in the same statement, numbered on from the delivery's
-- history: only the lease holder records a delivery's attempts, one at a time, so two never
-- take one number (the unique key would refuse it).
WITH marked AS (
  UPDATE webhook_delivery
  SET status = CASE WHEN $5::text IS NULL THEN 'DELIVERED'
                    WHEN $6::timestamptz IS NULL THEN 'FAILED'
                    ELSE 'PENDING' END::webhook_delivery_status,
      delivered_at = CASE WHEN $5::text IS NULL THEN now() ELSE delivered_at END,
      next_attempt_at = coalesce($6::timestamptz, next_attempt_at),
      last_status_code = $4, last_error = $5, locked_until = NULL, lease_token = NULL
  WHERE organization_id = $1 AND id = $2 AND lease_token = $3
  RETURNING organization_id, id
), attempt AS (
  INSERT INTO webhook_delivery_attempt (organization_id, delivery_id, attempt, started_at,
                                        duration_ms, status_code, error, response_body)
  SELECT m.organization_id, m.id,
         (SELECT coalesce(max(a.attempt), 0) + 1 FROM webhook_delivery_attempt a
          WHERE a.organization_id = m.organization_id AND a.delivery_id = m.id),
         $7, $8, $4, $5, $9
  FROM marked m
)
SELECT id FROM marked;

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

-- name: outbox_state
-- How many deliveries wait and how long the oldest due one has waited, across organisations
-- (migration 0022: a SECURITY DEFINER aggregate), for the operators' metrics.
SELECT depth, lag_seconds FROM okrql_webhook_outbox_state();
