"""processed events: exactly-once feedback across retries and spool replays

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("expires", sa.Date(), nullable=False),
    )
    op.create_index("ix_processed_events_expires", "processed_events", ["expires"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_expires", table_name="processed_events")
    op.drop_table("processed_events")
