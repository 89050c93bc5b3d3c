"""What one durable SQLite commit costs on this disk: the ceiling of CreateModel when every 200 is on disk.

Run: python -m bench.fsync [--commits 200] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path


def commit_loop(path: Path, *, commits: int, synchronous: str) -> float:
    """Mean seconds per committed single-row INSERT in WAL mode with the given synchronous setting."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
    body = "x" * 900  # about one CreateModel definition
    started = time.perf_counter()
    for _ in range(commits):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", (body,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed / commits


def raw_fsync(path: Path, *, writes: int) -> float:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        started = time.perf_counter()
        for _ in range(writes):
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
        return (time.perf_counter() - started) / writes
    finally:
        os.close(fd)


def measure(directory: Path, *, commits: int = 200) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        full = commit_loop(Path(tmp) / "full.db", commits=commits, synchronous="FULL")
        normal = commit_loop(Path(tmp) / "normal.db", commits=commits, synchronous="NORMAL")
        fsync = raw_fsync(Path(tmp) / "raw", writes=commits)
    return {
        "commits": commits,
        "wal_full_commit_ms": round(full * 1000, 3),
        "wal_full_commits_per_s": round(1 / full, 1),
        "wal_normal_commit_ms": round(normal * 1000, 3),
        "raw_write_fsync_ms": round(fsync * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fsync")
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    for key, value in measure(args.dir, commits=args.commits).items():
        print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
