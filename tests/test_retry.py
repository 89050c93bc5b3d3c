"""Transient database errors are retried inside the server: real SQLite busy errors and real PostgreSQL
serialization failures, raised by the drivers, go through the store's retry wrapper."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from emulator.store.database import Database
from emulator.store.retry import DatabaseUnavailable, retrying
from emulator.store.schema import SchemaGate
from tests.databases import POSTGRES_URL, postgres_schema, sqlite_url


class Probe:
    """A store-like object whose one method is a whole transaction, as every Store method is."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.schema = SchemaGate(database)
        self.schema.ensure()
        self.attempts = 0

    @retrying
    def bump_without_waiting(self) -> None:
        """On SQLite: fail at once with SQLITE_BUSY instead of waiting (busy_timeout=0)."""
        self.attempts += 1
        with self.engine.connect().execution_options(write=True) as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout=0")  # on the driver: SQLAlchemy would begin a transaction first
            with conn.begin():
                conn.execute(text("UPDATE resource_counts SET count = count + 1"))

    @retrying
    def bump_serializable(self, interfere: Engine) -> None:
        """On PostgreSQL: read, let another transaction change the row on the first attempt, then write."""
        self.attempts += 1
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            seen = conn.execute(text("SELECT count FROM resource_counts")).scalar_one()
            if self.attempts == 1:
                with interfere.begin() as other:
                    other.execute(text("UPDATE resource_counts SET count = count + 100"))
            conn.execute(text("UPDATE resource_counts SET count = :n"), {"n": seen + 1})


def seeded(url: str) -> Database:
    database = Database(url)
    SchemaGate(database).ensure()
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO resource_counts (kind, account_id, region, count) VALUES ('model', '123456789012', 'r', 0)"
            )
        )
    return database


def lock_sqlite(path: Path, seconds: float) -> threading.Timer:
    """Hold SQLite's write lock from another connection for `seconds` (or until the timer is cancelled)."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(seconds, holder.close)
    release.start()
    return release


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count FROM resource_counts")).scalar_one())


def test_sqlite_busy_is_retried_until_the_lock_is_free(tmp_path: Path) -> None:
    probe = Probe(seeded(sqlite_url(tmp_path)))
    holder = lock_sqlite(tmp_path / "emulator.db", 0.1)
    probe.bump_without_waiting()
    assert probe.attempts > 1
    assert count(probe.engine) == 1
    holder.join()


def test_sqlite_busy_for_too_long_is_service_unavailable(tmp_path: Path) -> None:
    probe = Probe(seeded(sqlite_url(tmp_path)))
    holder = lock_sqlite(tmp_path / "emulator.db", 5)
    with pytest.raises(DatabaseUnavailable) as raised:
        probe.bump_without_waiting()
    assert (raised.value.status, raised.value.code, probe.attempts) == (503, "ServiceUnavailable", 10)
    holder.cancel()
    assert count(probe.engine) == 0


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_postgresql_serialization_failure_is_retried() -> None:
    with postgres_schema() as url:
        probe = Probe(seeded(url))
        engine = probe.engine
        probe.bump_serializable(engine)
        assert probe.attempts == 2
        assert count(engine) == 101  # the retry read the other transaction's 100, then added its 1
        engine.dispose()
