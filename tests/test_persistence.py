"""Models survive a restart of the server process."""

from __future__ import annotations

from pathlib import Path

from tests.support import as_described, sagemaker_client, server_process


def test_model_survives_restart(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'persist.db'}"
    definition = {
        "PrimaryContainer": {"Image": "img:1", "Environment": {"A": "b"}},
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
        "EnableNetworkIsolation": False,
    }
    with server_process("--database-url", db) as (url, _):
        sm = sagemaker_client(url)
        sm.create_model(ModelName="Durable", **definition)
        before = sm.describe_model(ModelName="Durable")
    with server_process("--database-url", db) as (url, _):
        after = sagemaker_client(url).describe_model(ModelName="durable")
    for out in (before, after):
        out.pop("ResponseMetadata")
    assert after == before
    assert after["PrimaryContainer"] == as_described(definition["PrimaryContainer"])


def test_default_database_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    with server_process(cwd=str(tmp_path)) as (url, _):
        sagemaker_client(url).create_model(ModelName="here", PrimaryContainer={"Image": "i"})
    assert (tmp_path / "sagemaker-emulator.db").is_file()
    with server_process(cwd=str(tmp_path)) as (url, _):
        assert sagemaker_client(url).describe_model(ModelName="here")["ModelName"] == "here"
