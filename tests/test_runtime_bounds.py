"""Invocations bounded as AWS bounds them, against a real model server (examples/model_server/server.py) that
misbehaves on request: an answer past 6 MB, an answer or a /ping trickled a byte at a time, headers past 1024
characters, a client that hangs up, a server stopped with an invocation in flight, model server URLs that cannot be
reached."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from emulator.runtime.model_servers import MAX_ANSWER_BYTES
from tests import test_runtime_models
from tests.model_server import connections_to, linux_sockets, model_server
from tests.support import http, running_server, sagemaker_client, server_process
from tests.test_runtime import IMAGE, deploy, runtime_client
from tests.test_runtime_models import TIMED_OUT, model_error
from tests.test_runtime_ping import REASON

# test_runtime_models's fixtures serve here too: `model` (a model server) and `server` (the emulator sending IMAGE's
# invocations to it, with a 1 s model server timeout).
model = test_runtime_models.model
server = test_runtime_models.server


def model_error_of(runtime: Any, **request: Any) -> dict[str, Any]:
    """The ModelError boto3 reports for this invocation, its status checked."""
    with pytest.raises(runtime.exceptions.ModelError) as caught:
        runtime.invoke_endpoint(EndpointName="toy", **request)
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    return {**response["Error"], **{k: response[k] for k in ("OriginalStatusCode", "OriginalMessage", "LogStreamArn")}}


TOO_LARGE = (
    f"The response from container primary is larger than the {MAX_ANSWER_BYTES} bytes InvokeEndpoint can return."
    " Return a smaller response, or use asynchronous inference for larger payloads."
)


@linux_sockets
@pytest.mark.parametrize("chunked", [False, True], ids=["with a length", "chunked"])
def test_an_answer_past_6_mb_is_a_model_error_and_its_connection_is_dropped(server: str, chunked: bool) -> None:
    deploy(sagemaker_client(server), "toy")
    runtime = runtime_client(server)
    whole = runtime.invoke_endpoint(EndpointName="toy", Body=json.dumps({"size": MAX_ANSWER_BYTES, "chunked": chunked}))
    assert len(whole["Body"].read()) == MAX_ANSWER_BYTES  # 6 MB exactly: answered
    body = json.dumps({"size": 1024 * 1024 * 1024, "chunked": chunked})  # 1 GB: never read whole
    assert model_error_of(runtime, Body=body) == model_error("toy", 0, TOO_LARGE)
    # The rest of the answer was not read: its connection was closed, not kept for the next invocation.
    port = int(http().get(f"{server}/_emulator/modelservers").json()[IMAGE].rsplit(":", 1)[1])
    assert connections_to(port) == 0


def test_the_invocation_timeout_is_for_the_whole_answer(server: str) -> None:
    deploy(sagemaker_client(server), "toy")
    trickled = json.dumps({"trickle": 8, "interval": 0.3})  # a byte each 0.3 s: never silent for the 1 s timeout
    assert model_error_of(runtime_client(server), Body=trickled) == model_error("toy", 0, TIMED_OUT)


def test_a_trickling_ping_fails_the_health_check_and_create_endpoint_does_not_wait(make_settings: Any) -> None:
    with (
        model_server(env={**os.environ, "MODEL_PING_TRICKLE": "0.5"}) as (model, _),  # /ping takes 3.5 s, whole
        running_server(make_settings(model_servers={IMAGE: model})) as url,
    ):
        sm = sagemaker_client(url)
        started = time.monotonic()
        deploy(sm, "toy", describe=False)
        assert time.monotonic() - started < 1.5  # answered before any /ping could end
        described = sm.describe_endpoint(EndpointName="toy")
        assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", REASON)
        sm.create_endpoint_config(
            EndpointConfigName="toy-2",
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "toy-model", "InitialInstanceCount": 2}],
        )
        started = time.monotonic()
        sm.update_endpoint(EndpointName="toy", EndpointConfigName="toy-2")
        assert time.monotonic() - started < 1.5
        described = sm.describe_endpoint(EndpointName="toy")
        assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", REASON)


def test_a_healthy_model_server_is_pinged_as_the_change_ends(server: str) -> None:
    sm = sagemaker_client(server)
    deploy(sm, "toy", describe=False)
    assert sm.describe_endpoint(EndpointName="toy")["EndpointStatus"] == "InService"


def long_header_error(header: str, length: int) -> dict[str, Any]:
    message = (
        f"The {header} header from container primary is {length} characters long, longer than the 1024"
        " InvokeEndpoint can return."
    )
    return model_error("toy", 0, message)


def test_a_content_type_or_custom_attributes_past_1024_characters_is_a_model_error(server: str) -> None:
    deploy(sagemaker_client(server), "toy")
    runtime = runtime_client(server)
    # The model answers `model=toy;` and what was sent: 10 characters more.
    fits = runtime.invoke_endpoint(EndpointName="toy", Body=b"{}", CustomAttributes="a" * 1014)
    assert len(fits["CustomAttributes"]) == 1024
    attributes = long_header_error("X-Amzn-SageMaker-Custom-Attributes", 1034)
    assert model_error_of(runtime, Body=b"{}", CustomAttributes="a" * 1024) == attributes
    content_type = "application/" + "x" * 1100
    expected = long_header_error("Content-Type", len(content_type))
    assert model_error_of(runtime, Body=json.dumps({"content_type": content_type})) == expected
    with pytest.raises(runtime.exceptions.ModelError) as caught:
        runtime.invoke_endpoint_with_response_stream(
            EndpointName="toy", Body=json.dumps({"stream": 1}), CustomAttributes="a" * 1024
        )
    assert caught.value.response["Error"]["Message"] == attributes["Message"]


@linux_sockets
def test_a_client_that_hangs_up_closes_the_connection_to_the_model_server(make_settings: Any, model: str) -> None:
    port = int(model.rsplit(":", 1)[1])
    with running_server(make_settings(model_servers={IMAGE: model})) as url:
        deploy(sagemaker_client(url), "toy")
        impatient = sagemaker_client(url, service="sagemaker-runtime", read_timeout=0.5)
        for _ in range(3):  # as a client's retries would
            with pytest.raises(ReadTimeoutError):
                impatient.invoke_endpoint(EndpointName="toy", Body=json.dumps({"sleep": 5}))
        deadline = time.monotonic() + 2
        while connections_to(port) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert connections_to(port) == 0
        answer = runtime_client(url).invoke_endpoint(EndpointName="toy", Body=b'{"instances": [1]}')
        assert answer["Body"].read() == b'{"predictions": [3]}'


def invoke_in_thread(url: str, body: dict[str, Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """An invocation under way in a thread; the dict gets its error's code and status (or `ok`) when it ends."""
    outcome: dict[str, Any] = {}
    # Made here, as it takes a while; no retry, which would find the server gone.
    runtime = sagemaker_client(url, service="sagemaker-runtime", read_timeout=60, retries={"total_max_attempts": 1})

    def call() -> None:
        try:
            runtime.invoke_endpoint(EndpointName="toy", Body=json.dumps(body))
            outcome["ok"] = True
        except Exception as exc:  # noqa: BLE001 - the test is which
            response = getattr(exc, "response", None)
            outcome["error"] = (
                (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) if response else repr(exc)
            )

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread, outcome


def test_a_stop_ends_the_server_within_its_grace_period(model: str, tmp_path: Path) -> None:
    with server_process(
        "--database-url",
        f"sqlite:///{tmp_path / 'stop.db'}",
        "--model-server",
        f"{IMAGE}={model}",
        "--shutdown-grace-seconds",
        "1",
        "--log-level",
        "warning",
    ) as (url, proc):
        deploy(sagemaker_client(url), "toy")
        thread, outcome = invoke_in_thread(url, {"trickle": 600, "interval": 0.1})  # a minute, a byte at a time
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) in (0, -signal.SIGTERM)  # uvicorn raises the signal again once stopped
        thread.join(timeout=5)
        assert outcome == {"error": ("ServiceUnavailable", 503)}


def test_an_in_process_server_stops_within_its_grace_period(make_settings: Any, model: str) -> None:
    settings = make_settings(model_servers={IMAGE: model}, shutdown_grace_seconds=0.5)
    with running_server(settings) as url:
        deploy(sagemaker_client(url), "toy")
        thread, outcome = invoke_in_thread(url, {"trickle": 600, "interval": 0.1})
        time.sleep(1)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    thread.join(timeout=5)
    assert outcome == {"error": ("ServiceUnavailable", 503)}


# (case, table) -> the one line the admin API answers with 400.
BAD_TABLES = [
    ("no host", {"*": "http://"}, "the model server of * must be an http:// or https:// URL, not 'http://': no host"),
    (
        "a bracket left open",
        {"*": "http://[::1"},
        "the model server of * must be an http:// or https:// URL, not 'http://[::1': Invalid IPv6 URL",
    ),
    (
        "a port out of range",
        {IMAGE: "http://127.0.0.1:99999"},
        f"the model server of {IMAGE} must be an http:// or https:// URL, not 'http://127.0.0.1:99999': Port out of"
        " range 0-65535",
    ),
    (
        "port 0",
        {"*": "http://h:0"},
        "the model server of * must be an http:// or https:// URL, not 'http://h:0': port 0",
    ),
    (
        "another scheme",
        {"*": "ftp://x"},
        "the model server of * must be an http:// or https:// URL, not 'ftp://x': another scheme",
    ),
    (
        "a space",
        {"*": "http://a b"},
        "the model server of * must be an http:// or https:// URL, not 'http://a b': it holds a space or a control"
        " character",
    ),
]


@pytest.mark.parametrize(("table", "message"), [c[1:] for c in BAD_TABLES], ids=[c[0] for c in BAD_TABLES])
def test_a_model_server_url_that_cannot_be_reached_is_refused(
    server: str, model: str, table: Any, message: str
) -> None:
    refused = http().put(f"{server}/_emulator/modelservers", json=table)
    assert refused.status_code == 400
    assert refused.json() == {"__type": "ValidationException", "message": f"Value error, {message}"}
    assert http().get(f"{server}/_emulator/modelservers").json() == {IMAGE: model}  # unchanged
