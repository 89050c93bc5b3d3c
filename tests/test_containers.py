"""Models that are real: an endpoint's containers run as local processes from the operator's model command, with
their model data downloaded from S3 (a real S3-protocol server: moto's), and the endpoint's lifecycle follows their
health. Every test drives a real server through boto3, on SQLite and on PostgreSQL when configured, and stops what
it started."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from emulator.settings import Settings
from tests.model_server import SERVER, model_server
from tests.moto_s3 import emptied
from tests.profiles import full_only
from tests.support import http, running_server, sagemaker_client, server_process
from tests.test_model_commands import DOCKER as DOCKER_TEMPLATE
from tests.test_model_data_cache import tar_gz

ROLE = "arn:aws:iam::123456789012:role/model"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1"
# The example model server run as a container: its port and model directory from the command's placeholders.
COMMAND = f"{sys.executable} {SERVER} serve --port {{port}} --model-dir {{model_dir}}"
UNREACHABLE = (
    'Received server error (0) from primary with message "Amazon SageMaker could not get a response from the e'
    " endpoint. This can occur when CPU or memory utilization is high. To check your utilization, see Amazon"
    ' CloudWatch. To fix this problem, use an instance type with more CPU capacity or memory.". See'
    " https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=/aws/sagemaker"
    "/Endpoints/e in account 123456789012 for more information."
)


def weights(weight: float, bias: float) -> bytes:
    return tar_gz({"model.json": json.dumps({"weight": weight, "bias": bias}).encode()})


@pytest.fixture
def s3(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return emptied(s3_url, monkeypatch)


@pytest.fixture
def settings(make_settings: Callable[..., Settings], s3: Any, s3_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "s3_endpoint_url": s3_url,
            "model_data_dir": tmp_path / "model-data",
            "model_commands": {"*": COMMAND},
            **overrides,
        }
        return make_settings(**values)

    return make


def rows(database_url: str) -> list[dict[str, Any]]:
    """The containers table as stored."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT key, status, owner, url, reason, served FROM containers ORDER BY key"))
            return [dict(row._mapping) for row in found]
    finally:
        engine.dispose()


def configure(
    sm: Any,
    *,
    model: str = "m",
    config: str = "c",
    model_data: str = "s3://models/m/model.tar.gz",
    container: dict[str, Any] | None = None,
    **variant: Any,
) -> None:
    """A model (of `container`, else the toy image with `model_data`) and an endpoint config of one variant."""
    sm.create_model(
        ModelName=model,
        PrimaryContainer=container or {"Image": IMAGE, "ModelDataUrl": model_data},
        ExecutionRoleArn=ROLE,
    )
    sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                **variant,
            }
        ],
    )


def deploy(sm: Any, *, name: str = "e", config: str = "c", **configured: Any) -> None:
    configure(sm, config=config, **configured)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config)


def settled(sm: Any, name: str = "e", *, timeout: float = 30) -> dict[str, Any]:
    """DescribeEndpoint until the endpoint is no longer Creating or Updating."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
        if described["EndpointStatus"] not in ("Creating", "Updating") or time.monotonic() > deadline:
            return described
        time.sleep(0.1)


def predict(runtime: Any, *instances: float, name: str = "e") -> Any:
    answer = runtime.invoke_endpoint(
        EndpointName=name, Body=json.dumps({"instances": list(instances)}), ContentType="application/json"
    )
    return json.loads(answer["Body"].read())


def pid_of(runtime: Any, name: str = "e") -> int:
    answer = runtime.invoke_endpoint(EndpointName=name, Body=b'{"pid": true}', ContentType="application/json")
    return int(json.loads(answer["Body"].read())["pid"])


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def until(check: Callable[[], bool], *, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_predictions_come_from_the_weights_uploaded_to_s3(s3: Any, settings: Any, database_url: str) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with running_server(settings()) as url:
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        deploy(sm)
        # The first describe waits for the container: an SDK's waiter sees InService without sleeping 30 s.
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
        assert predict(runtime, 1, 2) == {"predictions": [3.5, 6.5]}
        [row] = rows(database_url)
        assert (row["status"], row["served"], row["reason"]) == ("Healthy", 1, None)
        assert row["url"].startswith("http://127.0.0.1:")


def test_a_typo_in_the_key_fails_the_endpoint_with_aws_download_reason(
    s3: Any, settings: Any, database_url: str
) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with running_server(settings()) as url:
        sm = sagemaker_client(url)
        deploy(sm, model_data="s3://models/m/modle.tar.gz")
        described = settled(sm)
        assert described["EndpointStatus"] == "Failed"
        assert described["FailureReason"] == (
            'Failed to download model data for container "container_1" from URL: "s3://models/m/modle.tar.gz".'
            " Please ensure that there is an object located at the URL and that the role passed to CreateModel has"
            " permissions to download the object."
        )
        # A failed create runs nothing: its container's row goes.
        assert until(lambda: rows(database_url) == [])


def test_with_checks_on_the_same_typo_fails_create_model(s3: Any, settings: Any) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with running_server(settings(check_model_data=True)) as url:
        sm = sagemaker_client(url)
        with pytest.raises(ClientError) as caught:
            deploy(sm, model_data="s3://models/m/modle.tar.gz")
        assert caught.value.response["Error"] == {
            "Code": "ValidationException",
            "Message": "Could not find model data at s3://models/m/modle.tar.gz.",
        }
        assert sm.list_models()["Models"] == []


PING_FAILED = (
    "The primary container for production variant AllTraffic did not pass the ping health check. Please check"
    " CloudWatch logs for this endpoint."
)


def test_an_inference_script_that_crashes_on_load_fails_the_endpoint(s3: Any, settings: Any, database_url: str) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=tar_gz({"model.json": b"{not json"}))
    with running_server(settings()) as url:
        sm = sagemaker_client(url)
        deploy(sm)
        described = settled(sm)
        assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", PING_FAILED)
        assert "ProductionVariants" not in described
        with pytest.raises(ClientError) as caught:
            sagemaker_client(url, service="sagemaker-runtime").invoke_endpoint(EndpointName="e", Body=b"{}")
        assert caught.value.response["Error"]["Message"] == "Endpoint e of account 123456789012 not found."


def test_a_container_that_never_answers_ping_fails_the_endpoint_after_the_startup_timeout(settings: Any) -> None:
    silent = f"{sys.executable} -c 'import time; time.sleep(60)'"
    with running_server(settings(model_commands={"*": silent}, container_startup_timeout=1)) as url:
        sm = sagemaker_client(url)
        deploy(sm, model_data="https://example.com/nothing")  # no model data in S3: nothing to download
        described = settled(sm)
        assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", PING_FAILED)


def test_delete_endpoint_stops_its_container(s3: Any, settings: Any, database_url: str) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with running_server(settings()) as url:
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        deploy(sm)
        assert settled(sm)["EndpointStatus"] == "InService"
        pid = pid_of(runtime)
        sm.delete_endpoint(EndpointName="e")
        assert until(lambda: gone(pid))
        assert until(lambda: rows(database_url) == [])


def test_a_killed_container_is_started_again(s3: Any, settings: Any, database_url: str) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with running_server(settings()) as url:
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        deploy(sm)
        assert settled(sm)["EndpointStatus"] == "InService"
        first = pid_of(runtime)
        os.kill(first, signal.SIGKILL)
        errors: list[dict[str, str]] = []

        def answered_again() -> bool:
            try:
                return pid_of(runtime) != first
            except ClientError as error:  # while it is down: AWS's invocation error, nothing else
                errors.append(error.response["Error"])
                return False

        assert until(answered_again)
        assert all(e == {"Code": "ModelError", "Message": UNREACHABLE} for e in errors), errors
        assert predict(runtime, 1) == {"predictions": [3.5]}
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
        [row] = rows(database_url)
        assert row["status"] == "Healthy"


def test_an_update_under_continuous_invocation_loses_none(s3: Any, settings: Any, database_url: str) -> None:
    s3.put_object(Bucket="models", Key="old/model.tar.gz", Body=weights(3, 0))
    s3.put_object(Bucket="models", Key="new/model.tar.gz", Body=weights(10, 0))
    with running_server(settings()) as url:
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        deploy(sm, model_data="s3://models/old/model.tar.gz")
        assert settled(sm)["EndpointStatus"] == "InService"
        configure(sm, model="m2", config="c2", model_data="s3://models/new/model.tar.gz")
        answers: list[Any] = []
        failures: list[BaseException] = []
        stop = threading.Event()

        def invoke() -> None:
            while not stop.is_set():
                try:
                    answers.append(predict(runtime, 1)["predictions"][0])
                except BaseException as exc:  # noqa: BLE001 - every failure is counted
                    failures.append(exc)

        invoker = threading.Thread(target=invoke)
        invoker.start()
        try:
            time.sleep(0.3)
            sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")
            assert settled(sm)["EndpointStatus"] == "InService"
            # Past the old container's drain and stop: invocations go on against the new one only.
            assert until(lambda: len(rows(database_url)) == 1)
            time.sleep(0.3)
        finally:
            stop.set()
            invoker.join()
        assert failures == []
        assert set(answers) == {3, 10}
        switched = answers.index(10)
        assert set(answers[switched:]) == {10}  # once moved, traffic never goes back to the old container


def test_a_restarted_emulator_brings_the_containers_back(s3: Any, settings: Any, database_url: str) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with running_server(settings()) as url:
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        deploy(sm)
        assert settled(sm)["EndpointStatus"] == "InService"
        first = pid_of(runtime)
    assert until(lambda: gone(first))  # a server that stops stops its containers
    [row] = rows(database_url)
    assert (row["owner"], row["url"]) == (None, None)
    with running_server(settings()) as url:
        runtime = sagemaker_client(url, service="sagemaker-runtime")

        def answers() -> bool:
            try:
                return bool(predict(runtime, 1) == {"predictions": [3.5]})
            except ClientError:
                return False

        # No call brings them back: the new server takes the container over by itself.
        assert until(answers)
        [row] = rows(database_url)
        assert row["status"] == "Healthy"


def containers(url: str) -> dict[str, Any]:
    found: dict[str, Any] = http().get(f"{url}/_emulator/containers").json()
    return found


def test_two_replicas_serve_one_running_container(s3: Any, settings: Any) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    stacks = [ExitStack(), ExitStack()]
    try:
        urls = [stack.enter_context(running_server(settings())) for stack in stacks]
        sm = sagemaker_client(urls[0])
        deploy(sm)
        assert settled(sm)["EndpointStatus"] == "InService"
        runtimes = [sagemaker_client(url, service="sagemaker-runtime") for url in urls]
        assert len({pid_of(runtime) for runtime in runtimes for _ in range(3)}) == 1  # one container, two doors
        [listed] = containers(urls[1])["containers"]
        assert (listed["endpoint_name"], listed["variant_name"], listed["image"], listed["status"]) == (
            "e",
            "AllTraffic",
            IMAGE,
            "Healthy",
        )
        # The owner stops: the other replica takes the container over and serves it, without a call.
        owner = [containers(url)["process"] for url in urls].index(listed["owner"])
        survivor = urls[1 - owner]
        stacks[owner].close()
        runtime = sagemaker_client(survivor, service="sagemaker-runtime")

        def served_by_survivor() -> bool:
            [now] = containers(survivor)["containers"]
            return bool(now["owner"] == containers(survivor)["process"] and now["status"] == "Healthy")

        assert until(served_by_survivor)
        assert predict(runtime, 1) == {"predictions": [3.5]}
    finally:
        for stack in stacks:
            stack.close()


# The Docker template the README documents (its test holds them equal), run here by a stand-in `docker` (this
# machine has no Docker engine).
STAND_IN = f"""#!{sys.executable}
# A stand-in for `docker run`: records its arguments, then runs the example model server as the image would, on the
# host port that -p maps to the container's 8080, with the model directory that -v mounts and the --env-file's
# variables.
import json, os, sys
args = sys.argv[1:]
with open(os.environ["DOCKER_ARGS_FILE"], "a") as record:
    record.write(json.dumps(args) + "\\n")
port = args[args.index("-p") + 1].split(":")[1]
model_dir = args[args.index("-v") + 1].split(":")[0]
with open(args[args.index("--env-file") + 1]) as env_file:
    env = dict(line.split("=", 1) for line in env_file.read().splitlines())
os.execve(sys.executable, [sys.executable, {str(SERVER)!r}, "serve", "--port", port, "--model-dir", model_dir], {{**os.environ, **env}})
"""


def test_the_docker_template_runs_the_image_with_its_model_directory_mounted(
    s3: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(STAND_IN)
    (bin_dir / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_ARGS_FILE", str(tmp_path / "docker-args"))
    with running_server(settings(model_commands={"*": DOCKER_TEMPLATE})) as url:
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        environment = {"SAGEMAKER_PROGRAM": "inference.py", "LOG_LEVEL": "debug"}
        model_data = "s3://models/m/model.tar.gz"
        deploy(sm, container={"Image": IMAGE, "ModelDataUrl": model_data, "Environment": environment})
        assert settled(sm)["EndpointStatus"] == "InService"
        assert predict(runtime, 1, 2) == {"predictions": [3.5, 6.5]}
        [listed] = containers(url)["containers"]
    [args] = [json.loads(line) for line in (tmp_path / "docker-args").read_text().splitlines()]
    port = listed["url"].rsplit(":", 1)[1]
    env_file, model_dir = args[5], args[7].removesuffix(":/opt/ml/model:ro")
    assert args == [
        "run", "--rm", "-p", f"127.0.0.1:{port}:8080", "--env-file", env_file, "-v", f"{model_dir}:/opt/ml/model:ro",
        IMAGE, "serve",
    ]  # fmt: skip
    # The model directory holds the artifact extracted; the env file, the container's Environment (not the port).
    assert json.loads((Path(model_dir) / "model.json").read_text()) == {"weight": 3, "bias": 0.5}
    assert Path(env_file).read_text() == "SAGEMAKER_PROGRAM=inference.py\nLOG_LEVEL=debug\n"


@full_only
def test_an_emulator_killed_with_sigkill_takes_its_containers_along_and_the_next_brings_them_back(
    s3: Any, s3_url: str, database_url: str, tmp_path: Path
) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    env = {
        **os.environ,
        "SAGEMAKER_EMULATOR_DATABASE_URL": database_url,
        "SAGEMAKER_EMULATOR_S3_ENDPOINT_URL": s3_url,
        "SAGEMAKER_EMULATOR_MODEL_DATA_DIR": str(tmp_path / "model-data"),
        "SAGEMAKER_EMULATOR_MODEL_COMMANDS": json.dumps({"*": COMMAND}),
    }
    with server_process(env=env) as (url, proc):
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        deploy(sm)
        assert settled(sm)["EndpointStatus"] == "InService"
        first = pid_of(runtime)
        proc.kill()
        proc.wait()
        assert until(lambda: gone(first), timeout=5)  # no orphan holds the port: it died with its parent
    with server_process(env=env) as (url, _):
        runtime = sagemaker_client(url, service="sagemaker-runtime")

        def answers() -> bool:
            try:
                return bool(predict(runtime, 1) == {"predictions": [3.5]})
            except ClientError:
                return False

        # The killed server's lease runs out (7 s), then the new one takes the container over.
        assert until(answers, timeout=30)


def test_an_endpoint_imported_from_a_snapshot_gets_its_containers_back(s3: Any, settings: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with running_server(settings()) as url:
        sm = sagemaker_client(url)
        deploy(sm)
        assert settled(sm)["EndpointStatus"] == "InService"
        snapshot = http().get(f"{url}/_emulator/state").content
    other = Settings(
        database_url=f"sqlite:///{tmp_path / 'other.db'}",
        s3_endpoint_url=settings().s3_endpoint_url,
        model_data_dir=tmp_path / "other-model-data",
    )
    with running_server(other) as url:
        assert http().put(f"{url}/_emulator/state", content=snapshot).status_code == 200
        runtime = sagemaker_client(url, service="sagemaker-runtime")
        outcomes: list[Any] = []

        def answers() -> bool:
            try:
                outcomes.append(predict(runtime, 1))
                return True
            except ClientError as error:
                outcomes.append(error.response["Error"])
                return False

        # The first invocation finds no container and starts it (the import wrote none); later ones reach it.
        assert until(answers)
        assert outcomes[0] == {"Code": "ModelError", "Message": UNREACHABLE}
        assert outcomes[-1] == {"predictions": [3.5]}


def test_each_container_of_a_serial_pipeline_runs_with_its_own_weights(s3: Any, settings: Any) -> None:
    s3.put_object(Bucket="models", Key="a/model.tar.gz", Body=weights(2, 0))
    s3.put_object(Bucket="models", Key="b/model.tar.gz", Body=weights(10, 1))
    with running_server(settings()) as url:
        sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
        sm.create_model(
            ModelName="pipeline",
            Containers=[
                {"Image": IMAGE, "ModelDataUrl": "s3://models/a/model.tar.gz", "ContainerHostname": "first"},
                {"Image": IMAGE, "ModelDataUrl": "s3://models/b/model.tar.gz", "ContainerHostname": "second"},
            ],
            ExecutionRoleArn=ROLE,
        )
        sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "pipeline",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        assert settled(sm)["EndpointStatus"] == "InService"
        # 10 * (2 * 1 + 0) + 1: the first container's answer is the second's input.
        assert predict(runtime, 1) == {"predictions": [21]}
        assert [c["position"] for c in containers(url)["containers"]] == [1, 2]


def test_an_image_that_reads_as_an_option_is_never_run(settings: Any, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    # Were `--version` a word of this command, it would run and create the marker.
    command = f"{sys.executable} -c 'import sys; open(sys.argv[1], \"w\")' {marker} {{image}}"
    with running_server(settings(model_commands={"*": command})) as url:
        sm = sagemaker_client(url)
        deploy(sm, container={"Image": "--version"})
        described = settled(sm)
        assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", PING_FAILED)
    assert not marker.exists()


def transform(sm: Any, name: str, *, model: str = "m") -> dict[str, Any]:
    """A Line-split, MultiRecord CSV transform of s3://data/in/ into s3://data/out/, run to its end."""
    sm.create_transform_job(
        TransformJobName=name,
        ModelName=model,
        BatchStrategy="MultiRecord",
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/in/"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": "s3://data/out", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )
    deadline = time.monotonic() + 60
    while True:
        described: dict[str, Any] = sm.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] not in ("InProgress", "Stopping") or time.monotonic() > deadline:
            return described
        time.sleep(0.1)


def test_a_transform_job_runs_its_model_s_container_with_the_weights_from_s3(s3: Any, settings: Any) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="in/a.csv", Body=b"1\n2\n10\n")
    with running_server(settings(transform_scan_seconds=0.2)) as url:
        sm = sagemaker_client(url)
        sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/m/model.tar.gz"})
        described = transform(sm, "scores")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        assert s3.get_object(Bucket="data", Key="out/a.csv.out")["Body"].read() == b"3.5\n6.5\n30.5\n"
        # The job's container ran for the job alone: no endpoint's container row was made for it.
        assert containers(url)["containers"] == []


def test_a_transform_job_whose_container_crashes_on_load_fails(s3: Any, settings: Any) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=tar_gz({"model.json": b"{not json"}))
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="in/a.csv", Body=b"1\n")
    with running_server(settings(transform_scan_seconds=0.2)) as url:
        sm = sagemaker_client(url)
        sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/m/model.tar.gz"})
        described = transform(sm, "crashing")
        assert (described["TransformJobStatus"], described["FailureReason"]) == (
            "Failed",
            "ClientError: The container primary did not pass the ping health check. Please check the job's logs.",
        )
        assert "Contents" not in s3.list_objects_v2(Bucket="data", Prefix="out/")


def test_a_model_server_url_for_the_image_wins_over_its_command(s3: Any, settings: Any) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=weights(3, 0.5))
    with model_server(env={**os.environ, "MODEL_WEIGHT": "7", "MODEL_BIAS": "0"}) as (server_url, _):
        with running_server(settings(model_servers={IMAGE: server_url})) as url:
            sm, runtime = sagemaker_client(url), sagemaker_client(url, service="sagemaker-runtime")
            deploy(sm)
            assert settled(sm)["EndpointStatus"] == "InService"
            # The configured model server answers (its own weights), and no container was run for the image.
            assert predict(runtime, 1) == {"predictions": [7]}
            assert containers(url)["containers"] == []
