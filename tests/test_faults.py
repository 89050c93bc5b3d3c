"""Fault injection: configured by file, env or admin API; what clients see, with and without botocore's retries."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from emulator.faults.rules import FaultConfig, FaultRule
from emulator.shapes.generated import OPERATIONS
from tests.support import aws_post, http, running_server, sagemaker_client, server_process

IMAGE = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}


def no_retries(endpoint: str) -> Any:
    # botocore's `max_attempts` counts retries after the first attempt; `total_max_attempts` counts every attempt.
    return sagemaker_client(endpoint, retries={"mode": "standard", "total_max_attempts": 1})


def put_faults(endpoint: str, config: dict[str, Any]) -> httpx.Response:
    return http().put(f"{endpoint}/_emulator/faults", json=config, timeout=10)


def create(sm: Any, name: str) -> Any:
    return sm.create_model(ModelName=name, PrimaryContainer=IMAGE)


def error_of(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_standard_retries_absorb_injected_throttles(make_settings: Any) -> None:
    rule = FaultRule(action="throttle", operations=["CreateModel"], times=2)
    with running_server(make_settings(faults=FaultConfig(rules=[rule]))) as endpoint:
        sm = sagemaker_client(endpoint, retries={"mode": "standard", "total_max_attempts": 3})
        created = create(sm, "survives-throttling")
        assert created["ResponseMetadata"]["RetryAttempts"] == 2
        assert sm.describe_model(ModelName="survives-throttling")["ModelName"] == "survives-throttling"
        counters = http().get(f"{endpoint}/_emulator/faults").json()["counters"]
        assert counters == [{"matched": 3, "injected": 2}]


@pytest.mark.parametrize(
    ("action", "status", "code", "message"),
    [
        ("throttle", 400, "ThrottlingException", "Rate exceeded"),
        ("internal-error", 500, "InternalFailure", "We encountered an internal error. Please try again."),
        ("unavailable", 503, "ServiceUnavailable", "Service Unavailable"),
    ],
)
def test_without_retries_the_injected_error_arrives_exactly(
    endpoint: str, action: str, status: int, code: str, message: str
) -> None:
    sm = no_retries(endpoint)
    assert put_faults(endpoint, {"rules": [{"action": action, "operations": ["CreateModel"]}]}).status_code == 200
    assert error_of(lambda: create(sm, "never-stored")) == (status, code, message)
    raw = aws_post(endpoint, "CreateModel", {"ModelName": "never-stored", "PrimaryContainer": IMAGE})
    assert (raw.status_code, raw.json(), raw.headers["x-amzn-errortype"]) == (
        status,
        {"__type": code, "message": message},
        code,
    )
    # The injected failure left nothing behind; other operations are not affected.
    assert error_of(lambda: sm.describe_model(ModelName="never-stored"))[1] == "ValidationException"


def test_admin_changes_take_effect_without_restart(endpoint: str) -> None:
    sm = no_retries(endpoint)
    create(sm, "before")
    rule = {"action": "throttle", "operations": ["DescribeModel"], "message": "Slow down"}
    assert put_faults(endpoint, {"rules": [rule]}).json() == {
        "rules": [{**rule, "latency_ms": 0}],
        "counters": [{"matched": 0, "injected": 0}],
    }
    assert error_of(lambda: sm.describe_model(ModelName="before")) == (400, "ThrottlingException", "Slow down")
    create(sm, "during")  # CreateModel is not in the rule
    cleared = http().delete(f"{endpoint}/_emulator/faults").json()
    assert cleared == {"rules": [], "counters": []}
    assert sm.describe_model(ModelName="before")["ModelName"] == "before"


def test_every_nth_and_filters(endpoint: str) -> None:
    sm = no_retries(endpoint)
    rules = [
        {"action": "internal-error", "accounts": ["999999999999"]},  # another account: never matches
        {"action": "throttle", "every": 2, "model_name_prefixes": ["flaky-"]},
    ]
    assert put_faults(endpoint, {"rules": rules}).status_code == 200
    outcomes = []
    for i in range(1, 7):
        for name in (f"flaky-{i}", f"steady-{i}"):
            try:
                create(sm, name)
                outcomes.append((name, "ok"))
            except ClientError as exc:
                outcomes.append((name, exc.response["Error"]["Code"]))
    assert [o for o in outcomes if o[1] != "ok"] == [
        ("flaky-2", "ThrottlingException"),
        ("flaky-4", "ThrottlingException"),
        ("flaky-6", "ThrottlingException"),
    ]
    assert http().get(f"{endpoint}/_emulator/faults").json()["counters"] == [
        {"matched": 0, "injected": 0},
        {"matched": 6, "injected": 3},
    ]


def test_a_seed_makes_probability_repeatable(endpoint: str) -> None:
    sm = no_retries(endpoint)

    def run() -> list[bool]:
        put_faults(endpoint, {"seed": 42, "rules": [{"action": "throttle", "probability": 0.5}]})
        results = []
        for _ in range(30):
            try:
                sm.describe_model(ModelName="absent")
            except ClientError as exc:
                results.append(exc.response["Error"]["Code"] == "ThrottlingException")
        return results

    first = run()
    assert 5 < sum(first) < 25  # about half, and not all or nothing
    assert run() == first


def test_latency_is_added(endpoint: str) -> None:
    put_faults(endpoint, {"rules": [{"action": "latency", "latency_ms": 300, "operations": ["DescribeModel"]}]})
    started = time.monotonic()
    response = aws_post(endpoint, "DescribeModel", {"ModelName": "absent"})
    assert time.monotonic() - started >= 0.3
    assert response.json()["__type"] == "ValidationException"  # delayed, then answered as usual


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rules": [{"action": "throttle", "every": 2, "probability": 0.5}]}, "a rule takes probability or every"),
        ({"rules": [{"action": "latency"}]}, "a latency rule needs latency_ms > 0"),
        ({"rules": [{"action": "explode"}]}, "Input should be"),
    ],
)
def test_bad_rules_are_rejected_and_change_nothing(endpoint: str, config: dict[str, Any], message: str) -> None:
    put_faults(endpoint, {"rules": [{"action": "throttle", "operations": ["ListModels"]}]})
    response = put_faults(endpoint, config)
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"
    assert message in response.json()["message"]
    assert http().get(f"{endpoint}/_emulator/faults").json()["rules"][0]["operations"] == ["ListModels"]


def test_faults_from_a_file_and_the_environment(tmp_path: Path) -> None:
    faults_file = tmp_path / "faults.toml"
    faults_file.write_text('seed = 3\n[[rules]]\naction = "unavailable"\noperations = ["DescribeModel"]\n')
    env = {
        **os.environ,
        "SAGEMAKER_EMULATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
        "SAGEMAKER_EMULATOR_FAULTS_FILE": str(faults_file),
        "SAGEMAKER_EMULATOR_FAULTS": json.dumps({"rules": [{"action": "throttle", "operations": ["CreateModel"]}]}),
    }
    with server_process(env=env) as (endpoint, _proc):
        sm = no_retries(endpoint)
        assert error_of(lambda: create(sm, "m")) == (400, "ThrottlingException", "Rate exceeded")
        assert error_of(lambda: sm.describe_model(ModelName="m")) == (503, "ServiceUnavailable", "Service Unavailable")
        assert http().get(f"{endpoint}/_emulator/faults").json()["seed"] == 3


# SageMaker Runtime: retry handling around a throttled or failing InvokeEndpoint is what faults are mostly for.
NOT_READY = (
    "Either a serverless endpoint variant's resources are still being provisioned, or a multi-model endpoint is still"
    " downloading or loading the target model. Wait and try your request again."
)


def runtime_no_retries(endpoint: str) -> Any:
    return sagemaker_client(
        endpoint, service="sagemaker-runtime", retries={"mode": "standard", "total_max_attempts": 1}
    )


def deployed(endpoint: str, name: str = "served") -> None:
    from tests.test_runtime import deploy

    deploy(sagemaker_client(endpoint), name)


@pytest.mark.parametrize(
    ("rule", "status", "code", "message"),
    [
        # AWS's runtime throttling carries no text: `{"message": null}`, which boto3 reports as None.
        ({"action": "throttle"}, 400, "ThrottlingException", None),
        ({"action": "internal-error"}, 500, "InternalFailure", "We encountered an internal error. Please try again."),
        ({"action": "unavailable"}, 503, "ServiceUnavailable", "Service Unavailable"),
        ({"action": "model-not-ready"}, 429, "ModelNotReadyException", NOT_READY),
        (
            {"action": "throttle", "operations": ["InvokeEndpoint"], "message": "Slow down"},
            400,
            "ThrottlingException",
            "Slow down",
        ),
    ],
)
def test_faults_reach_invoke_endpoint_with_the_runtimes_errors(
    endpoint: str, rule: dict[str, Any], status: int, code: str, message: str | None
) -> None:
    deployed(endpoint)
    assert put_faults(endpoint, {"rules": [rule]}).status_code == 200
    runtime = runtime_no_retries(endpoint)
    assert error_of(lambda: runtime.invoke_endpoint(EndpointName="served", Body=b"x")) == (status, code, message)
    with pytest.raises(getattr(runtime.exceptions, code, ClientError)):  # the runtime's own exception classes
        runtime.invoke_endpoint(EndpointName="served", Body=b"x")
    raw = http().post(f"{endpoint}/endpoints/served/invocations", content=b"x", timeout=10)
    assert (raw.status_code, raw.headers["x-amzn-errortype"], raw.json()) == (
        status,
        code,
        {"__type": code, "message": message},
    )


def test_faults_reach_the_response_stream(endpoint: str) -> None:
    deployed(endpoint)
    rule = {"action": "unavailable", "operations": ["InvokeEndpointWithResponseStream"], "times": 1}
    assert put_faults(endpoint, {"rules": [rule]}).status_code == 200
    runtime = runtime_no_retries(endpoint)
    call = lambda: runtime.invoke_endpoint_with_response_stream(EndpointName="served", Body=b"x")  # noqa: E731
    assert error_of(call) == (503, "ServiceUnavailable", "Service Unavailable")
    events = list(call()["Body"])
    assert events == [{"PayloadPart": {"Bytes": b"x"}}]
    # InvokeEndpoint is another operation: never matched.
    assert runtime.invoke_endpoint(EndpointName="served", Body=b"y")["Body"].read() == b"y"
    assert http().get(f"{endpoint}/_emulator/faults").json()["counters"] == [{"matched": 2, "injected": 1}]


def test_standard_retries_absorb_a_throttled_invocation(endpoint: str) -> None:
    deployed(endpoint)
    rule = {"action": "throttle", "operations": ["InvokeEndpoint"], "endpoint_name_prefixes": ["serv"], "times": 2}
    assert put_faults(endpoint, {"rules": [rule]}).status_code == 200
    runtime = sagemaker_client(
        endpoint, service="sagemaker-runtime", retries={"mode": "standard", "total_max_attempts": 3}
    )
    answer = runtime.invoke_endpoint(EndpointName="served", Body=b"payload")
    assert answer["Body"].read() == b"payload"
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2


def test_a_model_not_ready_rule_matches_invoke_endpoint_only(endpoint: str) -> None:
    deployed(endpoint)
    assert put_faults(endpoint, {"rules": [{"action": "model-not-ready"}]}).status_code == 200
    sm = no_retries(endpoint)
    assert sm.describe_endpoint(EndpointName="served")["EndpointStatus"] == "InService"
    events = list(
        runtime_no_retries(endpoint).invoke_endpoint_with_response_stream(EndpointName="served", Body=b"s")["Body"]
    )
    assert events == [{"PayloadPart": {"Bytes": b"s"}}]


# Every SageMaker operation served and the runtime's three, as the message lists them.
SERVED = ", ".join(sorted([*OPERATIONS, "InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"]))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"rules": [{"action": "throttle", "operations": ["ListModels", "NoSuchOp", "invokeEndpoint"]}]},
            f"rules.0: Value error, operations has names the emulator does not serve: NoSuchOp, invokeEndpoint"
            f" (served: {SERVED})",
        ),
        (
            {"rules": [{"action": "model-not-ready", "operations": ["InvokeEndpointWithResponseStream"]}]},
            "rules.0: Value error, a model-not-ready rule applies to InvokeEndpoint only, the one operation with that"
            " error",
        ),
    ],
)
def test_rules_naming_operations_that_cannot_match_are_refused(
    endpoint: str, config: dict[str, Any], message: str
) -> None:
    response = put_faults(endpoint, config)
    assert (response.status_code, response.json()) == (400, {"__type": "ValidationException", "message": message})
    assert http().get(f"{endpoint}/_emulator/faults").json()["rules"] == []


def test_an_unknown_operation_in_a_faults_file_stops_the_start(tmp_path: Path) -> None:
    from emulator.faults.rules import FaultsFileError, load_faults_file

    faults_file = tmp_path / "faults.toml"
    faults_file.write_text('[[rules]]\naction = "throttle"\noperations = ["InvokeEndpoints"]\n')
    with pytest.raises(FaultsFileError) as caught:
        load_faults_file(faults_file)
    assert "operations has names the emulator does not serve: InvokeEndpoints (served: " in str(caught.value.__cause__)
