"""A first sign-in also finds a member by the address their organisation knows them by.

0017's okrql_sign_in links a first sign-in to the person whose own (first known) email the
token verifies. An organisation may since have changed the address it knows them by
(`updateMember`, or SCIM, migration 0019) before they ever signed in; their first sign-in with
the new address now finds them too, when exactly one person has it as a member's address (an
admin who gives a member an address is inviting whoever proves it, as `inviteMember` does).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from db.migrations import execute_script

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_GRANT = """
REVOKE ALL ON FUNCTION okrql_sign_in(text, text, text, text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okrql_sign_in(text, text, text, text, bytea) TO okrql_app;
"""

_SIGN_IN_0020 = """
CREATE OR REPLACE FUNCTION okrql_sign_in(issuer text, subject text, verified_email text, slug text,
                              invitation_hash bytea)
  RETURNS TABLE (user_id bigint, organization_id bigint, organization_slug text,
                 time_zone text, role text, status text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public
  AS $$
  DECLARE
    person bigint;
    invited invitation%ROWTYPE;
    placeholder membership%ROWTYPE;
    teams bigint[];
    token_valid boolean := false;
  BEGIN
    SELECT i.user_id INTO person FROM user_identity i
    WHERE i.issuer = okrql_sign_in.issuer AND i.subject = okrql_sign_in.subject;
    IF invitation_hash IS NOT NULL THEN
      -- Accepting with the invitation's own token: the token names the invitee.
      SELECT * INTO invited FROM invitation v
      WHERE v.token_hash = invitation_hash AND v.accepted_at IS NULL
        AND v.revoked_at IS NULL AND v.expires_at > now()
      FOR UPDATE;
      token_valid := FOUND;
      -- A newcomer is linked to the invited person only while nobody signs in as them and
      -- they belong nowhere yet: a forwarded token must not open someone's other memberships.
      IF token_valid AND person IS NULL
         AND NOT EXISTS (SELECT 1 FROM user_identity i WHERE i.user_id = invited.user_id)
         AND NOT EXISTS (SELECT 1 FROM membership m
                         WHERE m.user_id = invited.user_id AND m.status <> 'INVITED') THEN
        INSERT INTO user_identity (issuer, subject, user_id)
        VALUES (okrql_sign_in.issuer, okrql_sign_in.subject, invited.user_id)
        ON CONFLICT ON CONSTRAINT user_identity_pkey DO NOTHING;
        SELECT i.user_id INTO person FROM user_identity i
        WHERE i.issuer = okrql_sign_in.issuer AND i.subject = okrql_sign_in.subject;
      END IF;
      IF token_valid AND person <> invited.user_id AND NOT EXISTS (
          SELECT 1 FROM membership m
          WHERE m.organization_id = invited.organization_id AND m.user_id = person) THEN
        -- Someone okrql knows under another address accepts with the token: the invited
        -- membership (an invitee owns nothing yet, only team places) becomes theirs.
        SELECT coalesce(array_agg(tm.team_id), '{}') INTO teams FROM team_member tm
        WHERE tm.organization_id = invited.organization_id AND tm.user_id = invited.user_id;
        SELECT * INTO placeholder FROM membership m
        WHERE m.organization_id = invited.organization_id AND m.user_id = invited.user_id
          AND m.status = 'INVITED';
        DELETE FROM membership m
        WHERE m.organization_id = invited.organization_id AND m.user_id = invited.user_id
          AND m.status = 'INVITED';
        INSERT INTO membership (organization_id, user_id, role, name, email, status,
                                external_id, created_at)
        VALUES (invited.organization_id, person, placeholder.role, placeholder.name,
                placeholder.email, 'INVITED', placeholder.external_id, placeholder.created_at);
        INSERT INTO team_member (organization_id, team_id, user_id)
        SELECT invited.organization_id, t, person FROM unnest(teams) t;
        UPDATE invitation v SET user_id = person
        WHERE v.organization_id = invited.organization_id AND v.id = invited.id;
      END IF;
    END IF;
    IF person IS NULL AND verified_email IS NOT NULL THEN
      -- First sign-in: the member (or invitee) with this verified email, unless another
      -- subject of the same issuer already speaks for them.
      SELECT u.id INTO person FROM app_user u
      WHERE lower(u.email) = lower(verified_email)
        AND EXISTS (SELECT 1 FROM membership m
                    WHERE m.user_id = u.id AND m.status <> 'DEACTIVATED')
        AND NOT EXISTS (SELECT 1 FROM user_identity i
                        WHERE i.user_id = u.id AND i.issuer = okrql_sign_in.issuer);
      IF person IS NULL THEN
        -- The address an organisation knows them by, when it is not the one okrql first knew
        -- (an identity provider changed it before their first sign-in): one person only.
        SELECT min(m.user_id) INTO person FROM membership m
        WHERE lower(m.email) = lower(verified_email) AND m.status <> 'DEACTIVATED'
          AND NOT EXISTS (SELECT 1 FROM user_identity i
                          WHERE i.user_id = m.user_id AND i.issuer = okrql_sign_in.issuer)
        HAVING count(DISTINCT m.user_id) = 1;
      END IF;
      IF person IS NOT NULL THEN
        INSERT INTO user_identity (issuer, subject, user_id)
        VALUES (okrql_sign_in.issuer, okrql_sign_in.subject, person)
        ON CONFLICT ON CONSTRAINT user_identity_pkey DO NOTHING;
        -- A concurrent first sign-in may have won: its link stands.
        SELECT i.user_id INTO person FROM user_identity i
        WHERE i.issuer = okrql_sign_in.issuer AND i.subject = okrql_sign_in.subject;
      END IF;
    END IF;
    IF person IS NULL THEN
      IF invitation_hash IS NOT NULL THEN
        RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text,
                            okrql_invitation_state(invitation_hash);
      END IF;
      RETURN;
    END IF;
    -- Open invitations of this person that this sign-in accepts: the one whose token came
    -- with it, or those sent to the token's verified email; in the chosen organisation.
    FOR invited IN
      SELECT v.* FROM invitation v JOIN organization o ON o.id = v.organization_id
      WHERE v.user_id = person AND v.accepted_at IS NULL AND v.revoked_at IS NULL
        AND v.expires_at > now()
        AND (okrql_sign_in.slug IS NULL OR o.slug = okrql_sign_in.slug)
        AND (v.token_hash = invitation_hash OR lower(v.email) = lower(verified_email))
      FOR UPDATE OF v
    LOOP
      UPDATE invitation v SET accepted_at = now()
      WHERE v.organization_id = invited.organization_id AND v.id = invited.id;
      UPDATE membership m SET status = 'ACTIVE', version = m.version + 1, updated_at = now()
      WHERE m.organization_id = invited.organization_id AND m.user_id = person
        AND m.status = 'INVITED';
      INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id,
                         before, after)
      VALUES (invited.organization_id, 'member.joined', 'User', person, person,
              jsonb_build_object('status', 'INVITED'),
              jsonb_build_object('status', 'ACTIVE', 'role', invited.role::text,
                                 'email', invited.email, 'invitationId', invited.id));
    END LOOP;
    -- The chosen organisation, or (none chosen) up to two, so a caller can take a sole one.
    -- Each comes with its status, so the caller can say why it signs nobody in: DEACTIVATED,
    -- or INVITED (an invitation this sign-in did not accept: expired, or sent to another
    -- address); only a chosen organisation answers with an invitation.
    RETURN QUERY
      SELECT person, o.id, o.slug, o.time_zone, m.role::text, m.status::text
      FROM membership m JOIN organization o ON o.id = m.organization_id
      WHERE m.user_id = person
        AND (okrql_sign_in.slug IS NULL AND m.status <> 'INVITED' OR o.slug = okrql_sign_in.slug)
      ORDER BY m.status <> 'ACTIVE', o.id
      LIMIT 2;
    IF NOT FOUND THEN
      -- A known person, not a member of that organisation (or it does not exist).
      RETURN QUERY SELECT person, NULL::bigint, NULL::text, NULL::text, NULL::text,
                          okrql_invitation_state(invitation_hash);
    END IF;
  END
  $$;
"""

_SIGN_IN_0017 = """
CREATE OR REPLACE FUNCTION okrql_sign_in(issuer text, subject text, verified_email text, slug text,
                              invitation_hash bytea)
  RETURNS TABLE (user_id bigint, organization_id bigint, organization_slug text,
                 time_zone text, role text, status text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public
  AS $$
  DECLARE
    person bigint;
    invited invitation%ROWTYPE;
    placeholder membership%ROWTYPE;
    teams bigint[];
    token_valid boolean := false;
  BEGIN
    SELECT i.user_id INTO person FROM user_identity i
    WHERE i.issuer = okrql_sign_in.issuer AND i.subject = okrql_sign_in.subject;
    IF invitation_hash IS NOT NULL THEN
      -- Accepting with the invitation's own token: the token names the invitee.
      SELECT * INTO invited FROM invitation v
      WHERE v.token_hash = invitation_hash AND v.accepted_at IS NULL
        AND v.revoked_at IS NULL AND v.expires_at > now()
      FOR UPDATE;
      token_valid := FOUND;
      -- A newcomer is linked to the invited person only while nobody signs in as them and
      -- they belong nowhere yet: a forwarded token must not open someone's other memberships.
      IF token_valid AND person IS NULL
         AND NOT EXISTS (SELECT 1 FROM user_identity i WHERE i.user_id = invited.user_id)
         AND NOT EXISTS (SELECT 1 FROM membership m
                         WHERE m.user_id = invited.user_id AND m.status <> 'INVITED') THEN
        INSERT INTO user_identity (issuer, subject, user_id)
        VALUES (okrql_sign_in.issuer, okrql_sign_in.subject, invited.user_id)
        ON CONFLICT ON CONSTRAINT user_identity_pkey DO NOTHING;
        SELECT i.user_id INTO person FROM user_identity i
        WHERE i.issuer = okrql_sign_in.issuer AND i.subject = okrql_sign_in.subject;
      END IF;
      IF token_valid AND person <> invited.user_id AND NOT EXISTS (
          SELECT 1 FROM membership m
          WHERE m.organization_id = invited.organization_id AND m.user_id = person) THEN
        -- Someone okrql knows under another address accepts with the token: the invited
        -- membership (an invitee owns nothing yet, only team places) becomes theirs.
        SELECT coalesce(array_agg(tm.team_id), '{}') INTO teams FROM team_member tm
        WHERE tm.organization_id = invited.organization_id AND tm.user_id = invited.user_id;
        SELECT * INTO placeholder FROM membership m
        WHERE m.organization_id = invited.organization_id AND m.user_id = invited.user_id
          AND m.status = 'INVITED';
        DELETE FROM membership m
        WHERE m.organization_id = invited.organization_id AND m.user_id = invited.user_id
          AND m.status = 'INVITED';
        INSERT INTO membership (organization_id, user_id, role, name, email, status,
                                external_id, created_at)
        VALUES (invited.organization_id, person, placeholder.role, placeholder.name,
                placeholder.email, 'INVITED', placeholder.external_id, placeholder.created_at);
        INSERT INTO team_member (organization_id, team_id, user_id)
        SELECT invited.organization_id, t, person FROM unnest(teams) t;
        UPDATE invitation v SET user_id = person
        WHERE v.organization_id = invited.organization_id AND v.id = invited.id;
      END IF;
    END IF;
    IF person IS NULL AND verified_email IS NOT NULL THEN
      -- First sign-in: the member (or invitee) with this verified email, unless another
      -- subject of the same issuer already speaks for them.
      SELECT u.id INTO person FROM app_user u
      WHERE lower(u.email) = lower(verified_email)
        AND EXISTS (SELECT 1 FROM membership m
                    WHERE m.user_id = u.id AND m.status <> 'DEACTIVATED')
        AND NOT EXISTS (SELECT 1 FROM user_identity i
                        WHERE i.user_id = u.id AND i.issuer = okrql_sign_in.issuer);
      IF person IS NOT NULL THEN
        INSERT INTO user_identity (issuer, subject, user_id)
        VALUES (okrql_sign_in.issuer, okrql_sign_in.subject, person)
        ON CONFLICT ON CONSTRAINT user_identity_pkey DO NOTHING;
        -- A concurrent first sign-in may have won: its link stands.
        SELECT i.user_id INTO person FROM user_identity i
        WHERE i.issuer = okrql_sign_in.issuer AND i.subject = okrql_sign_in.subject;
      END IF;
    END IF;
    IF person IS NULL THEN
      IF invitation_hash IS NOT NULL THEN
        RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text,
                            okrql_invitation_state(invitation_hash);
      END IF;
      RETURN;
    END IF;
    -- Open invitations of this person that this sign-in accepts: the one whose token came
    -- with it, or those sent to the token's verified email; in the chosen organisation.
    FOR invited IN
      SELECT v.* FROM invitation v JOIN organization o ON o.id = v.organization_id
      WHERE v.user_id = person AND v.accepted_at IS NULL AND v.revoked_at IS NULL
        AND v.expires_at > now()
        AND (okrql_sign_in.slug IS NULL OR o.slug = okrql_sign_in.slug)
        AND (v.token_hash = invitation_hash OR lower(v.email) = lower(verified_email))
      FOR UPDATE OF v
    LOOP
      UPDATE invitation v SET accepted_at = now()
      WHERE v.organization_id = invited.organization_id AND v.id = invited.id;
      UPDATE membership m SET status = 'ACTIVE', version = m.version + 1, updated_at = now()
      WHERE m.organization_id = invited.organization_id AND m.user_id = person
        AND m.status = 'INVITED';
      INSERT INTO event (organization_id, type, subject_type, subject_id, actor_user_id,
                         before, after)
      VALUES (invited.organization_id, 'member.joined', 'User', person, person,
              jsonb_build_object('status', 'INVITED'),
              jsonb_build_object('status', 'ACTIVE', 'role', invited.role::text,
                                 'email', invited.email, 'invitationId', invited.id));
    END LOOP;
    -- The chosen organisation, or (none chosen) up to two, so a caller can take a sole one.
    -- Each comes with its status, so the caller can say why it signs nobody in: DEACTIVATED,
    -- or INVITED (an invitation this sign-in did not accept: expired, or sent to another
    -- address); only a chosen organisation answers with an invitation.
    RETURN QUERY
      SELECT person, o.id, o.slug, o.time_zone, m.role::text, m.status::text
      FROM membership m JOIN organization o ON o.id = m.organization_id
      WHERE m.user_id = person
        AND (okrql_sign_in.slug IS NULL AND m.status <> 'INVITED' OR o.slug = okrql_sign_in.slug)
      ORDER BY m.status <> 'ACTIVE', o.id
      LIMIT 2;
    IF NOT FOUND THEN
      -- A known person, not a member of that organisation (or it does not exist).
      RETURN QUERY SELECT person, NULL::bigint, NULL::text, NULL::text, NULL::text,
                          okrql_invitation_state(invitation_hash);
    END IF;
  END
  $$;
"""


def upgrade() -> None:
    execute_script(_SIGN_IN_0020 + _GRANT)


def downgrade() -> None:
    execute_script(_SIGN_IN_0017 + _GRANT)
