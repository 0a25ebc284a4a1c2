-- name: create_organization
INSERT INTO organization (name, slug, time_zone) VALUES ($1, $2, $3)
RETURNING id;

-- name: upsert_user
-- People are global; an email names one person across organisations.
INSERT INTO app_user (name, email) VALUES ($1, $2)
ON CONFLICT (lower(email)) DO UPDATE SET name = app_user.name
RETURNING id;

-- name: add_member
INSERT INTO membership (organization_id, user_id, role) VALUES ($1, $2, $3::member_role)
ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role;
