-- name: lock_tree
-- Serialise the moves of cycles between parents within one organisation: two concurrent moves
-- (A under B, B under A) would each pass the ancestry check on their own and make a loop.
SELECT pg_advisory_xact_lock(hashtextextended('okrql.cycle.tree', $1));

-- name: lock_cycle
-- Lock a cycle to update it. Creating or moving a child share-locks its parent
-- (share_cycle), so a parent's dates never change while a child is fitted into them.
SELECT id, name, starts_on, ends_on, parent_cycle_id, version
FROM cycle
WHERE organization_id = $1 AND id = $2
FOR NO KEY UPDATE;

-- name: share_cycle
-- A parent cycle, share-locked until the child that must lie within its days is written.
SELECT id, name, starts_on, ends_on, parent_cycle_id, version
FROM cycle
WHERE organization_id = $1 AND id = $2
FOR SHARE;

-- name: ancestors
-- A cycle and every cycle above it. UNION (not UNION ALL) ends the walk even on a loop, which
-- the writes never make but a walk must not hang on.
WITH RECURSIVE up (id, parent_cycle_id) AS (
  SELECT id, parent_cycle_id FROM cycle WHERE organization_id = $1 AND id = $2
  UNION
  SELECT c.id, c.parent_cycle_id
  FROM cycle c JOIN up ON c.id = up.parent_cycle_id
  WHERE c.organization_id = $1
)
SELECT id FROM up;

-- name: child_cycles
-- The cycles directly inside a cycle, with the days its own dates must keep holding.
SELECT name, starts_on, ends_on
FROM cycle
WHERE organization_id = $1 AND parent_cycle_id = $2
ORDER BY starts_on, id;

-- name: name_taken
-- Whether another cycle (than $3, when given) already has this name.
SELECT EXISTS (
  SELECT 1 FROM cycle
  WHERE organization_id = $1 AND name = $2 AND id IS DISTINCT FROM $3::bigint
);

-- name: insert_cycle
INSERT INTO cycle (organization_id, name, starts_on, ends_on, parent_cycle_id)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, name, starts_on, ends_on, parent_cycle_id, version;

-- name: update_cycle
-- Write every changeable field (the service merged the changes into the locked row).
UPDATE cycle
SET name = $3, starts_on = $4, ends_on = $5, parent_cycle_id = $6,
    version = version + 1, updated_at = now()
WHERE organization_id = $1 AND id = $2
RETURNING id, name, starts_on, ends_on, parent_cycle_id, version;
