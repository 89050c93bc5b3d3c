"""Starting the servers under test on free 127.0.0.1 ports, timing start-up, reading their memory, stopping them."""

from __future__ import annotations

import compileall
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.seed import AUTHORIZATION
from bench.workload import ACCOUNT_ID, REGION

REPO = Path(__file__).resolve().parent.parent
KINDS = ("floor", "emulator", "moto")
# The model server of the invoke scenario: the example the README gives users (a stdlib ThreadingHTTPServer).
MODEL_SERVER = REPO / "examples" / "model_server" / "server.py"


@dataclass
class Server:
    kind: str
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    startup_s: float
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


def compile_bytecode() -> None:
    """Byte-compile the emulator's sources once, as pip does when it installs a package and as Python does on a
    checkout's first run. Without it, a shell with PYTHONDONTWRITEBYTECODE set (as on the machine this bench was
    written on) recompiles every module at every start, and start-up would time the compiler, not the server."""
    compileall.compile_dir(REPO / "emulator", quiet=1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def emulator_command() -> list[str]:
    """The installed console script next to this interpreter (the real CLI), else the module."""
    script = Path(sys.executable).parent / "sagemaker-emulator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]


def moto_command() -> str | None:
    return shutil.which("moto_server")


def emulator_serve(port: int, database_url: str, model_server: str | None = None) -> list[str]:
    """The emulator's real CLI as the bench runs it: loopback, the bench's account and region, no request log; with
    a model server, it answers every image's invocations."""
    extra = [] if model_server is None else ["--model-server", f"*={model_server}"]
    return [
        *emulator_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--region",
        REGION,
        "--account-id",
        ACCOUNT_ID,
        "--log-level",
        "warning",
        *extra,
    ]


def command(kind: str, port: int, database: Path | None, model_server: str | None = None) -> list[str]:
    if kind == "floor":
        return [sys.executable, "-m", "bench.floor", "--host", "127.0.0.1", "--port", str(port)]
    if kind == "model":
        return [sys.executable, str(MODEL_SERVER), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if kind == "s3":  # the transform scenario's S3: moto's server mode from this interpreter, as the tests start it
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    if kind == "emulator":
        assert database is not None
        return emulator_serve(port, f"sqlite:///{database}", model_server)
    moto = moto_command()
    if kind != "moto" or moto is None:
        raise ValueError(f"cannot start {kind}")
    return [moto, "-H", "127.0.0.1", "-p", str(port)]


def answers(port: int) -> bool:
    """True once the server answers an HTTP request at all (any status: an error is an answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request(
            "POST",
            "/",
            body=b'{"ModelName":"startup-probe"}',
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "SageMaker.DescribeModel",
                "Authorization": AUTHORIZATION,
            },
        )
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def start(
    kind: str,
    *,
    workdir: Path,
    database: Path | None = None,
    model_server: str | None = None,
    environment: dict[str, str] | None = None,
    timeout: float = 60,
) -> Server:
    """Start a server and wait for its first answer; startup_s is from spawning the process to that answer.
    `environment`: variables added to the server's (settings with no flag of their own)."""
    port = free_port()
    log = workdir / f"{kind}-{port}.log"
    env = {**os.environ, "PYTHONPATH": str(REPO), **(environment or {})}
    cmd = command(kind, port, database, model_server)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=out)
    deadline = started + timeout
    while not answers(port):
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        if time.perf_counter() > deadline:
            stop_process(proc)
            raise RuntimeError(f"{kind} did not answer within {timeout} s: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    return Server(kind=kind, url=f"http://127.0.0.1:{port}", port=port, proc=proc, startup_s=elapsed, log=log)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_bytes(pid: int) -> int | None:
    """VmRSS of the process and its children (a launcher may sit between us and the server), or None off Linux."""
    total, seen = 0, False
    for each in descendants(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    seen = True
        except OSError:
            continue
    return total if seen else None
