"""Lifecycle state for kinds that have one (endpoints): a `state` column, and an index for sorting by status.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("resources", sa.Column("state", sa.Text(), nullable=True))
    op.create_index("ix_resources_scope_status", "resources", ["kind", "account_id", "region", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_resources_scope_status", table_name="resources")
    op.drop_column("resources", "state")
