"""One table for every kind of resource: models move into `resources` (kind 'model'), their tags into `tags`, their
counts into `resource_counts`. Ids are kept, so every tag still points at its model.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("name_lower", sa.String(63), nullable=False),
        sa.Column("creation_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("modified_ms", sa.BigInteger(), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.UniqueConstraint("kind", "account_id", "region", "name_lower", name="uq_resources_scope_name"),
    )
    op.create_index("ix_resources_scope_time", "resources", ["kind", "account_id", "region", "creation_ms", "id"])
    op.create_index("ix_resources_scope_name", "resources", ["kind", "account_id", "region", "name", "id"])
    op.create_table(
        "tags",
        sa.Column("resource_id", sa.Integer(), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "resource_counts",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.execute(
        "INSERT INTO resources (id, kind, account_id, region, name, name_lower, creation_ms, definition)"
        " SELECT id, 'model', account_id, region, name, name_lower, creation_ms, definition FROM models"
    )
    op.execute(
        'INSERT INTO tags (resource_id, "key", value, position) SELECT model_id, "key", value, position FROM model_tags'
    )
    op.execute(
        "INSERT INTO resource_counts (kind, account_id, region, count)"
        " SELECT 'model', account_id, region, count FROM model_counts"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Rows came in with their ids: the next id the sequence gives must come after them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('resources', 'id'), COALESCE((SELECT MAX(id) FROM resources), 0) + 1,"
            " false)"
        )
    op.drop_table("model_tags")
    op.drop_table("model_counts")
    op.drop_index("ix_models_scope_name", table_name="models")
    op.drop_index("ix_models_scope_time", table_name="models")
    op.drop_table("models")


def downgrade() -> None:
    raise NotImplementedError("0003 is not reversible: resources of other kinds have no table to go back to")
