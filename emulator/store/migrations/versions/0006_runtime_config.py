"""SageMaker Runtime's canned answers and model server table in the database, so every worker and replica serves
the same ones.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("endpoint_name", sa.String(63), primary_key=True),
        sa.Column("variant_name", sa.String(63), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "runtime_config",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("model_servers", sa.Text(), nullable=True),
    )
    op.create_table(
        "canned_sets",
        *_key_columns(),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("given", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "canned_answers",
        *_key_columns(),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("answer", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("canned_answers")
    op.drop_table("canned_sets")
    op.drop_table("runtime_config")
