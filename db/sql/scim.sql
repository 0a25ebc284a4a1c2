-- SCIM reads and writes (db/scim.py). A deprovisioned member (deleted by the identity
-- provider) is gone from SCIM: every read here leaves them out.
-- `TRUE /* filter */` is where db/scim_filters.py's compiled predicate goes; its values are
-- bind parameters numbered after the query's own.

-- name: list_users
-- A page of the members a filter matches, in id order.
SELECT m.user_id, m.user_name, m.email, m.name, m.role::text AS role, m.status::text AS status,
       m.external_id, m.scim, m.version, m.created_at, m.updated_at
FROM membership m
WHERE m.organization_id = $1 AND m.deprovisioned_at IS NULL AND TRUE /* filter */
ORDER BY m.user_id
LIMIT $2 OFFSET $3;

-- name: count_users
SELECT count(*)
FROM membership m
WHERE m.organization_id = $1 AND m.deprovisioned_at IS NULL AND TRUE /* filter */;

-- name: user
-- One member; with lock_user, locked for a change.
SELECT m.user_id, m.user_name, m.email, m.name, m.role::text AS role, m.status::text AS status,
       m.external_id, m.scim, m.version, m.created_at, m.updated_at
FROM membership m
WHERE m.organization_id = $1 AND m.user_id = $2 AND m.deprovisioned_at IS NULL;

-- name: lock_user
SELECT m.user_id, m.user_name, m.email, m.name, m.role::text AS role, m.status::text AS status,
       m.external_id, m.scim, m.version, m.created_at, m.updated_at
FROM membership m
WHERE m.organization_id = $1 AND m.user_id = $2 AND m.deprovisioned_at IS NULL
FOR UPDATE;

-- name: lock_by_user_name
-- The membership a userName (or, for members nobody provisioned, an email) names, deprovisioned
-- or not (membership_user_name_key: case-insensitively), locked.
SELECT m.user_id, m.status::text AS status, m.deprovisioned_at IS NOT NULL AS deprovisioned
FROM membership m
WHERE m.organization_id = $1 AND lower(coalesce(m.user_name, m.email)) = lower($2)
FOR UPDATE;

-- name: lock_by_email
SELECT m.user_id, m.status::text AS status, m.deprovisioned_at IS NOT NULL AS deprovisioned
FROM membership m
WHERE m.organization_id = $1 AND lower(m.email) = lower($2)
FOR UPDATE;

-- name: insert_user
INSERT INTO membership (organization_id, user_id, role, name, email, status, deactivated_at,
                        external_id, user_name, scim)
VALUES ($1, $2, $3::member_role, $4, $5, $6::member_status,
        CASE WHEN $6::member_status = 'DEACTIVATED' THEN now() END, $7, $8, $9);

-- name: write_user
-- Write a member's profile as provisioned (the service derived okrql's fields from it).
UPDATE membership
SET name = $3, email = $4, role = $5::member_role, external_id = $6, user_name = $7, scim = $8,
    version = version + 1, updated_at = now()
WHERE organization_id = $1 AND user_id = $2;

-- name: deprovision_user
-- The identity provider deleted the (deactivated) member: gone from SCIM, kept in okrql.
UPDATE membership
SET deprovisioned_at = now(), version = version + 1, updated_at = now()
WHERE organization_id = $1 AND user_id = $2 AND status = 'DEACTIVATED';

-- name: list_teams
SELECT t.id AS team_id, t.name, t.external_id, t.version, t.created_at, t.updated_at,
       ARRAY(SELECT tm.user_id FROM team_member tm
             WHERE tm.organization_id = t.organization_id AND tm.team_id = t.id
             ORDER BY tm.user_id) AS member_ids
FROM team t
WHERE t.organization_id = $1 AND TRUE /* filter */
ORDER BY t.id
LIMIT $2 OFFSET $3;

-- name: count_teams
SELECT count(*) FROM team t WHERE t.organization_id = $1 AND TRUE /* filter */;

-- name: team
SELECT t.id AS team_id, t.name, t.external_id, t.version, t.created_at, t.updated_at,
       ARRAY(SELECT tm.user_id FROM team_member tm
             WHERE tm.organization_id = t.organization_id AND tm.team_id = t.id
             ORDER BY tm.user_id) AS member_ids
FROM team t
WHERE t.organization_id = $1 AND t.id = $2;

-- name: provisioned_members
-- Which of these users are members SCIM sees (not deprovisioned), key-share-locked so they
-- stay members while their team places are written.
SELECT m.user_id
FROM membership m
WHERE m.organization_id = $1 AND m.user_id = ANY($2::bigint[]) AND m.deprovisioned_at IS NULL
FOR KEY SHARE;

-- name: restore_user
-- A deprovisioned member provisioned again: back in SCIM, with their history.
UPDATE membership SET deprovisioned_at = NULL
WHERE organization_id = $1 AND user_id = $2;
