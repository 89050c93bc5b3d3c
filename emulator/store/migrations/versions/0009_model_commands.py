"""The model command table (emulator/containers/commands.py) beside the model server table, shared the same way by
every process on the database.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: the row a database already holds reads as "no table stored", as a new one does.
    op.add_column("runtime_config", sa.Column("model_commands", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("runtime_config", "model_commands")
