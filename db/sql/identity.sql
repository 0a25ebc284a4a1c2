-- name: organization_admin
-- The organisation with this slug and its first admin: the identity of development requests
-- until authentication lands. A SECURITY DEFINER function (migration 0005), because no
-- organisation is bound yet when it runs.
SELECT organization_id, time_zone, user_id, role
FROM okrql_organization_admin($1);
