-- name: lock_tree
-- Serialise the moves of teams between parents within one organisation: two concurrent moves
-- (A under B, B under A) would each pass the ancestry check on their own and make a loop.
SELECT pg_advisory_xact_lock(hashtextextended('okrql.team.tree', $1));

-- name: lock_team
-- Lock a team to update it.
SELECT id, name, description, parent_team_id, external_id, version
FROM team
WHERE organization_id = $1 AND id = $2
FOR NO KEY UPDATE;

-- name: share_team
-- A team that must stay while a row pointing at it (a sub-team, a membership) is written.
SELECT id, name, description, parent_team_id, external_id, version
FROM team
WHERE organization_id = $1 AND id = $2
FOR KEY SHARE;

-- name: ancestors
-- A team and every team above it. UNION (not UNION ALL) ends the walk even on a loop, which
-- the writes never make but a walk must not hang on.
WITH RECURSIVE up (id, parent_team_id) AS (
  SELECT id, parent_team_id FROM team WHERE organization_id = $1 AND id = $2
  UNION
  SELECT t.id, t.parent_team_id
  FROM team t JOIN up ON t.id = up.parent_team_id
  WHERE t.organization_id = $1
)
SELECT id FROM up;

-- name: name_taken
-- Whether another team (than $3, when given) already has this name.
SELECT EXISTS (
  SELECT 1 FROM team
  WHERE organization_id = $1 AND name = $2 AND id IS DISTINCT FROM $3::bigint
);

-- name: insert_team
INSERT INTO team (organization_id, name, description, parent_team_id, external_id)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, name, description, parent_team_id, external_id, version;

-- name: update_team
-- Write every changeable field (the service merged the changes into the locked row).
UPDATE team
SET name = $3, description = $4, parent_team_id = $5, external_id = $6,
    version = version + 1, updated_at = now()
WHERE organization_id = $1 AND id = $2
RETURNING id, name, description, parent_team_id, external_id, version;

-- name: share_member
-- Whether the person is a member of the organisation; the membership is key-share-locked so it
-- cannot end before the team membership that refers to it is written.
SELECT user_id
FROM membership
WHERE organization_id = $1 AND user_id = $2
FOR KEY SHARE;

-- name: add_team_member
-- Adding a member twice is not an error: nothing is written the second time (no row returned).
INSERT INTO team_member (organization_id, team_id, user_id)
VALUES ($1, $2, $3)
ON CONFLICT (organization_id, team_id, user_id) DO NOTHING
RETURNING user_id;

-- name: remove_team_member
DELETE FROM team_member
WHERE organization_id = $1 AND team_id = $2 AND user_id = $3
RETURNING user_id;

-- name: team_uses
-- What keeps a team from being deleted: objectives it owns and teams inside it (their foreign
-- keys would refuse the delete; this says which, and how many).
SELECT (SELECT count(*) FROM objective o
        WHERE o.organization_id = $1 AND o.owner_team_id = $2) AS objectives,
       (SELECT count(*) FROM team s
        WHERE s.organization_id = $1 AND s.parent_team_id = $2) AS sub_teams;

-- name: delete_team
-- Its memberships go with it (ON DELETE CASCADE).
DELETE FROM team WHERE organization_id = $1 AND id = $2;

-- name: external_id_taken
SELECT EXISTS (
  SELECT 1 FROM team
  WHERE organization_id = $1 AND external_id = $2 AND id IS DISTINCT FROM $3::bigint
);
