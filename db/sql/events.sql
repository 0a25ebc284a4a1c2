-- name: record_event
-- One row of the append-only change log, written in the change's own transaction.
INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id, before, after)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id;
