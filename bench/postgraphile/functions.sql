-- SQL functions that give PostGraphile the fields okrql computes, applied by bench.load to the
-- bench database ONLY (not a project migration). PostGraphile exposes a STABLE function whose
-- first argument is a table row as a computed field of that table's type, and a VOLATILE
-- function as a mutation. Each one does what okrql does for the same field, no more: the
-- comparison is only honest if both servers do the same logical work over the same rows.
-- The SQL functions are deliberately not STRICT: Postgres inlines a non-STRICT SQL function into
-- the calling query, but calls a STRICT one row by row (W1's Postgres time was 3x higher).

-- KeyResult.progress: the raw (unclamped) progress of the KR in float maths, as okrql's
-- domain/key_results.progress computes it (no check-in yet: 0).
CREATE FUNCTION key_result_progress(kr key_result) RETURNS double precision
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE kr.kind
    WHEN 'NUMERIC' THEN coalesce((kr.current_value::float8 - kr.start_value::float8)
                                 / (kr.target_value::float8 - kr.start_value::float8), 0)
    WHEN 'THRESHOLD' THEN CASE
      WHEN kr.current_value IS NULL THEN 0
      WHEN kr.threshold_direction = 'AT_LEAST' THEN (kr.current_value >= kr.target_value)::int
      ELSE (kr.current_value <= kr.target_value)::int END
    ELSE kr.done::int
  END
$$;

-- KeyResult.direction: INCREASE or DECREASE for a NUMERIC KR, NULL otherwise
-- (domain/key_results.direction).
CREATE FUNCTION key_result_direction(kr key_result) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN kr.target_value > kr.start_value THEN 'INCREASE'
              WHEN kr.target_value < kr.start_value THEN 'DECREASE' END
$$;

-- Objective.checkIns: the check-ins of all the objective's KRs, newest measurement first.
-- PostGraphile puts `first: N` around the call as a LIMIT; the function is inlined, so Postgres
-- reads the objective's KRs' check-ins through check_in_key_result_idx and keeps the newest N.
CREATE FUNCTION objective_check_ins(o objective) RETURNS SETOF check_in
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT c.* FROM check_in c
  JOIN key_result kr ON kr.organization_id = c.organization_id AND kr.id = c.key_result_id
  WHERE kr.organization_id = o.organization_id AND kr.objective_id = o.id
  ORDER BY c.measured_at DESC, c.id DESC
$$;

-- Mutation recordCheckIn: what okrql's createCheckIn does, in one transaction. Objective row
-- locked first (so concurrent check-ins on sibling KRs serialise and the progress recomputed at
-- the end sees every committed KR), no check-in on a closed or archived objective, insert
-- (measured now, authored by the organisation's admin: the person okrql's development mode acts
-- as), move the KR's denormalised columns when this is its latest measurement, recompute the
-- objective's progress from its KRs (never an increment), and append the audit event.
CREATE FUNCTION record_check_in(organization_id bigint, key_result_id bigint, value numeric,
                                confidence confidence, comment text DEFAULT NULL)
  RETURNS check_in
  LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  org constant bigint := record_check_in.organization_id;
  kr key_result;
  obj objective;
  ci check_in;
BEGIN
  SELECT * INTO obj FROM objective o
  WHERE o.organization_id = org
    AND o.id = (SELECT k.objective_id FROM key_result k
                WHERE k.organization_id = org AND k.id = record_check_in.key_result_id)
  FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'key result % not found', record_check_in.key_result_id USING ERRCODE = 'P0002';
  END IF;
  IF obj.status IN ('CLOSED', 'ARCHIVED') THEN
    RAISE EXCEPTION 'objective % is %', obj.id, obj.status USING ERRCODE = 'P0001';
  END IF;
  SELECT * INTO kr FROM key_result k
  WHERE k.organization_id = org AND k.id = record_check_in.key_result_id FOR NO KEY UPDATE;

  INSERT INTO check_in AS c (organization_id, key_result_id, author_id, value, confidence,
                             comment, measured_at, recorded_at)
  VALUES (org, kr.id,
          (SELECT m.user_id FROM membership m
           WHERE m.organization_id = org AND m.role = 'ADMIN' ORDER BY m.user_id LIMIT 1),
          record_check_in.value, record_check_in.confidence, record_check_in.comment,
          now(), now())
  RETURNING * INTO ci;

  IF kr.last_measured_at IS NULL OR (ci.measured_at, ci.id) > (kr.last_measured_at, kr.last_check_in_id) THEN
    UPDATE key_result k
    SET current_value = ci.value, last_check_in_id = ci.id, last_measured_at = ci.measured_at,
        updated_at = now(), version = k.version + 1
    WHERE k.organization_id = org AND k.id = kr.id;
  END IF;

  UPDATE objective o
  SET progress = (SELECT round((sum(k.weight::float8 * least(greatest(coalesce(
                                  (k.current_value::float8 - k.start_value::float8)
                                  / (k.target_value::float8 - k.start_value::float8), 0), 0), 1))
                                / sum(k.weight::float8))::numeric, 6)
                  FROM key_result k WHERE k.organization_id = org AND k.objective_id = obj.id),
      updated_at = now()
  WHERE o.organization_id = org AND o.id = obj.id;

  INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id, after)
  VALUES (org, 'check_in.created', 'CheckIn', ci.id, ci.author_id,
          jsonb_build_object('keyResultId', kr.id, 'value', ci.value, 'confidence', ci.confidence));
  RETURN ci;
END
$$;
