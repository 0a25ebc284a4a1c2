-- name: sign_in
-- The person a verified token names, by its issuer and subject (linked on first sign-in to the
-- member or invitee with the token's verified email, or to the invitee whose invitation token
-- ($5, hashed) came with it), and their membership of the organisation chosen by slug (NULL:
-- up to two of them), with its status. Open invitations the sign-in answers are accepted.
-- No rows: nobody okrql knows; a row with a NULL organisation: a person who is not a member
-- of it (its status says what became of an invitation token, if one came). With each
-- membership, the person's teams there (authorization needs them on every request).
-- SECURITY DEFINER functions (0007, 0017).
SELECT s.user_id, s.organization_id, s.organization_slug, s.time_zone, s.role, s.status,
       okrql_member_team_ids(s.organization_id, s.user_id) AS team_ids
FROM okrql_sign_in($1, $2, $3, $4, $5) s;
