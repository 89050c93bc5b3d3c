"""Kinds and names wide enough for every SageMaker kind: `kind` 64 (the longest ARN resource type,
model-explainability-job-definition, is 35) and `name`/`name_lower` 256 (PipelineName; docs/decisions.md), so no
kind added later needs a migration.

PostgreSQL widens a VARCHAR in place. SQLite has no ALTER COLUMN: batch mode copies the table, and dropping the old
`resources` with foreign keys on would cascade to every tag, so the tags are set aside and put back around it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _retype(*, kind: int, name: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE tags_kept AS SELECT * FROM tags")
        op.drop_table("tags")
    with op.batch_alter_table("resources") as batch:
        batch.alter_column("kind", type_=sa.String(kind), existing_nullable=False)
        batch.alter_column("name", type_=sa.String(name), existing_nullable=False)
        batch.alter_column("name_lower", type_=sa.String(name), existing_nullable=False)
    with op.batch_alter_table("resource_counts") as batch:
        batch.alter_column("kind", type_=sa.String(kind), existing_nullable=False)
    if sqlite:
        op.create_table(
            "tags",
            sa.Column("resource_id", sa.Integer(), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("key", sa.String(128), primary_key=True),
            sa.Column("value", sa.String(256), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
        )
        op.execute(
            'INSERT INTO tags (resource_id, "key", value, position)'
            ' SELECT resource_id, "key", value, position FROM tags_kept'
        )
        op.execute("DROP TABLE tags_kept")


def upgrade() -> None:
    _retype(kind=64, name=256)


def downgrade() -> None:
    # PostgreSQL refuses the narrowing while a longer value is stored, so nothing is cut short.
    _retype(kind=32, name=63)
