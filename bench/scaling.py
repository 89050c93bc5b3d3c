"""How throughput grows with `serve --workers N`, on SQLite and (when a URL is given) on PostgreSQL.

    python -m bench.scaling [--workers 1,2,4] [--duration 4] [--postgres-url postgresql+psycopg://postgres@127.0.0.1/test]

Each run starts the real CLI with N workers on a fresh store, creates the DescribeModel set, then drives it with the
bench's wrk scripts (8 connections): CreateModel with unique names, then DescribeModel. Prints one row per store and
worker count. PostgreSQL runs in a new schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.load import run_wrk
from bench.run import wrk_args
from bench.seed import create_over_http
from bench.servers import answers, emulator_serve, free_port, stop_process
from bench.workload import DESCRIBE_COUNT, DESCRIBE_PREFIX


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextmanager
def emulator(database_url: str, workers: int, workdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    cmd = [*emulator_serve(port, database_url), "--workers", str(workers)]
    with (workdir / f"emulator-{port}.log").open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator with {workers} workers did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop_process(proc)


def measure(database_url: str, workers: int, duration: int, workdir: Path) -> dict[str, float]:
    with emulator(database_url, workers, workdir) as (url, pid):
        create_over_http(url, [f"{DESCRIBE_PREFIX}{i}" for i in range(DESCRIBE_COUNT)])
        out = {}
        for scenario in ("create", "describe"):
            result = run_wrk(url, wrk_args(scenario, f"{scenario[0]}{workers}"), duration=duration, server_pid=pid)
            if result.non_2xx or result.socket_errors:
                raise RuntimeError(f"{scenario} with {workers} workers: {result.non_2xx} non-2xx answers")
            out[scenario] = result.rps
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker counts (default 1,2,4)")
    parser.add_argument("--duration", type=int, default=4, help="seconds per scenario (default 4)")
    parser.add_argument("--postgres-url", default=os.environ.get("SAGEMAKER_EMULATOR_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"{'store':10} {'workers':>7} {'create req/s':>13} {'describe req/s':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for workers in counts:
            row = measure(f"sqlite:///{workdir / f'w{workers}.db'}", workers, args.duration, workdir)
            print(f"{'sqlite':10} {workers:7} {row['create']:13.1f} {row['describe']:15.1f}", flush=True)
        if args.postgres_url:
            for workers in counts:
                with postgres_schema(args.postgres_url) as url:
                    row = measure(url, workers, args.duration, workdir)
                print(f"{'postgresql':10} {workers:7} {row['create']:13.1f} {row['describe']:15.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
