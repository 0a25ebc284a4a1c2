-- name: organization_admin
-- The organisation with this slug and its first admin: the identity of development requests
-- until authentication lands.
SELECT o.id AS organization_id, o.time_zone, m.user_id, m.role::text AS role
FROM organization o
LEFT JOIN membership m ON m.organization_id = o.id AND m.role = 'ADMIN'
WHERE o.slug = $1
ORDER BY m.user_id
LIMIT 1;
