"""Multi-container models behind InvokeEndpoint: a Serial pipeline runs its containers in order (each answer the next
input), Direct mode runs the one TargetContainerHostname names, TargetModel reaches a MultiModel container."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.model_server import model_server
from tests.support import running_server, sagemaker_client
from tests.test_runtime import ACCOUNT, error_of, runtime_client

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
TOY, OTHER_TOY, PLAIN = f"{REGISTRY}/toy:1", f"{REGISTRY}/toy:2", f"{REGISTRY}/plain:1"


@pytest.fixture
def server(make_settings: Any) -> Iterator[str]:
    # Two toy servers, one per image; the plain image has none, so it echoes (passes its input on).
    with model_server() as (first, _), model_server() as (second, _):
        with running_server(make_settings(model_servers={TOY: first, OTHER_TOY: second})) as url:
            yield url


def deploy_model(sm: Any, name: str, containers: list[dict[str, Any]], mode: str | None = None) -> None:
    extra = {"InferenceExecutionConfig": {"Mode": mode}} if mode else {}
    sm.create_model(ModelName=name, Containers=containers, **extra)
    sm.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[{"VariantName": "V", "ModelName": name, "InitialInstanceCount": 1}]
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.describe_endpoint(EndpointName=name)


def invoke(server: str, name: str, **kwargs: Any) -> Any:
    answer = runtime_client(server).invoke_endpoint(EndpointName=name, ContentType="application/json", **kwargs)
    return json.loads(answer["Body"].read())


def test_a_serial_pipeline_feeds_each_answer_to_the_next_container(server: str) -> None:
    sm = sagemaker_client(server)
    deploy_model(sm, "pipeline", [{"Image": TOY}, {"Image": PLAIN}, {"Image": OTHER_TOY}])
    # 1 -> 2*1+1 = 3 -> (echo) 3 -> 2*3+1 = 7
    assert invoke(server, "pipeline", Body=json.dumps({"instances": [1]})) == {"predictions": [7]}
    stream = runtime_client(server).invoke_endpoint_with_response_stream(
        EndpointName="pipeline", Body=json.dumps({"instances": [2]}), ContentType="application/json"
    )
    assert json.loads(b"".join(e["PayloadPart"]["Bytes"] for e in stream["Body"])) == {"predictions": [11]}


def test_direct_mode_runs_the_container_named(server: str) -> None:
    sm = sagemaker_client(server)
    containers = [
        {"Image": TOY, "ContainerHostname": "toy"},
        {"Image": PLAIN, "ContainerHostname": "plain"},
    ]
    deploy_model(sm, "direct", containers, mode="Direct")
    body = json.dumps({"instances": [4]})
    assert invoke(server, "direct", Body=body, TargetContainerHostname="toy") == {"predictions": [9]}
    assert invoke(server, "direct", Body=body, TargetContainerHostname="plain") == {"instances": [4]}


CONTAINER_ERRORS = [
    (
        "Direct mode without TargetContainerHostname",
        "direct",
        {},
        f"TargetContainerHostname is required to invoke endpoint direct of account {ACCOUNT}: its model runs its"
        " containers in Direct mode.",
    ),
    (
        "a hostname Direct mode lacks",
        "direct",
        {"TargetContainerHostname": "nope"},
        f"Container nope not found for endpoint direct of account {ACCOUNT}.",
    ),
    (
        "a hostname for a Serial pipeline",
        "serial",
        {"TargetContainerHostname": "toy"},
        "TargetContainerHostname can only be used with an endpoint whose model is in Direct mode; endpoint serial of"
        f" account {ACCOUNT} runs its containers in Serial mode.",
    ),
]


@pytest.mark.parametrize(
    ("endpoint", "extra", "message"), [c[1:] for c in CONTAINER_ERRORS], ids=[c[0] for c in CONTAINER_ERRORS]
)
def test_container_routing_errors(server: str, endpoint: str, extra: dict[str, str], message: str) -> None:
    sm = sagemaker_client(server)
    deploy_model(
        sm, "direct", [{"Image": TOY, "ContainerHostname": "toy"}, {"Image": PLAIN, "ContainerHostname": "p"}], "Direct"
    )
    deploy_model(sm, "serial", [{"Image": TOY, "ContainerHostname": "toy"}, {"Image": PLAIN}])
    got = error_of(runtime_client(server).invoke_endpoint, EndpointName=endpoint, Body=b"{}", **extra)
    assert got == ("ValidationError", 400, message)


def test_a_failing_pipeline_container_is_named_in_the_model_error(server: str) -> None:
    sm = sagemaker_client(server)
    deploy_model(sm, "failing", [{"Image": PLAIN}, {"Image": TOY, "ContainerHostname": "scorer"}])
    code, status, message = error_of(
        runtime_client(server).invoke_endpoint, EndpointName="failing", Body=b'{"fail": 400, "message": "no"}'
    )
    assert (code, status) == ("ModelError", 424)
    assert message.startswith('Received client error (400) from scorer with message "no". See https://')


def test_target_model_reaches_a_multi_model_container(make_settings: Any) -> None:
    # A server that records the header it received: neither the echo nor the toy model shows it in its answer.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str | None] = []

    class Recorder(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # /ping: CreateEndpoint checks it
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(self.headers.get("X-Amzn-SageMaker-Target-Model"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    recorder = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{recorder.server_address[1]}"
        with running_server(make_settings(model_servers={"*": url})) as server:
            sm = sagemaker_client(server)
            sm.create_model(
                ModelName="mme", PrimaryContainer={"Image": TOY, "Mode": "MultiModel", "ModelDataUrl": "s3://b/models/"}
            )
            sm.create_endpoint_config(
                EndpointConfigName="mme",
                ProductionVariants=[{"VariantName": "V", "ModelName": "mme", "InitialInstanceCount": 1}],
            )
            sm.create_endpoint(EndpointName="mme", EndpointConfigName="mme")
            sm.describe_endpoint(EndpointName="mme")
            answer = runtime_client(server).invoke_endpoint(EndpointName="mme", Body=b"x", TargetModel="model-a.tar.gz")
            assert answer["Body"].read() == b"ok"
    finally:
        recorder.shutdown()
        recorder.server_close()
    assert seen == ["model-a.tar.gz"]
