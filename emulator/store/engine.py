"""Engine creation: the dialect differences (SQLite pragmas, transaction start) live here only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from emulator.store.tables import Base


class DatabaseError(Exception):
    """The database cannot be opened or created (a clear message for the CLI, not a traceback)."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        parent = Path(parsed.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise DatabaseError(f"cannot open database {parsed.database}: directory {parent} does not exist")
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event below issue BEGIN itself (pysqlite's implicit BEGIN is deferred only).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a 200 means the commit reached the disk
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so a read-then-write inside one transaction cannot race.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def create_schema(engine: Engine) -> None:
    try:
        Base.metadata.create_all(engine)
    except Exception as exc:
        raise DatabaseError(f"cannot open database {engine.url.render_as_string(hide_password=True)}: {exc}") from exc
