-- name: person_for_email
-- The global person an email names, created on first sight (SECURITY DEFINER, 0017: the API
-- role sees only the people of its organisation).
SELECT okrql_person_for_email($1, $2);

-- name: lock_member
-- A membership, locked for a change of role, profile or status.
SELECT user_id, name, email, role::text AS role, status::text AS status, external_id, version
FROM membership
WHERE organization_id = $1 AND user_id = $2
FOR UPDATE;

-- name: member_by_email
-- The membership with this email (case-insensitively: membership_email_key), if any.
SELECT user_id, status::text AS status
FROM membership
WHERE organization_id = $1 AND lower(email) = lower($2);

-- name: member_status
-- A membership's status, key-share-locked so it cannot end before what refers to it is written.
SELECT status::text
FROM membership
WHERE organization_id = $1 AND user_id = $2
FOR KEY SHARE;

-- name: lock_active_admins
-- The organisation's active admins, locked: two admins demoting each other at once are
-- serialised here, so one of them always remains (the second sees the first's change).
SELECT user_id
FROM membership
WHERE organization_id = $1 AND role = 'ADMIN' AND status = 'ACTIVE'
ORDER BY user_id
FOR UPDATE;

-- name: insert_member
INSERT INTO membership (organization_id, user_id, role, name, email, status, external_id)
VALUES ($1, $2, $3::member_role, $4, $5, $6::member_status, $7)
RETURNING user_id;

-- name: update_member
-- Write every changeable field (the service merged the changes into the locked row).
UPDATE membership
SET name = $3, email = $4, role = $5::member_role, external_id = $6,
    version = version + 1, updated_at = now()
WHERE organization_id = $1 AND user_id = $2
RETURNING user_id, name, email, role::text AS role, status::text AS status, external_id, version;

-- name: set_member_status
UPDATE membership
SET status = $3::member_status,
    deactivated_at = CASE WHEN $3::member_status = 'DEACTIVATED' THEN now() END,
    -- Back in okrql is back in SCIM (0019: only a deactivated member can be deprovisioned).
    deprovisioned_at = CASE WHEN $3::member_status = 'DEACTIVATED' THEN deprovisioned_at END,
    version = version + 1, updated_at = now()
WHERE organization_id = $1 AND user_id = $2
RETURNING user_id, name, email, role::text AS role, status::text AS status, external_id, version;

-- name: delete_invited_member
-- An invitee who never joined leaves no trace but the invitation's history (their team places
-- go with the membership).
DELETE FROM membership
WHERE organization_id = $1 AND user_id = $2 AND status = 'INVITED';

-- name: team_count
SELECT count(*) FROM team WHERE organization_id = $1 AND id = ANY($2::bigint[]);

-- name: add_to_teams
INSERT INTO team_member (organization_id, team_id, user_id)
SELECT $1, t, $3 FROM unnest($2::bigint[]) t
ON CONFLICT (organization_id, team_id, user_id) DO NOTHING;

-- name: transfer_objectives
-- Objectives the person owns move to another member (a deactivation's transfer).
UPDATE objective
SET owner_user_id = $3, version = version + 1, updated_at = now()
WHERE organization_id = $1 AND owner_user_id = $2
RETURNING id;

-- name: transfer_key_results
UPDATE key_result
SET owner_user_id = $3, version = version + 1, updated_at = now()
WHERE organization_id = $1 AND owner_user_id = $2
RETURNING id;

-- name: insert_invitation
INSERT INTO invitation (organization_id, user_id, email, role, team_ids, token_hash, invited_by,
                        expires_at)
VALUES ($1, $2, $3, $4::member_role, $5::bigint[], $6, $7, $8)
RETURNING id;

-- name: lock_invitation
SELECT id, user_id, email, role::text AS role, team_ids, expires_at, accepted_at, revoked_at,
       send_count
FROM invitation
WHERE organization_id = $1 AND id = $2
FOR UPDATE;

-- name: open_invitation_of
-- The open (neither accepted nor revoked) invitation of a person: invitation_open_key.
SELECT id
FROM invitation
WHERE organization_id = $1 AND user_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL;

-- name: resend_invitation
-- A new token (the old one stops working) and a new expiry.
UPDATE invitation
SET token_hash = $3, expires_at = $4, sent_at = now(), send_count = send_count + 1
WHERE organization_id = $1 AND id = $2;

-- name: revoke_invitation
UPDATE invitation SET revoked_at = now()
WHERE organization_id = $1 AND id = $2;

-- name: list_members
-- The organisation's members for an operator's listing, by name; $2: statuses (NULL: all).
SELECT user_id, name, email, role::text AS role, status::text AS status, external_id, version
FROM membership
WHERE organization_id = $1 AND ($2::member_status[] IS NULL OR status = ANY($2::member_status[]))
ORDER BY name, user_id;
