"""InvokeEndpoint answered by a real model server (examples/model_server/server.py, a process on a free port),
chosen per image: the model's bytes come back through boto3; its failures, its silence and its death are AWS's
ModelError with the texts AWS sends; the endpoint recovers when the server returns."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.app import create_app
from emulator.cli import FlagError, parse_args, settings_from_args
from emulator.server import serving
from tests.model_server import connections_to, linux_sockets, model_server, start_model_server
from tests.support import running_server, sagemaker_client, stop_server
from tests.test_runtime import ACCOUNT, IMAGE, deploy, error_of, runtime_client

OTHER_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other:2.0"
LOGS = "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=/aws/sagemaker/Endpoints"


@pytest.fixture
def model() -> Iterator[str]:
    with model_server() as (url, _):
        yield url


@pytest.fixture
def server(make_settings: Any, model: str) -> Iterator[str]:
    with running_server(make_settings(model_servers={IMAGE: model}, model_server_timeout=1.0)) as url:
        yield url


def test_the_model_servers_answer_comes_back(server: str) -> None:
    deploy(sagemaker_client(server), "toy")
    runtime = runtime_client(server)
    answer = runtime.invoke_endpoint(
        EndpointName="toy",
        Body=json.dumps({"instances": [1, 2.5]}),
        ContentType="application/json",
        CustomAttributes="a=1",
    )
    assert json.loads(answer["Body"].read()) == {"predictions": [3, 6]}
    assert (answer["ContentType"], answer["CustomAttributes"]) == ("application/json", "model=toy;a=1")
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    csv = runtime.invoke_endpoint(EndpointName="toy", Body=b"1,2\n3\n", ContentType="text/csv")
    assert (csv["Body"].read(), csv["ContentType"]) == (b"7\n7", "text/csv")
    assert "CustomAttributes" not in csv


def test_images_without_a_model_server_echo(server: str) -> None:
    deploy(sagemaker_client(server), "other", image=OTHER_IMAGE)
    answer = runtime_client(server).invoke_endpoint(EndpointName="other", Body=b'{"instances": [1]}')
    assert answer["Body"].read() == b'{"instances": [1]}'


def model_error(name: str, status: int, message: str) -> dict[str, Any]:
    kind = "client" if status // 100 == 4 else "server"
    return {
        "Code": "ModelError",
        "Message": f'Received {kind} error ({status}) from primary with message "{message}". See {LOGS}/{name} in'
        f" account {ACCOUNT} for more information.",
        "OriginalStatusCode": status,
        "OriginalMessage": message,
        "LogStreamArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/{name}",
    }


TIMED_OUT = (
    "Your invocation timed out while waiting for a response from container primary. Review the latency metrics for"
    " each container in Amazon CloudWatch, resolve the issue, and try again."
)
GONE = (
    "Amazon SageMaker could not get a response from the toy endpoint. This can occur when CPU or memory utilization"
    " is high. To check your utilization, see Amazon CloudWatch. To fix this problem, use an instance type with more"
    " CPU capacity or memory."
)
# (case, request body) -> the ModelError boto3 reports.
MODEL_ERRORS = [
    ("the model answers 400", {"fail": 400, "message": "bad input"}, model_error("toy", 400, "bad input")),
    ("the model answers 418", {"fail": 418, "message": "teapot"}, model_error("toy", 418, "teapot")),
    ("the model answers 500", {"fail": 500, "message": "boom"}, model_error("toy", 500, "boom")),
    ("the model answers 503", {"fail": 503, "message": "busy"}, model_error("toy", 503, "busy")),
    ("the model takes too long", {"sleep": 3}, model_error("toy", 0, TIMED_OUT)),
]


@pytest.mark.parametrize(("body", "expected"), [e[1:] for e in MODEL_ERRORS], ids=[e[0] for e in MODEL_ERRORS])
def test_model_errors(server: str, body: dict[str, Any], expected: dict[str, Any]) -> None:
    deploy(sagemaker_client(server), "toy")
    runtime = runtime_client(server)
    with pytest.raises(runtime.exceptions.ModelError) as caught:
        runtime.invoke_endpoint(EndpointName="toy", Body=json.dumps(body), ContentType="application/json")
    response = caught.value.response
    got = {**response["Error"], **{k: response[k] for k in ("OriginalStatusCode", "OriginalMessage", "LogStreamArn")}}
    assert got == expected
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424


def test_a_killed_model_server_gives_awss_error_and_the_endpoint_recovers(make_settings: Any) -> None:
    url, proc = start_model_server()
    try:
        with running_server(make_settings(model_servers={"*": url})) as emulator:
            deploy(sagemaker_client(emulator), "toy")
            runtime = runtime_client(emulator)
            body = json.dumps({"instances": [0]})
            assert runtime.invoke_endpoint(EndpointName="toy", Body=body)["Body"].read() == b'{"predictions": [1]}'
            stop_server(proc)
            code, status, message = error_of(runtime.invoke_endpoint, EndpointName="toy", Body=body)
            assert (code, status) == ("ModelError", 424)
            assert message == model_error("toy", 0, GONE)["Message"]
            url_again, proc = start_model_server(port=int(url.rsplit(":", 1)[1]))
            assert url_again == url
            assert runtime.invoke_endpoint(EndpointName="toy", Body=body)["Body"].read() == b'{"predictions": [1]}'
    finally:
        stop_server(proc)


def test_model_servers_from_flags_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    args = parse_args(
        ["serve", "--model-server", f"{IMAGE}=http://127.0.0.1:9001", "--model-server", "*=http://m:8080"]
    )
    assert settings_from_args(args).model_servers == {IMAGE: "http://127.0.0.1:9001", "*": "http://m:8080"}
    monkeypatch.setenv("SAGEMAKER_EMULATOR_MODEL_SERVERS", json.dumps({"*": "http://models:8080"}))
    assert settings_from_args(parse_args(["serve"])).model_servers == {"*": "http://models:8080"}
    with pytest.raises(FlagError, match="--model-server takes IMAGE=URL, not 'nourl'"):
        settings_from_args(parse_args(["serve", "--model-server", "nourl"]))


@linux_sockets
def test_the_pooled_connections_to_model_servers_close_with_the_app(make_settings: Any) -> None:
    """Kept alive between invocations, closed when the app closes: on their own loop, before it ends (a loop that
    ends with them open leaves them to the garbage collector, or uvloop closes them with a ResourceWarning)."""
    with model_server() as (model, _):
        port = int(model.rsplit(":", 1)[1])
        settings = make_settings(model_servers={IMAGE: model}, host="127.0.0.1", port=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            app = create_app(settings)
            with serving(app, settings) as server:
                deploy(sagemaker_client(server), "pooled")
                runtime = runtime_client(server)

                def invoke() -> Any:
                    return runtime.invoke_endpoint(EndpointName="pooled", Body=b'{"instances": [1]}')["Body"].read()

                assert [invoke() for _ in range(3)] == [b'{"predictions": [3]}'] * 3
                assert connections_to(port) == 1  # one connection, kept alive for all three
                # Closed from another thread while the loop runs: on that loop; the next invocation opens anew.
                app.service.deps.model_servers.close()
                assert connections_to(port) == 0
                assert invoke() == b'{"predictions": [3]}'
                assert connections_to(port) == 1
            assert connections_to(port) == 0
        assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
