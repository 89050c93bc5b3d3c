"""The database schema. Invariants live here: a unique name per account and region, one count row per scope."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ModelRow(Base):
    __tablename__ = "models"
    __table_args__ = (
        # Names are unique per account and region, case-insensitively: the database decides a duplicate.
        UniqueConstraint("account_id", "region", "name_lower", name="uq_models_scope_name"),
        Index("ix_models_scope_time", "account_id", "region", "creation_ms", "id"),
        Index("ix_models_scope_name", "account_id", "region", "name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(63))
    name_lower: Mapped[str] = mapped_column(String(63))
    creation_ms: Mapped[int] = mapped_column(BigInteger)
    # Every member of the CreateModel definition as sent (after dropping unknown and null members), as JSON.
    definition: Mapped[str] = mapped_column(Text)


class TagRow(Base):
    __tablename__ = "model_tags"

    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    # Keeps tags in the order they were first added, which is the order ListTags returns.
    position: Mapped[int] = mapped_column(Integer)


class ModelCountRow(Base):
    """How many models a scope holds: a conditional UPDATE on this row enforces the limit without a race."""

    __tablename__ = "model_counts"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
