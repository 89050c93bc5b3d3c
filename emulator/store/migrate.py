"""Creating and upgrading the schema with the Alembic scripts in ./migrations, safely from many processes at once.

Every replica (and every --workers process) upgrades at start-up. One transaction does it under a lock: on
PostgreSQL a transaction-scoped advisory lock, on SQLite BEGIN IMMEDIATE (the database's write lock). The
first process migrates; the others wait, then find the schema at head and do nothing.

Alembic is imported only when there is something to migrate. A server's start-up usually finds the schema at
head, or an empty database, which it builds as Alembic's cookbook says ("Building an Up to Date Database from
Scratch"): create_all from the declared tables, then stamp head. tests/test_migrations.py proves that schema is
the one the scripts build, and that HEAD is the scripts' head. Importing Alembic (and Mako, and Pygments) was a
quarter of the start-up. On a plain SQLite file those two cases do not reach this module at all
(emulator/store/schema.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table, inspect, text
from sqlalchemy.exc import DBAPIError

from emulator.store.database import DatabaseError, make_engine
from emulator.store.sqlite_ddl import HEAD
from emulator.store.tables import metadata

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD", "current_revision", "head_revision", "migrate_command", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic's own version table, as its migration context creates it.
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
# An arbitrary 64-bit key that names "the emulator's schema migration" among advisory locks.
ADVISORY_LOCK_KEY = 0x5A6E_4D49_4752_4154


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The head as Alembic reads it from the scripts (HEAD is the fast answer)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return stamped_revision(conn)


def stamped_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE.name):
        return None
    return conn.execute(VERSION_TABLE.select()).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest) in one locked transaction."""
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        if revision == "head":
            current = stamped_revision(conn)
            if current == HEAD:
                return  # the usual start-up: nothing to do, nothing to log
            if current is None and not inspect(conn).get_table_names():
                build_at_head(conn)
                return
        run_scripts(conn, revision)


def build_at_head(conn: Connection) -> None:
    """An empty database: the declared tables, stamped with the newest revision, in the caller's transaction."""
    metadata.create_all(conn)
    VERSION_TABLE.create(conn)
    conn.execute(VERSION_TABLE.insert().values(version_num=HEAD))


def run_scripts(conn: Connection, revision: str) -> None:
    """Alembic's upgrade through the scripts, on the caller's connection and transaction."""
    from alembic import command

    config = alembic_config(conn)
    stamp_unversioned(conn, config)
    command.upgrade(config, revision)


def stamp_unversioned(conn: Connection, config: Config) -> None:
    """Versions before migrations made their tables with create_all: record which revision such a schema is."""
    from alembic import command

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
