-- name: authenticate
-- The valid key with this secret hash and its organisation (marked used, at most once a
-- minute); for a personal access token, its active member, their role and teams. SECURITY
-- DEFINER functions (migrations 0007, 0018): no organisation is bound yet.
SELECT api_key_id, organization_id, slug, time_zone, scopes, team_ids, user_id, role,
       CASE WHEN user_id IS NOT NULL
            THEN okrql_member_team_ids(organization_id, user_id) END AS member_team_ids
FROM okrql_api_key_authenticate($1);

-- name: create_api_key
-- $9: the member a personal access token acts as; NULL for an organisation's key.
INSERT INTO api_key (organization_id, name, prefix, secret_hash, scopes, team_ids, created_by,
                     expires_at, user_id)
VALUES ($1, $2, $3, $4, $5::text[], $6::bigint[], $7, $8, $9)
RETURNING id;

-- name: revoke_api_key
-- Revoking twice keeps the first revocation time.
UPDATE api_key SET revoked_at = coalesce(revoked_at, now())
WHERE organization_id = $1 AND id = $2
RETURNING id;

-- name: personal_token_owner
-- Whose personal access token this is (NULL: none of the organisation by that id).
SELECT user_id FROM api_key WHERE organization_id = $1 AND id = $2 AND user_id IS NOT NULL;

-- name: ids_by_prefix
SELECT id FROM api_key WHERE organization_id = $1 AND prefix = $2 ORDER BY id;

-- name: count_teams
SELECT count(*) FROM team WHERE organization_id = $1 AND id = ANY($2::bigint[]);

-- name: organization_by_slug
-- Operator tooling (a connection without row-level security): an organisation by its slug.
SELECT id FROM organization WHERE slug = $1;
