"""An index for lists of a cycle's objectives filtered by status (the list page's filter and
its totalCount): counted from the index alone instead of visiting every objective row, which
made the count grow with the cycle (bench/README.md, scale 10).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        "CREATE INDEX objective_cycle_status_idx"
        " ON objective (organization_id, cycle_id, status, id);"
    )


def downgrade() -> None:
    execute_script("DROP INDEX objective_cycle_status_idx;")
