-- The demo organisation (db/demo.py, content in db/demo_data.py). Every insert is idempotent:
-- it skips rows whose natural key exists, and the matching *_ids query maps natural keys back
-- to ids, so seeding twice creates nothing new. $1 is the organisation id wherever there is one.

-- name: insert_organization
-- $1 name, $2 slug, $3 time zone.
INSERT INTO organization (name, slug, time_zone)
VALUES ($1, $2, $3)
ON CONFLICT (slug) DO NOTHING

-- name: lock_organization
-- Serialises concurrent seeders of one organisation (the WHERE NOT EXISTS inserts below would
-- otherwise race). NO KEY UPDATE leaves ordinary writers, whose inserts take FOR KEY SHARE on
-- the organisation row, unblocked.
SELECT id FROM organization WHERE slug = $1 FOR NO KEY UPDATE

-- name: insert_users
-- $1 names, $2 emails. People are global; an existing email is left as it is.
INSERT INTO app_user (name, email)
SELECT u.name, u.email
FROM unnest($1::text[], $2::text[]) AS u(name, email)
ON CONFLICT ((lower(email))) DO NOTHING

-- name: user_ids
-- $1 emails.
SELECT id, lower(email) AS email FROM app_user WHERE lower(email) = ANY($1::text[])

-- name: insert_memberships
-- $2 user ids, $3 roles. An existing membership keeps its role.
INSERT INTO membership (organization_id, user_id, role)
SELECT $1, m.user_id, m.role::member_role
FROM unnest($2::bigint[], $3::text[]) AS m(user_id, role)
ON CONFLICT (organization_id, user_id) DO NOTHING

-- name: insert_teams
-- $2 names, $3 descriptions, $4 parent team names (NULL for none; parents must exist already).
INSERT INTO team (organization_id, name, description, parent_team_id)
SELECT $1, t.name, t.description, p.id
FROM unnest($2::text[], $3::text[], $4::text[]) AS t(name, description, parent_name)
LEFT JOIN team AS p ON p.organization_id = $1 AND p.name = t.parent_name
ON CONFLICT (organization_id, name) DO NOTHING

-- name: team_ids
-- $2 names.
SELECT id, name FROM team WHERE organization_id = $1 AND name = ANY($2::text[])

-- name: insert_team_members
-- $2 team ids, $3 user ids.
INSERT INTO team_member (organization_id, team_id, user_id)
SELECT $1, m.team_id, m.user_id
FROM unnest($2::bigint[], $3::bigint[]) AS m(team_id, user_id)
ON CONFLICT (organization_id, team_id, user_id) DO NOTHING

-- name: insert_cycles
-- $2 names, $3 first days, $4 last days, $5 parent cycle names (parents must exist already).
INSERT INTO cycle (organization_id, name, starts_on, ends_on, parent_cycle_id)
SELECT $1, c.name, c.starts_on, c.ends_on, p.id
FROM unnest($2::text[], $3::date[], $4::date[], $5::text[])
  AS c(name, starts_on, ends_on, parent_name)
LEFT JOIN cycle AS p ON p.organization_id = $1 AND p.name = c.parent_name
ON CONFLICT (organization_id, name) DO NOTHING

-- name: cycle_ids
-- $2 names.
SELECT id, name FROM cycle WHERE organization_id = $1 AND name = ANY($2::text[])

-- name: insert_objectives
-- $2 cycle ids, $3 levels, $4 owner team ids, $5 owner user ids, $6 titles, $7 descriptions,
-- $8 progress sources. Natural key: the title within its cycle (no constraint holds it, hence
-- NOT EXISTS under the organisation lock).
INSERT INTO objective (organization_id, cycle_id, level, owner_team_id, owner_user_id, title,
                       description, progress_source)
SELECT $1, o.cycle_id, o.level::objective_level, o.team_id, o.user_id, o.title, o.description,
       o.source::progress_source
FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
            $8::text[]) WITH ORDINALITY AS o(cycle_id, level, team_id, user_id, title,
                                             description, source, n)
WHERE NOT EXISTS (
  SELECT 1 FROM objective AS e
  WHERE e.organization_id = $1 AND e.cycle_id = o.cycle_id AND e.title = o.title
)
ORDER BY o.n

-- name: objective_ids
-- $2 cycle ids, $3 titles (pairwise). The oldest row wins if someone added a duplicate.
SELECT DISTINCT ON (o.cycle_id, o.title) o.id, o.cycle_id, o.title
FROM objective AS o
JOIN unnest($2::bigint[], $3::text[]) AS k(cycle_id, title)
  ON o.cycle_id = k.cycle_id AND o.title = k.title
WHERE o.organization_id = $1
ORDER BY o.cycle_id, o.title, o.id

-- name: insert_key_results
-- Pairwise arrays: $2 objective ids, $3 owner user ids, $4 titles, $5 descriptions, $6 kinds,
-- $7 result types, $8 units, $9 currencies, $10 unit labels, $11 start values, $12 target
-- values (numbers as text), $13 threshold directions, $14 weights, $15 cadences, $16 data
-- sources, $17 positions. Natural key: the title within its objective.
INSERT INTO key_result (organization_id, objective_id, owner_user_id, title, description, kind,
                        result_type, unit, currency, unit_label, start_value, target_value,
                        threshold_direction, weight, cadence, data_source, position)
SELECT $1, k.objective_id, k.owner_user_id, k.title, k.description,
       k.kind::key_result_kind, k.result_type::key_result_type, k.unit::key_result_unit,
       k.currency, k.unit_label, k.start_value::numeric, k.target_value::numeric,
       k.threshold_direction::threshold_direction, k.weight::numeric,
       k.cadence::check_in_cadence, k.data_source, k.position
FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
            $14::text[], $15::text[], $16::text[], $17::int[]) WITH ORDINALITY
  AS k(objective_id, owner_user_id, title, description, kind, result_type, unit, currency,
       unit_label, start_value, target_value, threshold_direction, weight, cadence,
       data_source, position, n)
WHERE NOT EXISTS (
  SELECT 1 FROM key_result AS e
  WHERE e.organization_id = $1 AND e.objective_id = k.objective_id AND e.title = k.title
)
ORDER BY k.n

-- name: set_key_result_external_ids
-- The integration ids the README's examples push values to ($2 key result ids, $3 external
-- ids, pairwise), also on a demo seeded before they existed; a key result that has one, or
-- an id another key result has, is left as it is.
UPDATE key_result AS kr
SET external_id = x.external_id
FROM unnest($2::bigint[], $3::text[]) AS x(id, external_id)
WHERE kr.organization_id = $1 AND kr.id = x.id AND kr.external_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM key_result AS other
                  WHERE other.organization_id = $1 AND other.external_id = x.external_id)

-- name: key_result_ids
-- $2 objective ids, $3 titles (pairwise). The oldest row wins if someone added a duplicate.
SELECT DISTINCT ON (kr.objective_id, kr.title) kr.id, kr.objective_id, kr.title
FROM key_result AS kr
JOIN unnest($2::bigint[], $3::text[]) AS k(objective_id, title)
  ON kr.objective_id = k.objective_id AND kr.title = k.title
WHERE kr.organization_id = $1
ORDER BY kr.objective_id, kr.title, kr.id

-- name: insert_alignments
-- $2 child objective ids, $3 parent objective ids, $4 parent key result ids (NULL for the
-- objective as a whole), $5 weights (text).
INSERT INTO alignment (organization_id, child_objective_id, parent_objective_id,
                       parent_key_result_id, weight)
SELECT $1, a.child_id, a.parent_id, a.parent_key_result_id, a.weight::numeric
FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[])
  AS a(child_id, parent_id, parent_key_result_id, weight)
ON CONFLICT (organization_id, child_objective_id, parent_objective_id) DO NOTHING

-- name: insert_check_ins
-- Pairwise arrays: $2 key result ids, $3 author user ids, $4 values (text), $5 done flags,
-- $6 confidences, $7 comments, $8 measured times, $9 recorded times; given in recording order
-- so that ids follow it, as they would for live check-ins. Natural key: the measured time
-- within its key result.
INSERT INTO check_in (organization_id, key_result_id, author_id, value, done, confidence,
                      comment, measured_at, recorded_at)
SELECT $1, c.key_result_id, c.author_id, c.value::numeric, c.done, c.confidence::confidence,
       c.comment, c.measured_at, c.recorded_at
FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::boolean[], $6::text[], $7::text[],
            $8::timestamptz[], $9::timestamptz[]) WITH ORDINALITY
  AS c(key_result_id, author_id, value, done, confidence, comment, measured_at, recorded_at, n)
WHERE NOT EXISTS (
  SELECT 1 FROM check_in AS e
  WHERE e.organization_id = $1 AND e.key_result_id = c.key_result_id
    AND e.measured_at = c.measured_at
)
ORDER BY c.n
