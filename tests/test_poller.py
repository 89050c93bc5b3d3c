"""The one poller thread of a process keeps fault rules and the runtime's configuration (emulator/admin/poller.py):
one that cannot reach the database neither stops the other nor logs at every poll."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from emulator.admin.poller import Poller


class Kept:
    def __init__(self, what: str, *, failures: int) -> None:
        self.what = what
        self.log = logging.getLogger(f"tests.poller.{what}")
        self.failures = failures  # the first polls that fail
        self.polls = 0
        self.enough = threading.Event()

    async def poll(self) -> None:
        self.polls += 1
        if self.polls >= 6:
            self.enough.set()
        if self.polls <= self.failures:
            raise ConnectionError("database away")


def test_a_failing_poll_neither_stops_the_others_nor_logs_at_every_poll(caplog: pytest.LogCaptureFixture) -> None:
    failing, fine = Kept("fault rules", failures=3), Kept("runtime configuration", failures=0)
    poller = Poller([failing, fine], interval=0.01)
    with caplog.at_level(logging.INFO, logger="tests.poller"):
        poller.start(wait=5)
        assert failing.polls >= 1 and fine.polls >= 1  # start(wait=...) returned after a whole first round
        assert failing.enough.wait(5) and fine.enough.wait(5)
        poller.close()
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("tests.poller.fault rules", "WARNING", "fault rules: cannot read them from the database: database away"),
        ("tests.poller.fault rules", "INFO", "fault rules: the database answers again"),
    ]
    polls = failing.polls, fine.polls
    time.sleep(0.05)
    assert (failing.polls, fine.polls) == polls  # closed: no more polls
