"""Issue 27: a reset under load on PostgreSQL took 1-4 s at the median (12 s at worst) with 8 writers creating and
deleting models: a DeleteModel held its resource row and waited for the scope's count row, which the reset held while
it waited for that resource row, until PostgreSQL's deadlock check (1 s) failed one of them and the store retried it.
Now every write that changes a count locks the count row first, so they queue instead. The interleaving is forced
here: a third transaction holds the count row while the reset, then the delete, line up behind it."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import emulator.store.retry as retry
from emulator.operations import KINDS
from emulator.store import open_store
from emulator.store.database import Database
from emulator.store.records import NewResource, Scope
from tests.databases import POSTGRES_URL, postgres_schema

SCOPE = Scope(kind="model", account_id="123456789012", region="us-east-1")


def waiting_on_locks(engine: Any, app: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :app AND wait_event_type = 'Lock'"),
            {"app": app},
        )
        return int(found.scalar_one())


def wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the transaction never waited on the lock"
        time.sleep(0.01)


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_a_reset_and_a_delete_queued_on_one_count_row_do_not_deadlock(monkeypatch: pytest.MonkeyPatch) -> None:
    transient: list[str | None] = []
    recognise = retry.is_transient

    def recorded(orig: BaseException) -> bool:
        found = recognise(orig)
        if found:
            transient.append(getattr(orig, "sqlstate", None))
        return found

    monkeypatch.setattr(retry, "is_transient", recorded)
    app = f"reset-locks-{uuid.uuid4().hex[:12]}"
    with postgres_schema() as schema_url:
        url = make_url(schema_url).update_query_dict({"application_name": app}).render_as_string(hide_password=False)
        store = open_store(Database(url))
        watcher = create_engine(POSTGRES_URL)
        try:
            for name in ("kept", "deleted"):
                resource = NewResource(scope=SCOPE, name=name, creation_ms=1, definition="{}", tags=[("k", "v")])
                asyncio.run(store.create(resource, limit=None))
            results: dict[str, Any] = {}

            def run(name: str, call: Any) -> threading.Thread:
                thread = threading.Thread(target=lambda: results.__setitem__(name, asyncio.run(call())))
                thread.start()
                return thread

            holder = store.database.engine.connect()
            transaction = holder.begin()
            holder.execute(text("SELECT count FROM resource_counts FOR UPDATE"))
            resetting = run(
                "reset", lambda: store.reset(account_id=None, region=None, served=[k.arn_type for k in KINDS])
            )
            wait_for(lambda: waiting_on_locks(watcher, app) == 1)
            deleting = run("delete", lambda: store.delete(SCOPE, "deleted"))
            wait_for(lambda: waiting_on_locks(watcher, app) == 2)
            transaction.commit()
            holder.close()
            resetting.join(30)
            deleting.join(30)
            assert results == {"reset": {"model": 2}, "delete": False}  # the reset first, then nothing to delete
            assert transient == []  # no deadlock was detected and retried
        finally:
            watcher.dispose()
            store.close()
