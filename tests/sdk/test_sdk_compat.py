"""The same scenario through boto3, the AWS CLI, the JavaScript SDK v3, and requests shaped as Dart's aws_client and
R's paws send them, each against a live server. See scenario.py for the steps and the expected answers."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.node_sdk import locked_node_modules
from tests.profiles import full_only
from tests.sdk.scenario import DEFINITION, ScenarioError, check_results, run_scenario
from tests.support import sagemaker_client

JS_DIR = Path(__file__).parent / "js"


def snake(operation: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower()


def kebab(name: str) -> str:
    return snake(name).replace("_", "-")


# boto3


def test_boto3(endpoint: str) -> None:
    client = sagemaker_client(endpoint, validate=True)  # as users run it: client-side validation on

    def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            output = getattr(client, snake(operation))(**params)
        except ClientError as exc:
            raise ScenarioError(exc.response["Error"]["Code"], exc.response["Error"]["Message"]) from exc
        assert output.pop("ResponseMetadata")["HTTPStatusCode"] == 200
        return output  # type: ignore[no-any-return]

    check_results(run_scenario(call))


# AWS CLI

_CLI_ERROR = re.compile(r"An error occurred \((\w+)\) when calling the \w+ operation: (.*)", re.DOTALL)


def cli_args(params: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for name, value in params.items():
        flag = f"--{kebab(name)}"
        if value is True or value is False:
            args.append(flag if value else f"--no-{kebab(name)}")
        elif isinstance(value, datetime.datetime):
            args += [flag, value.isoformat()]
        elif isinstance(value, dict | list):
            args += [flag, json.dumps(value, ensure_ascii=False)]
        else:
            args += [flag, str(value)]
    return args


@pytest.mark.parametrize(
    "endpoint_from", [pytest.param("--endpoint-url", marks=full_only), "AWS_ENDPOINT_URL_SAGEMAKER"]
)
def test_aws_cli(endpoint: str, tmp_path: Path, endpoint_from: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_MAX_ATTEMPTS="1",
        PYTHONIOENCODING="utf-8",
    )
    base = [sys.executable, "-m", "awscli", "sagemaker"]
    if endpoint_from == "--endpoint-url":
        base += ["--endpoint-url", endpoint]
    else:
        env["AWS_ENDPOINT_URL_SAGEMAKER"] = endpoint

    def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        command = [*base, kebab(operation), *cli_args(params), "--output", "json"]
        if operation == "ListModels":
            command.append("--no-paginate")  # pages as the service returns them, NextToken included
        done = subprocess.run(command, env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
        if done.returncode != 0:
            found = _CLI_ERROR.search(done.stderr)
            assert found, done.stderr
            raise ScenarioError(found.group(1), found.group(2).rstrip("\n"))
        return json.loads(done.stdout) if done.stdout.strip() else {}

    check_results(run_scenario(call))


# JavaScript SDK v3


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    """tests/sdk/js with its locked node_modules (.ci/run installs them; installed here when missing)."""
    return locked_node_modules(JS_DIR)


@pytest.mark.parametrize("endpoint_from", ["endpoint", "AWS_ENDPOINT_URL_SAGEMAKER"])
def test_javascript_sdk_v3(endpoint: str, js_sdk: Path, endpoint_from: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_REGION="us-east-1", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    if endpoint_from == "endpoint":
        env["ENDPOINT"] = endpoint
    else:
        env["AWS_ENDPOINT_URL_SAGEMAKER"] = endpoint
    done = subprocess.run(
        ["node", "scenario.mjs", json.dumps(DEFINITION)],
        cwd=js_sdk,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    check_results(json.loads(done.stdout))


# Dart aws_client and R paws: raw requests shaped as they send them


def drop_nulls(value: Any) -> Any:
    """Dart's generated toJson: `if (x != null) 'X': x` at every level."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def drop_empty(value: Any) -> Any:
    """paws' request builder: null members, empty lists and empty maps are left out at every level."""
    if isinstance(value, dict):
        kept = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


def timestamps(value: Any, convert: Callable[[datetime.datetime], Any]) -> Any:
    if isinstance(value, dict):
        return {k: timestamps(v, convert) for k, v in value.items()}
    if isinstance(value, list):
        return [timestamps(v, convert) for v in value]
    return convert(value) if isinstance(value, datetime.datetime) else value


@contextmanager
def raw_client(
    endpoint: str,
    *,
    region: str,
    host: str,
    headers: dict[str, str],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
) -> Iterator[Callable[[str, dict[str, Any]], dict[str, Any]]]:
    """A client that signs with SigV4 (Host as given) and checks every answer as Dart's and paws' parsers read it;
    its connection closes when the block ends."""
    http = httpx.Client(base_url=endpoint, timeout=30)

    def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(shape(params), ensure_ascii=False, separators=(",", ":")).encode()
        request = AWSRequest(
            method="POST",
            url=f"http://{host}/",
            data=body,
            headers={**headers, "X-Amz-Target": f"SageMaker.{operation}", "Host": host},
        )
        SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "sagemaker", region).add_auth(request)
        reply = http.post("/", content=body, headers=dict(request.headers.items()))
        assert reply.headers["content-type"] == "application/x-amz-json-1.1"
        assert re.fullmatch(r"[0-9a-f-]{36}", reply.headers["x-amzn-requestid"])
        data = reply.json()
        if reply.status_code == 200:
            return data  # type: ignore[no-any-return]
        # paws takes __type before any '#' and the first key matching /message/i; Dart reads the header first.
        assert reply.status_code == 400 and set(data) == {"__type", "message"} and "#" not in data["__type"]
        assert reply.headers["x-amzn-errortype"] == data["__type"]
        raise ScenarioError(data["__type"], data["message"])

    with http:
        yield call


def test_dart_aws_client_shaped_requests(endpoint: str) -> None:
    # Seed 000: Content-Type with the charset older clients append, Host signed without the port, null members
    # left out, timestamps as whole epoch seconds; the region comes from the credential scope.
    with raw_client(
        endpoint,
        region="eu-west-1",
        host="127.0.0.1",
        headers={"Content-Type": "application/x-amz-json-1.1; charset=utf-8", "User-Agent": "aws-sdk-dart/0.5.0"},
        shape=lambda params: drop_nulls(timestamps(params, lambda t: int(t.timestamp()))),
    ) as call:
        check_results(run_scenario(call), region="eu-west-1")


def test_paws_shaped_requests(endpoint: str) -> None:
    # Seed 001: empty lists and maps left out, timestamps as fractional epoch seconds, Host with the port (curl).
    with raw_client(
        endpoint,
        region="us-east-1",
        host=endpoint.removeprefix("http://"),
        headers={"Content-Type": "application/x-amz-json-1.1", "User-Agent": "paws/0.9.0 (R4.4.1; linux-gnu; x86_64)"},
        shape=lambda params: drop_empty(timestamps(params, lambda t: t.timestamp())),
    ) as call:
        check_results(run_scenario(call))
