"""Fault-injection rules and their counters in the database, so every worker and replica applies the same rules.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fault_config",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
    )
    op.create_table(
        "fault_counters",
        sa.Column("version", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("matched", sa.BigInteger(), nullable=False),
        sa.Column("injected", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fault_counters")
    op.drop_table("fault_config")
