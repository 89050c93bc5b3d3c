"""running_loop() is asyncio.get_running_loop() without the system call: the loop running in this thread, a new
one once the old one stopped, and an error where none runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
import uvloop

from emulator.running_loop import running_loop


async def both() -> tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]:
    return running_loop(), asyncio.get_running_loop()


@pytest.mark.parametrize("new_loop", [asyncio.new_event_loop, uvloop.new_event_loop])
def test_it_is_the_running_loop_and_follows_a_new_one(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> None:
    seen = []
    for _ in range(2):  # the second loop runs in the same thread after the first one stopped
        loop = new_loop()
        try:
            ours, asyncios = loop.run_until_complete(both())
        finally:
            loop.close()
        assert ours is asyncios is loop
        seen.append(ours)
    assert seen[0] is not seen[1]


def test_each_thread_gets_its_own_loop() -> None:
    found: dict[str, bool] = {}

    def run(name: str) -> None:
        loop = asyncio.new_event_loop()
        try:
            ours, asyncios = loop.run_until_complete(both())
            found[name] = ours is asyncios is loop
        finally:
            loop.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == {"a": True, "b": True}


def test_outside_a_loop_it_raises_as_asyncio_does() -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(both())  # leaves a stopped loop cached for this thread
    finally:
        loop.close()
    with pytest.raises(RuntimeError, match="no running event loop"):
        running_loop()
