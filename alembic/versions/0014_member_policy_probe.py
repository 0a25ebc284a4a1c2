"""People's row-level security probes one membership per person read, whatever the org's size.

The policies of `app_user` (0005) ask whether a membership of the current organisation exists
for the row. PostgreSQL turns such an EXISTS into a choice between probing the membership
index for each person read and hashing all of the organisation's memberships once per
statement, and in the generic plans okrql runs it chose the hash: every statement that read
even one person (an objective's owner, a check-in's author) scanned every membership of the
organisation, a cost that grew with the organisation (0.14 of the objective page's 0.74 ms at
200 members). `OFFSET 0` keeps the subquery as it is written (PostgreSQL does not flatten or
hash a subquery with an OFFSET), so each person read costs one index probe. The rule itself
is unchanged.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_MEMBER = """EXISTS (SELECT 1 FROM membership m
                WHERE m.user_id = app_user.id AND m.organization_id = okrql_organization_id()
                {fence})"""


def _policies(member: str) -> str:
    return (
        f"ALTER POLICY member_read ON app_user USING ({member});\n"
        f"ALTER POLICY member_update ON app_user USING ({member});\n"
    )


def upgrade() -> None:
    execute_script(_policies(_MEMBER.format(fence="OFFSET 0")))


def downgrade() -> None:
    execute_script(_policies(_MEMBER.format(fence="")))
