-- Key-result writes. Every statement filters organization_id = $1.

-- name: lock_objective
-- Lock the objective a key result is added to. Holding it keeps the objective from being
-- closed meanwhile and gives concurrent additions distinct positions in turn. (The lock order
-- of services/progress.py puts key results first; the new key result is invisible to every
-- other transaction, so locking it afterwards cannot deadlock.)
SELECT id, status::text AS status, owner_user_id, owner_team_id
FROM objective
WHERE organization_id = $1 AND id = $2
FOR NO KEY UPDATE;

-- name: is_member
-- Whether a person is an active member of the organisation (owners report values, so they
-- must; an invitee has not joined yet, a deactivated member gets nothing new to own).
SELECT EXISTS (
  SELECT 1 FROM membership WHERE organization_id = $1 AND user_id = $2 AND status = 'ACTIVE'
);

-- name: next_position
-- The position after the objective's last key result (0 for the first).
SELECT coalesce(max(position) + 1, 0)
FROM key_result
WHERE organization_id = $1 AND objective_id = $2;

-- name: insert_key_result
-- The derived columns (current value, next check-in due) are filled by the progress refresh
-- that follows in the same transaction.
INSERT INTO key_result (organization_id, objective_id, title, description, kind, result_type,
                        unit, currency, unit_label, start_value, target_value,
                        threshold_direction, weight, owner_user_id, cadence, data_source,
                        external_id, position, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5::key_result_kind, $6::key_result_type, $7::key_result_unit, $8, $9,
        $10::numeric, $11::numeric, $12::threshold_direction, $13::numeric, $14,
        $15::check_in_cadence, $16, $17, $18, $19::timestamptz, $19::timestamptz)
RETURNING id;

-- name: lock_key_result
-- Lock a key result for an update or a delete, with its editable state and what the rules need
-- about its objective. Same lock as a check-in takes, so edits and check-ins of one key result
-- queue up.
SELECT kr.id, kr.objective_id, o.status::text AS objective_status, kr.version,
       kr.title, kr.description, kr.kind::text AS kind, kr.result_type::text AS result_type,
       kr.unit::text AS unit, kr.currency, kr.unit_label, kr.start_value, kr.target_value,
       kr.threshold_direction::text AS threshold_direction, kr.weight,
       kr.owner_user_id AS owner_id, kr.cadence::text AS cadence, kr.data_source,
       kr.external_id, kr.position,
       o.owner_user_id AS objective_owner_user_id, o.owner_team_id AS objective_owner_team_id
FROM key_result kr
JOIN objective o ON o.organization_id = kr.organization_id AND o.id = kr.objective_id
WHERE kr.organization_id = $1 AND kr.id = $2
FOR NO KEY UPDATE OF kr;

-- name: update_key_result
-- Write a key result's whole editable state; every change moves version and updated_at.
UPDATE key_result
SET title = $3, description = $4, kind = $5::key_result_kind,
    result_type = $6::key_result_type, unit = $7::key_result_unit, currency = $8,
    unit_label = $9, start_value = $10::numeric, target_value = $11::numeric,
    threshold_direction = $12::threshold_direction, weight = $13::numeric,
    owner_user_id = $14, cadence = $15::check_in_cadence, data_source = $16,
    external_id = $17, position = $18,
    version = version + 1, updated_at = $19::timestamptz
WHERE organization_id = $1 AND id = $2
RETURNING version;

-- name: delete_key_result
-- Its check-ins go with it (ON DELETE CASCADE); alignments that supported it keep supporting
-- its objective (parent_key_result_id SET NULL).
DELETE FROM key_result
WHERE organization_id = $1 AND id = $2;
