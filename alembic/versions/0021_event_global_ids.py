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
pays for a conversion. Downgrading decodes them back. The trigger looks up the known keys in
PL/pgSQL: measured on single-row inserts of a check-in's event, it adds about 10-25 us to
about 320 us (a first version that rebuilt the payload with an SQL function added 200 us).

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

-- The keys of event payloads that refer to a node, each with the node's type (a key ending
-- in Ids holds a list).
CREATE FUNCTION okrql_event_references() RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT '{{keyResultId,KeyResult},{parentKeyResultId,KeyResult},
                 {objectiveId,Objective},{childObjectiveId,Objective},
                 {parentObjectiveId,Objective},{cycleId,Cycle},{parentCycleId,Cycle},
                 {teamId,Team},{ownerTeamId,Team},{parentTeamId,Team},{teamIds,Team},
                 {userId,User},{ownerId,User},{ownerUserId,User},
                 {invitationId,Invitation}}'::text[] $$;

-- A payload with each reference (a number, or a list of numbers) as a global id; anything
-- else, a reference already encoded included, as it was. PL/pgSQL, looking up the known keys
-- rather than walking the payload: it runs for every event written, and this way costs a
-- few microseconds.
CREATE FUNCTION okrql_event_global_ids(payload jsonb) RETURNS jsonb
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
  DECLARE
    reference text[];
    value jsonb;
  BEGIN
    IF jsonb_typeof(payload) IS DISTINCT FROM 'object' THEN
      RETURN payload;
    END IF;
    FOREACH reference SLICE 1 IN ARRAY okrql_event_references() LOOP
      value := payload -> reference[1];
      IF jsonb_typeof(value) = 'number' THEN
        payload := jsonb_set(payload, reference[1:1],
                             to_jsonb(okrql_global_id(reference[2], value::bigint)));
      ELSIF jsonb_typeof(value) = 'array' THEN
        payload := jsonb_set(payload, reference[1:1], (
          SELECT coalesce(jsonb_agg(
                   CASE WHEN jsonb_typeof(e.item) = 'number'
                        THEN to_jsonb(okrql_global_id(reference[2], e.item::bigint))
                        ELSE e.item END
                   ORDER BY e.n), '[]'::jsonb)
          FROM jsonb_array_elements(value) WITH ORDINALITY AS e(item, n)));
      END IF;
    END LOOP;
    RETURN payload;
  END $$;

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

CREATE FUNCTION okrql_event_raw_id(global_id jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT CASE WHEN jsonb_typeof(global_id) = 'string' THEN to_jsonb(split_part(
           convert_from(decode(translate(global_id #>> '{}', '-_', '+/')
                               || repeat('=', (4 - length(global_id #>> '{}') % 4) % 4),
                               'base64'), 'UTF8'), ':', 2)::bigint)
         ELSE global_id END $$;

CREATE FUNCTION okrql_event_raw_ids(payload jsonb) RETURNS jsonb
  LANGUAGE plpgsql IMMUTABLE AS $$
  DECLARE
    reference text[];
    value jsonb;
  BEGIN
    IF jsonb_typeof(payload) IS DISTINCT FROM 'object' THEN
      RETURN payload;
    END IF;
    FOREACH reference SLICE 1 IN ARRAY okrql_event_references() LOOP
      value := payload -> reference[1];
      IF jsonb_typeof(value) = 'string' THEN
        payload := jsonb_set(payload, reference[1:1], okrql_event_raw_id(value));
      ELSIF jsonb_typeof(value) = 'array' THEN
        payload := jsonb_set(payload, reference[1:1], (
          SELECT coalesce(jsonb_agg(okrql_event_raw_id(e.item) ORDER BY e.n), '[]'::jsonb)
          FROM jsonb_array_elements(value) WITH ORDINALITY AS e(item, n)));
      END IF;
    END LOOP;
    RETURN payload;
  END $$;

UPDATE event
SET before = okrql_event_raw_ids(before), after = okrql_event_raw_ids(after)
WHERE before IS DISTINCT FROM okrql_event_raw_ids(before)
   OR after IS DISTINCT FROM okrql_event_raw_ids(after);

DROP FUNCTION okrql_event_raw_ids(jsonb);
DROP FUNCTION okrql_event_raw_id(jsonb);
DROP FUNCTION okrql_event_global_ids(jsonb);
DROP FUNCTION okrql_event_references();
DROP FUNCTION okrql_global_id(text, bigint);
"""


def upgrade() -> None:
    execute_script(_UPGRADE)


def downgrade() -> None:
    execute_script(_DOWNGRADE)
