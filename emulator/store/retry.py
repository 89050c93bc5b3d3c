"""What a database error means for a request: retry it, re-create the schema, or answer 503.

Transient errors (PostgreSQL serialization failure or deadlock, SQLite busy or locked) are retried here with
a short jittered back-off, so clients never see them. A database that cannot be reached is AWS's
ServiceUnavailable (503), which every AWS SDK retries on its own; the next request tries the database again.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from emulator.errors import ServiceUnavailable
from emulator.store.database import driver_error, sqlalchemy_errors
from emulator.store.schema import SchemaGate

log = logging.getLogger("emulator.store")

ATTEMPTS = 10
_PG_TRANSIENT = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_PG_NO_TABLE = "42P01"  # undefined_table
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class DatabaseUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("The service is unavailable because its database cannot be reached. Please try again.")


def is_unreachable(exc: BaseException) -> bool:
    """An operational failure (cannot connect, disk I/O, locked past every retry): the database is away."""
    if isinstance(exc, sqlite3.OperationalError):
        return True
    errors = sqlalchemy_errors()
    return errors is not None and isinstance(exc, errors.OperationalError)


def is_pool_timeout(exc: BaseException) -> bool:
    errors = sqlalchemy_errors()
    return errors is not None and isinstance(exc, errors.TimeoutError)


def is_transient(orig: BaseException) -> bool:
    if getattr(orig, "sqlstate", None) in _PG_TRANSIENT:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


def is_missing_table(orig: BaseException) -> bool:
    """The schema vanished under a running server (a database dropped and re-created): migrate again."""
    return getattr(orig, "sqlstate", None) == _PG_NO_TABLE or "no such table" in str(orig)


class HasSchema(Protocol):
    schema: SchemaGate


S = TypeVar("S", bound=HasSchema)
P = ParamSpec("P")
T = TypeVar("T")


def retrying(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Wraps a Store method that is one whole transaction, so running it again is safe."""

    @wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                self.schema.ensure()
                return method(self, *args, **kwargs)
            except Exception as exc:
                orig = driver_error(exc)
                if orig is None:
                    if is_pool_timeout(exc):
                        log.error("no database connection free: %s", exc)
                        raise DatabaseUnavailable() from exc
                    raise
                if attempt < ATTEMPTS and is_transient(orig):
                    time.sleep(random.uniform(0.5, 1.0) * min(0.002 * 2**attempt, 0.2))
                    continue
                if attempt < ATTEMPTS and is_missing_table(orig) and self.schema.ready:
                    self.schema.ready = False
                    continue
                if is_unreachable(exc):
                    log.error("database error: %s", str(exc).splitlines()[0])
                    raise DatabaseUnavailable() from exc
                raise
        raise AssertionError("unreachable")

    return run
