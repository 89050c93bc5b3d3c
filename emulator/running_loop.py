"""asyncio.get_running_loop() without its system call.

On Python 3.11 every get_running_loop(), and so every current_task() without a loop, calls getpid() to notice a
fork: a system call, 4-5% of a DescribeModel's server CPU here (py-spy). A thread runs one loop at a time, so the
loop found once stays this thread's running loop for as long as it runs.
"""

from __future__ import annotations

import asyncio
import threading

_local = threading.local()


def running_loop() -> asyncio.AbstractEventLoop:
    """The event loop running in this thread (RuntimeError if none), as asyncio.get_running_loop()."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or not loop.is_running():
        loop = _local.loop = asyncio.get_running_loop()
    return loop
