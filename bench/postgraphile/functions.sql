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
-- as), append the check-in's audit event, move the KR's denormalised columns when this is its
-- latest measurement (with its next due time: okrql's cadence rule), recompute the objective's
-- progress from its KRs (never an increment) and, when it changed, store it and log an
-- `objective.progress_changed` event; then lock the objectives it supports and recompute those
-- driven by their children, level by level, the same way (okrql's refresh_objectives). The
-- bench data has no children-driven objectives, so the walk stops at the lock of the parents,
-- as okrql's does. (Until 2026-11-26 this function logged no progress event, locked no
-- parent and moved neither the due time nor the confidence: less than okrql did.)
CREATE FUNCTION record_check_in(organization_id bigint, key_result_id bigint, value numeric,
                                confidence confidence, comment text DEFAULT NULL)
  RETURNS check_in
  LANGUAGE plpgsql VOLATILE
  -- Generic plans, as okrql's transactions use: otherwise PL/pgSQL plans the progress
  -- statement again on every call (about 1 ms here, more than the rest of the function).
  SET plan_cache_mode = force_generic_plan
  AS $$
DECLARE
  org constant bigint := record_check_in.organization_id;
  kr key_result;
  obj objective;
  ci check_in;
  wave bigint[];
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

  INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id, after)
  VALUES (org, 'check_in.created', 'CheckIn', ci.id, ci.author_id,
          jsonb_build_object('keyResultId', kr.id, 'value', ci.value, 'confidence', ci.confidence));

  IF kr.last_measured_at IS NULL OR (ci.measured_at, ci.id) > (kr.last_measured_at, kr.last_check_in_id) THEN
    UPDATE key_result k
    SET current_value = ci.value, done = false, last_check_in_id = ci.id,
        last_measured_at = ci.measured_at, last_confidence = ci.confidence,
        next_check_in_due = ci.measured_at + CASE k.cadence WHEN 'WEEKLY' THEN interval '7 days'
                                                           WHEN 'BIWEEKLY' THEN interval '14 days'
                                                           ELSE interval '1 month' END
    WHERE k.organization_id = org AND k.id = kr.id;
  END IF;

  -- Progress as okrql stores it: the weighted mean of the KRs' clamped progress (and, for
  -- objectives driven by their children, of the measured children's progress by alignment
  -- weight), to six decimals; only a change is written, each with its event.
  wave := ARRAY[obj.id];
  WHILE cardinality(wave) > 0 LOOP
    WITH scored AS (
      SELECT o.id,
             round(((coalesce(k.ws, 0) + coalesce(ch.ws, 0))
                    / nullif(coalesce(k.w, 0) + coalesce(ch.w, 0), 0))::numeric, 6) AS progress
      FROM objective o
      LEFT JOIN LATERAL (
        SELECT sum(x.weight::float8 * least(greatest(key_result_progress(x), 0), 1)) AS ws,
               sum(x.weight::float8) AS w
        FROM key_result x
        WHERE x.organization_id = org AND x.objective_id = o.id
          AND o.progress_source IN ('KEY_RESULTS', 'BOTH')) k ON true
      LEFT JOIN LATERAL (
        SELECT sum(a.weight::float8 * c.progress::float8) AS ws, sum(a.weight::float8) AS w
        FROM alignment a
        JOIN objective c ON c.organization_id = a.organization_id AND c.id = a.child_objective_id
        WHERE a.organization_id = org AND a.parent_objective_id = o.id
          AND c.progress IS NOT NULL AND o.progress_source IN ('CHILDREN', 'BOTH')) ch ON true
      WHERE o.organization_id = org AND o.id = ANY (wave)
    ), written AS (
      UPDATE objective o SET progress = s.progress
      FROM scored s
      WHERE o.organization_id = org AND o.id = s.id AND o.progress IS DISTINCT FROM s.progress
      RETURNING o.id, o.progress
    )
    INSERT INTO event (organization_id, type, subject_type, subject_id, after)
    SELECT org, 'objective.progress_changed', 'Objective', w.id,
           jsonb_build_object('progress', w.progress)
    FROM written w;
    -- The next wave: the objectives this wave supports, locked; those their children drive.
    PERFORM 1 FROM objective o
    WHERE o.organization_id = org
      AND o.id IN (SELECT a.parent_objective_id FROM alignment a
                   WHERE a.organization_id = org AND a.child_objective_id = ANY (wave))
    ORDER BY o.id FOR NO KEY UPDATE;
    SELECT coalesce(array_agg(o.id ORDER BY o.id), '{}') INTO wave FROM objective o
    WHERE o.organization_id = org AND o.progress_source IN ('CHILDREN', 'BOTH')
      AND o.id IN (SELECT a.parent_objective_id FROM alignment a
                   WHERE a.organization_id = org AND a.child_objective_id = ANY (wave));
  END LOOP;
  RETURN ci;
END
$$;
