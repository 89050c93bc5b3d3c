"""The schema on a SQLite file at start-up, without SQLAlchemy: found at head, or built on an empty file.

A server usually starts on a database at head or on an empty file. Both are handled here with driver SQL, in one
BEGIN IMMEDIATE transaction (the file's write lock, so processes starting together build it once). Anything else,
an older schema, goes to Alembic (emulator/store/migrate.py). SCHEMA is the DDL SQLAlchemy emits for tables.py
and the Alembic version table, word for word: tests/test_migrations.py holds the two schemas equal.
"""

from __future__ import annotations

import sqlite3

# The newest migration script's revision; a test holds it equal to what Alembic finds in ./migrations.
HEAD = "0002"

SCHEMA = (
    "CREATE TABLE model_counts (\n\taccount_id VARCHAR(12) NOT NULL, \n\tregion VARCHAR(64) NOT NULL, \n\t"
    "count INTEGER NOT NULL, \n\tPRIMARY KEY (account_id, region)\n)",
    "CREATE TABLE models (\n\tid INTEGER NOT NULL, \n\taccount_id VARCHAR(12) NOT NULL, \n\t"
    "region VARCHAR(64) NOT NULL, \n\tname VARCHAR(63) NOT NULL, \n\tname_lower VARCHAR(63) NOT NULL, \n\t"
    "creation_ms BIGINT NOT NULL, \n\tdefinition TEXT NOT NULL, \n\tPRIMARY KEY (id), \n\t"
    "CONSTRAINT uq_models_scope_name UNIQUE (account_id, region, name_lower)\n)",
    "CREATE INDEX ix_models_scope_name ON models (account_id, region, name, id)",
    "CREATE INDEX ix_models_scope_time ON models (account_id, region, creation_ms, id)",
    'CREATE TABLE model_tags (\n\tmodel_id INTEGER NOT NULL, \n\t"key" VARCHAR(128) NOT NULL, \n\t'
    'value VARCHAR(256) NOT NULL, \n\tposition INTEGER NOT NULL, \n\tPRIMARY KEY (model_id, "key"), \n\t'
    "FOREIGN KEY(model_id) REFERENCES models (id) ON DELETE CASCADE\n)",
    "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\t"
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)",
)
# As SQLAlchemy's inspector lists a SQLite file's tables.
_TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"


def ensure_at_head(conn: sqlite3.Connection) -> bool:
    """True when the schema is at head afterwards: it was, or the file was empty and now holds it. False (nothing
    changed) for a schema that Alembic's scripts must upgrade. conn is in autocommit mode (isolation_level None)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = {row[0] for row in conn.execute(_TABLES_SQL)}
        if "alembic_version" in tables:
            stamped = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            at_head = stamped == [(HEAD,)]
        elif not tables:
            for statement in SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (HEAD,))
            at_head = True
        else:
            at_head = False
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT" if at_head else "ROLLBACK")
    return at_head
