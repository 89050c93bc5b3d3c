"""The Dockerfile and compose.yaml without a Docker engine: schema-valid compose, and the image's exact start and
health commands run here, with the image's env, to prove they serve."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support import free_port, http, sagemaker_client, wait_ready

ROOT = Path(__file__).parent.parent


def final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the last stage, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            logical.append(pending.strip())
        pending = ""
    stage: list[tuple[str, str]] = []
    for entry in logical:
        instruction, _, args = entry.partition(" ")
        if instruction.upper() == "FROM":
            stage = []
        stage.append((instruction.upper(), args.strip()))
    return stage


@pytest.fixture(scope="module")
def image() -> dict[str, Any]:
    stage = final_stage(ROOT / "Dockerfile")
    env: dict[str, str] = {}
    for instruction, args in stage:
        if instruction == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(args))  # type: ignore[arg-type]
    one = {i: a for i, a in stage if i in ("CMD", "ENTRYPOINT", "HEALTHCHECK", "USER", "EXPOSE", "VOLUME")}
    health = one["HEALTHCHECK"]
    return {
        "env": env,
        "command": json.loads(one.get("ENTRYPOINT", "[]")) + json.loads(one["CMD"]),
        "healthcheck": json.loads(health[health.index("CMD ") + 4 :]),
        "user": one["USER"],
        "expose": one["EXPOSE"],
        "volume": json.loads(one["VOLUME"]),
    }


def test_image_runs_as_non_root_and_its_port_and_volume_match_its_settings(image: dict[str, Any]) -> None:
    assert image["user"].split(":")[0] not in ("0", "root")
    assert image["expose"] == image["env"]["SAGEMAKER_EMULATOR_PORT"] == "8787"
    assert image["env"]["SAGEMAKER_EMULATOR_DATABASE_URL"] == f"sqlite:///{image['volume'][0]}/sagemaker-emulator.db"
    assert image["env"]["SAGEMAKER_EMULATOR_HOST"] == "0.0.0.0"


@pytest.fixture
def container_env(image: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """The image's env, outside a container: its volume is a temporary directory, it listens on loopback and a free
    port (tests never listen elsewhere), and our virtual environment's commands come first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_EMULATOR_")}
    env.update(image["env"])
    env["SAGEMAKER_EMULATOR_HOST"] = "127.0.0.1"
    env["SAGEMAKER_EMULATOR_PORT"] = str(free_port())
    env["SAGEMAKER_EMULATOR_DATABASE_URL"] = env["SAGEMAKER_EMULATOR_DATABASE_URL"].replace(
        image["volume"][0], str(tmp_path)
    )
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def started(image: dict[str, Any], container_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen(image["command"], env=container_env, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{container_env['SAGEMAKER_EMULATOR_PORT']}"
        wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr:
            proc.stderr.close()


def test_the_image_start_command_serves(started: str, tmp_path: Path) -> None:
    sm = sagemaker_client(started)
    sm.create_model(
        ModelName="in-a-box", PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}
    )
    assert sm.describe_model(ModelName="in-a-box")["ModelName"] == "in-a-box"
    assert (tmp_path / "sagemaker-emulator.db").is_file()  # the data is in the volume
    assert http().get(f"{started}/_emulator/settings").json()["admin_access"] == "loopback"  # here, not in Docker


def test_the_image_healthcheck_passes_while_serving_and_fails_when_not(
    image: dict[str, Any], container_env: dict[str, str], started: str
) -> None:
    healthy = subprocess.run(image["healthcheck"], env=container_env, capture_output=True, text=True, timeout=30)
    assert (healthy.returncode, healthy.stderr) == (0, "")
    elsewhere = {**container_env, "SAGEMAKER_EMULATOR_PORT": str(free_port())}
    unhealthy = subprocess.run(image["healthcheck"], env=elsewhere, capture_output=True, text=True, timeout=30)
    assert unhealthy.returncode == 1
    assert unhealthy.stderr.startswith(
        f"not ready: http://127.0.0.1:{elsewhere['SAGEMAKER_EMULATOR_PORT']}/_emulator/ready"
    )


def compose_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "docker" / "compose-spec.json").read_text())
    return jsonschema.Draft201909Validator(schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert [e.message for e in compose_validator().iter_errors(compose)] == []
    services = compose["services"]
    assert services["sagemaker"]["volumes"] == ["sagemaker-data:/data"]
    assert services["sagemaker-pg"]["deploy"]["replicas"] == 2
    assert services["sagemaker-pg"]["environment"]["SAGEMAKER_EMULATOR_DATABASE_URL"].startswith(
        "postgresql+psycopg://"
    )
    assert {s: services[s].get("profiles") for s in services} == {
        "sagemaker": None,
        "postgres": ["postgres"],
        "sagemaker-pg": ["postgres"],
        "toy-model": ["runtime"],
        "sagemaker-runtime": ["runtime"],
        "demo": ["runtime"],
        "minio": ["model-data"],
        "model-upload": ["model-data"],
        "sagemaker-models": ["model-data"],
        "demo-model-data": ["model-data"],
    }


def test_the_schema_check_catches_a_mistake() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    compose["services"]["sagemaker"]["healthcheck"]["intervall"] = "10s"
    assert [e.message for e in compose_validator().iter_errors(compose)] == [
        "'intervall' does not match any of the regexes: '^x-'"
    ]


APP_STACK = ROOT / "examples" / "compose.with-your-app.yaml"


def test_the_example_app_stack_is_valid_and_waits_for_a_healthy_emulator(image: dict[str, Any]) -> None:
    stack = yaml.safe_load(APP_STACK.read_text())
    assert [e.message for e in compose_validator().iter_errors(stack)] == []
    emulator, app = stack["services"]["sagemaker"], stack["services"]["app"]
    assert emulator["build"]["context"].endswith(".git#main")  # built from the repository, as nothing is published
    assert emulator["healthcheck"]["test"] == ["CMD", *image["healthcheck"]]
    assert app["depends_on"] == {"sagemaker": {"condition": "service_healthy"}}
    assert app["environment"]["AWS_ENDPOINT_URL_SAGEMAKER"] == f"http://sagemaker:{image['expose']}"


def test_the_example_app_environment_reaches_the_emulator(started: str, tmp_path: Path) -> None:
    """The app's environment as boto3 reads it, with the service name resolved as Docker's DNS would (here: the
    emulator on loopback), and no endpoint in the code."""
    app = yaml.safe_load(APP_STACK.read_text())["services"]["app"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | app["environment"]
    env["AWS_ENDPOINT_URL_SAGEMAKER"] = env["AWS_ENDPOINT_URL_SAGEMAKER"].replace("http://sagemaker:8787", started)
    code = (
        "import boto3\n"
        "sm = boto3.client('sagemaker')\n"
        "sm.create_model(ModelName='from-app', PrimaryContainer={'Image': '1.dkr.ecr.us-east-1.amazonaws.com/x:1'})\n"
        "print(sm.describe_model(ModelName='from-app')['ModelArn'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, "arn:aws:sagemaker:us-east-1:123456789012:model/from-app\n"), (
        result.stderr
    )


def test_the_runtime_profile_runs_the_whole_chain(tmp_path: Path) -> None:
    """The demo service's script with its environment, the service names resolved as Docker's DNS would (here: the
    toy model server and an emulator on loopback, the emulator configured as the profile configures it)."""
    from emulator.settings import Settings
    from tests.model_server import model_server
    from tests.support import running_server

    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    emulator_env = services["sagemaker-runtime"]["environment"]
    assert services["toy-model"]["command"][:3] == ["python", "/srv/server.py", "serve"]
    assert services["demo"]["entrypoint"] == ["sh", "/srv/demo.sh"]
    with model_server() as (toy, _):
        servers = json.loads(emulator_env["SAGEMAKER_EMULATOR_MODEL_SERVERS"].replace("http://toy-model:8080", toy))
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", model_servers=servers)
        with running_server(settings) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env |= {
                k: v.replace("http://sagemaker-runtime:8787", url) for k, v in services["demo"]["environment"].items()
            }
            env["AWS_CONFIG_FILE"] = os.devnull
            env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"  # this venv's AWS CLI
            done = subprocess.run(
                ["sh", str(ROOT / "examples" / "model_server" / "demo.sh")],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
    assert (done.returncode, done.stdout) == (0, '{"predictions": [3, 6]}\n'), done.stderr


def test_the_model_data_profile_wires_minio_the_upload_the_emulator_and_the_demo(image: dict[str, Any]) -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    minio, upload, emulator, demo = (
        services[s] for s in ("minio", "model-upload", "sagemaker-models", "demo-model-data")
    )
    credentials = (minio["environment"]["MINIO_ROOT_USER"], minio["environment"]["MINIO_ROOT_PASSWORD"])
    for service in (upload, emulator):  # both reach MinIO as its root user
        assert (service["environment"]["AWS_ACCESS_KEY_ID"], service["environment"]["AWS_SECRET_ACCESS_KEY"]) == (
            credentials
        )
    assert upload["environment"]["AWS_ENDPOINT_URL_S3"] == emulator["environment"]["SAGEMAKER_EMULATOR_S3_ENDPOINT_URL"]
    assert emulator["environment"]["SAGEMAKER_EMULATOR_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert minio["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
    assert emulator["healthcheck"]["test"] == ["CMD", *image["healthcheck"]]
    # The upload's object is the demo's model data; the demo starts once the upload is done and the emulator ready.
    assert upload["command"][-1] == demo["environment"]["MODEL_DATA_URL"] == "s3://models/toy/model.tar.gz"
    assert demo["depends_on"] == {
        "sagemaker-models": {"condition": "service_healthy"},
        "model-upload": {"condition": "service_completed_successfully"},
    }
    assert upload["depends_on"] == emulator["depends_on"] == {"minio": {"condition": "service_healthy"}}


def test_the_model_data_profile_runs_the_whole_chain(
    s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile's commands, each with its service's environment, the service names resolved as Docker's DNS would
    and its mounted folder where it is here: model-upload's script puts the weights in S3 (moto's server standing in
    for MinIO), the emulator is configured by sagemaker-models' env vars alone, and the demo's script deploys and
    invokes. The answer is y = 3x + 0.5, from examples/model_server/model/model.json, not the server's defaults."""
    from emulator.settings import Settings
    from tests.moto_s3 import reset, s3_client
    from tests.support import running_server

    reset(s3_url)
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    srv = str(ROOT / "examples" / "model_server")

    def here(value: str) -> str:
        for there, local in (("http://minio:9000", s3_url), ("/srv", srv), ("python ", f"{sys.executable} ")):
            value = value.replace(there, local)
        return value

    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_EMULATOR_"))}
    upload = services["model-upload"]
    assert upload["command"][0] == "python"
    uploaded = subprocess.run(
        [sys.executable, *(here(arg) for arg in upload["command"][1:])],
        env=base | {k: here(v) for k, v in upload["environment"].items()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (uploaded.returncode, uploaded.stdout) == (0, "s3://models/toy/model.tar.gz\n"), uploaded.stderr
    body = s3_client(s3_url).get_object(Bucket="models", Key="toy/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames() == ["model.json"]

    for name, value in services["sagemaker-models"]["environment"].items():
        monkeypatch.setenv(name, here(value))  # the emulator reads its settings and S3 credentials from these
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'models.db'}")
    assert settings.s3_endpoint_url == s3_url
    with running_server(settings) as url:
        env = base | {
            k: v.replace("http://sagemaker-models:8787", url)
            for k, v in services["demo-model-data"]["environment"].items()
        }
        env["AWS_CONFIG_FILE"] = os.devnull
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"  # this venv's AWS CLI
        done = subprocess.run(
            ["sh", str(ROOT / "examples" / "model_server" / "demo.sh")],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert (done.returncode, done.stdout) == (0, '{"predictions": [3.5, 8]}\n'), done.stderr
