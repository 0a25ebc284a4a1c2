"""Every committed event is announced on the `okrql_events` channel.

PostgreSQL delivers NOTIFY at commit and drops it on rollback, so a subscriber hears of exactly
the changes that were committed, through whichever API instance they were made (each instance
LISTENs; api/subscriptions/hub.py). The payload is small (identifiers only): listeners read
what they need under their subscriber's tenant binding.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
CREATE FUNCTION okrql_announce_event() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('okrql_events', json_build_object(
    'organization_id', NEW.organization_id,
    'event_id', NEW.id,
    'type', NEW.type,
    'subject_type', NEW.subject_type,
    'subject_id', NEW.subject_id)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER event_announce AFTER INSERT ON event
  FOR EACH ROW EXECUTE FUNCTION okrql_announce_event();
"""
    )


def downgrade() -> None:
    execute_script(
        """
DROP TRIGGER event_announce ON event;
DROP FUNCTION okrql_announce_event();
"""
    )
