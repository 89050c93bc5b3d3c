"""Creating and upgrading the schema with the Alembic scripts in ./migrations, safely from many processes at once.

Every replica (and every --workers process) upgrades at start-up. One transaction does it under a lock: on
PostgreSQL a transaction-scoped advisory lock, on SQLite BEGIN IMMEDIATE (the database's write lock). The
first process migrates; the others wait, then find the schema at head and do nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from emulator.store.engine import DatabaseError, make_engine

MIGRATIONS = Path(__file__).with_name("migrations")
# An arbitrary 64-bit key that names "the emulator's schema migration" among advisory locks.
ADVISORY_LOCK_KEY = 0x5A6E_4D49_4752_4154


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest) in one locked transaction."""
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        config = alembic_config(conn)
        stamp_unversioned(conn, config)
        if revision == "head" and MigrationContext.configure(conn).get_current_revision() == head_revision():
            return  # the usual start-up: nothing to do, nothing to log
        command.upgrade(config, revision)


def stamp_unversioned(conn: Connection, config: Config) -> None:
    """Versions before migrations made their tables with create_all: record which revision such a schema is."""
    inspector = inspect(conn)
    if inspector.has_table("alembic_version") or not inspector.has_table("models"):
        return
    command.stamp(config, "0002" if inspector.has_table("model_counts") else "0001")


def migrate_command(url: str) -> int:
    """`sagemaker-emulator migrate`: upgrade to head and say where the database stands."""
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except DBAPIError as exc:
        raise DatabaseError(f"cannot migrate database {shown}: {str(exc.orig).strip().splitlines()[0]}") from exc
    finally:
        engine.dispose()
    if before == after:
        print(f"database {shown} is at revision {after} (the newest)")
    else:
        print(f"database {shown} upgraded from revision {before or '(empty)'} to {after}")
    return 0
