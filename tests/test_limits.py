"""Request limits: body size, JSON depth, and timeouts for slow or half-sent requests, over raw sockets."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import aws_post, running_server

TOO_LARGE = {"__type": "RequestEntityTooLargeException", "message": "HTTP content length exceeded 4096 bytes."}


@pytest.fixture
def small(make_settings: Any) -> Iterator[str]:
    """A server with small limits, so tests stay small and quick."""
    settings = make_settings(
        max_request_bytes=4096, max_json_depth=8, request_header_timeout=0.5, request_body_timeout=0.5
    )
    with running_server(settings) as url:
        yield url


@pytest.fixture(params=["httptools", "h11"])
def deadline_server(
    request: pytest.FixtureRequest, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """`small` under each HTTP protocol: h11 serves where httptools is not installed, and has the deadline too."""
    if request.param == "h11":
        from emulator.protocol.deadline_h11 import DeadlineH11Protocol

        monkeypatch.setattr("emulator.protocol.uvicorn_config.fastest_protocol", lambda: DeadlineH11Protocol)
    with running_server(make_settings(request_header_timeout=0.5)) as url:
        yield url


def connect(endpoint: str) -> socket.socket:
    parts = urlsplit(endpoint)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def head(length: int | None, target: str = "SageMaker.DescribeModel") -> bytes:
    lines = [
        "POST / HTTP/1.1",
        "Host: localhost",
        "Content-Type: application/x-amz-json-1.1",
        f"X-Amz-Target: {target}",
    ]
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response, read until the server closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = header.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_content_length_over_the_limit_is_refused_before_the_body_is_sent(small: str) -> None:
    with connect(small) as sock:
        sock.sendall(head(10 * 1024 * 1024))  # announces 10 MiB, sends none of it
        status, headers, body = read_response(sock)
    assert (status, json.loads(body)) == (413, TOO_LARGE)
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert headers["connection"] == "close"


def test_chunked_body_is_counted_while_it_arrives(small: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"ModelName": "'
        for _ in range(10):
            yield b"a" * 1000

    response = httpx.post(
        small + "/", content=chunks(), headers={"X-Amz-Target": "SageMaker.DescribeModel"}, timeout=10
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_a_body_at_the_limit_is_served(small: str) -> None:
    body = json.dumps({"ModelName": "m", "Unknown": "x" * 4000}).encode()
    body += b" " * (4096 - len(body))
    response = aws_post(small, "DescribeModel", body)
    assert response.json() == {
        "__type": "ValidationException",
        "message": 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/m".',
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # nine levels: one past the limit of 8
        (
            '{"ModelName": "m", "X": [[[[[[[[]]]]]]]]}',
            {"__type": "SerializationException", "message": "JSON nesting depth exceeds the maximum of 8."},
        ),
        (
            "[" * 2000 + "]" * 2000,
            {"__type": "SerializationException", "message": "JSON nesting depth exceeds the maximum of 8."},
        ),
        # brackets inside strings do not count; eight levels are within the limit
        ('{"ModelName": "m", "X": "[[[[[[[[[[", "Y": [[[[[[[]]]]]]]}', None),
    ],
)
def test_json_nesting_depth(small: str, body: str, expected: dict[str, str] | None) -> None:
    response = aws_post(small, "DescribeModel", body)
    if expected is None:
        assert response.json()["__type"] == "ValidationException"  # parsed, validated, not found
    else:
        assert (response.status_code, response.json()) == (400, expected)


def test_the_default_depth_limit_stops_what_orjson_cannot_parse(endpoint: str) -> None:
    response = aws_post(endpoint, "DescribeModel", '{"a":' * 5000 + "1" + "}" * 5000)
    assert (response.status_code, response.json()) == (
        400,
        {"__type": "SerializationException", "message": "JSON nesting depth exceeds the maximum of 32."},
    )


def test_a_half_sent_body_times_out_while_others_are_served(small: str) -> None:
    with connect(small) as sock:
        sock.sendall(head(100) + b'{"ModelName": ')
        started = time.monotonic()
        # The stalled request holds no worker: another client is answered meanwhile.
        assert aws_post(small, "DescribeModel", {"ModelName": "m"}).json()["__type"] == "ValidationException"
        status, headers, body = read_response(sock)
    assert time.monotonic() - started >= 0.4
    assert (status, json.loads(body)) == (
        408,
        {"__type": "RequestTimeoutException", "message": "The request body was not received within 0.5 seconds."},
    )
    assert headers["connection"] == "close"


@pytest.mark.parametrize("sent", [b"", b"POST / HTTP/1.1\r\nHost: localhost\r\n"])
def test_a_connection_without_complete_headers_is_closed(deadline_server: str, sent: bytes) -> None:
    with connect(deadline_server) as sock:
        sock.sendall(sent)
        # Trickle bytes that keep the request valid but unfinished: each would reset uvicorn's keep-alive timer.
        for byte in b"POST " if not sent else b"X-Slo":
            time.sleep(0.05)
            sock.sendall(bytes([byte]))
        assert sock.recv(1024) == b""  # closed by the server, without a response


def test_an_idle_keep_alive_connection_gets_the_header_deadline_again(deadline_server: str) -> None:
    with connect(deadline_server) as sock:
        body = b'{"ModelName": "m"}'
        sock.sendall(head(len(body)) + body)
        first = b""
        while not first.endswith(b'"}'):  # the whole first response (its body ends the JSON object)
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 400")
        sock.sendall(b"POST / HTTP/1.1\r\n")  # the next request's headers never finish
        assert sock.recv(1024) == b""
