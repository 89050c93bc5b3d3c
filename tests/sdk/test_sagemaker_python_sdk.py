"""The SageMaker Python SDK (`sagemaker` on PyPI) deploying a model: Model(...).deploy() returns once the endpoint is
InService, predictor.predict() invokes it, predictor.delete_endpoint() removes the endpoint and its config; with its
model data in S3 and a model command, the predictions come from the uploaded weights; Transformer.transform(...,
wait=True) runs a batch transform job whose output is the model's answers. The SDK's dependencies are heavy, so it
gets a virtual environment of its own, made here; that needs the package registry and minutes, so only the full
profile runs it (SAGEMAKER_EMULATOR_TEST_PROFILE=full). Skipped only when the SDK cannot be installed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.model_server import SERVER, model_server
from tests.moto_s3 import emptied, make_bucket
from tests.profiles import FULL, PROFILE_ENV
from tests.support import running_server

# The SDK's v2 API (Model, Predictor); v3 restructured the package.
SAGEMAKER_SDK = "sagemaker==2.232.0"
SCRIPT = Path(__file__).parent / "sagemaker_sdk" / "deploy.py"
REGISTRY_SCRIPT = Path(__file__).parent / "sagemaker_sdk" / "registry.py"
MODEL_DATA_SCRIPT = Path(__file__).parent / "sagemaker_sdk" / "model_data.py"
ASYNC_SCRIPT = Path(__file__).parent / "sagemaker_sdk" / "predict_async.py"
TRANSFORM_SCRIPT = Path(__file__).parent / "sagemaker_sdk" / "transform.py"
TOY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/registry:1.0"
ARN = "arn:aws:sagemaker:us-east-1:123456789012"

pytestmark = [
    pytest.mark.skipif(not FULL, reason=f"installs from the package registry: {PROFILE_ENV}=full runs it"),
    # Under pytest-xdist (CI's -n 2) on one worker: the SDK's venv (a minute to install) is made once, not per worker.
    pytest.mark.xdist_group("sagemaker-sdk"),
]


@pytest.fixture(scope="module")
def sdk_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("sagemaker-sdk") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", SAGEMAKER_SDK],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if installed.returncode != 0:
        pytest.skip(f"{SAGEMAKER_SDK} could not be installed: {installed.stderr.strip().splitlines()[-1:]}")
    return python


def run_script(sdk_python: Path, script: Path, *args: str, cwd: Path) -> dict[str, Any]:
    """`script args...` in the SDK's venv, with no AWS or emulator settings of ours; what it printed last, as JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_EMULATOR_", "VIRTUAL_ENV"))}
    env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    done = subprocess.run(
        [str(sdk_python), str(script), *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1].lstrip("!"))  # type: ignore[no-any-return]


def test_model_deploy_then_delete_endpoint(endpoint: str, sdk_python: Path, tmp_path: Path) -> None:
    out = run_script(sdk_python, SCRIPT, endpoint, cwd=tmp_path)
    assert (out["predictor_endpoint"], out["status"], out["config"]) == ("sdk-endpoint", "InService", "sdk-endpoint")
    # One poll: the endpoint was InService at the SDK's first DescribeEndpoint (its 30 s sleep was recorded, not slept).
    assert out["sleeps"] == [30]
    assert out["variant"] == {
        "VariantName": "AllTraffic",
        "ModelName": "sdk-deployed-model",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
        "InitialVariantWeight": 1,
    }
    assert out["predicted"] == '{"instances": [1]}'  # the runtime's echo, through Predictor.predict()
    assert out["listed_after_delete"] == [["sdk-endpoint", "Deleting"]]
    assert out["described_after_delete"] == f'Could not find endpoint "{ARN}:endpoint/sdk-endpoint".'
    assert (out["endpoints_after_delete"], out["configs_after_delete"]) == ([], [])


def test_register_approve_deploy_predict_then_delete_endpoint(
    make_settings: Any, sdk_python: Path, tmp_path: Path
) -> None:
    """Model.register() into a group, update_approval_status(), ModelPackage(role, arn).deploy(), predict() answered
    by the model server configured for the package's image, delete_endpoint()."""
    with model_server() as (model, _), running_server(make_settings(model_servers={IMAGE: model})) as endpoint:
        out = run_script(sdk_python, REGISTRY_SCRIPT, endpoint, IMAGE, cwd=tmp_path)
    package = f"{ARN}:model-package/sdk-registry"
    assert (out["arn"], out["second"]) == (f"{package}/1", f"{package}/2")
    assert (out["before"], out["after"]) == ("PendingManualApproval", ["Approved", "checked"])
    assert out["containers"] == [
        {"Image": IMAGE, "ModelDataUrl": "s3://emulator-bucket/model.tar.gz", "Environment": {}}
    ]
    assert (out["status"], out["deployed"]) == ("InService", [IMAGE])
    assert out["model"] == [{"Mode": "SingleModel", "Environment": {}, "ModelPackageName": f"{package}/1"}]
    assert json.loads(out["predicted"]) == {"predictions": [3, 6]}  # the model server's answer, not the echo
    assert out["endpoints_after_delete"] == [["sdk-registry", "Deleting"]]


def test_model_data_uploaded_to_s3_deployed_by_a_model_command_predicts_from_its_weights(
    make_settings: Any, sdk_python: Path, tmp_path: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session.upload_data() to a real S3-protocol server (moto's), Model(image_uri, model_data).deploy(): the
    emulator downloads the model.tar.gz and runs the example model server on it (the operator's model command),
    predict() answers y = weight * x + bias with the uploaded weights, delete_endpoint() stops it. The SDK's process
    reaches nothing but the emulator and that S3 (every connection it opens is recorded, any other refused)."""
    s3 = emptied(s3_url, monkeypatch)  # bucket `models`; the emulator reads it with the credentials it puts in env
    command = f"{sys.executable} {SERVER} serve --port {{port}} --model-dir {{model_dir}}"
    settings = make_settings(
        s3_endpoint_url=s3_url, model_commands={"*": command}, model_data_dir=tmp_path / "model-data"
    )
    weights = {"weight": -1.5, "bias": 4}
    with running_server(settings) as endpoint:
        out = run_script(sdk_python, MODEL_DATA_SCRIPT, endpoint, s3_url, IMAGE, json.dumps(weights), cwd=tmp_path)

        def containers() -> list[dict[str, Any]]:
            return httpx.get(f"{endpoint}/_emulator/containers").json()["containers"]  # type: ignore[no-any-return]

        deadline = time.monotonic() + 20
        while (containers() or alive(out["pid"])) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (containers(), alive(out["pid"])) == ([], False)  # delete_endpoint() stopped the container
    assert out["model_data"] == "s3://models/sdk/model.tar.gz"
    uploaded = s3.get_object(Bucket="models", Key="sdk/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(uploaded)) as tar:
        assert json.load(tar.extractfile("model.json")) == weights  # type: ignore[arg-type]
    assert out["container"] == {
        "Image": IMAGE,
        "Mode": "SingleModel",
        "ModelDataUrl": "s3://models/sdk/model.tar.gz",
        # DescribeModel adds the source, as AWS does (docs/decisions.md, DescribeModel).
        "ModelDataSource": {
            "S3DataSource": {
                "S3Uri": "s3://models/sdk/model.tar.gz",
                "S3DataType": "S3Object",
                "CompressionType": "Gzip",
            }
        },
        "Environment": {},
    }
    # InService at the SDK's first DescribeEndpoint, after its one 30 s sleep (recorded, not slept): the describe
    # waited for the container's first 200 from /ping.
    assert (out["status"], out["sleeps"]) == ("InService", [30])
    assert out["predicted"] == {"predictions": [1, -11]}  # -1.5 * 2 + 4, -1.5 * 10 + 4
    assert out["endpoints_after_delete"] == [["sdk-weights", "Deleting"]]
    assert out["refused"] == []
    assert out["ports"] == sorted({urlsplit(endpoint).port, urlsplit(s3_url).port})


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_async_predictor_predict_async_and_its_result(
    make_settings: Any, s3_url: str, sdk_python: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy(async_inference_config=...) returns an AsyncPredictor; predict_async() uploads the input to S3 and
    queues it; get_result() polls S3 for the model server's answer; a failing request's model error is read from
    the failure path."""
    make_bucket(emptied(s3_url, monkeypatch), "emulator-bucket")
    with model_server() as (model, _):
        settings = make_settings(s3_endpoint_url=s3_url, model_servers={TOY: model})
        with running_server(settings) as endpoint:
            out = run_script(sdk_python, ASYNC_SCRIPT, endpoint, s3_url, cwd=tmp_path)
    assert (out["predictor"], out["response"]) == ("AsyncPredictor", "AsyncInferenceResponse")
    assert out["output_path"].startswith("s3://emulator-bucket/async-out/") and out["output_path"].endswith(".out")
    assert out["failure_path"].startswith("s3://emulator-bucket/async-failures/")
    assert out["config"] == {
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2},
        "OutputConfig": {
            "S3OutputPath": "s3://emulator-bucket/async-out",
            "S3FailurePath": "s3://emulator-bucket/async-failures",
        },
    }
    assert json.loads(out["result"]) == {"predictions": [3, 6]}
    assert json.loads(out["predicted"]) == {"predictions": [9]}
    # The SDK puts the failure object's bytes into its message as they are (their repr).
    assert out["failure"] == "Model returned error: b'bad input' "


def test_transformer_transform_waits_for_the_job_and_its_output_is_the_model_s_answers(
    make_settings: Any, sdk_python: Path, tmp_path: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3Uploader.upload_bytes() of 2 MB of CSV to moto's S3, Transformer(...).transform(data="s3://...",
    content_type="text/csv", split_type="Line", wait=True, logs=False) against the emulator, whose job the example
    model server answers; S3Downloader reads the output back. The SDK's process reaches nothing but the emulator and
    that S3 (every connection it opens is recorded, any other refused)."""
    s3 = emptied(s3_url, monkeypatch)
    make_bucket(s3, "data")
    with model_server() as (model, _):
        settings = make_settings(s3_endpoint_url=s3_url, model_servers={TOY: model}, transform_scan_seconds=0.2)
        with running_server(settings) as endpoint:
            out = run_script(sdk_python, TRANSFORM_SCRIPT, endpoint, s3_url, TOY, cwd=tmp_path)
        body = s3.get_object(Bucket="data", Key="sdk-in/rows.csv")["Body"].read()
        # The toy model answers a line per line: the whole object sent directly is what the job's mini-batches add up
        # to, each answer ended by a newline (AssembleWith Line).
        direct = httpx.post(f"{model}/invocations", content=body, headers={"Content-Type": "text/csv"}, timeout=300)
    expected = direct.content + b"\n"
    written = s3.get_object(Bucket="data", Key="sdk-out/rows.csv.out")["Body"].read()
    assert written == expected
    assert (out["input_sha256"], out["written_sha256"], out["written_length"]) == (
        hashlib.sha256(body).hexdigest(),
        hashlib.sha256(expected).hexdigest(),
        len(expected),
    )
    assert out["listed"] == ["s3://data/sdk-out/rows.csv.out"]
    assert out["job"].startswith("toy-")  # the SDK names the job after the model's image, read by DescribeModel
    assert out["status"] == "Completed"
    assert out["input"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/sdk-in/"}},
        "ContentType": "text/csv",
        "CompressionType": "None",
        "SplitType": "Line",
    }
    assert out["output"] == {"S3OutputPath": "s3://data/sdk-out", "Accept": "text/csv", "AssembleWith": "Line"}
    assert (out["strategy"], out["payload"]) == ("MultiRecord", 1)
    # wait_for_transform_job's polls (5 s each, recorded and not slept), not logs_for_transform_job's (10 s).
    assert out["sleeps"] and set(out["sleeps"]) == {5}
    assert out["refused"] == []
    assert out["ports"] == sorted({urlsplit(endpoint).port, urlsplit(s3_url).port})
