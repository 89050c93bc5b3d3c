"""The CLI's server on a plain SQLite file starts and serves every AWS operation without importing SQLAlchemy (driver
SQL all the way) or FastAPI (loaded on the first admin request): each was a third of its start-up."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from emulator.store.database import Database, plain_sqlite_file
from emulator.store.migrate import HEAD, upgrade

# Run in a fresh interpreter: this test process has SQLAlchemy loaded already.
SCRIPT = textwrap.dedent(
    """
    import sys

    import json
    import urllib.request

    import boto3

    from emulator.server import cli_emulator, serving
    from emulator.settings import Settings

    settings = Settings(database_url=sys.argv[1], host="127.0.0.1", port=0)
    app = cli_emulator(settings)
    heavy = ("sqlalchemy", "fastapi", "starlette")
    loaded = lambda: sorted(m for m in sys.modules if m.split(".")[0] in heavy)
    with serving(app, settings) as endpoint:
        # Not tests.support's client: that module imports create_app, and FastAPI with it.
        sm = boto3.client("sagemaker", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="a",
                          aws_secret_access_key="s")
        sm.create_model(ModelName="Hot-Path", PrimaryContainer={"Image": "i"}, Tags=[{"Key": "k", "Value": "v"}])
        arn = sm.describe_model(ModelName="hot-path")["ModelArn"]
        assert [m["ModelName"] for m in sm.list_models(NameContains="hot")["Models"]] == ["Hot-Path"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "w"}, {"Key": "team", "Value": "a"}])
        sm.delete_tags(ResourceArn=arn, TagKeys=["team", "absent"])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "w"}]
        sm.delete_model(ModelName="HOT-PATH")
        assert sm.list_models()["Models"] == []
        assert loaded() == [], loaded()
        with urllib.request.urlopen(f"{endpoint}/_emulator/health") as answer:
            assert json.load(answer)["status"] == "ok"
        assert "fastapi" in sys.modules
    print("ok")
    """
)


def run_script(database_url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, database_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_new_sqlite_file_is_served_without_sqlalchemy_or_fastapi(tmp_path: Path) -> None:
    assert run_script(f"sqlite:///{tmp_path / 'fresh.db'}") == "ok\n"


def test_an_existing_sqlite_file_at_head_is_served_without_sqlalchemy_or_fastapi(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'existing.db'}"
    database = Database(url)
    upgrade(database.engine, HEAD)  # at head through Alembic's scripts
    database.dispose()
    assert run_script(url) == "ok\n"


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite:///emulator.db", "emulator.db"),
        ("sqlite:////var/data/emulator.db", "/var/data/emulator.db"),
        ("sqlite+pysqlite:///data/e.db", "data/e.db"),
        # SQLAlchemy decodes, passes on or keeps in memory: these go through its engine.
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///e.db?mode=ro", None),
        ("sqlite:///my%20models.db", None),
        ("sqlite:///e.db#x", None),
        ("postgresql+psycopg://postgres@127.0.0.1/test", None),
    ],
)
def test_which_urls_are_plain_sqlite_files(url: str, file: str | None) -> None:
    assert plain_sqlite_file(url) == file
