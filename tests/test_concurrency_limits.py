"""Races and limits: the database, not a read-then-write, decides duplicates and the last free slot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.support import aws_post, running_server, sagemaker_client, server_process


def create(endpoint: str, name: str, client: httpx.Client) -> httpx.Response:
    body = f'{{"ModelName": "{name}", "PrimaryContainer": {{"Image": "img"}}}}'
    return client.post(
        endpoint + "/",
        content=body,
        headers={"X-Amz-Target": "SageMaker.CreateModel", "Content-Type": "application/x-amz-json-1.1"},
    )


def concurrent_creates(endpoint: str, names: list[str]) -> list[httpx.Response]:
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=50)) as client:
        with ThreadPoolExecutor(max_workers=50) as pool:
            return list(pool.map(lambda n: create(endpoint, n, client), names))


def test_fifty_concurrent_creates_of_one_name_store_exactly_one(endpoint: str) -> None:
    names = [("Same" if i % 2 else "same") for i in range(50)]
    responses = concurrent_creates(endpoint, names)
    assert sorted(r.status_code for r in responses) == [200] + [400] * 49
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.json() == {"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/same"}
    for r in responses:
        if r.status_code == 400:
            assert r.json() == {
                "__type": "ValidationException",
                "message": 'Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/same".',
            }


def test_limit_of_n_models_with_n_plus_k_concurrent_creates_stores_exactly_n(make_settings: Any) -> None:
    n, k = 20, 30
    with running_server(make_settings(max_models=n)) as url:
        responses = concurrent_creates(url, [f"model-{i}" for i in range(n + k)])
        ok = [r for r in responses if r.status_code == 200]
        rejected = [r for r in responses if r.status_code != 200]
        assert len(ok) == n
        assert {r.status_code for r in rejected} == {400}
        assert {r.json()["__type"] for r in rejected} == {"ResourceLimitExceeded"}
        assert rejected[0].json()["message"] == (
            f"The account-level service limit 'Number of models' is {n} Models, with current utilization of {n} Models"
            " and a request delta of 1 Models. Please contact AWS support to request an increase for this limit."
        )
        stored = [
            i for i in range(n + k) if aws_post(url, "DescribeModel", {"ModelName": f"model-{i}"}).status_code == 200
        ]
        assert len(stored) == n
        # The refused names were not stored, even partly.
        assert {f"model-{i}" for i in stored} == {r.json()["ModelArn"].rsplit("/", 1)[1] for r in ok}


def test_limit_is_per_account_and_region(make_settings: Any) -> None:
    with running_server(make_settings(max_models=1)) as url:
        east, west = sagemaker_client(url, region="us-east-1"), sagemaker_client(url, region="us-west-2")
        east.create_model(ModelName="a", PrimaryContainer={"Image": "i"})
        west.create_model(ModelName="a", PrimaryContainer={"Image": "i"})
        with pytest.raises(ClientError) as caught:
            west.create_model(ModelName="b", PrimaryContainer={"Image": "i"})
        assert caught.value.response["Error"]["Code"] == "ResourceLimitExceeded"


def test_duplicate_beats_limit_and_failed_create_leaves_count_unchanged(make_settings: Any) -> None:
    with running_server(make_settings(max_models=2)) as url:
        sm = sagemaker_client(url)
        sm.create_model(ModelName="one", PrimaryContainer={"Image": "i"})
        for _ in range(3):  # failed duplicates must not use up slots
            with pytest.raises(ClientError):
                sm.create_model(ModelName="one", PrimaryContainer={"Image": "i"})
        sm.create_model(ModelName="two", PrimaryContainer={"Image": "i"})
        # At the limit, a duplicate is still reported as a duplicate.
        with pytest.raises(ClientError) as caught:
            sm.create_model(ModelName="TWO", PrimaryContainer={"Image": "i"})
        assert caught.value.response["Error"] == {
            "Code": "ValidationException",
            "Message": 'Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/two".',
        }
        with pytest.raises(ClientError) as caught:
            sm.create_model(ModelName="three", PrimaryContainer={"Image": "i"})
        assert caught.value.response["Error"]["Code"] == "ResourceLimitExceeded"
        assert "with current utilization of 2 Models" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("limits", "body", "code", "message"),
    [
        (
            {"max_containers_per_model": 2},
            {"ModelName": "m", "Containers": [{"Image": "i"}] * 3},
            "ResourceLimitExceeded",
            "The account-level service limit 'Number of containers per model' is 2 Containers, with current utilization"
            " of 0 Containers and a request delta of 3 Containers. Please contact AWS support to request an increase"
            " for this limit.",
        ),
        (
            {"max_environment_bytes": 10},
            {"ModelName": "m", "Containers": [{"Image": "i"}, {"Image": "i", "Environment": {"KEY": "12345678"}}]},
            "ValidationException",
            "The total size of the Environment of Containers.2 is 11 bytes, which exceeds the maximum of 10 bytes for"
            " all keys and values together.",
        ),
    ],
    ids=["containers-per-model", "environment-bytes"],
)
def test_configured_limits(make_settings: Any, limits: dict[str, int], body: Any, code: str, message: str) -> None:
    with running_server(make_settings(**limits)) as url:
        response = aws_post(url, "CreateModel", body)
        assert (response.status_code, response.json()) == (400, {"__type": code, "message": message})
        assert aws_post(url, "DescribeModel", {"ModelName": "m"}).status_code == 400


def test_environment_at_exactly_the_limit_is_accepted(make_settings: Any) -> None:
    with running_server(make_settings(max_environment_bytes=11)) as url:
        body = {"ModelName": "m", "PrimaryContainer": {"Image": "i", "Environment": {"KEY": "12345678"}}}
        assert aws_post(url, "CreateModel", body).status_code == 200


def test_limits_file_env_and_cli_flags(tmp_path: Path) -> None:
    """A limits file sets the limits, an env var overrides the file, a CLI flag overrides the env var."""
    limits = tmp_path / "limits.toml"
    limits.write_text("max_models = 1\nmax_containers_per_model = 1\n")
    import os

    env = {**os.environ, "SAGEMAKER_EMULATOR_MAX_MODELS": "2"}
    db = f"sqlite:///{tmp_path / 'e.db'}"
    with server_process("--database-url", db, "--limits-file", str(limits), "--max-models", "3", env=env) as (url, _):
        sm = sagemaker_client(url)
        for i in range(3):
            sm.create_model(ModelName=f"m{i}", PrimaryContainer={"Image": "i"})
        with pytest.raises(ClientError) as caught:
            sm.create_model(ModelName="m3", PrimaryContainer={"Image": "i"})
        assert "is 3 Models" in caught.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as caught:
            sm.create_model(ModelName="pipe", Containers=[{"Image": "i"}, {"Image": "i"}])
        assert "'Number of containers per model' is 1 Containers" in caught.value.response["Error"]["Message"]
