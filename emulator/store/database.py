"""The database a store uses: its URL, SQLite connections straight from the driver, and the SQLAlchemy engine.

Importing SQLAlchemy is a third of the server's start-up, and a plain SQLite file never needs it: the schema check
(emulator/store/schema.py) and every store operation run driver SQL on connections opened here, with the same
pragmas the engine gives its own. The engine, and SQLAlchemy with it, is made on first use: by a schema that
Alembic must upgrade. Any other URL (PostgreSQL, in-memory or URI-style SQLite) gets its engine at once. SQLAlchemy
is imported inside the functions that need it, for the same reason.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

T = TypeVar("T")
# A connection's pragmas, for the engine's connections and the driver's alike.
SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",  # other processes' writers: wait, don't fail
    "PRAGMA journal_mode=WAL",  # readers never block the writer, across processes too
    "PRAGMA synchronous=FULL",  # a 200 means the commit reached the disk
    "PRAGMA foreign_keys=ON",
)
# What SQLAlchemy's pysqlite dialect passes to sqlite3.connect for our engine (make_engine's connect_args).
SQLITE_TIMEOUT_SECONDS = 30
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
# sqlite:///path with nothing SQLAlchemy would decode or pass on (%-escapes, ?query, #fragment).
_PLAIN_SQLITE_URL = re.compile(r"sqlite(?:\+pysqlite)?:///([^?#%]+)")


class DatabaseError(Exception):
    """The database URL cannot be used (a clear message for the CLI, not a traceback)."""


def sqlalchemy_errors() -> ModuleType | None:
    """sqlalchemy.exc if something loaded SQLAlchemy, else None: only code that loaded it raises its errors, so a
    check for them need not import it."""
    return sys.modules.get("sqlalchemy.exc")


def driver_error(exc: BaseException) -> BaseException | None:
    """The driver's error: exc itself from sqlite3, the one SQLAlchemy wrapped, or None for any other error."""
    if isinstance(exc, sqlite3.Error):
        return exc
    errors = sqlalchemy_errors()
    if errors is not None and isinstance(exc, errors.DBAPIError):
        orig: BaseException = exc.orig
        return orig
    return None


def configure_sqlite(conn: sqlite3.Connection) -> None:
    # BEGIN is issued by us (or SQLAlchemy's begin event), never implicitly by pysqlite (deferred only).
    conn.isolation_level = None
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)


def plain_sqlite_file(url: str) -> str | None:
    """The file of a plain sqlite:///path URL, as written; None for any other URL."""
    match = _PLAIN_SQLITE_URL.fullmatch(url)
    if match is None or match.group(1) == ":memory:":
        return None
    return match.group(1)


def check_sqlite_directory(database: str) -> None:
    """sqlite3 would say only 'unable to open database file'; name the missing directory instead."""
    parent = Path(database).expanduser().resolve().parent
    if not parent.is_dir():
        raise DatabaseError(f"cannot open database {database}: directory {parent} does not exist")


class Once(Generic[T]):
    """A value made on first use, once, whichever thread asks first."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self.value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self.value
        if value is None:
            with self._lock:
                if self.value is None:
                    self.value = self._make()
                value = self.value
        return value


class Database:
    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30) -> None:
        self.url = url
        self.pool_size, self.max_overflow, self.pool_timeout = pool_size, max_overflow, pool_timeout
        self._engine = Once(self._make_engine)
        # Absolute, as SQLAlchemy's dialect makes it: a later chdir does not move the database.
        self.sqlite_file: str | None = None
        written = plain_sqlite_file(url)
        if written is not None:
            check_sqlite_directory(written)
            self.sqlite_file = os.path.abspath(written)
            self.dialect = "sqlite"
        else:
            self.dialect = self.engine.dialect.name  # raises DatabaseError for a URL we do not serve

    def _make_engine(self) -> Engine:
        return make_engine(
            self.url, pool_size=self.pool_size, max_overflow=self.max_overflow, pool_timeout=self.pool_timeout
        )

    @property
    def engine(self) -> Engine:
        return self._engine.get()

    def connect_sqlite(self) -> sqlite3.Connection:
        """A SQLite connection of the caller's own (never pooled), with the engine's pragmas."""
        if self.sqlite_file is not None:
            conn = sqlite3.connect(self.sqlite_file, timeout=SQLITE_TIMEOUT_SECONDS, check_same_thread=False)
            configure_sqlite(conn)
            return conn
        fairy = self.engine.raw_connection()
        driver = fairy.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        fairy.detach()  # closing it closes it; settings the caller changes stay out of the pool
        return driver

    def dispose(self) -> None:
        """Closes the engine's pooled connections, if there is an engine."""
        if self._engine.value is not None:
            self._engine.value.dispose()


def parse_database_url(url: str) -> URL:
    """sqlite:///path, or PostgreSQL through psycopg 3 (postgresql://, postgres:// and postgresql+psycopg://)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

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
    from sqlalchemy import create_engine, event

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
