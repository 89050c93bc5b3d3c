"""Canned answers and the model server table, changed on a running server through the admin API and the pytest
plugin: a queue answers once each, in order, then what would answer anyway; a fixed answer every time; never a
cache."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.model_server import model_server
from tests.support import http, running_server, sagemaker_client
from tests.test_pytest_plugin import run_example
from tests.test_runtime import IMAGE, deploy, error_of, runtime_client


@pytest.fixture
def server(make_settings: Any) -> Iterator[str]:
    with running_server(make_settings()) as url:
        yield url


def put(server: str, path: str, body: Any) -> Any:
    answer = http().put(f"{server}/_emulator/{path}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_queue_answers_once_each_in_order_then_falls_through(server: str) -> None:
    deploy(sagemaker_client(server), "canned")
    put(
        server,
        "answers",
        {
            "endpoint_name": "canned",
            "answers": [
                {"body": '{"label": "cat"}', "custom_attributes": "k=v"},
                {"body_base64": base64.b64encode(b"\x00\xff").decode(), "content_type": "application/x-bytes"},
            ],
        },
    )
    runtime = runtime_client(server)
    first = runtime.invoke_endpoint(EndpointName="canned", Body=b"in", ContentType="text/plain")
    assert (first["Body"].read(), first["ContentType"], first["CustomAttributes"]) == (
        b'{"label": "cat"}',
        "application/json",
        "k=v",
    )
    second = runtime.invoke_endpoint(EndpointName="canned", Body=b"in", ContentType="text/plain")
    assert (second["Body"].read(), second["ContentType"]) == (b"\x00\xff", "application/x-bytes")
    third = runtime.invoke_endpoint(EndpointName="canned", Body=b"in", ContentType="text/plain")
    assert (third["Body"].read(), third["ContentType"]) == (b"in", "text/plain")  # the echo again
    listed = http().get(f"{server}/_emulator/answers").json()
    assert listed == [
        {
            "account_id": "123456789012",
            "region": "us-east-1",
            "endpoint_name": "canned",
            "variant_name": None,
            "mode": "queue",
            "remaining": 0,
            "given": 2,
        }
    ]


def test_fixed_answers_per_variant_and_canned_model_errors(server: str) -> None:
    deploy(sagemaker_client(server), "split", weights={"A": 1.0, "B": 1.0})
    put(server, "answers", {"endpoint_name": "split", "mode": "fixed", "answers": [{"body": "any"}]})
    put(server, "answers", {"endpoint_name": "split", "variant_name": "B", "mode": "fixed", "answers": [{"body": "b"}]})
    runtime = runtime_client(server)
    for _ in range(3):
        assert runtime.invoke_endpoint(EndpointName="split", Body=b"x", TargetVariant="A")["Body"].read() == b"any"
        assert runtime.invoke_endpoint(EndpointName="split", Body=b"x", TargetVariant="B")["Body"].read() == b"b"
    stream = runtime.invoke_endpoint_with_response_stream(EndpointName="split", Body=b"x", TargetVariant="B")
    assert [e["PayloadPart"]["Bytes"] for e in stream["Body"]] == [b"b"]
    put(server, "answers", {"endpoint_name": "split", "answers": [{"body": "down", "status": 503}]})
    code, status, message = error_of(runtime.invoke_endpoint, EndpointName="split", Body=b"x", TargetVariant="A")
    assert (code, status) == ("ModelError", 424)
    assert message.startswith('Received server error (503) from primary with message "down". See https://')
    assert http().delete(f"{server}/_emulator/answers", params={"endpoint_name": "split"}).json() == []
    assert runtime.invoke_endpoint(EndpointName="split", Body=b"x", TargetVariant="A")["Body"].read() == b"x"


def test_a_reset_clears_the_answers(server: str) -> None:
    put(server, "answers", {"endpoint_name": "gone", "answers": [{"body": "a"}]})
    assert http().post(f"{server}/_emulator/reset").status_code == 200
    assert http().get(f"{server}/_emulator/answers").json() == []


BAD_ANSWERS = [
    ({"endpoint_name": "e", "mode": "fixed", "answers": [{}, {}]}, "Value error, a fixed answer is one answer"),
    ({"endpoint_name": "e", "answers": []}, "answers: List should have at least 1 item after validation, not 0"),
    (
        {"endpoint_name": "e", "answers": [{"body": "a", "body_base64": "YQ=="}]},
        "answers.0: Value error, give body or body_base64, not both",
    ),
    (
        {"endpoint_name": "e", "answers": [{"status": 100}]},
        "answers.0.status: Input should be greater than or equal to 200",
    ),
    # Kept in the store: a name, account or region no invocation can carry is refused, not stored (or a 500).
    (
        {"endpoint_name": "no such", "answers": [{}]},
        "endpoint_name: String should match pattern '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$'",
    ),
    (
        {"endpoint_name": "e", "variant_name": "v\u0000", "answers": [{}]},
        "variant_name: String should match pattern '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$'",
    ),
    (
        {"endpoint_name": "e", "account_id": "12", "answers": [{}]},
        "account_id: String should match pattern '^[0-9]{12}$'",
    ),
    (
        {"endpoint_name": "e", "region": "US East", "answers": [{}]},
        "region: Value error, must be a region name such as us-east-1",
    ),
]


@pytest.mark.parametrize(("body", "message"), BAD_ANSWERS)
def test_bad_answers_are_one_line_errors(server: str, body: dict[str, Any], message: str) -> None:
    answer = http().put(f"{server}/_emulator/answers", json=body)
    assert (answer.status_code, answer.json()) == (400, {"__type": "ValidationException", "message": message})


def test_clearing_the_answers_of_a_name_no_endpoint_can_have_is_a_400(server: str) -> None:
    answer = http().delete(f"{server}/_emulator/answers", params={"endpoint_name": "a\x00"})
    assert answer.status_code == 400
    assert (
        answer.json()["message"]
        == "query.endpoint_name: String should match pattern '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$'"
    )


def test_the_model_server_table_changes_at_run_time(server: str) -> None:
    deploy(sagemaker_client(server), "switch")
    runtime = runtime_client(server)
    body = json.dumps({"instances": [2]})
    assert runtime.invoke_endpoint(EndpointName="switch", Body=body)["Body"].read() == body.encode()
    with model_server() as (url, _):
        assert put(server, "modelservers", {IMAGE: url}) == {IMAGE: url}
        assert runtime.invoke_endpoint(EndpointName="switch", Body=body)["Body"].read() == b'{"predictions": [5]}'
    bad = http().put(f"{server}/_emulator/modelservers", json={"*": "ftp://x"})
    assert bad.status_code == 400
    assert put(server, "modelservers", {}) == {}
    assert runtime.invoke_endpoint(EndpointName="switch", Body=body)["Body"].read() == body.encode()


PLUGIN_TEST = """
def test_canned(sagemaker_client, sagemaker_runtime_client, sagemaker_canned_answers):
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"
    sagemaker_client.create_model(ModelName="m", PrimaryContainer={"Image": image})
    sagemaker_client.create_endpoint_config(
        EndpointConfigName="c", ProductionVariants=[{"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1}]
    )
    sagemaker_client.create_endpoint(EndpointName="e", EndpointConfigName="c")
    sagemaker_client.get_waiter("endpoint_in_service").wait(EndpointName="e")
    sagemaker_canned_answers("e", {"body": "yes"}, {"body": "no"})
    answers = [sagemaker_runtime_client.invoke_endpoint(EndpointName="e", Body=b"q")["Body"].read() for _ in range(3)]
    assert answers == [b"yes", b"no", b"q"]
"""


def test_the_pytest_plugin_sets_canned_answers(tmp_path: Path) -> None:
    (tmp_path / "test_canned.py").write_text(PLUGIN_TEST)
    done = run_example(tmp_path, "test_canned.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_canned.py::test_canned PASSED" in done.stdout
