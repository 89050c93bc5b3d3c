"""How long POST /_emulator/reset takes while CreateModel runs flat out (issue 27), and how long creates stall meanwhile.

    python -m bench.reset_load --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python -m bench.reset_load --database-url sqlite:///tmp/reset.db

A PostgreSQL URL gets a fresh schema of its own (dropped at the end). One server process (`serve`), `--writers`
threads each sending CreateModel on a keep-alive connection in a loop (with `--deletes`, each create followed
by a DeleteModel of the writer's previous model, as a test suite's set-up and tear-down), and one client resetting every `--every`
seconds, `--resets` times; then the same resets with no load (idle). Prints median and max reset latency under load
and idle, and the slowest create.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.servers import free_port

CREATE = {"X-Amz-Target": "SageMaker.CreateModel", "Content-Type": "application/x-amz-json-1.1"}
DELETE = {"X-Amz-Target": "SageMaker.DeleteModel", "Content-Type": "application/x-amz-json-1.1"}
IMAGE = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}


@contextmanager
def database(url: str) -> Iterator[str]:
    if not url.startswith("postgres"):
        yield url
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def server(url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SAGEMAKER_EMULATOR_DATABASE_URL": url, "SAGEMAKER_EMULATOR_LOG_LEVEL": "warning"}
    cmd = [sys.executable, "-m", "emulator", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(endpoint + "/_emulator/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not become ready")
            time.sleep(0.05)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def resets(admin: httpx.Client, endpoint: str, *, count: int, every: float) -> list[float]:
    taken = []
    for _ in range(count):
        time.sleep(every)
        started = time.monotonic()
        answer = admin.post(endpoint + "/_emulator/reset")
        taken.append((time.monotonic() - started) * 1000)
        assert answer.status_code == 200, answer.text
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--resets", type=int, default=20)
    parser.add_argument("--every", type=float, default=0.3)
    parser.add_argument("--deletes", action="store_true", help="each writer deletes its previous model too")
    args = parser.parse_args()
    with database(args.database_url) as url, server(url) as endpoint, httpx.Client(timeout=60) as admin:
        stop = threading.Event()
        creates: list[float] = []
        deletes: list[float] = []
        failed: list[int] = []

        def write(worker: int) -> None:
            with httpx.Client(timeout=60) as client:
                i = 0
                while not stop.is_set():
                    body = {"ModelName": f"load-{worker}-{i}", "PrimaryContainer": IMAGE}
                    started = time.monotonic()
                    answer = client.post(endpoint + "/", json=body, headers=CREATE)
                    creates.append((time.monotonic() - started) * 1000)
                    if answer.status_code != 200:
                        failed.append(answer.status_code)
                    if args.deletes and i:
                        started = time.monotonic()
                        answer = client.post(
                            endpoint + "/", json={"ModelName": f"load-{worker}-{i - 1}"}, headers=DELETE
                        )
                        deletes.append((time.monotonic() - started) * 1000)
                        if answer.status_code not in (200, 400):  # 400: the reset deleted it first
                            failed.append(answer.status_code)
                    i += 1

        writers = [threading.Thread(target=write, args=(n,)) for n in range(args.writers)]
        for thread in writers:
            thread.start()
        try:
            loaded = resets(admin, endpoint, count=args.resets, every=args.every)
        finally:
            stop.set()
            for thread in writers:
                thread.join()
        idle = resets(admin, endpoint, count=args.resets, every=0.05)
    print(f"database: {args.database_url.split(':')[0]}, {args.writers} writers, {len(creates)} creates")
    print(f"reset under load: median {statistics.median(loaded):.0f} ms, max {max(loaded):.0f} ms")
    print(f"reset idle:       median {statistics.median(idle):.0f} ms, max {max(idle):.0f} ms")
    print(f"create: median {statistics.median(creates):.1f} ms, max {max(creates):.0f} ms, failed {len(failed)}")
    if deletes:
        print(f"delete: median {statistics.median(deletes):.1f} ms, max {max(deletes):.0f} ms")


if __name__ == "__main__":
    main()
