"""A container run as a local process, from the operator's command: its model data fetched into the model directory,
the command started on a port of its own, pinged until it answers, stopped. The supervisor (supervisor.py) runs
endpoints' containers with it, for as long as their endpoint wants them; a transform job's runner runs its model's
for the job's length (emulator/transform/job_run.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.containers.commands import argv
from emulator.containers.specs import ContainerSpec
from emulator.runtime.model_servers import ModelServers

if TYPE_CHECKING:
    from emulator.model_data.cache import ModelDataCache

log = logging.getLogger("emulator.containers")

# A container asked to stop gets SIGTERM, then SIGKILL this much later (AWS: 30 s).
STOP_GRACE = 5.0
# Pings while a container starts.
PING_INTERVAL = 0.01

# Linux: the container dies with the process that started it, even one killed with SIGKILL (PR_SET_PDEATHSIG), so
# a killed emulator leaves no orphans holding ports; the new owner starts the container again.
LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "if os.getppid() != int(sys.argv[1]): os._exit(1)\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


def launched(command: list[str]) -> list[str]:
    if sys.platform.startswith("linux"):
        return [sys.executable, "-c", LAUNCHER, str(os.getpid()), *command]
    return command


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_file_text(environment: dict[str, str]) -> str:
    """Docker's --env-file format: VAR=VAL lines (a value cannot hold a line break there: such a variable is left to
    the process's own environment)."""
    return "".join(f"{name}={value}\n" for name, value in environment.items() if "\n" not in value + name)


class DownloadFailed(Exception):
    """The container's model data cannot be downloaded: `reason` is AWS's FailureReason, `detail` for the log."""

    def __init__(self, *, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Started:
    """A container's process, started: `exited` ends when it exits; stop() ends it."""

    name: str
    url: str
    proc: asyncio.subprocess.Process
    exited: asyncio.Task[int]
    forward: asyncio.Task[None] = field(repr=False)

    async def healthy(self, *, servers: ModelServers, timeout: float) -> bool:
        """Whether it answers /ping with 200 within `timeout` seconds, before it exits."""
        deadline = time.monotonic() + timeout
        while not self.exited.done():
            if await servers.ping(self.url):
                log.info("containers: %s: healthy at %s", self.name, self.url)
                return True
            if time.monotonic() >= deadline:
                log.warning("containers: %s: no 200 from /ping within %gs", self.name, timeout)
                return False
            await asyncio.wait([self.exited], timeout=PING_INTERVAL)
        log.warning("containers: %s: exited with code %s before answering /ping", self.name, self.proc.returncode)
        return False

    async def stop(self) -> None:
        """SIGTERM to the container's process group, SIGKILL STOP_GRACE seconds later; returns once it exited."""
        proc = self.proc
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            # proc.wait(), not the `exited` task: a caller cancelled while awaiting that task cancelled it too.
            try:
                async with asyncio.timeout(STOP_GRACE):
                    await proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        # Its output to the end: the transport closes once the pipe is read out and the process has exited.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await asyncio.shield(self.forward)
        self.forward.cancel()


class LocalRuntime:
    """What running a container needs: the host its URL names, the model data cache (its directory worked out when
    first needed: it reads the database URL), and S3."""

    def __init__(
        self, *, host: str, cache_root: Callable[[], Path], s3_endpoint_url: str | None, max_bytes: int
    ) -> None:
        self.host = host
        self._cache_root = cache_root
        self._root: Path | None = None
        self.s3_endpoint_url = s3_endpoint_url
        self.max_bytes = max_bytes
        self._cache: ModelDataCache | None = None
        self._lock = threading.Lock()  # the supervisor's and the transform runner's threads share the cache

    @property
    def cache_root(self) -> Path:
        if self._root is None:
            self._root = self._cache_root()
        return self._root

    async def model_dir(self, spec: ContainerSpec, *, region: str) -> Path:
        """The container's model directory, its data downloaded if not cached; DownloadFailed with AWS's reason."""
        data = spec.data()
        if data is None:
            empty = self.cache_root / "empty"
            empty.mkdir(parents=True, exist_ok=True)
            return empty
        # Loaded only once a container has model data to fetch (start-up is measured).
        from emulator.model_data.cache import ModelDataCache, ModelDataDownloadFailed
        from emulator.model_data.s3 import S3Reader

        with self._lock:
            if self._cache is None:
                reader = S3Reader.from_environment(setting=self.s3_endpoint_url)
                self._cache = ModelDataCache(root=self.cache_root, s3=reader, max_bytes=self.max_bytes)
        try:
            return await self._cache.model_dir(data, container=spec.position, region=region)
        except ModelDataDownloadFailed as exc:
            raise DownloadFailed(reason=exc.reason, detail=exc.detail) from exc

    async def start(
        self, spec: ContainerSpec, *, model_dir: Path, name: str, environment: dict[str, str] | None = None
    ) -> Started | None:
        """Starts the container's command (None when it cannot be started: logged). `environment`: variables the
        caller adds to the container's own (a transform job's)."""
        if spec.image.startswith("-"):
            # The image comes from a request: as a word of the operator's command it must never read as an option.
            log.warning("containers: %s: the image %r starts with '-': not run", name, spec.image)
            return None
        port = free_port()
        run_dir = self.cache_root / "runs" / spec.key
        run_dir.mkdir(parents=True, exist_ok=True)
        # The container's Environment, as SageMaker passes it; the local process also gets its port, which a
        # container under Docker must not (it listens on 8080 inside, mapped to the port).
        container_env = {**spec.environment, **(environment or {})}
        env_file = run_dir / "env"
        env_file.write_text(env_file_text(container_env))
        command = argv(spec.command, port=port, model_dir=str(model_dir), image=spec.image, env_file=str(env_file))
        log.info("containers: %s: starting %s on port %d", name, command, port)
        try:
            proc = await asyncio.create_subprocess_exec(
                *launched(command),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, **container_env, "SAGEMAKER_BIND_TO_PORT": str(port)},
                start_new_session=True,
            )
        except OSError as exc:
            log.warning("containers: %s: cannot start %s: %s", name, command, exc)
            return None
        loop = asyncio.get_running_loop()
        return Started(
            name=name,
            url=f"http://{self.host}:{port}",
            proc=proc,
            exited=loop.create_task(proc.wait()),
            forward=loop.create_task(_forward(proc, name)),
        )


async def _forward(proc: asyncio.subprocess.Process, name: str) -> None:
    """The container's output, a log line each (CloudWatch's part on AWS)."""
    assert proc.stdout is not None
    while line := await proc.stdout.readline():
        log.info("containers: %s: %s", name, line.decode("utf-8", "replace").rstrip())
