"""Engine creation: the dialect differences (transaction start, pool) live here; SQLite's pragmas in database.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from emulator.store.database import SQLITE_TIMEOUT_SECONDS, DatabaseError, check_sqlite_directory, configure_sqlite

# PostgreSQL: fail a connection attempt to a vanished host fast enough to answer 503, not hang the request.
PG_CONNECT_TIMEOUT_SECONDS = 5
# Our statements take milliseconds; one that runs longer is waiting on a lock held by a stuck client: cancel it (503).
PG_STATEMENT_TIMEOUT_MS = 10_000
# A client that froze inside a transaction gets it ended by the server, so its row locks stop blocking everyone else.
PG_IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000
# Data written into a frozen path and never acknowledged fails the connection after this (Linux TCP_USER_TIMEOUT):
# the bound for a query sent on an already-open pooled connection, which no other option covers.
PG_TCP_USER_TIMEOUT_MS = 10_000
# A pooled connection whose peer vanished while idle is found dead after 5 + 3 * 2 = 11 s of unanswered probes.
PG_KEEPALIVES_IDLE_SECONDS = 5
PG_KEEPALIVES_INTERVAL_SECONDS = 2
PG_KEEPALIVES_COUNT = 3

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


def pg_connect_args(url: URL) -> dict[str, Any]:
    """libpq options that bound every call on a connection (constants above); the URL's own `options` are kept."""
    given = url.query.get("options", ())
    # connect_args win over the URL's query, so the URL's options (e.g. a search_path) are kept, ours after them.
    options = [given] if isinstance(given, str) else list(given)
    options.append(f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}")
    options.append(f"-c idle_in_transaction_session_timeout={PG_IDLE_IN_TRANSACTION_TIMEOUT_MS}")
    return {
        "connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
        "options": " ".join(options),
        "keepalives": 1,
        "keepalives_idle": PG_KEEPALIVES_IDLE_SECONDS,
        "keepalives_interval": PG_KEEPALIVES_INTERVAL_SECONDS,
        "keepalives_count": PG_KEEPALIVES_COUNT,
        "tcp_user_timeout": PG_TCP_USER_TIMEOUT_MS,
    }


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30) -> Engine:
    parsed = parse_database_url(url)
    pool: dict[str, Any] = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() != "sqlite":
        # READ COMMITTED (the default) suffices: the conditional UPDATE re-checks its WHERE on the locked row.
        # pre_ping replaces connections that died with a database restart before a request uses them.
        return create_engine(parsed, pool_pre_ping=True, connect_args=pg_connect_args(parsed), **pool)
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
