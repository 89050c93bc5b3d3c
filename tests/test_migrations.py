"""Schema migrations: a database built by the first release upgrades without losing rows; the scripts build exactly
the schema the code declares; `sagemaker-emulator migrate` reports what it did."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, inspect, text

from emulator.settings import Settings
from emulator.store.database import Database, make_engine
from emulator.store.migrate import HEAD, current_revision, head_revision, upgrade
from emulator.store.schema import ensure_at_head
from emulator.store.tables import metadata
from tests.databases import BACKENDS, fresh_database
from tests.support import as_described, running_server, sagemaker_client

# Every table a database at head holds: the declared ones and Alembic's.
TABLES = {*metadata.tables, "alembic_version"}

DEFINITION = json.dumps({"PrimaryContainer": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}})


def insert_old_model(conn: Any, region: str, name: str, tags: list[tuple[str, str]]) -> int:
    model_id: int = conn.execute(
        text(
            "INSERT INTO models (account_id, region, name, name_lower, creation_ms, definition)"
            " VALUES ('123456789012', :region, :name, :lower, 1700000000123, :definition) RETURNING id"
        ),
        {"region": region, "name": name, "lower": name.lower(), "definition": DEFINITION},
    ).scalar_one()
    for position, (key, value) in enumerate(tags):
        conn.execute(
            text("INSERT INTO model_tags (model_id, key, value, position) VALUES (:id, :key, :value, :position)"),
            {"id": model_id, "key": key, "value": value, "position": position},
        )
    return model_id


@pytest.mark.parametrize("release", ["0001", "0002"])
def test_a_database_of_an_older_release_upgrades_with_its_rows(database_url: str, release: str) -> None:
    """0001: models and tags; 0002 added the count rows; 0003 moved everything into the tables of every kind."""
    engine = make_engine(database_url)
    upgrade(engine, release)
    assert current_revision(engine) == release
    with engine.begin() as conn:
        first = insert_old_model(conn, "us-east-1", "Old-One", [("team", "a"), ("env", "prod")])
        insert_old_model(conn, "us-east-1", "old-two", [])
        third = insert_old_model(conn, "eu-west-1", "Old-One", [("team", "b")])
        if release == "0002":
            conn.execute(
                text(
                    "INSERT INTO model_counts (account_id, region, count) VALUES (:a, 'us-east-1', 2), (:a, 'eu-west-1', 1)"
                ),
                {"a": "123456789012"},
            )
    engine.dispose()

    # The server upgrades at start-up; the limit of 3 models per scope counts the 2 old ones in us-east-1.
    with running_server(Settings(database_url=database_url, max_models=3)) as endpoint:
        sm = sagemaker_client(endpoint)
        described = sm.describe_model(ModelName="old-one")
        assert described["ModelName"] == "Old-One"
        assert described["ModelArn"] == "arn:aws:sagemaker:us-east-1:123456789012:model/old-one"
        assert described["CreationTime"].timestamp() == 1700000000.123
        assert described["PrimaryContainer"] == as_described(
            {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}
        )
        assert sagemaker_client(endpoint, region="eu-west-1").describe_model(ModelName="OLD-ONE")["ModelName"] == (
            "Old-One"
        )
        assert sm.list_tags(ResourceArn=described["ModelArn"])["Tags"] == [
            {"Key": "team", "Value": "a"},
            {"Key": "env", "Value": "prod"},
        ]
        # A new model gets an id of its own (on PostgreSQL the sequence was moved past the kept ids).
        sm.create_model(ModelName="new-one", PrimaryContainer={"Image": "i"})
        with pytest.raises(ClientError) as raised:
            sm.create_model(ModelName="new-two", PrimaryContainer={"Image": "i"})
        assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"
        assert "with current utilization of 3 Models" in raised.value.response["Error"]["Message"]
        assert [m["ModelName"] for m in sm.list_models(SortBy="Name", SortOrder="Ascending")["Models"]] == [
            "Old-One",
            "new-one",
            "old-two",
        ]

    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision()
    assert not {"models", "model_tags", "model_counts"} & set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        counts = conn.execute(text("SELECT kind, account_id, region, count FROM resource_counts ORDER BY region")).all()
        tags = conn.execute(text("SELECT resource_id, key, value, position FROM tags ORDER BY resource_id, position"))
        assert [tuple(r) for r in counts] == [
            ("model", "123456789012", "eu-west-1", 1),
            ("model", "123456789012", "us-east-1", 3),
        ]
        assert [tuple(r) for r in tags] == [
            (first, "team", "a", 0),
            (first, "env", "prod", 1),
            (third, "team", "b", 0),
        ]
    engine.dispose()


def test_0009_adds_the_model_command_table_beside_the_runtime_configuration_a_database_holds(
    database_url: str,
) -> None:
    """A database at 0008 keeps its runtime configuration: the row's version and model server table, and canned
    answers; no model command table is stored until a server stores one."""
    engine = make_engine(database_url)
    upgrade(engine, "0008")
    servers = json.dumps({"img": "http://127.0.0.1:9"})
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO runtime_config (id, version, model_servers) VALUES (1, 7, :servers)"),
            {"servers": servers},
        )
        conn.execute(
            text(
                "INSERT INTO canned_sets (account_id, region, endpoint_name, variant_name, mode, answers, given)"
                " VALUES ('123456789012', 'us-east-1', 'e', '', 'queue', 2, 1)"
            )
        )
    upgrade(engine, "0009")
    with engine.connect() as conn:
        config = conn.execute(text("SELECT id, version, model_servers, model_commands FROM runtime_config")).all()
        assert [tuple(row) for row in config] == [(1, 7, servers, None)]
    engine.dispose()

    # A server with the same model servers and a model command table stores only the latter, in one change.
    command = "python serve.py --port {port} --model-dir {model_dir}"
    settings = Settings(
        database_url=database_url, model_servers={"img": "http://127.0.0.1:9"}, model_commands={"*": command}
    )
    with running_server(settings) as endpoint:
        assert httpx.get(f"{endpoint}/_emulator/modelservers").json() == {"img": "http://127.0.0.1:9"}
        assert httpx.get(f"{endpoint}/_emulator/modelcommands").json() == {"*": command}
        assert httpx.get(f"{endpoint}/_emulator/answers").json() == [
            {
                "account_id": "123456789012",
                "region": "us-east-1",
                "endpoint_name": "e",
                "variant_name": None,
                "mode": "queue",
                "remaining": 1,
                "given": 1,
            }
        ]
    engine = make_engine(database_url)
    with engine.connect() as conn:
        config = conn.execute(text("SELECT id, version, model_servers, model_commands FROM runtime_config")).all()
        assert [tuple(row) for row in config] == [(1, 8, servers, json.dumps({"*": command}))]
    engine.dispose()


def schema_of(url: str) -> dict[str, Any]:
    """Everything the database says about its tables, the version table included, in a comparable form."""
    engine = make_engine(url)
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        schema[table] = {
            "columns": [{**column, "type": repr(column["type"])} for column in inspector.get_columns(table)],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": inspector.get_foreign_keys(table),
            "indexes": sorted(inspector.get_indexes(table), key=lambda index: str(index["name"])),
            "unique": sorted(inspector.get_unique_constraints(table), key=lambda unique: str(unique["name"])),
        }
    with engine.connect() as conn:
        schema["version"] = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    return schema


def test_head_is_the_scripts_head() -> None:
    assert HEAD == head_revision()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_database_built_at_head_has_the_schema_the_scripts_build(backend: str, tmp_path: Path) -> None:
    """Start-up builds an empty database from the declared tables and stamps it; the scripts must agree exactly."""
    (tmp_path / "built").mkdir()
    (tmp_path / "migrated").mkdir()
    with (
        fresh_database(backend, tmp_path / "built") as built,
        fresh_database(backend, tmp_path / "migrated") as migrated,
    ):
        upgrade(make_engine(built))  # "head" on an empty database: create_all and stamp
        upgrade(make_engine(migrated), HEAD)  # a named revision always runs the scripts
        assert schema_of(built) == schema_of(migrated)
        assert schema_of(built)["version"] == [HEAD]
        assert set(schema_of(built)) == {*TABLES, "version"}


def sqlite_master(path: Path) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def test_a_sqlite_file_built_without_sqlalchemy_has_the_schema_sqlalchemy_and_the_scripts_build(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw.db"
    conn = Database(f"sqlite:///{raw}").connect_sqlite()
    assert ensure_at_head(conn) is True  # an empty file: built
    assert ensure_at_head(conn) is True  # at head: nothing to do
    conn.close()
    upgrade(make_engine(f"sqlite:///{tmp_path / 'created.db'}"))  # create_all and stamp
    upgrade(make_engine(f"sqlite:///{tmp_path / 'scripted.db'}"), HEAD)  # Alembic's scripts
    assert sqlite_master(raw) == sqlite_master(tmp_path / "created.db")  # the DDL, word for word
    assert schema_of(f"sqlite:///{raw}") == schema_of(f"sqlite:///{tmp_path / 'scripted.db'}")


@pytest.mark.parametrize("revision", ["0001", None])
def test_an_older_sqlite_schema_is_left_to_alembic(tmp_path: Path, revision: str | None) -> None:
    """A schema of an older revision, or one made before migrations (no version table), is not touched."""
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    if revision is None:
        metadata.create_all(engine)
    else:
        upgrade(engine, revision)
    engine.dispose()
    before = sqlite_master(path)
    conn = Database(f"sqlite:///{path}").connect_sqlite()
    assert ensure_at_head(conn) is False
    assert not conn.in_transaction
    conn.close()
    assert sqlite_master(path) == before


def test_the_migrations_build_the_schema_the_code_declares(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, HEAD)  # through the scripts, not create_all
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_a_database_made_before_migrations_is_adopted_not_rebuilt(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # how versions before migrations left the schema
        insert_old_model(conn, "us-east-1", "kept", [])
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT kind, name FROM resources")).all() == [("model", "kept")]
    engine.dispose()


def test_migrate_command_creates_then_reports_the_schema(database_url: str) -> None:
    command = [sys.executable, "-m", "emulator", "migrate", "--database-url", database_url]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60)
    second = subprocess.run(command, capture_output=True, text=True, timeout=60)
    shown = make_engine(database_url).url.render_as_string(hide_password=True)
    assert (first.returncode, first.stdout) == (0, f"database {shown} upgraded from revision (empty) to {HEAD}\n")
    assert (second.returncode, second.stdout) == (0, f"database {shown} is at revision {HEAD} (the newest)\n")
    assert set(inspect(create_engine(database_url)).get_table_names()) == TABLES


def test_migrate_command_fails_clearly_when_the_database_cannot_be_reached() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "migrate", "--database-url", "postgresql://postgres@127.0.0.1:1/x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "sagemaker-emulator: cannot migrate database postgresql+psycopg://postgres@127.0.0.1:1/x: connection failed:"
    )
    assert "Traceback" not in done.stderr


def test_the_sqlite_ddl_matches_a_fresh_run_of_its_generator() -> None:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent.parent / "scripts" / "generate_sqlite_ddl.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
