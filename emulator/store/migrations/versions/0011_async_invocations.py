"""InvokeEndpointAsync's pending requests, each with one owner holding a lease.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "async_invocations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("endpoint_name", sa.String(256), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(32), nullable=True),
        sa.Column("lease_ms", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_async_invocations_queue", "async_invocations", ["status", "created_ms"])
    op.create_index(
        "ix_async_invocations_endpoint", "async_invocations", ["account_id", "region", "endpoint_name", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_async_invocations_endpoint", table_name="async_invocations")
    op.drop_index("ix_async_invocations_queue", table_name="async_invocations")
    op.drop_table("async_invocations")
