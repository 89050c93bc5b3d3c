"""How a request tells this process's transform runner (emulator/admin/job_runner.py) to look at the store now, rather
than at its next periodic scan: CreateTransformJob and StopTransformJob call wake() on the serving loop; the runner,
on its own thread and loop, attaches an event there. Other processes find the change at their next scan."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def attach(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        self._loop, self._event = loop, event

    def detach(self) -> None:
        self._loop = self._event = None

    def wake(self) -> None:
        """From any thread; nothing when no runner listens."""
        loop, event = self._loop, self._event
        if loop is None or event is None:
            return
        with contextlib.suppress(RuntimeError):  # the runner's loop closed meanwhile
            loop.call_soon_threadsafe(event.set)
