"""An index for a cycle's objectives in title order (the list page): a page after a cursor
reads the cycle's rows only, where objective_title_idx walks every cycle's objectives in title
order and visits each row to drop the other cycles' (208 rows visited for a page of 51 at 10x
the data, 0.46 -> 0.11 ms; bench/README.md).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        "CREATE INDEX objective_cycle_title_idx"
        " ON objective (organization_id, cycle_id, title, id);"
    )


def downgrade() -> None:
    execute_script("DROP INDEX objective_cycle_title_idx;")
