"""The processes serving on the database, with a heartbeat and the shared configuration's versions each has applied:
an admin change waits until every live process has applied it.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("heartbeat_ms", sa.BigInteger(), nullable=False),
        sa.Column("fault_version", sa.BigInteger(), nullable=False),
        sa.Column("runtime_version", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("processes")
