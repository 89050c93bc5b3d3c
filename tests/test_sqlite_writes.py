"""SQLite's write path for CreateModel: statements and one COMMIT per batch, on the event loop.

What must hold: a write the loop cannot lock at once waits (on a thread) instead of failing; a job that fails
midway rolls its whole batch back and the other jobs of that batch are retried, so nothing half-done is stored
and no innocent request fails.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from emulator.settings import Settings
from emulator.store.database import Database
from emulator.store.records import CleanFailure, NewResource, Scope
from emulator.store.sqlite_store import SqliteStore
from emulator.store.transactions import RawWork, RolledBack
from tests.support import running_server, sagemaker_client


def new_model(name: str) -> NewResource:
    return NewResource(
        scope=Scope(kind="model", account_id="123456789012", region="us-east-1"),
        name=name,
        creation_ms=1_700_000_000_000,
        definition='{"PrimaryContainer":{"Image":"i"}}',
        tags=[("team", "a")],
    )


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(Database(f"sqlite:///{tmp_path / 'emulator.db'}"))
    store.schema.ensure()
    return store


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_a_create_waits_while_another_connection_holds_the_write_lock(tmp_path: Path) -> None:
    database = tmp_path / "emulator.db"
    with running_server(Settings(database_url=f"sqlite:///{database}")) as endpoint:
        sm = sagemaker_client(endpoint)
        sm.create_model(ModelName="first", PrimaryContainer={"Image": "i"})
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer, say
        answers: list[str] = []
        creating = threading.Thread(
            target=lambda: answers.append(
                sm.create_model(ModelName="second", PrimaryContainer={"Image": "i"})["ModelArn"]
            )
        )
        creating.start()
        time.sleep(0.5)
        assert answers == []  # waiting for the lock, not failed
        other.execute("COMMIT")
        other.close()
        creating.join(timeout=30)
        assert answers == ["arn:aws:sagemaker:us-east-1:123456789012:model/second"]
        assert sm.describe_model(ModelName="second")["ModelName"] == "second"
    assert rows(database, "SELECT account_id, region, count FROM resource_counts") == [("123456789012", "us-east-1", 2)]


class Refused(CleanFailure):
    pass


def test_a_job_failing_midway_rolls_back_its_batch_and_the_others_are_told_to_retry(
    store: SqliteStore, tmp_path: Path
) -> None:
    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO resource_counts (kind, account_id, region, count) VALUES ('model', '111111111111', 'r', 1)"
        )
        raise TypeError("a bug after a write")

    def innocent(conn: sqlite3.Connection) -> str:
        conn.execute(
            "INSERT INTO resource_counts (kind, account_id, region, count) VALUES ('model', '222222222222', 'r', 1)"
        )
        return "done"

    def refused(conn: sqlite3.Connection) -> None:
        raise Refused()

    async def batch() -> list[object]:
        # Submitted in one loop iteration: the three share one transaction.
        return await asyncio.gather(
            store.transactions.submit(half_done),
            store.transactions.submit(innocent),
            store.transactions.submit(refused),
            return_exceptions=True,
        )

    try:
        failed, rolled_back, refused_then = asyncio.run(batch())
        assert isinstance(failed, TypeError)
        assert isinstance(rolled_back, RolledBack)
        # Refused against a state that was rolled back: retried too, not reported.
        assert isinstance(refused_then, RolledBack)
        assert rows(tmp_path / "emulator.db", "SELECT * FROM resource_counts") == []
    finally:
        store.close()


def test_a_create_in_a_rolled_back_batch_is_retried_and_stored(store: SqliteStore, tmp_path: Path) -> None:
    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO resource_counts (kind, account_id, region, count) VALUES ('model', '111111111111', 'r', 1)"
        )
        raise TypeError("a bug after a write")

    async def batch() -> list[object]:
        return await asyncio.gather(
            store.transactions.submit(half_done),
            store.create(new_model("kept"), limit=None),
            store.create(new_model("KEPT"), limit=None),
            return_exceptions=True,
        )

    try:
        failed, *creates = asyncio.run(batch())
        assert isinstance(failed, TypeError)
        # Both were retried on their own; the database decided which one is the duplicate.
        assert sorted(type(c).__name__ for c in creates) == ["NoneType", "ResourceExists"]
        winner = "kept" if creates[0] is None else "KEPT"
        database = tmp_path / "emulator.db"
        assert rows(database, "SELECT name FROM resources") == [(winner,)]
        assert rows(database, "SELECT key, value FROM tags") == [("team", "a")]
        assert rows(database, "SELECT account_id, count FROM resource_counts") == [("123456789012", 1)]
    finally:
        store.close()


def test_a_cancelled_caller_leaves_its_batch_to_commit(store: SqliteStore, tmp_path: Path) -> None:
    """Cancelling one caller (a client that went away) cancels only its wait: the batch commits, its writes too."""

    def count_row(account: str) -> RawWork[None]:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO resource_counts (kind, account_id, region, count) VALUES ('model', ?, 'r', 1)", (account,)
            )

        return work

    async def batch() -> list[object]:
        gone = asyncio.ensure_future(store.transactions.submit(count_row("111111111111")))
        kept = asyncio.ensure_future(store.transactions.submit(count_row("222222222222")))
        await asyncio.sleep(0)  # both have written and wait for the COMMIT
        gone.cancel()
        return list(await asyncio.gather(gone, kept, return_exceptions=True))

    try:
        gone, kept = asyncio.run(batch())
        assert isinstance(gone, asyncio.CancelledError)
        assert kept is None
        assert rows(tmp_path / "emulator.db", "SELECT account_id FROM resource_counts ORDER BY 1") == [
            ("111111111111",),
            ("222222222222",),
        ]
    finally:
        store.close()


def test_a_failed_commit_reaches_every_caller_and_stores_nothing(store: SqliteStore, tmp_path: Path) -> None:
    """A COMMIT that fails (here: a deferred foreign key broken by the batch) is every caller's error."""

    def orphan_tag(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA defer_foreign_keys=ON")  # checked at COMMIT, not at the INSERT
        conn.execute("INSERT INTO tags (resource_id, key, value, position) VALUES (424242, 'k', 'v', 0)")

    def count_row(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO resource_counts (kind, account_id, region, count) VALUES ('model', '222222222222', 'r', 1)"
        )

    async def batch() -> list[object]:
        return list(
            await asyncio.gather(
                store.transactions.submit(orphan_tag), store.transactions.submit(count_row), return_exceptions=True
            )
        )

    try:
        results = asyncio.run(batch())
        assert [type(r) for r in results] == [sqlite3.IntegrityError, sqlite3.IntegrityError]
        assert "FOREIGN KEY constraint failed" in str(results[0])
        database = tmp_path / "emulator.db"
        assert rows(database, "SELECT * FROM tags") == []
        assert rows(database, "SELECT * FROM resource_counts") == []
        # The writer goes on, on a fresh connection.
        assert asyncio.run(store.transactions.submit(count_row)) is None
        assert rows(database, "SELECT account_id FROM resource_counts") == [("222222222222",)]
    finally:
        store.close()
