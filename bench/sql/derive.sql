-- The denormalised columns of the freshly loaded bench data, set-based (seconds, where a
-- row-by-row replay of the write path would take minutes). They must equal what okrql's own
-- write path maintains; bench.load compares them with api.services.progress.recompute_all when
-- that module exists. The bench data has NUMERIC key results only.

-- A KR's current value, last check-in and its time: the latest check-in by measured time
-- (ties: the highest id), so a back-dated check-in never hides a newer one. Without a
-- check-in they stay NULL, as okrql stores it.
UPDATE key_result kr
SET current_value = latest.value,
    last_check_in_id = latest.id,
    last_measured_at = latest.measured_at
FROM (
  SELECT DISTINCT ON (organization_id, key_result_id)
         organization_id, key_result_id, id, value, measured_at
  FROM check_in
  ORDER BY organization_id, key_result_id, measured_at DESC, id DESC
) latest
WHERE kr.organization_id = latest.organization_id AND kr.id = latest.key_result_id;

-- Objective progress: the weighted mean of its KRs' scores, each score the raw progress
-- (current - start) / (target - start) clamped to [0, 1], 0 without a check-in; NULL without
-- KRs. Float maths and six decimals, as okrql computes and stores it (domain/, db/progress).
UPDATE objective o
SET progress = round(scored.progress::numeric, 6)
FROM (
  SELECT organization_id, objective_id,
         sum(weight::float8 * least(greatest(coalesce(
               (current_value::float8 - start_value::float8)
               / (target_value::float8 - start_value::float8), 0), 0), 1))
           / sum(weight::float8) AS progress
  FROM key_result
  GROUP BY organization_id, objective_id
) scored
WHERE o.organization_id = scored.organization_id AND o.id = scored.objective_id;

-- Closed objectives keep their final score and an outcome (loaded with placeholders because
-- the table's CHECK needs them at insert time).
UPDATE objective
SET final_score = coalesce(progress, 0),
    outcome = CASE WHEN coalesce(progress, 0) >= 0.7 THEN 'ACHIEVED'
                   WHEN coalesce(progress, 0) >= 0.3 THEN 'PARTIAL'
                   ELSE 'MISSED' END::objective_outcome
WHERE status = 'CLOSED';
