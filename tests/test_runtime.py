"""SageMaker Runtime's InvokeEndpoint on the emulator's port, through boto3 and the AWS CLI: routing to an endpoint
that serves in the caller's account and region, production variants by weight or by TargetVariant, and every error
with AWS's code, status and message. With no model server configured, the model echoes its input."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.scopes import KEYS, account_map, secret_map, signed_client
from tests.support import http, running_server, sagemaker_client

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111122223333"


def runtime_client(
    endpoint: str, *, region: str = "us-east-1", access_key: str = "AKIDEXAMPLE", secret: str = "secret"
) -> Any:
    return sagemaker_client(endpoint, region=region, service="sagemaker-runtime", access_key=access_key, secret=secret)


@pytest.fixture
def server(make_settings: Any) -> Iterator[str]:
    with running_server(make_settings(access_keys={"AKIDOTHER": OTHER_ACCOUNT})) as url:
        yield url


def deploy(
    sm: Any, name: str, *, weights: dict[str, float] | None = None, describe: bool = True, image: str = IMAGE
) -> None:
    """A model of `image`, a config with these variants (weights by name) and an endpoint; described once, so
    InService."""
    sm.create_model(ModelName=f"{name}-model", PrimaryContainer={"Image": image})
    variants = [
        {"VariantName": v, "ModelName": f"{name}-model", "InitialInstanceCount": 1, "InitialVariantWeight": w}
        for v, w in (weights or {"AllTraffic": 1.0}).items()
    ]
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=variants)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    if describe:
        assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def test_invoke_echoes_body_content_type_and_custom_attributes(server: str) -> None:
    deploy(sagemaker_client(server), "echo")
    payload = bytes(range(256)) * 4  # any bytes, untouched
    answer = runtime_client(server).invoke_endpoint(
        EndpointName="echo",
        Body=payload,
        ContentType="application/x-test",
        CustomAttributes="trace=1",
        PrefixAwareId="tenant-a",  # new in botocore 1.44: taken (routing by weight ignores it)
    )
    assert answer["Body"].read() == payload
    assert answer["ContentType"] == "application/x-test"
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["CustomAttributes"] == "trace=1"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["ResponseMetadata"]["RequestId"]


def test_variant_weights_are_honoured_and_target_variant_wins(server: str) -> None:
    deploy(sagemaker_client(server), "split", weights={"Big": 3.0, "Small": 1.0, "Off": 0.0})
    runtime = runtime_client(server)
    calls = 400
    seen = Counter(
        runtime.invoke_endpoint(EndpointName="split", Body=b"x")["InvokedProductionVariant"] for _ in range(calls)
    )
    assert set(seen) == {"Big", "Small"}
    # Binomial(400, 0.75): mean 300, sd 8.7; 260..340 is more than 4.5 sd either way.
    assert 260 <= seen["Big"] <= 340, seen
    for variant in ("Small", "Off"):
        answer = runtime.invoke_endpoint(EndpointName="split", Body=b"x", TargetVariant=variant)
        assert answer["InvokedProductionVariant"] == variant


def error_of(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]


# (case, runtime client's region and access key, request) -> AWS's code, status and message.
ERRORS = [
    (
        "no such endpoint",
        {},
        {"EndpointName": "missing"},
        ("ValidationError", 400, f"Endpoint missing of account {ACCOUNT} not found."),
    ),
    (
        "another account's endpoint",
        {"access_key": "AKIDOTHER"},
        {"EndpointName": "ready"},
        ("ValidationError", 400, f"Endpoint ready of account {OTHER_ACCOUNT} not found."),
    ),
    (
        "another region's endpoint",
        {"region": "eu-west-1"},
        {"EndpointName": "ready"},
        ("ValidationError", 400, f"Endpoint ready of account {ACCOUNT} not found."),
    ),
    (
        "an endpoint still Creating",
        {},
        {"EndpointName": "creating"},
        ("ValidationError", 400, f"Endpoint creating of account {ACCOUNT} not found."),
    ),
    (
        "a TargetVariant the endpoint lacks",
        {},
        {"EndpointName": "ready", "TargetVariant": "Nope"},
        ("ValidationError", 400, f"Variant Nope not found for endpoint ready of account {ACCOUNT}."),
    ),
    (
        "an endpoint name too long",
        {},
        {"EndpointName": "e" * 64},
        (
            "ValidationError",
            400,
            f"1 validation error detected: Value '{'e' * 64}' at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63",
        ),
    ),
    (
        "a bad TargetVariant and InferenceId",
        {},
        {"EndpointName": "ready", "TargetVariant": "no_such", "InferenceId": "x\ty"},
        (
            "ValidationError",
            400,
            "2 validation errors detected: Value 'no_such' at 'targetVariant' failed to satisfy constraint: Member"
            " must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*; Value 'x\ty' at 'inferenceId'"
            " failed to satisfy constraint: Member must satisfy regular expression pattern: \\A\\S[\\p{Print}]*\\z",
        ),
    ),
    (
        # A member the API model gained in botocore 1.44: checked as every header member is.
        "a PrefixAwareId too long",
        {},
        {"EndpointName": "ready", "PrefixAwareId": "p" * 65},
        (
            "ValidationError",
            400,
            f"1 validation error detected: Value '{'p' * 65}' at 'prefixAwareId' failed to satisfy constraint: Member must have length less than or equal to 64",
        ),
    ),
    (
        "a TargetModel for an endpoint that is not multi-model",
        {},
        {"EndpointName": "ready", "TargetModel": "model-a.tar.gz"},
        (
            "ValidationError",
            400,
            "Endpoint ready is not a multi-model endpoint and does not support target model header.",
        ),
    ),
    (
        "a body over 6 MB",
        {},
        {"EndpointName": "ready", "Body": b"x" * (6 * 1024 * 1024 + 4097)},
        ("413", 413, "HTTP content length exceeded 6295552 bytes."),
    ),
]


@pytest.mark.parametrize(
    ("client_args", "request_args", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_invoke_errors(server: str, client_args: dict[str, Any], request_args: dict[str, Any], expected: Any) -> None:
    sm = sagemaker_client(server)
    deploy(sm, "ready")
    deploy(sm, "creating", describe=False)
    runtime = runtime_client(server, **client_args)
    assert error_of(runtime.invoke_endpoint, **{"Body": b"{}", **request_args}) == expected


def test_a_deleted_endpoint_is_not_found(server: str) -> None:
    sm = sagemaker_client(server)
    deploy(sm, "gone")
    sm.delete_endpoint(EndpointName="gone")
    expected = ("ValidationError", 400, f"Endpoint gone of account {ACCOUNT} not found.")
    assert error_of(runtime_client(server).invoke_endpoint, EndpointName="gone", Body=b"x") == expected


def test_aws_cli_invoke_endpoint_with_the_runtime_endpoint_variable(server: str, tmp_path: Path) -> None:
    deploy(sagemaker_client(server), "cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="t",
        AWS_SECRET_ACCESS_KEY="t",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=server,
        AWS_CONFIG_FILE="/nonexistent",
    )
    aws = [str(Path(sys.executable).parent / "aws"), "sagemaker-runtime", "invoke-endpoint"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*aws, *args], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)

    (tmp_path / "in.json").write_text('{"x": [1, 2]}')
    done = cli("--endpoint-name", "cli", "--body", "fileb://in.json", "--content-type", "application/json", "out.json")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").read_text() == '{"x": [1, 2]}'
    assert '"InvokedProductionVariant": "AllTraffic"' in done.stdout
    assert '"ContentType": "application/json"' in done.stdout
    missing = cli("--endpoint-name", "nope", "--body", "fileb://in.json", "out.json")
    assert missing.returncode == 255  # AWS CLI v1: a service error
    assert missing.stderr.strip() == (
        "An error occurred (ValidationError) when calling the InvokeEndpoint operation:"
        f" Endpoint nope of account {ACCOUNT} not found."
    )


def test_strict_mode_checks_the_runtimes_signatures(make_settings: Any) -> None:
    alice, (_, secret) = next(iter(KEYS.items()))
    settings = make_settings(strict_auth=True, access_keys=account_map(), secret_keys=secret_map())
    with running_server(settings) as url:
        deploy(signed_client(url, region="us-east-1", key_id=alice, secret=secret), "signed")
        runtime = runtime_client(url, access_key=alice, secret=secret)
        assert runtime.invoke_endpoint(EndpointName="signed", Body=b"ok")["Body"].read() == b"ok"
        forged = runtime_client(url, access_key=alice, secret="not-" + secret)
        code, status, message = error_of(forged.invoke_endpoint, EndpointName="signed", Body=b"ok")
        assert (code, status) == ("InvalidSignatureException", 400)
        assert message.startswith("The request signature we calculated does not match the signature you provided.")
        unsigned = http().post(f"{url}/endpoints/signed/invocations", content=b"ok")
        assert (unsigned.status_code, unsigned.headers["x-amzn-errortype"]) == (
            400,
            "MissingAuthenticationTokenException",
        )
        bob = next(key for key in KEYS if key != alice)
        other = runtime_client(url, access_key=bob, secret=KEYS[bob][1])
        assert error_of(other.invoke_endpoint, EndpointName="signed", Body=b"ok") == (
            "ValidationError",
            400,
            f"Endpoint signed of account {KEYS[bob][0]} not found.",
        )


# Requests no SDK sends: never a 500, 422, plain text or traceback.
ODD_REQUESTS = [
    ("GET", "/endpoints/ready/invocations", 400, "UnknownOperationException"),
    ("GET", "/endpoints/ready/async-invocations", 400, "UnknownOperationException"),
    ("POST", "/endpoints/ready/async-invocations", 400, "ValidationError"),  # a real-time endpoint
    ("POST", "/endpoints/", 400, "UnknownOperationException"),
    ("POST", "/endpoints//invocations", 400, "UnknownOperationException"),
    ("POST", "/endpoints/%00%ff/invocations", 400, "ValidationError"),
]


@pytest.mark.parametrize(("method", "path", "status", "code"), ODD_REQUESTS)
def test_odd_runtime_requests_get_aws_errors(server: str, method: str, path: str, status: int, code: str) -> None:
    answer = http().request(method, server + path, content=b"{}")
    assert (answer.status_code, answer.headers["x-amzn-errortype"]) == (status, code)
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["__type"] == code


def test_each_invocation_is_one_request_log_line(server: str, caplog: pytest.LogCaptureFixture) -> None:
    deploy(sagemaker_client(server), "logged")
    with caplog.at_level(logging.INFO, logger="emulator.request"):
        runtime_client(server).invoke_endpoint(EndpointName="logged", Body=b"x")
        error_of(runtime_client(server).invoke_endpoint_with_response_stream, EndpointName="nope", Body=b"x")
        # The server thread logs a request once its answer is sent: the client can read it a moment before.
        deadline = time.monotonic() + 5
        while sum(hasattr(r, "request") for r in caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    fields = [r.request for r in caplog.records if hasattr(r, "request")]
    assert [(f["operation"], f["status"], f["error"], f["account_id"]) for f in fields] == [
        ("InvokeEndpoint", 200, "-", ACCOUNT),
        ("InvokeEndpointWithResponseStream", 400, "ValidationError", ACCOUNT),
    ]


def test_the_endpoint_name_must_match_the_case_it_was_created_with(server: str) -> None:
    sm = sagemaker_client(server)
    deploy(sm, "CasedEndpoint")
    # The SageMaker API finds it whatever the case (names are unique case-insensitively) ...
    assert sm.describe_endpoint(EndpointName="casedendpoint")["EndpointName"] == "CasedEndpoint"
    runtime = runtime_client(server)
    # ... the runtime does not: "the case is preserved and must be matched in InvokeEndpoint" [M].
    for call in (runtime.invoke_endpoint, runtime.invoke_endpoint_with_response_stream):
        assert error_of(call, EndpointName="casedendpoint", Body=b"x") == (
            "ValidationError",
            400,
            f"Endpoint casedendpoint of account {ACCOUNT} not found.",
        )
    assert runtime.invoke_endpoint(EndpointName="CasedEndpoint", Body=b"x")["Body"].read() == b"x"
