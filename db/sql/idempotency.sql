-- name: claim
-- Claim an idempotency key ($3) for a caller ($2) of an organisation ($1): insert it with the
-- write's operation ($4) and input fingerprint ($5), or take over the key when it expired
-- (older than $6). Returns a row when this transaction owns the key, none when a live key
-- exists (the caller then reads it with `stored`). A concurrent claim of the same key waits
-- on the primary key until the first transaction ends: commit (the key exists) or rollback
-- (this one claims it).
-- In the same round trip, up to 100 of the organisation's expired keys are purged; SKIP
-- LOCKED keeps concurrent claims from waiting on each other's purge.
WITH purged AS (
  DELETE FROM idempotency_key d
  USING (
    SELECT e.caller, e.key FROM idempotency_key e
    WHERE e.organization_id = $1 AND e.created_at < now() - $6::interval
      AND NOT (e.caller = $2 AND e.key = $3)
    ORDER BY e.created_at
    LIMIT 100
    FOR UPDATE SKIP LOCKED
  ) old
  WHERE d.organization_id = $1 AND d.caller = old.caller AND d.key = old.key
)
INSERT INTO idempotency_key AS k (organization_id, caller, key, operation, fingerprint)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (organization_id, caller, key) DO UPDATE
  SET operation = excluded.operation, fingerprint = excluded.fingerprint, response = NULL,
      created_at = now()
  WHERE k.created_at < now() - $6::interval
RETURNING true AS claimed;

-- name: stored
-- A live key's fingerprint and the response it replays.
SELECT operation, fingerprint, response
FROM idempotency_key
WHERE organization_id = $1 AND caller = $2 AND key = $3;

-- name: remember
-- The response a claimed key replays from now on.
UPDATE idempotency_key SET response = $4::jsonb
WHERE organization_id = $1 AND caller = $2 AND key = $3;
