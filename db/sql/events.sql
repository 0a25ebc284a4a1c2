-- name: record_event
-- One row of the append-only change log, written in the change's own transaction; the actor
-- is a person ($5) or an integration's API key ($8).
INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id, before, after,
                   actor_api_key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id;
