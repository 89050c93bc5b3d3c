"""The database schema. Invariants live here: a unique name per account and region, one count row per scope.

SQLAlchemy Core tables rather than ORM classes: nothing here maps rows to objects, and importing the ORM was a
tenth of the server's start-up."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(64), nullable=False),
    Column("name", String(63), nullable=False),
    Column("name_lower", String(63), nullable=False),
    Column("creation_ms", BigInteger, nullable=False),
    # Every member of the CreateModel definition as sent (after dropping unknown and null members), as JSON.
    Column("definition", Text, nullable=False),
    # Names are unique per account and region, case-insensitively: the database decides a duplicate.
    UniqueConstraint("account_id", "region", "name_lower", name="uq_models_scope_name"),
    Index("ix_models_scope_time", "account_id", "region", "creation_ms", "id"),
    Index("ix_models_scope_name", "account_id", "region", "name", "id"),
)

model_tags = Table(
    "model_tags",
    metadata,
    Column("model_id", Integer, ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
    # Keeps tags in the order they were first added, which is the order ListTags returns.
    Column("position", Integer, nullable=False),
)

# How many models a scope holds: a conditional UPDATE on this row enforces the limit without a race.
model_counts = Table(
    "model_counts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
)
