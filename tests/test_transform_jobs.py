"""Batch transform (issue 26): CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob and the
`transform_job_completed_or_stopped` waiter through boto3 and the AWS CLI, against a real S3-protocol server (moto's
server mode) and the example model server, on both stores. Outputs are compared byte for byte with what the model
server answers when called directly."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError, WaiterError

from emulator.resources.transform_job import JobState
from emulator.store import open_store
from emulator.store.database import Database
from emulator.store.records import Scope
from tests.model_server import model_server
from tests.moto_s3 import emptied, make_bucket
from tests.profiles import full_only
from tests.support import aws_cli, error_of, running_server, sagemaker_client, server_process

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1"
ECHO_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/echo:1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
ARN = "arn:aws:sagemaker:us-east-1:123456789012"
RESOURCES = {"InstanceType": "ml.m5.large", "InstanceCount": 1}


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with model_server() as (url, _):
        yield url


@pytest.fixture
def s3(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    client = emptied(s3_url, monkeypatch)
    make_bucket(client, "data")
    return client


@pytest.fixture
def settings(make_settings: Any, s3_url: str, model_url: str) -> Any:
    return make_settings(s3_endpoint_url=s3_url, model_servers={IMAGE: model_url}, transform_scan_seconds=0.2)


@pytest.fixture
def sm(s3: Any, settings: Any) -> Iterator[Any]:
    with running_server(settings) as url:
        client = sagemaker_client(url)
        client.create_model(ModelName="toy", PrimaryContainer={"Image": IMAGE}, ExecutionRoleArn=ROLE)
        client.create_model(ModelName="echo", PrimaryContainer={"Image": ECHO_IMAGE}, ExecutionRoleArn=ROLE)
        yield client


def job(
    name: str, *, model: str = "toy", uri: str = "s3://data/in/", out: str = "s3://data/out", **members: Any
) -> Any:
    """A CreateTransformJob request: S3Prefix input, Line split unless `TransformInput` members say otherwise."""
    transform_input = {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
        "SplitType": "Line",
        **members.pop("input", {}),
    }
    return {
        "TransformJobName": name,
        "ModelName": model,
        "TransformInput": transform_input,
        "TransformOutput": {"S3OutputPath": out, **members.pop("output", {})},
        "TransformResources": RESOURCES,
        **members,
    }


def ended(sm: Any, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sm.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] not in ("InProgress", "Stopping"):
            return described
        assert time.monotonic() < deadline, described
        time.sleep(0.05)


def put(s3: Any, key: str, body: bytes, bucket: str = "data") -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def get(s3: Any, key: str, bucket: str = "data") -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def keys(s3: Any, prefix: str, bucket: str = "data") -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def csv_lines(rows: int, start: int = 0) -> bytes:
    return b"".join(b"%d,%d\n" % (i, i + 1) for i in range(start, start + rows))


def direct(model_url: str, body: bytes, content_type: str = "text/csv") -> bytes:
    """The model server's answer, called directly."""
    headers = {"Content-Type": content_type}
    answer = httpx.post(f"{model_url}/invocations", content=body, headers=headers, timeout=300)
    assert answer.status_code == 200, answer.text
    return answer.content


@pytest.mark.parametrize("strategy", ["SingleRecord", "MultiRecord"])
def test_a_line_split_prefix_gives_each_object_its_answers_byte_for_byte(
    sm: Any, s3: Any, model_url: str, strategy: str
) -> None:
    inputs = {"in/a.csv": csv_lines(300), "in/sub/b.csv": csv_lines(5, start=1000), "in/c.csv": b"1,1\n\n2,2"}
    for key, body in inputs.items():
        put(s3, key, body)
    put(s3, "elsewhere/d.csv", b"9,9\n")
    request = job(
        "lines",
        BatchStrategy=strategy,
        MaxPayloadInMB=1,
        MaxConcurrentTransforms=4,
        input={"ContentType": "text/csv"},
        output={"AssembleWith": "Line", "Accept": "text/csv"},
    )
    assert sm.create_transform_job(**request)["TransformJobArn"] == f"{ARN}:transform-job/lines"
    described = ended(sm, "lines")
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert sorted(keys(s3, "out/")) == ["out/a.csv.out", "out/c.csv.out", "out/sub/b.csv.out"]
    for key, body in inputs.items():
        # The toy model answers a line per line: one request of the whole object is what every record's answer,
        # each ended by a newline (AssembleWith Line), adds up to.
        expected = b"".join(line + b"\n" for line in direct(model_url, body).split(b"\n"))
        assert get(s3, "out/" + key.removeprefix("in/") + ".out") == expected


def test_the_echo_without_a_model_server_writes_the_records_back(sm: Any, s3: Any) -> None:
    body = b"".join(b'{"n": %d}\n' % i for i in range(1000))
    put(s3, "in/x.jsonl", body)
    sm.create_transform_job(**job("echo", model="echo", BatchStrategy="MultiRecord"))
    assert ended(sm, "echo")["TransformJobStatus"] == "Completed"
    assert get(s3, "out/x.jsonl.out") == body


def test_a_failing_record_fails_the_job_with_its_error(sm: Any, s3: Any) -> None:
    put(s3, "in/x.json", b'{"instances": [1]}\n{"fail": 418, "message": "bad record"}\n{"instances": [2]}\n')
    request = job("failing", BatchStrategy="SingleRecord", input={"ContentType": "application/json"})
    sm.create_transform_job(**request)
    described = ended(sm, "failing")
    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        'ClientError: data/in/x.json: Received client error (418) from container primary with message "bad record".'
        " See job logs for more information."
    )
    assert described["TransformEndTime"] >= described["TransformStartTime"] >= described["CreationTime"]
    assert keys(s3, "out/") == []  # no partial object


def test_a_stopped_job_stops_and_writes_nothing_more(sm: Any, s3: Any) -> None:
    put(s3, "in/slow.json", b'{"instances": [1], "sleep": 0.2}\n' * 200)
    sm.create_transform_job(**job("slow", BatchStrategy="SingleRecord", input={"ContentType": "application/json"}))
    sm.stop_transform_job(TransformJobName="slow")
    assert sm.describe_transform_job(TransformJobName="slow")["TransformJobStatus"] in ("Stopping", "Stopped")
    refused = ("ValidationException", "The request was rejected because the transform job is in status Stopped")
    try:  # again: accepted while Stopping, refused once Stopped (the runner may have ended it already)
        sm.stop_transform_job(TransformJobName="slow")
    except ClientError as exc:
        assert (exc.response["Error"]["Code"], exc.response["Error"]["Message"]) == refused
    described = ended(sm, "slow", timeout=10)
    assert described["TransformJobStatus"] == "Stopped"
    assert "FailureReason" not in described
    assert keys(s3, "out/") == []
    assert error_of(sm.stop_transform_job, TransformJobName="slow") == refused


def test_the_waiter_returns_for_completed_and_raises_for_failed(sm: Any, s3: Any) -> None:
    put(s3, "in/x.csv", b"1,2\n")
    put(s3, "bad/x.json", b'{"fail": 500, "message": "boom"}')
    sm.create_transform_job(**job("fine", input={"ContentType": "text/csv"}))
    sm.create_transform_job(
        **job(
            "broken",
            uri="s3://data/bad/",
            input={"ContentType": "application/json"},
            ModelClientConfig={"InvocationsMaxRetries": 0},
        )
    )
    waiter = sm.get_waiter("transform_job_completed_or_stopped")
    waiter.wait(TransformJobName="fine", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    with pytest.raises(WaiterError, match='matched expected path: "Failed"'):
        waiter.wait(TransformJobName="broken", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert get(s3, "out/x.csv.out") == b"7"


def test_describe_shows_every_member_with_aws_defaults(sm: Any, s3: Any) -> None:
    put(s3, "in/x.csv", b"1,2\n")
    request = job(
        "full",
        model="echo",
        Environment={"K": "v"},
        DataCaptureConfig={"DestinationS3Uri": "s3://data/capture", "GenerateInferenceId": True},
        DataProcessing={"InputFilter": "$", "OutputFilter": "$", "JoinSource": "None"},
        ExperimentConfig={"ExperimentName": "e", "TrialName": "t"},
        Tags=[{"Key": "team", "Value": "a"}],
    )
    sm.create_transform_job(**request)
    described = ended(sm, "full")
    for member in ("CreationTime", "TransformStartTime", "TransformEndTime", "ResponseMetadata"):
        described.pop(member)
    assert described == {
        "TransformJobName": "full",
        "TransformJobArn": f"{ARN}:transform-job/full",
        "TransformJobStatus": "Completed",
        "ModelName": "echo",
        "MaxPayloadInMB": 6,
        "ModelClientConfig": {"InvocationsTimeoutInSeconds": 600, "InvocationsMaxRetries": 3},
        "Environment": {"K": "v"},
        "TransformInput": {**request["TransformInput"], "CompressionType": "None"},
        "TransformOutput": {"S3OutputPath": "s3://data/out", "AssembleWith": "None"},
        "DataCaptureConfig": request["DataCaptureConfig"],
        "TransformResources": RESOURCES,
        "DataProcessing": request["DataProcessing"],
        "ExperimentConfig": request["ExperimentConfig"],
    }
    arn = f"{ARN}:transform-job/full"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]


def test_list_filters_sorts_and_pages(sm: Any, s3: Any) -> None:
    put(s3, "in/x.csv", b"1,2\n")
    put(s3, "bad/x.json", b'{"fail": 400, "message": "no"}')
    names = ["job-c", "job-a", "other-b"]
    for name in names:
        sm.create_transform_job(**job(name, model="echo"))
        ended(sm, name)
    sm.create_transform_job(**job("job-f", uri="s3://data/bad/", input={"ContentType": "application/json"}))
    assert ended(sm, "job-f")["TransformJobStatus"] == "Failed"
    listed = sm.list_transform_jobs()["TransformJobSummaries"]
    assert [s["TransformJobName"] for s in listed] == ["job-f", "other-b", "job-a", "job-c"]  # newest first
    failed = listed[0]
    assert failed["TransformJobStatus"] == "Failed"
    assert failed["FailureReason"].startswith("ClientError: data/bad/x.json: Received client error (400)")
    assert failed["TransformEndTime"] >= failed["CreationTime"]
    assert set(failed) == {
        "TransformJobName",
        "TransformJobArn",
        "CreationTime",
        "TransformEndTime",
        "LastModifiedTime",
        "TransformJobStatus",
        "FailureReason",
    }
    completed = sm.list_transform_jobs(StatusEquals="Completed", SortBy="Name", SortOrder="Ascending")
    assert [s["TransformJobName"] for s in completed["TransformJobSummaries"]] == ["job-a", "job-c", "other-b"]
    assert [s["TransformJobName"] for s in sm.list_transform_jobs(NameContains="JOB")["TransformJobSummaries"]] == [
        "job-f",
        "job-a",
        "job-c",
    ]
    first = sm.list_transform_jobs(SortBy="Status", SortOrder="Ascending", MaxResults=3)
    second = sm.list_transform_jobs(SortBy="Status", SortOrder="Ascending", MaxResults=3, NextToken=first["NextToken"])
    statuses = [s["TransformJobStatus"] for s in first["TransformJobSummaries"] + second["TransformJobSummaries"]]
    assert statuses == ["Completed", "Completed", "Completed", "Failed"]
    assert "NextToken" not in second
    created = {s["TransformJobName"]: s["CreationTime"] for s in listed}
    after = sm.list_transform_jobs(CreationTimeAfter=created["job-a"], CreationTimeBefore=created["job-f"])
    assert [s["TransformJobName"] for s in after["TransformJobSummaries"]] == ["other-b", "job-a"]
    modified = sm.list_transform_jobs(LastModifiedTimeAfter=failed["LastModifiedTime"])["TransformJobSummaries"]
    assert [s["TransformJobName"] for s in modified] == ["job-f"]
    pages = sm.get_paginator("list_transform_jobs").paginate(PaginationConfig={"PageSize": 1})
    assert [s["TransformJobName"] for page in pages for s in page["TransformJobSummaries"]] == [
        "job-f",
        "other-b",
        "job-a",
        "job-c",
    ]


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"ModelName": "nope"},
            "ValidationException",
            f'Could not find model "{ARN}:model/nope".',
        ),
        (
            {
                "TransformInput": {
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/none/"}}
                }
            },
            "ValidationException",
            'No S3 objects found under S3 URL "s3://data/none/" given in input data source. Please ensure that the'
            " bucket exists in the selected region (us-east-1), that objects exist under that S3 prefix, and that"
            f' the role "{ROLE}" has "s3:ListBucket" permissions on bucket "data".',
        ),
        (
            {"TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://gone/in/"}}}},
            "ValidationException",
            'No S3 objects found under S3 URL "s3://gone/in/" given in input data source. Please ensure that the'
            " bucket exists in the selected region (us-east-1), that objects exist under that S3 prefix, and that"
            f' the role "{ROLE}" has "s3:ListBucket" permissions on bucket "gone".',
        ),
        ({"MaxPayloadInMB": 101}, "ValidationException", "MaxPayloadInMB (101) cannot be greater than 100 MB."),
        (
            {"MaxConcurrentTransforms": 20},
            "ValidationException",
            "The value of (MaxConcurrentTransforms * MaxPayloadInMB) (20 * 6) cannot exceed 100 MB.",
        ),
        (
            {
                "TransformInput": {
                    "DataSource": {"S3DataSource": {"S3DataType": "AugmentedManifestFile", "S3Uri": "s3://data/m"}}
                }
            },
            "ValidationException",
            "S3DataType AugmentedManifestFile is not supported for batch transform; use S3Prefix or ManifestFile.",
        ),
        (
            {"DataProcessing": {"InputFilter": "features"}},
            "ValidationException",
            "DataProcessing.InputFilter 'features' is not a valid JSONPath: a path starts with $",
        ),
        (
            {"TransformJobName": "Dup"},
            "ResourceInUse",
            "Transform job names must be unique within an AWS account and region, and a transform job with this name"
            f" already exists ({ARN}:transform-job/dup)",
        ),
    ],
)
def test_create_refuses_with_aws_texts_and_stores_nothing(
    sm: Any, s3: Any, change: dict[str, Any], code: str, message: str
) -> None:
    put(s3, "in/x.csv", b"1\n")
    sm.create_transform_job(**job("dup", model="echo"))
    request = {**job("refused", model="echo"), **change}
    assert error_of(sm.create_transform_job, **request) == (code, message)
    names = [s["TransformJobName"] for s in sm.list_transform_jobs()["TransformJobSummaries"]]
    assert names == ["dup"]


def test_describe_and_stop_of_a_missing_job(sm: Any) -> None:
    expected = ("ValidationException", "Could not find requested job with name: Missing")
    assert error_of(sm.describe_transform_job, TransformJobName="Missing") == expected
    assert error_of(sm.stop_transform_job, TransformJobName="Missing") == expected


def test_a_manifest_names_the_objects_and_their_output_keys(sm: Any, s3: Any, model_url: str) -> None:
    put(s3, "src/one.csv", b"1,1\n")
    put(s3, "src/deep/two.csv", b"2,2\n3,3\n")
    put(s3, "src/skipped.csv", b"4,4\n")
    manifest = [{"prefix": "s3://data/src/"}, "one.csv", "deep/two.csv"]
    put(s3, "lists/input.manifest", json.dumps(manifest).encode())
    source = {"DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": "s3://data/lists/input.manifest"}}}
    sm.create_transform_job(
        **job(
            "manifest",
            input={**source, "ContentType": "text/csv"},
            out="s3://data/results/",
            output={"AssembleWith": "Line"},
        )
    )
    assert ended(sm, "manifest")["TransformJobStatus"] == "Completed"
    assert sorted(keys(s3, "results/")) == ["results/deep/two.csv.out", "results/one.csv.out"]
    assert get(s3, "results/deep/two.csv.out") == direct(model_url, b"2,2\n3,3\n") + b"\n"


def test_data_processing_filters_and_joins_csv_records(sm: Any, s3: Any) -> None:
    put(s3, "in/x.csv", b"100,1,2\n200,3,4\n")
    request = job(
        "joined",
        BatchStrategy="MultiRecord",
        input={"ContentType": "text/csv"},
        output={"AssembleWith": "Line", "Accept": "text/csv"},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    sm.create_transform_job(**request)
    assert ended(sm, "joined")["TransformJobStatus"] == "Completed"
    # 2 * (1 + 2) + 1 = 7 and 2 * (3 + 4) + 1 = 15, next to each record's id.
    assert get(s3, "out/x.csv.out") == b"100,7\n200,15\n"


def test_data_processing_filters_and_joins_json_records(sm: Any, s3: Any) -> None:
    put(s3, "in/x.json", b'{"id": 1, "data": {"instances": [1, 2]}}\n{"id": 2, "data": {"instances": [3]}}\n')
    request = job(
        "json-joined",
        BatchStrategy="SingleRecord",
        input={"ContentType": "application/json"},
        output={"AssembleWith": "Line"},
        DataProcessing={"InputFilter": "$.data", "JoinSource": "Input", "OutputFilter": "$['id','SageMakerOutput']"},
    )
    sm.create_transform_job(**request)
    assert ended(sm, "json-joined")["TransformJobStatus"] == "Completed"
    assert get(s3, "out/x.json.out") == (
        b'{"id":1,"SageMakerOutput":{"predictions":[3,5]}}\n{"id":2,"SageMakerOutput":{"predictions":[7]}}\n'
    )


def slow_objects(s3: Any, count: int = 3, lines: int = 4) -> dict[str, bytes]:
    """Input objects of JSON records the toy model takes 0.25 s each to answer (SingleRecord: ~1 s an object)."""
    objects = {}
    for i, name in enumerate("abcdefgh"[:count]):
        body = b"".join(b'{"instances": [%d], "sleep": 0.25}\n' % (i * 10 + n) for n in range(lines))
        put(s3, f"in/{name}.json", body)
        objects[name] = body
    return objects


def expected_json(model_url: str, body: bytes) -> bytes:
    """What a SingleRecord job with AssembleWith Line writes: each record's answer, called directly, and a newline."""
    return b"".join(direct(model_url, line, "application/json") + b"\n" for line in body.splitlines())


def slow_job(name: str) -> dict[str, Any]:
    return job(
        name,
        BatchStrategy="SingleRecord",
        input={"ContentType": "application/json"},
        output={"AssembleWith": "Line"},
    )


def wait_for_progress(database_url: str, name: str, *, done: int, timeout: float = 30) -> None:
    """Until the job's row records `done` objects written: read from the database, as another process would."""
    store = open_store(Database(database_url))
    scope = Scope(kind="transform-job", account_id="123456789012", region="us-east-1")
    try:
        deadline = time.monotonic() + timeout
        while True:
            stored = asyncio.run(store.get(scope, name))
            if stored is not None and JobState.loads(stored.state).done >= done:
                return
            assert time.monotonic() < deadline, stored
            time.sleep(0.05)
    finally:
        store.close()


def test_a_restarted_server_resumes_its_job_after_the_objects_written(
    s3: Any, make_settings: Any, database_url: str, s3_url: str, model_url: str
) -> None:
    # A lease far longer than the test: the job goes on at once only because the stopping server released it.
    settings = make_settings(
        s3_endpoint_url=s3_url,
        model_servers={IMAGE: model_url},
        transform_scan_seconds=0.2,
        transform_lease_seconds=600,
    )
    objects = slow_objects(s3)
    with running_server(settings) as url:
        first = sagemaker_client(url)
        first.create_model(ModelName="toy", PrimaryContainer={"Image": IMAGE})
        first.create_transform_job(**slow_job("resumed"))
        wait_for_progress(database_url, "resumed", done=1)
        started = first.describe_transform_job(TransformJobName="resumed")["TransformStartTime"]
    # Stopped mid-job: the first object's output is written, the job is InProgress and held by nobody.
    s3.delete_object(Bucket="data", Key="out/a.json.out")
    with running_server(settings) as url:
        second = sagemaker_client(url)
        described = ended(second, "resumed")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        assert described["TransformStartTime"] == started
    # Resumed after the first object (not redone), each later one whole and right.
    assert sorted(keys(s3, "out/")) == ["out/b.json.out", "out/c.json.out"]
    for name in "bc":
        assert get(s3, f"out/{name}.json.out") == expected_json(model_url, objects[name])


def test_a_killed_server_s_job_is_taken_over_when_its_lease_expires(
    s3: Any, database_url: str, s3_url: str, model_url: str
) -> None:
    flags = [
        "--database-url",
        database_url,
        "--s3-endpoint-url",
        s3_url,
        "--model-server",
        f"{IMAGE}={model_url}",
        "--transform-scan-seconds",
        "0.2",
        "--transform-lease-seconds",
        "1",
    ]
    objects = slow_objects(s3)
    with server_process(*flags) as (url, proc):
        first = sagemaker_client(url)
        first.create_model(ModelName="toy", PrimaryContainer={"Image": IMAGE})
        first.create_transform_job(**slow_job("taken-over"))
        wait_for_progress(database_url, "taken-over", done=1)
        proc.kill()
        proc.wait()
    s3.delete_object(Bucket="data", Key="out/a.json.out")
    with server_process(*flags) as (url, _):
        second = sagemaker_client(url)
        described = ended(second, "taken-over")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert sorted(keys(s3, "out/")) == ["out/b.json.out", "out/c.json.out"]
    for name in "bc":
        assert get(s3, f"out/{name}.json.out") == expected_json(model_url, objects[name])


def test_replicas_share_the_jobs_and_each_job_is_done(s3: Any, make_settings: Any, s3_url: str, model_url: str) -> None:
    settings = make_settings(s3_endpoint_url=s3_url, model_servers={IMAGE: model_url}, transform_scan_seconds=0.1)
    put(s3, "in/x.csv", csv_lines(50))
    with running_server(settings) as one, running_server(settings) as two:
        clients = [sagemaker_client(one), sagemaker_client(two)]
        clients[0].create_model(ModelName="toy", PrimaryContainer={"Image": IMAGE})
        names = [f"replica-{i}" for i in range(8)]
        for i, name in enumerate(names):
            request = job(name, out=f"s3://data/out/{name}", input={"ContentType": "text/csv"})
            clients[i % 2].create_transform_job(**request)
        for name in names:
            assert ended(clients[1], name)["TransformJobStatus"] == "Completed"
    expected = direct(model_url, csv_lines(50))
    for name in names:
        assert get(s3, f"out/{name}/x.csv.out") == expected


@full_only
def test_a_100_mb_line_split_input_gives_the_model_s_answers_byte_for_byte(sm: Any, s3: Any, model_url: str) -> None:
    # One value a line (the toy model's cost is per value), 32 bytes: ~3.3 million records.
    body = b"".join(b"%031d\n" % i for i in range(100 * 1024 * 1024 // 32))
    assert len(body) >= 95 * 1024 * 1024
    put(s3, "in/big.csv", body)
    request = job(
        "big",
        BatchStrategy="MultiRecord",
        MaxPayloadInMB=6,
        MaxConcurrentTransforms=4,
        input={"ContentType": "text/csv"},
        output={"AssembleWith": "Line", "Accept": "text/csv"},
    )
    started = time.monotonic()
    sm.create_transform_job(**request)
    described = ended(sm, "big", timeout=600)
    elapsed = time.monotonic() - started
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    # The toy model answers a line per line: the whole object in one direct request is what the job's mini-batches
    # add up to, each ended by a newline.
    expected = direct(model_url, body) + b"\n"
    assert get(s3, "out/big.csv.out") == expected
    print(f"100 MB transform: {len(body) / 1024 / 1024 / elapsed:.1f} MB/s")


@full_only  # five CLI processes: 9 s on this machine (each start costs a second of CPU)
def test_the_aws_cli_creates_waits_for_describes_and_lists_jobs(
    s3: Any, settings: Any, model_url: str, tmp_path: Path
) -> None:
    body = csv_lines(40)
    put(s3, "in/x.csv", body)
    put(s3, "bad/x.json", b'{"fail": 400, "message": "no"}\n')
    with running_server(settings) as url:
        sagemaker_client(url).create_model(ModelName="toy", PrimaryContainer={"Image": IMAGE}, ExecutionRoleArn=ROLE)
        cli = aws_cli(url, tmp_path)
        request = job(
            "cli-job",
            BatchStrategy="MultiRecord",
            MaxPayloadInMB=1,
            input={"ContentType": "text/csv"},
            output={"AssembleWith": "Line", "Accept": "text/csv"},
        )
        created = cli(
            "create-transform-job",
            "--transform-job-name", "cli-job",
            "--model-name", "toy",
            "--batch-strategy", "MultiRecord",
            "--max-payload-in-mb", "1",
            "--transform-input", json.dumps(request["TransformInput"]),
            "--transform-output", json.dumps(request["TransformOutput"]),
            "--transform-resources", "InstanceType=ml.m5.large,InstanceCount=1",
        )  # fmt: skip
        assert (created.returncode, created.stderr) == (0, "")
        assert json.loads(created.stdout) == {"TransformJobArn": f"{ARN}:transform-job/cli-job"}
        failing = job("cli-failing", uri="s3://data/bad/", input={"ContentType": "application/json"})
        sagemaker_client(url).create_transform_job(**failing, ModelClientConfig={"InvocationsMaxRetries": 0})
        # The CLI's waiter describes first and then every 60 s: a job of a few records has ended long before the
        # CLI's process has started, and a slower one would only make it wait a minute more.
        waited = cli("wait", "transform-job-completed-or-stopped", "--transform-job-name", "cli-job")
        assert (waited.returncode, waited.stdout, waited.stderr) == (0, "", "")
        failed = cli("wait", "transform-job-completed-or-stopped", "--transform-job-name", "cli-failing")
        assert (failed.returncode, failed.stdout, failed.stderr.strip()) == (
            255,
            "",
            "Waiter TransformJobCompletedOrStopped failed: Waiter encountered a terminal failure state: For"
            ' expression "TransformJobStatus" we matched expected path: "Failed"',
        )
        described = json.loads(cli("describe-transform-job", "--transform-job-name", "cli-job").stdout)
        listed = json.loads(cli("list-transform-jobs", "--status-equals", "Completed", "--name-contains", "CLI").stdout)
    times = {member: described.pop(member) for member in ("CreationTime", "TransformStartTime", "TransformEndTime")}
    assert times["CreationTime"] <= times["TransformStartTime"] <= times["TransformEndTime"]
    assert described == {
        "TransformJobName": "cli-job",
        "TransformJobArn": f"{ARN}:transform-job/cli-job",
        "TransformJobStatus": "Completed",
        "ModelName": "toy",
        "MaxPayloadInMB": 1,
        "ModelClientConfig": {"InvocationsTimeoutInSeconds": 600, "InvocationsMaxRetries": 3},
        "BatchStrategy": "MultiRecord",
        "TransformInput": {**request["TransformInput"], "CompressionType": "None"},
        "TransformOutput": request["TransformOutput"],
        "TransformResources": RESOURCES,
        "Environment": {},
    }
    assert listed == {
        "TransformJobSummaries": [
            {
                "TransformJobName": "cli-job",
                "TransformJobArn": f"{ARN}:transform-job/cli-job",
                "CreationTime": times["CreationTime"],
                "TransformEndTime": times["TransformEndTime"],
                "LastModifiedTime": times["TransformEndTime"],
                "TransformJobStatus": "Completed",
            }
        ]
    }
    # Line by line, each answer of the toy model ended by a newline: the whole object sent directly, newline-ended.
    assert get(s3, "out/x.csv.out") == direct(model_url, body) + b"\n"
