"""Issue 27: an admin change of the shared configuration waits for the processes that serve on the database
(emulator/admin/processes.py): those alive until they applied it, none that stopped, and a stuck one only so long."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import pytest

import emulator.admin.processes as processes
from emulator.admin.processes import STALE_SECONDS, Processes
from emulator.app import create_app
from emulator.store import open_store
from emulator.store.database import Database
from tests.support import server_process


def test_a_change_waits_for_live_processes_that_lag_and_for_no_other(
    database_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(Database(database_url))
    store.schema.ensure()
    now = [1_000_000.0]
    me, other = Processes(store=store, clock=lambda: now[0]), Processes(store=store, clock=lambda: now[0])
    monkeypatch.setattr(processes, "ACK_WAIT_SECONDS", 0.2)

    async def scenario() -> None:
        await other.beat({"fault_version": 3, "runtime_version": -1})  # faults applied; runtime not yet settled
        await me.wait_applied("fault_version", 3, what="fault rules")  # applied: no wait, nothing logged
        assert await me.others_settled("fault_version") == [other.id]
        assert await me.others_settled("runtime_version") == []
        with caplog.at_level(logging.WARNING, logger="emulator.processes"):
            await me.wait_applied("runtime_version", 1, what="runtime configuration")  # stuck: waits, then logs
        assert [r.getMessage() for r in caplog.records] == [
            "runtime configuration: 1 process(es) did not apply version 1 within 0.2s (stuck, or their clock"
            f" differs): {other.id}"
        ]
        caplog.clear()
        now[0] += STALE_SECONDS + 0.001  # its heartbeat is stale: killed, or frozen
        await me.wait_applied("fault_version", 4, what="fault rules")
        assert await me.others_settled("fault_version") == []
        now[0] -= STALE_SECONDS  # fresh again; then it stops and leaves
        assert await me.others_settled("fault_version") == [other.id]
        await other.leave()
        assert await me.others_settled("fault_version") == []
        await me.wait_applied("fault_version", 4, what="fault rules")
        assert caplog.records == []

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_a_server_registers_when_it_starts_and_leaves_when_it_stops(make_settings: Any) -> None:
    settings = make_settings()
    first, second = create_app(settings), create_app(settings)
    try:
        seen_by_second = second.service.fault_sync.processes
        assert seen_by_second is not None
        first_id = first.service.fault_sync.processes.id  # type: ignore[union-attr]
        # Registered and settled before start-up returned: versions 0, nothing stored yet.
        assert asyncio.run(seen_by_second.others_settled("runtime_version")) == [first_id]
        first.service.close()
        assert asyncio.run(seen_by_second.others_settled("runtime_version")) == []
    finally:
        second.service.close()


@pytest.mark.parametrize("args", [(), ("--workers", "2")], ids=["one process", "two workers"])
def test_server_processes_leave_when_they_stop(database_url: str, args: tuple[str, ...]) -> None:
    """A stopped server is not waited for: its row goes with it (it used to stay until its heartbeat went stale, and
    a plain `serve` started just after a `serve --model-server` took it for a live one and adopted its table)."""
    env = {**os.environ, "SAGEMAKER_EMULATOR_DATABASE_URL": database_url, "SAGEMAKER_EMULATOR_LOG_LEVEL": "warning"}
    store = open_store(Database(database_url))
    watcher = Processes(store=store)
    try:
        with server_process(*args, env=env):
            deadline = time.monotonic() + 10
            while len(asyncio.run(watcher.others_settled("fault_version"))) < max(1, len(args)):
                assert time.monotonic() < deadline, "the workers never registered"
                time.sleep(0.05)
        assert asyncio.run(watcher.others_settled("fault_version")) == []
    finally:
        store.close()
