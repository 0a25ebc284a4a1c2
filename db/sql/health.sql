-- name: migration_revision
-- The revision the database is migrated to (NULL before the first migration).
SELECT (SELECT version_num FROM alembic_version LIMIT 1)
WHERE to_regclass('alembic_version') IS NOT NULL;
