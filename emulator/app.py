"""create_app(settings) builds everything: database, schema (at head), store, the AWS wire app, the admin API."""

from __future__ import annotations

import sqlite3

from emulator.faults import FaultInjector
from emulator.operations.context import Deps
from emulator.operations.tokens import PageTokens
from emulator.protocol.auth import make_caller_resolver
from emulator.protocol.limits import RequestLimits
from emulator.protocol.wire import ASGIApp, AwsJsonApp, Receive, Scope, Send
from emulator.settings import Settings
from emulator.store.database import Database, DatabaseError, sqlalchemy_errors
from emulator.store.repository import Store


class LazyAdmin:
    """The admin API, built on its first request: importing FastAPI is a third of the server's start-up, and an
    SDK's first call should not wait for it."""

    def __init__(self, deps: Deps, settings: Settings) -> None:
        self.deps, self.settings = deps, settings
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            from emulator.admin import create_admin_api

            self.app = create_admin_api(self.deps, settings=self.settings)
        await self.app(scope, receive, send)


def database_failure(exc: Exception) -> str | None:
    """The first line of a database error, worded as SQLAlchemy words the driver's; None for other errors."""
    if isinstance(exc, sqlite3.Error):
        return f"({type(exc).__module__}.{type(exc).__name__}) {exc}"
    errors = sqlalchemy_errors()  # loaded if the schema went through Alembic
    if errors is not None and isinstance(exc, errors.SQLAlchemyError):
        return str(exc).splitlines()[0]
    return None


def create_app(settings: Settings) -> AwsJsonApp:
    # Configuration errors first, before anything touches the database.
    credentials = settings.credentials()
    limits = settings.limits()  # a bad limits file fails before a database file is created
    faults = FaultInjector(settings.fault_config())
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
    )
    store = Store(database)
    if database.dialect == "sqlite":
        # A local file that cannot be opened is a configuration error, not an outage: fail at start-up.
        try:
            store.schema.ensure_at_start()
        except Exception as exc:
            reason = database_failure(exc)
            if reason is None:
                raise
            raise DatabaseError(f"cannot open database {settings.database_url}: {reason}") from exc
    else:
        # An unreachable server does not stop ours: requests answer 503 until it is back, then it migrates.
        store.schema.try_now()
    deps = Deps(store=store, limits=limits, tokens=PageTokens(settings.token_key), faults=faults)
    resolve_caller = make_caller_resolver(
        credentials,
        default_account=settings.account_id,
        default_region=settings.region,
        clock=deps.clock,
    )
    return AwsJsonApp(
        deps=deps,
        default_region=settings.region,
        default_account=settings.account_id,
        fallback=LazyAdmin(deps, settings),
        resolve_caller=resolve_caller,
        request_limits=RequestLimits(
            max_body_bytes=settings.max_request_bytes,
            max_json_depth=settings.max_json_depth,
            body_timeout=settings.request_body_timeout,
        ),
    )
