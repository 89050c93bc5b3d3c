"""Where each run container answers, as every process sees it: the supervisor's last read of the rows (in memory,
so an invocation reads no database), else the row read now (a container that became healthy since)."""

from __future__ import annotations

from collections.abc import Callable

from emulator.containers.local import LocalRuntime
from emulator.store.shared_config import SharedConfig

# A row's statuses whose URL answers: a retired container serves the invocations routed to it before it was retired,
# until it is stopped.
ANSWERING = ("Healthy", "Retired")


class ContainerDirectory:
    """startup_timeout: seconds a container has to answer /ping when its variant sets no
    ContainerStartupHealthCheckTimeoutInSeconds; describe_wait: seconds a DescribeEndpoint waits for starting
    containers (emulator/containers/readiness.py); runtime: how containers are run here (local.py)."""

    def __init__(
        self, *, startup_timeout: float = 480.0, describe_wait: float = 20.0, runtime: LocalRuntime | None = None
    ) -> None:
        self.startup_timeout = startup_timeout
        # How containers run here (a transform job's runner starts its model's with it); None: nowhere to run them.
        self.runtime = runtime
        self.describe_wait = describe_wait
        self.urls: dict[str, str] = {}  # replaced whole by the supervisor's thread, read by the loop
        self.wake: Callable[[], None] = lambda: None  # the supervisor looks at the rows again at once

    async def url(self, key: str, *, store: SharedConfig) -> tuple[str | None, bool]:
        """Where the container answers (None while it does not), and whether it has a row at all."""
        found = self.urls.get(key)
        if found is not None:
            return found, True
        row = await store.container_row(key)
        if row is None:
            return None, False
        return (row.url if row.status in ANSWERING else None), True
