-- name: sign_in
-- The person a verified token names, by its issuer and subject (linked on first sign-in to the
-- member with the token's verified email), and their membership of the organisation chosen
-- by slug (NULL: up to two of them). No rows: nobody okrql knows; a row with a NULL
-- organisation: a person who is not a member of it. A SECURITY DEFINER function (0006).
SELECT user_id, organization_id, organization_slug, time_zone, role
FROM okrql_sign_in($1, $2, $3, $4);
