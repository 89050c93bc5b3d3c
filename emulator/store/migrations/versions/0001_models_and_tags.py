"""The schema as first released: models and their tags.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("name_lower", sa.String(63), nullable=False),
        sa.Column("creation_ms", sa.BigInteger(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.UniqueConstraint("account_id", "region", "name_lower", name="uq_models_scope_name"),
    )
    op.create_index("ix_models_scope_time", "models", ["account_id", "region", "creation_ms", "id"])
    op.create_index("ix_models_scope_name", "models", ["account_id", "region", "name", "id"])
    op.create_table(
        "model_tags",
        sa.Column("model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_tags")
    op.drop_index("ix_models_scope_name", table_name="models")
    op.drop_index("ix_models_scope_time", table_name="models")
    op.drop_table("models")
