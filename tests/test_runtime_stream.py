"""InvokeEndpointWithResponseStream: an application/vnd.amazon.eventstream of PayloadPart events, one per chunk the
model sends and each sent as it arrives, encoded by our own framing (checked with botocore's parser, CRCs
included) and read by boto3's EventStream; a model's failure before the stream is a ModelError, a stream that breaks
off ends with a ModelStreamError event."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from botocore.exceptions import EventStreamError

from emulator.runtime.eventstream import event, exception
from tests.model_server import connections_to, linux_sockets, model_server
from tests.support import running_server, sagemaker_client
from tests.test_runtime import IMAGE, deploy, error_of, runtime_client

OTHER_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other:2.0"


def test_the_framing_is_what_botocore_parses() -> None:
    buffer = EventStreamBuffer()
    data = event("PayloadPart", b"\x00part one\xff") + exception("ModelStreamError", b'{"Message": "m"}')
    buffer.add_data(data[:7])  # a message may arrive in pieces
    buffer.add_data(data[7:])
    first, second = (m.to_response_dict() for m in buffer)
    assert first == {
        "status_code": 200,
        "headers": {
            ":event-type": "PayloadPart",
            ":content-type": "application/octet-stream",
            ":message-type": "event",
        },
        "body": b"\x00part one\xff",
    }
    assert second["headers"][":exception-type"] == "ModelStreamError"
    assert (second["status_code"], second["body"]) == (400, b'{"Message": "m"}')
    corrupt = bytearray(event("PayloadPart", b"x"))
    corrupt[-5] ^= 1
    broken = EventStreamBuffer()
    broken.add_data(bytes(corrupt))
    with pytest.raises(ChecksumMismatch):
        list(broken)


@pytest.fixture
def server(make_settings: Any) -> Iterator[str]:
    with model_server() as (model, _), running_server(make_settings(model_servers={IMAGE: model})) as url:
        yield url


def test_parts_arrive_as_the_model_sends_them(server: str) -> None:
    deploy(sagemaker_client(server), "streamer")
    answer = runtime_client(server).invoke_endpoint_with_response_stream(
        EndpointName="streamer",
        Body=json.dumps({"stream": 3, "interval": 0.5}),
        ContentType="application/json",
        CustomAttributes="c=1",
    )
    assert (answer["ContentType"], answer["InvokedProductionVariant"]) == ("application/jsonlines", "AllTraffic")
    assert answer["CustomAttributes"] == "model=toy;c=1"
    received = []
    for part in answer["Body"]:
        received.append((time.time(), part["PayloadPart"]["Bytes"]))
    parts = [json.loads(data) for _, data in received]
    assert [p["part"] for p in parts] == [0, 1, 2]
    # The first part was in the client's hands before the model produced the last (a second later).
    assert received[0][0] < parts[-1]["time"]


def test_without_a_model_server_the_stream_echoes(server: str) -> None:
    deploy(sagemaker_client(server), "echo", image=OTHER_IMAGE)
    answer = runtime_client(server).invoke_endpoint_with_response_stream(
        EndpointName="echo", Body=b"abc", ContentType="text/plain"
    )
    assert [e["PayloadPart"]["Bytes"] for e in answer["Body"]] == [b"abc"]
    assert answer["ContentType"] == "text/plain"


def test_a_model_failure_before_the_stream_is_a_model_error(server: str) -> None:
    deploy(sagemaker_client(server), "streamer")
    runtime = runtime_client(server)
    code, status, message = error_of(
        runtime.invoke_endpoint_with_response_stream, EndpointName="streamer", Body=b'{"fail": 500, "message": "no"}'
    )
    assert (code, status) == ("ModelError", 424)
    assert message.startswith('Received server error (500) from primary with message "no". See https://')
    missing = error_of(runtime.invoke_endpoint_with_response_stream, EndpointName="nope", Body=b"x")
    assert missing == ("ValidationError", 400, "Endpoint nope of account 123456789012 not found.")


def test_a_stream_that_breaks_off_ends_with_a_model_stream_error(server: str) -> None:
    deploy(sagemaker_client(server), "streamer")
    answer = runtime_client(server).invoke_endpoint_with_response_stream(
        EndpointName="streamer", Body=json.dumps({"stream": 3, "break_after": 1})
    )
    events = iter(answer["Body"])
    assert json.loads(next(events)["PayloadPart"]["Bytes"])["part"] == 0
    with pytest.raises(EventStreamError) as caught:
        next(events)
    assert caught.value.response["Error"] == {
        "Code": "ModelStreamError",
        "Message": "The model server closed its response stream before it was complete.",
    }


@linux_sockets
def test_a_client_that_leaves_mid_stream_closes_the_models_answer(make_settings: Any) -> None:
    """The model's stream is not read to its end for nobody: once the client is gone, so is the connection to the
    model server (six seconds of parts were still to come)."""
    with model_server() as (model, _), running_server(make_settings(model_servers={IMAGE: model})) as server:
        port = int(model.rsplit(":", 1)[1])
        deploy(sagemaker_client(server), "leaver")
        answer = runtime_client(server).invoke_endpoint_with_response_stream(
            EndpointName="leaver", Body=json.dumps({"stream": 30, "interval": 0.2})
        )
        assert json.loads(next(iter(answer["Body"]))["PayloadPart"]["Bytes"])["part"] == 0
        assert connections_to(port) == 1
        answer["Body"].close()
        left = time.monotonic()
        while connections_to(port):
            assert time.monotonic() - left < 2, "the emulator still reads the model's stream"
            time.sleep(0.05)
