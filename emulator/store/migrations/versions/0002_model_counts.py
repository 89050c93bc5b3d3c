"""Model counts per account and region, so the model limit is one conditional UPDATE instead of a COUNT(*).

Backfilled from the models already stored, so a limit set after the upgrade counts them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counts = op.create_table(
        "model_counts",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    models = sa.table("models", sa.column("account_id", sa.String), sa.column("region", sa.String))
    op.execute(
        counts.insert().from_select(
            ["account_id", "region", "count"],
            sa.select(models.c.account_id, models.c.region, sa.func.count()).group_by(
                models.c.account_id, models.c.region
            ),
        )
    )


def downgrade() -> None:
    op.drop_table("model_counts")
