-- name: check_in_facts
-- What subscription filters match a new check-in against.
SELECT ci.id AS check_in_id, ci.key_result_id, kr.objective_id, o.cycle_id, o.owner_team_id
FROM check_in ci
JOIN key_result kr ON kr.organization_id = ci.organization_id AND kr.id = ci.key_result_id
JOIN objective o ON o.organization_id = kr.organization_id AND o.id = kr.objective_id
WHERE ci.organization_id = $1 AND ci.id = $2;

-- name: objective_facts
-- What subscription filters match an objective's progress change against.
SELECT o.id AS objective_id, o.cycle_id, o.owner_team_id
FROM objective o
WHERE o.organization_id = $1 AND o.id = $2;
