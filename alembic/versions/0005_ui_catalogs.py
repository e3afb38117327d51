"""UI strings in the database: a language is data a CSO can add through the admin API

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_catalogs",
        sa.Column("locale", sa.String(length=16), primary_key=True),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published", sa.JSON(), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("file_hash", sa.String(length=64), nullable=True),
        sa.Column("loaded_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ui_catalogs")
