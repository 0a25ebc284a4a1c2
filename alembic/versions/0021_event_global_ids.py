"""Events name what they refer to by global id, as every other answer does.

An event's `before` and `after` held the raw primary keys of what they refer to
(`"keyResultId": 57`), where the API, the event's own subject and actor, and the webhook
payload's envelope use the opaque Relay global ids (`"S2V5UmVzdWx0OjU3"`, db/ids.py). From now
on every reference in them is a global id under the same key (`keyResultId`, `teamIds`, ...:
the names the API's inputs take global ids under), so an audit entry or a webhook payload
can be fed back to the API as it is.

Where: a BEFORE INSERT trigger on `event` encodes the references of every new row, whoever
writes it (the use cases in Python, the check-in and progress statements in db/sql, the
sign-in function of migration 0020), so no writer can forget; and the rows already stored are
encoded here, once, so the history reads the same before and after this revision and no read
pays for a conversion. Downgrading decodes them back.

`okrql_global_id` is db/ids.py's `encode_id` in SQL (base64url of "Type:pk", no padding);
tests/db/test_event_global_ids.py holds the two equal.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08
"""

from db.migrations import execute_script

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_FUNCTIONS = """
CREATE FUNCTION okrql_global_id(type_name text, pk bigint) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  -- base64 wraps its lines at 76 characters: the newline goes with the padding.
  AS $$ SELECT rtrim(translate(encode(convert_to(type_name || ':' || pk, 'UTF8'), 'base64'),
                         E'+/\\n', '-_'), '=') $$;

-- The keys of event payloads that refer to a node, with the node's type; a key ending in
-- Ids holds a list.
CREATE FUNCTION okrql_event_reference_type(key text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE key
    WHEN 'keyResultId' THEN 'KeyResult'
    WHEN 'parentKeyResultId' THEN 'KeyResult'
    WHEN 'objectiveId' THEN 'Objective'
    WHEN 'childObjectiveId' THEN 'Objective'
    WHEN 'parentObjectiveId' THEN 'Objective'
    WHEN 'cycleId' THEN 'Cycle'
    WHEN 'parentCycleId' THEN 'Cycle'
    WHEN 'teamId' THEN 'Team'
    WHEN 'ownerTeamId' THEN 'Team'
    WHEN 'parentTeamId' THEN 'Team'
    WHEN 'teamIds' THEN 'Team'
    WHEN 'userId' THEN 'User'
    WHEN 'ownerId' THEN 'User'
    WHEN 'ownerUserId' THEN 'User'
    WHEN 'invitationId' THEN 'Invitation'
  END $$;

-- A payload with each reference (a number, or a list of numbers) as a global id; anything
-- else, a reference already encoded included, as it was.
CREATE FUNCTION okrql_event_global_ids(payload jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(payload) = 'object' THEN (
    SELECT coalesce(jsonb_object_agg(
      p.key,
      CASE
        WHEN okrql_event_reference_type(p.key) IS NULL THEN p.value
        WHEN jsonb_typeof(p.value) = 'number'
          THEN to_jsonb(okrql_global_id(okrql_event_reference_type(p.key), p.value::bigint))
        WHEN jsonb_typeof(p.value) = 'array' THEN (
          SELECT coalesce(jsonb_agg(
                   CASE WHEN jsonb_typeof(e.value) = 'number'
                        THEN to_jsonb(okrql_global_id(okrql_event_reference_type(p.key),
                                                      e.value::bigint))
                        ELSE e.value END
                   ORDER BY e.n), '[]'::jsonb)
          FROM jsonb_array_elements(p.value) WITH ORDINALITY AS e(value, n))
        ELSE p.value
      END), '{}'::jsonb)
    FROM jsonb_each(payload) AS p)
  ELSE payload END $$;

CREATE FUNCTION okrql_event_encode_references() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    NEW.before := okrql_event_global_ids(NEW.before);
    NEW.after := okrql_event_global_ids(NEW.after);
    RETURN NEW;
  END $$;
"""

_UPGRADE = (
    _FUNCTIONS
    + """
CREATE TRIGGER event_global_ids BEFORE INSERT ON event
  FOR EACH ROW EXECUTE FUNCTION okrql_event_encode_references();

UPDATE event
SET before = okrql_event_global_ids(before), after = okrql_event_global_ids(after)
WHERE before IS DISTINCT FROM okrql_event_global_ids(before)
   OR after IS DISTINCT FROM okrql_event_global_ids(after);
"""
)

_DOWNGRADE = """
DROP TRIGGER event_global_ids ON event;
DROP FUNCTION okrql_event_encode_references();

CREATE FUNCTION okrql_event_raw_id(global_id text) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT split_part(convert_from(decode(
           translate(global_id, '-_', '+/') || repeat('=', (4 - length(global_id) % 4) % 4),
           'base64'), 'UTF8'), ':', 2)::bigint $$;

CREATE FUNCTION okrql_event_raw_ids(payload jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN jsonb_typeof(payload) = 'object' THEN (
    SELECT coalesce(jsonb_object_agg(
      p.key,
      CASE
        WHEN okrql_event_reference_type(p.key) IS NULL THEN p.value
        WHEN jsonb_typeof(p.value) = 'string' THEN to_jsonb(okrql_event_raw_id(p.value #>> '{}'))
        WHEN jsonb_typeof(p.value) = 'array' THEN (
          SELECT coalesce(jsonb_agg(
                   CASE WHEN jsonb_typeof(e.value) = 'string'
                        THEN to_jsonb(okrql_event_raw_id(e.value #>> '{}'))
                        ELSE e.value END
                   ORDER BY e.n), '[]'::jsonb)
          FROM jsonb_array_elements(p.value) WITH ORDINALITY AS e(value, n))
        ELSE p.value
      END), '{}'::jsonb)
    FROM jsonb_each(payload) AS p)
  ELSE payload END $$;

UPDATE event
SET before = okrql_event_raw_ids(before), after = okrql_event_raw_ids(after)
WHERE before IS DISTINCT FROM okrql_event_raw_ids(before)
   OR after IS DISTINCT FROM okrql_event_raw_ids(after);

DROP FUNCTION okrql_event_raw_ids(jsonb);
DROP FUNCTION okrql_event_raw_id(text);
DROP FUNCTION okrql_event_global_ids(jsonb);
DROP FUNCTION okrql_event_reference_type(text);
DROP FUNCTION okrql_global_id(text, bigint);
"""


def upgrade() -> None:
    execute_script(_UPGRADE)


def downgrade() -> None:
    execute_script(_DOWNGRADE)
