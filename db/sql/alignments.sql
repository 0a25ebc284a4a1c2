-- Alignment writes. Every statement filters organization_id = $1.

-- name: lock_alignments
-- Serialise the alignment writes of one organisation until the transaction ends. Two requests
-- that would each close half of a loop (A under B, B under A) both pass a cycle check that
-- runs before either has inserted; under this lock the second one runs its check after the
-- first has committed, and sees the loop. Key: the two-int form (its own key space, apart from
-- any single-bigint advisory key), $2 the alignment namespace (db/alignments.py) and the
-- organisation id folded into 32 bits; organisations sharing the low 32 bits of their ids only
-- share the queue, never correctness.
SELECT pg_advisory_xact_lock($2::integer, (($1::bigint & 4294967295) - 2147483648)::integer);

-- name: alignment_conflicts
-- Whether the pair ($2 child, $3 parent) is already aligned, and whether aligning it would
-- close a loop: the child is among the parent's ancestors (domain.alignments.closes_cycle).
-- UNION (not UNION ALL) ends the walk on a revisited objective, whatever the table holds.
-- Run under lock_alignments, in its own statement: a statement reads the database as of its
-- start, and this one must start after the lock is granted.
WITH RECURSIVE ancestors (id) AS (
  SELECT a.parent_objective_id
  FROM alignment a
  WHERE a.organization_id = $1 AND a.child_objective_id = $3
  UNION
  SELECT a.parent_objective_id
  FROM alignment a
  JOIN ancestors up ON a.child_objective_id = up.id
  WHERE a.organization_id = $1
)
SELECT EXISTS (SELECT 1 FROM alignment
               WHERE organization_id = $1 AND child_objective_id = $2
                 AND parent_objective_id = $3) AS already_aligned,
       EXISTS (SELECT 1 FROM ancestors WHERE id = $2) AS closes_cycle;

-- name: lock_objectives
-- Lock the alignment's objectives in the order given: the child, then the parent (up the
-- DAG, as services/progress.py walks), so a progress refresh climbing from the child
-- queues behind us instead of deadlocking. Rows are locked in the ORDER BY's order.
SELECT id
FROM objective
WHERE organization_id = $1 AND id = ANY($2::bigint[])
ORDER BY array_position($2::bigint[], id)
FOR NO KEY UPDATE;

-- name: alignment_ends
-- What the alignment rules need about the given objectives. A statement of its own, after
-- lock_objectives, so it reads them as committed by any transaction the lock waited for.
SELECT o.id, o.status::text AS status, c.starts_on, c.ends_on, o.owner_user_id,
       o.owner_team_id
FROM objective o
JOIN cycle c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
WHERE o.organization_id = $1 AND o.id = ANY($2::bigint[]);

-- name: key_result_objective
-- The objective of a key result an alignment supports. FOR KEY SHARE keeps the key result
-- from being deleted until the alignment that references it is committed (what the foreign
-- key would take anyway), taken here, before any objective lock, in the documented order.
SELECT objective_id
FROM key_result
WHERE organization_id = $1 AND id = $2
FOR KEY SHARE;

-- name: insert_alignment
INSERT INTO alignment (organization_id, child_objective_id, parent_objective_id,
                       parent_key_result_id, weight, created_at)
VALUES ($1, $2, $3, $4, $5::numeric, $6::timestamptz)
RETURNING id;

-- name: delete_alignment
DELETE FROM alignment
WHERE organization_id = $1 AND child_objective_id = $2 AND parent_objective_id = $3
RETURNING id, parent_key_result_id, weight;

-- name: organization_alignments
-- Every alignment edge of the organisation (for audits and tests of the DAG invariant).
SELECT child_objective_id, parent_objective_id
FROM alignment
WHERE organization_id = $1
ORDER BY child_objective_id, parent_objective_id;
