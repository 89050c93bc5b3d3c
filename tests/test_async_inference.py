"""InvokeEndpointAsync against a real S3-protocol server (moto's): the request's answer written where the endpoint
config says, failures to the failure path, each request done once across a restart, and AWS's errors."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.runtime.async_invoke import QueuedRequest
from emulator.store import open_store
from emulator.store.database import Database
from tests.model_server import model_server
from tests.moto_s3 import emptied, make_bucket
from tests.profiles import full_only
from tests.support import aws_cli, running_server, sagemaker_client
from tests.test_runtime import ACCOUNT, error_of, runtime_client

TOY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1"
PLAIN = "123456789012.dkr.ecr.us-east-1.amazonaws.com/plain:1"
ASYNC_CONFIG = {
    "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2},
    "OutputConfig": {
        "S3OutputPath": "s3://out/results",
        "S3FailurePath": "s3://out/failures/",
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
        "NotificationConfig": {
            "SuccessTopic": "arn:aws:sns:us-east-1:123456789012:ok",
            "ErrorTopic": "arn:aws:sns:us-east-1:123456789012:failed",
            "IncludeInferenceResponseIn": ["SUCCESS_NOTIFICATION_TOPIC"],
        },
    },
}
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def s3(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    client = emptied(s3_url, monkeypatch)
    make_bucket(client, "out")
    return client


@pytest.fixture
def toy() -> Iterator[str]:
    with model_server() as (url, _):
        yield url


@pytest.fixture
def server(make_settings: Any, s3_url: str, s3: Any, toy: str) -> Iterator[str]:
    with running_server(make_settings(s3_endpoint_url=s3_url, model_servers={TOY: toy})) as url:
        yield url


def deploy(sm: Any, name: str, *, image: str = TOY, config: dict[str, Any] | None = ASYNC_CONFIG) -> None:
    sm.create_model(ModelName=name, PrimaryContainer={"Image": image})
    extra = {"AsyncInferenceConfig": config} if config is not None else {}
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "V", "ModelName": name, "InitialInstanceCount": 1}],
        **extra,
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def wait_for_object(s3: Any, uri: str, *, timeout: float = 20) -> Any:
    bucket, key = split(uri)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_the_config_is_stored_and_described(server: str) -> None:
    sm = sagemaker_client(server)
    deploy(sm, "e")
    assert sm.describe_endpoint_config(EndpointConfigName="e")["AsyncInferenceConfig"] == ASYNC_CONFIG
    assert sm.describe_endpoint(EndpointName="e")["AsyncInferenceConfig"] == ASYNC_CONFIG


def test_the_models_answer_appears_where_the_config_says(server: str, s3: Any, toy: str) -> None:
    deploy(sagemaker_client(server), "e")
    payload = json.dumps({"instances": [1, 2.5]}).encode()
    s3.put_object(Bucket="models", Key="in/request.json", Body=payload)
    answer = runtime_client(server).invoke_endpoint_async(
        EndpointName="e", InputLocation="s3://models/in/request.json", ContentType="application/json"
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    found = re.fullmatch(f"s3://out/results/({UUID}).out", answer["OutputLocation"])
    assert found is not None, answer["OutputLocation"]
    assert answer["FailureLocation"] == f"s3://out/failures/{found.group(1)}-error.out"
    assert re.fullmatch(UUID, answer["InferenceId"]) and answer["InferenceId"] != found.group(1)
    written = wait_for_object(s3, answer["OutputLocation"])
    direct = httpx.post(f"{toy}/invocations", content=payload, headers={"Content-Type": "application/json"})
    assert written["Body"].read() == direct.content == b'{"predictions": [3, 6]}'
    assert written["ContentType"] == "application/json"
    assert keys(s3, "out") == [f"results/{found.group(1)}.out"]


def test_the_aws_cli_queues_a_request(server: str, s3: Any, tmp_path: Path) -> None:
    deploy(sagemaker_client(server), "e")
    s3.put_object(Bucket="models", Key="in/cli.json", Body=b'{"instances": [4]}')
    done = aws_cli(server, tmp_path, service="sagemaker-runtime")(
        "invoke-endpoint-async",
        "--endpoint-name",
        "e",
        "--input-location",
        "s3://models/in/cli.json",
        "--content-type",
        "application/json",
        "--inference-id",
        "from-the-cli",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["InferenceId"] == "from-the-cli"
    assert wait_for_object(s3, answer["OutputLocation"])["Body"].read() == b'{"predictions": [9]}'
    failed = aws_cli(server, tmp_path, service="sagemaker-runtime")(
        "invoke-endpoint-async", "--endpoint-name", "e", "--input-location", "s3://models/in/none.json"
    )
    assert failed.returncode == 255
    assert failed.stderr.strip().endswith(
        "An error occurred (ValidationError) when calling the InvokeEndpointAsync operation: Could not find input data"
        " at s3://models/in/none.json."
    )


def test_an_inline_body_is_echoed_under_the_inference_id_given(make_settings: Any, s3_url: str, s3: Any) -> None:
    with running_server(make_settings(s3_endpoint_url=s3_url)) as server:
        deploy(sagemaker_client(server), "e", image=PLAIN)  # no model server: the echo answers
        answer = runtime_client(server).invoke_endpoint_async(
            EndpointName="e",
            Body=b"\x00raw bytes\xff",
            ContentType="application/x-thing",
            InferenceId="mine-1",
            S3OutputPathExtension="day/1",
            Filename="answer.bin",
        )
        assert answer["InferenceId"] == "mine-1"
        assert answer["OutputLocation"] == "s3://out/results/day/1/answer.bin"
        assert answer["FailureLocation"] == "s3://out/failures/day/1/answer.bin-error.out"
        written = wait_for_object(s3, answer["OutputLocation"])
        assert (written["Body"].read(), written["ContentType"]) == (b"\x00raw bytes\xff", "application/x-thing")


def test_a_failing_model_writes_its_message_to_the_failure_path(server: str, s3: Any) -> None:
    deploy(sagemaker_client(server), "e")
    answer = runtime_client(server).invoke_endpoint_async(
        EndpointName="e", Body=json.dumps({"fail": 418, "message": "I am a teapot"}), ContentType="application/json"
    )
    failed = wait_for_object(s3, answer["FailureLocation"])
    assert failed["Body"].read() == b"I am a teapot"
    assert keys(s3, "out", "results/") == []


def test_an_invocation_timeout_fails_the_request(server: str, s3: Any) -> None:
    deploy(sagemaker_client(server), "e")
    answer = runtime_client(server).invoke_endpoint_async(
        EndpointName="e", Body=json.dumps({"sleep": 3}), ContentType="application/json", InvocationTimeoutSeconds=1
    )
    failed = wait_for_object(s3, answer["FailureLocation"])
    assert failed["Body"].read().decode() == (
        "Your invocation timed out while waiting for a response from container primary. Review the latency metrics"
        " for each container in Amazon CloudWatch, resolve the issue, and try again."
    )


def test_the_endpoints_concurrency_is_honoured(server: str, s3: Any) -> None:
    """MaxConcurrentInvocationsPerInstance 2 on one instance: six requests of 0.5 s take three rounds."""
    deploy(sagemaker_client(server), "e")
    runtime = runtime_client(server)
    started = time.monotonic()
    answers = [
        runtime.invoke_endpoint_async(
            EndpointName="e", Body=json.dumps({"sleep": 0.5, "instances": [i]}), ContentType="application/json"
        )
        for i in range(6)
    ]
    for i, answer in enumerate(answers):
        assert json.loads(wait_for_object(s3, answer["OutputLocation"])["Body"].read()) == {"predictions": [2 * i + 1]}
    assert time.monotonic() - started >= 1.5


ERRORS = [
    ("realtime", {"Body": b"{}"}, "Endpoint realtime of account 123456789012 is not configured for asynchronous inference. Use InvokeEndpoint to invoke it."),
    ("missing", {"Body": b"{}"}, f"Endpoint missing of account {ACCOUNT} not found."),
    ("e", {"InputLocation": "s3://models/nothing.json"}, "Could not find input data at s3://models/nothing.json."),
    ("e", {"InputLocation": "s3://no-such-bucket/x.json"}, "Could not find input data at s3://no-such-bucket/x.json."),
    ("e", {"Body": b"{}", "InputLocation": "s3://models/x"}, "Body and InputLocation are mutually exclusive. Provide exactly one of them."),
    ("e", {}, "Either Body or InputLocation must be provided. Provide exactly one of them."),
    ("e", {"Body": b"x" * 128_001}, "1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to 128000"),
    ("e", {"Body": b"{}", "RequestTTLSeconds": 59}, "1 validation error detected: Value '59' at 'requestTTLSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"),
    ("e", {"Body": b"{}", "InvocationTimeoutSeconds": 3601}, "1 validation error detected: Value '3601' at 'invocationTimeoutSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600"),
    ("e", {"InputLocation": "ftp://models/x"}, "1 validation error detected: Value 'ftp://models/x' at 'inputLocation' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)$"),
    ("e", {"Body": b"{}", "Filename": "a.b.c"}, "1 validation error detected: Value 'a.b.c' at 'filename' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?!.*\\..*\\.)[a-zA-Z0-9][a-zA-Z0-9-_\\.]*$"),
    ("e", {"Body": b"{}", "S3OutputPathExtension": "s3://x"}, "1 validation error detected: Value 's3://x' at 's3OutputPathExtension' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?!s3:|https:)[a-zA-Z0-9!_.*'()/-]+$"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "request_", "message"), ERRORS)
def test_aws_errors(server: str, s3: Any, name: str, request_: dict[str, Any], message: str) -> None:
    sm = sagemaker_client(server)
    deploy(sm, "e")
    deploy(sm, "realtime", config=None)
    assert error_of(runtime_client(server).invoke_endpoint_async, EndpointName=name, **request_) == (
        "ValidationError",
        400,
        message,
    )
    assert keys(s3, "out") == []  # nothing was queued


def test_invoke_endpoint_on_an_async_endpoint_is_refused(server: str) -> None:
    deploy(sagemaker_client(server), "e")
    message = (
        f"Endpoint e of account {ACCOUNT} is configured for asynchronous inference. Use InvokeEndpointAsync to invoke"
        " it."
    )
    runtime = runtime_client(server)
    assert error_of(runtime.invoke_endpoint, EndpointName="e", Body=b"{}") == ("ValidationError", 400, message)
    assert error_of(runtime.invoke_endpoint_with_response_stream, EndpointName="e", Body=b"{}") == (
        "ValidationError",
        400,
        message,
    )


def test_a_header_integer_that_is_none(server: str) -> None:
    deploy(sagemaker_client(server), "e")
    answer = httpx.post(
        f"{server}/endpoints/e/async-invocations",
        content=b"{}",
        headers={"X-Amzn-SageMaker-RequestTTLSeconds": "soon"},
    )
    assert (answer.status_code, answer.headers["x-amzn-errortype"]) == (400, "SerializationException")


def queue_and_restart(make_settings: Any, s3_url: str, s3: Any, toy: str, *, count: int) -> None:
    """`count` requests queued on one server, which stops with most not done; the next server on the database does
    the rest. Each output object is written exactly once (the bucket keeps every version written) with its answer."""
    s3.put_bucket_versioning(Bucket="out", VersioningConfiguration={"Status": "Enabled"})
    settings = make_settings(s3_endpoint_url=s3_url, model_servers={TOY: toy})
    config = {**ASYNC_CONFIG, "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4}}
    with running_server(settings) as server:
        deploy(sagemaker_client(server), "e", config=config)
        runtime = runtime_client(server)
        locations = [
            runtime.invoke_endpoint_async(
                EndpointName="e", Body=json.dumps({"sleep": 0.02, "instances": [i]}), ContentType="application/json"
            )["OutputLocation"]
            for i in range(count)
        ]
    done_before = len(keys(s3, "out", "results/"))
    assert done_before < count  # the restart came with requests still waiting
    with running_server(settings):
        for i, location in enumerate(locations):
            written = wait_for_object(s3, location, timeout=60 + count * 0.05)
            assert json.loads(written["Body"].read()) == {"predictions": [2 * i + 1]}
    versions = s3.get_paginator("list_object_versions").paginate(Bucket="out")
    written_keys = sorted(v["Key"] for page in versions for v in page.get("Versions", []))
    assert written_keys == sorted(split(location)[1] for location in locations)  # each once, no failures


def test_queued_requests_survive_a_restart_and_are_done_once(
    make_settings: Any, s3_url: str, s3: Any, toy: str
) -> None:
    queue_and_restart(make_settings, s3_url, s3, toy, count=60)


@full_only
def test_a_thousand_queued_requests_survive_a_restart_and_are_done_once(
    make_settings: Any, s3_url: str, s3: Any, toy: str
) -> None:
    queue_and_restart(make_settings, s3_url, s3, toy, count=1000)


def test_two_replicas_share_the_queue_and_the_endpoints_concurrency(
    make_settings: Any, s3_url: str, s3: Any, toy: str
) -> None:
    """Two servers on one database take requests from one queue: each is done once, and the endpoint's
    MaxConcurrentInvocationsPerInstance (1) holds across both, so six requests of 0.3 s take at least 1.8 s."""
    s3.put_bucket_versioning(Bucket="out", VersioningConfiguration={"Status": "Enabled"})
    settings = make_settings(s3_endpoint_url=s3_url, model_servers={TOY: toy})
    config = {**ASYNC_CONFIG, "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 1}}
    with running_server(settings) as first, running_server(settings) as second:
        deploy(sagemaker_client(first), "e", config=config)
        clients = [runtime_client(first), runtime_client(second)]
        started = time.monotonic()
        locations = [
            clients[i % 2].invoke_endpoint_async(
                EndpointName="e", Body=json.dumps({"sleep": 0.3, "instances": [i]}), ContentType="application/json"
            )["OutputLocation"]
            for i in range(6)
        ]
        for i, location in enumerate(locations):
            assert json.loads(wait_for_object(s3, location)["Body"].read()) == {"predictions": [2 * i + 1]}
        assert time.monotonic() - started >= 1.8
    versions = s3.get_paginator("list_object_versions").paginate(Bucket="out")
    written_keys = sorted(v["Key"] for page in versions for v in page.get("Versions", []))
    assert written_keys == sorted(split(location)[1] for location in locations)


def test_a_request_written_by_an_owner_that_died_before_recording_it_is_not_done_again(
    make_settings: Any, database_url: str, s3_url: str, s3: Any, toy: str
) -> None:
    """The crash window of exactly-once: an owner wrote a request's output object and died before deleting its row.
    The next owner finds the row taken before, finds the object, and only deletes the row: the object keeps the first
    owner's bytes and is written once."""
    s3.put_bucket_versioning(Bucket="out", VersioningConfiguration={"Status": "Enabled"})
    settings = make_settings(s3_endpoint_url=s3_url, model_servers={TOY: toy})
    with running_server(settings) as server:
        deploy(sagemaker_client(server), "e")
    store = open_store(Database(database_url))
    request = QueuedRequest(
        inference_id="i-1",
        content_type="application/json",
        accept=None,
        custom_attributes=None,
        input_location=None,
        body=b'{"instances": [1]}',
        output_location="s3://out/results/crashed.out",
        failure_location="s3://out/failures/crashed-error.out",
        invocation_timeout_seconds=900,
    )

    async def queued_then_crashed() -> None:
        now = int(time.time() * 1000)
        row = {"id": "crashed", "account_id": ACCOUNT, "region": "us-east-1", "endpoint_name": "e"}
        await store.add_async_invocation(
            {**row, "request": request.dumps(), "concurrency": 1, "created_ms": now, "expires_ms": now + 60_000}
        )
        waiting = ("crashed", ACCOUNT, "us-east-1", "e", 1)
        # Taken by a process whose lease has run out (it was killed), which wrote the object first.
        assert await store.claim_async_invocation(waiting, owner="dead", lease_ms=now - 1, now_ms=now)
        s3.put_object(Bucket="out", Key="results/crashed.out", Body=b"the first owner's answer")

    async def pending() -> int:
        return await store.pending_async_invocations()

    try:
        asyncio.run(queued_then_crashed())
        with running_server(settings):
            deadline = time.monotonic() + 20
            while asyncio.run(pending()):
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        store.close()
    assert wait_for_object(s3, "s3://out/results/crashed.out")["Body"].read() == b"the first owner's answer"
    versions = s3.list_object_versions(Bucket="out")["Versions"]
    assert [v["Key"] for v in versions] == ["results/crashed.out"]


def test_a_request_older_than_its_ttl_fails_as_expired(
    make_settings: Any, database_url: str, s3_url: str, s3: Any, toy: str
) -> None:
    """A request still queued RequestTTLSeconds after it was made is not run: its failure object says it expired.
    (The smallest TTL is 60 s: the request is queued as a server that stopped a minute ago would have left it.)"""
    settings = make_settings(s3_endpoint_url=s3_url, model_servers={TOY: toy})
    with running_server(settings) as server:
        deploy(sagemaker_client(server), "e")
    store = open_store(Database(database_url))
    request = QueuedRequest(
        inference_id="old",
        content_type="application/json",
        accept=None,
        custom_attributes=None,
        input_location=None,
        body=b'{"instances": [1]}',
        output_location="s3://out/results/old.out",
        failure_location="s3://out/failures/old-error.out",
        invocation_timeout_seconds=900,
    )
    made = int(time.time() * 1000) - 61_000
    row = {"id": "old", "account_id": ACCOUNT, "region": "us-east-1", "endpoint_name": "e", "concurrency": 1}
    try:
        asyncio.run(
            store.add_async_invocation(
                {**row, "request": request.dumps(), "created_ms": made, "expires_ms": made + 60_000}
            )
        )
        with running_server(settings):
            failed = wait_for_object(s3, "s3://out/failures/old-error.out")
    finally:
        store.close()
    assert failed["Body"].read() == (
        b"The request expired: it was not processed within its RequestTTLSeconds (60 seconds)."
    )
    assert keys(s3, "out", "results/") == []
