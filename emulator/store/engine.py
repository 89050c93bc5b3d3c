"""Engine creation: the dialect differences (transaction start, pool) live here; SQLite's pragmas in database.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from emulator.store.database import SQLITE_TIMEOUT_SECONDS, DatabaseError, check_sqlite_directory, configure_sqlite

# PostgreSQL: fail a connection attempt to a vanished host fast enough to answer 503, not hang the request.
PG_CONNECT_TIMEOUT_SECONDS = 5

__all__ = ["DatabaseError", "make_engine", "parse_database_url"]


def parse_database_url(url: str) -> URL:
    """sqlite:///path, or PostgreSQL through psycopg 3 (postgresql://, postgres:// and postgresql+psycopg://)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"bad database URL {url!r}: expected sqlite:///path or postgresql+psycopg://...") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise DatabaseError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)}:"
            " expected sqlite:///path or postgresql+psycopg://..."
        )
    return parsed


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30) -> Engine:
    parsed = parse_database_url(url)
    pool: dict[str, Any] = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() != "sqlite":
        # READ COMMITTED (the default) suffices: the conditional UPDATE re-checks its WHERE on the locked row.
        # pre_ping replaces connections that died with a database restart before a request uses them.
        return create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}, **pool
        )
    if parsed.database and parsed.database != ":memory:":
        check_sqlite_directory(parsed.database)
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": SQLITE_TIMEOUT_SECONDS}, **pool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        configure_sqlite(dbapi_conn)  # the begin event below issues BEGIN itself

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so a read-then-write inside one transaction cannot race, and no
        # transaction fails with SQLITE_BUSY_SNAPSHOT when it upgrades from reading to writing.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine
