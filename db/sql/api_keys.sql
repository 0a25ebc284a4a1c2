-- name: authenticate
-- The valid key with this secret hash and its organisation (marked used, at most once a
-- minute). A SECURITY DEFINER function (migration 0006): no organisation is bound yet.
SELECT api_key_id, organization_id, slug, time_zone, scopes, team_ids
FROM okrql_api_key_authenticate($1);

-- name: create_api_key
INSERT INTO api_key (organization_id, name, prefix, secret_hash, scopes, team_ids, created_by,
                     expires_at)
VALUES ($1, $2, $3, $4, $5::text[], $6::bigint[], $7, $8)
RETURNING id;

-- name: revoke_api_key
-- Revoking twice keeps the first revocation time.
UPDATE api_key SET revoked_at = coalesce(revoked_at, now())
WHERE organization_id = $1 AND id = $2
RETURNING id;

-- name: ids_by_prefix
SELECT id FROM api_key WHERE organization_id = $1 AND prefix = $2 ORDER BY id;

-- name: count_teams
SELECT count(*) FROM team WHERE organization_id = $1 AND id = ANY($2::bigint[]);

-- name: organization_by_slug
-- Operator tooling (a connection without row-level security): an organisation by its slug.
SELECT id FROM organization WHERE slug = $1;
