"""Issue 17: bad input that used to cost the server (a stalled loop, a 500, a forged log line) answers as AWS does."""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from emulator.app import create_app
from emulator.logs import TextFormatter
from emulator.server import serving
from emulator.settings import Settings
from emulator.shapes.validate import RequestValidator
from tests.support import aws_post, free_port, http, running_server, stop_server, wait_ready
from tests.test_limits import read_response

MODEL_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model/m"
TAG_PATTERN = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"
NOT_AN_INTEGER = {"__type": "SerializationException", "message": "NUMBER_VALUE can not be converted to an Integer"}


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        ("ListModels", '{"MaxResults": 10.0}', NOT_AN_INTEGER),
        ("ListModels", '{"MaxResults": 1e2}', NOT_AN_INTEGER),
        ("ListModels", '{"MaxResults": 50.0}', NOT_AN_INTEGER),
        ("ListTags", f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": 50.0}}', NOT_AN_INTEGER),
        ("ListTags", f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": 1e2}}', NOT_AN_INTEGER),
        ("ListTags", f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": {2**63 - 1}}}', NOT_AN_INTEGER),
        (
            "CreateModel",
            '{"ModelName": "m", "PrimaryContainer": {"Image": "i", "Environment": {"A": null}}}',
            {"__type": "SerializationException", "message": "NULL_VALUE can not be converted to a String"},
        ),
    ],
    ids=["list-float", "list-exponent", "list-50.0", "tags-float", "tags-exponent", "tags-long-max", "env-null"],
)
def test_what_was_a_500_is_a_serialization_exception_on_every_store(
    endpoint: str, operation: str, body: str, expected: dict[str, str]
) -> None:
    aws_post(endpoint, "CreateModel", {"ModelName": "m", "PrimaryContainer": {"Image": "i"}})
    response = aws_post(endpoint, operation, body)
    assert (response.status_code, response.json()) == (400, expected)
    assert response.headers["x-amzn-errortype"] == "SerializationException"
    # The whole numbers those clients meant still work, and nothing of the null map was stored.
    assert aws_post(endpoint, "ListModels", '{"MaxResults": 10}').json()["Models"][0]["ModelName"] == "m"
    assert aws_post(endpoint, "ListTags", f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": 100}}').json() == {"Tags": []}


def bad_keys_body(n: int) -> tuple[bytes, list[str]]:
    keys = [f"bad!{i}" for i in range(n)]
    return orjson.dumps({"ResourceArn": MODEL_ARN, "TagKeys": keys}), keys


def test_a_large_invalid_body_gets_a_bounded_error(endpoint: str) -> None:
    body, keys = bad_keys_body(60_000)
    assert len(body) > 512 * 1024
    response = aws_post(endpoint, "DeleteTags", body)
    # Java prints the list whole; the emulator stops after 8192 characters.
    shown = ("[" + ", ".join(keys) + "]")[:8192] + "..."
    key_constraints = (
        "Member must have length less than or equal to 128, Member must have length greater than or equal to 1, "
        f"Member must satisfy regular expression pattern: {TAG_PATTERN}"
    )
    assert response.status_code == 400
    assert response.json() == {
        "__type": "ValidationException",
        "message": f"2 validation errors detected: Value '{shown}' at 'tagKeys' failed to satisfy constraint: "
        f"Member must have length less than or equal to 50; Value '{shown}' at 'tagKeys' failed to satisfy "
        f"constraint: Member must satisfy constraint: [{key_constraints}]",
    }
    assert len(response.content) < 20_000


class SlowValidator:
    """Wraps the app's validator: validating a large body takes a second, as 60,000 bad values did."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.started = threading.Event()

    def validate(self, operation: str, body: Any) -> None:
        if operation == "DeleteTags":
            self.started.set()
            time.sleep(1.0)  # holds the event loop if it runs there
        self.inner.validate(operation, body)


@pytest.fixture
def slow_validation(make_settings: Any) -> Iterator[tuple[str, SlowValidator]]:
    settings = make_settings()
    slow = SlowValidator(RequestValidator())
    app = create_app(settings, validator=slow)  # type: ignore[arg-type]
    with serving(app, settings.model_copy(update={"host": "127.0.0.1", "port": 0})) as url:
        yield url, slow


def test_validating_a_large_body_leaves_the_event_loop_free(slow_validation: tuple[str, SlowValidator]) -> None:
    endpoint, slow = slow_validation
    body, _ = bad_keys_body(20_000)
    answers: list[int] = []
    big = threading.Thread(target=lambda: answers.append(aws_post(endpoint, "DeleteTags", body).status_code))
    big.start()
    assert slow.started.wait(10)
    started = time.monotonic()
    assert http().get(endpoint + "/_emulator/health").status_code == 200
    assert aws_post(endpoint, "DescribeModel", {"ModelName": "m"}).status_code == 400
    assert time.monotonic() - started < 0.5  # not the second the validation takes
    big.join()
    assert answers == [400]


@contextmanager
def cli_server(tmp_path: Path, *args: str) -> Iterator[tuple[str, Path]]:
    """`python -m emulator serve` on a free port; yields (endpoint, its stderr file, complete once the block ends)."""
    port = free_port()
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        cmd = [sys.executable, "-m", "emulator", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
        proc = subprocess.Popen(cmd, cwd=tmp_path, stderr=err)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc)
            yield url, log
        finally:
            stop_server(proc)


# A tab and a space would each start a field of their own; U+0085 ends a line for Python's splitlines.
FORGING_TARGET = "SageMaker.DescribeModel\taccount_id=999999999999 region=x\x85status=200"
ESCAPED_OPERATION = r"DescribeModel\x09account_id=999999999999\x20region=x\x85status=200"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_client_cannot_forge_log_fields(tmp_path: Path, log_format: str) -> None:
    with cli_server(tmp_path, "--log-format", log_format) as (endpoint, log):
        response = http().post(
            endpoint + "/", content=b"{}", headers={"X-Amz-Target": FORGING_TARGET.encode("latin-1")}
        )
        assert response.json()["__type"] == "UnknownOperationException"  # the target is JSON-escaped in the body
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if "emulator.request" in line]
    assert len(lines) == 1
    if log_format == "json":
        fields = json.loads(lines[0])
        assert (fields["operation"], fields["account_id"], fields["status"]) == (ESCAPED_OPERATION, "-", 400)
        line = fields["message"]
    else:
        line = lines[0].split(" INFO emulator.request ", 1)[1]
    pairs = [field.split("=", 1) for field in line.split()]
    assert [key for key, _ in pairs] == [
        "request_id",
        "operation",
        "status",
        "error",
        "latency_ms",
        "account_id",
        "region",
    ]
    assert dict(pairs)["operation"] == ESCAPED_OPERATION
    assert (dict(pairs)["account_id"], dict(pairs)["status"]) == ("-", "400")


def test_text_log_lines_stay_lines() -> None:
    formatter = TextFormatter("%(message)s")
    record = logging.LogRecord(
        "emulator.request", logging.ERROR, __file__, 1, "failed: %s", ("a\nforged\u2028x",), None
    )
    assert formatter.format(record) == r"failed: a\x0aforged\u2028x"


REQUEST_HEAD = b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: SageMaker.ListModels\r\n"
UNPARSABLE = {
    "negative-content-length": REQUEST_HEAD + b"Content-Length: -1\r\n\r\n{}",
    "two-content-lengths": REQUEST_HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "equal-content-lengths": REQUEST_HEAD + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    "length-and-chunked": REQUEST_HEAD + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "control-byte-in-header": b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: Sage\x01Maker\r\n\r\n",
    "not-http": b"GARBAGE\r\n\r\n",
}
# h11 (used where httptools is not installed) accepts equal lengths, chunked with a length (chunked wins, as RFC 9112
# allows) and control bytes in values; what it refuses gets the same answer.
H11_REFUSES = ("negative-content-length", "two-content-lengths", "not-http")


@pytest.mark.parametrize(
    ("protocol", "case"),
    [("httptools", case) for case in UNPARSABLE] + [("h11", case) for case in H11_REFUSES],
)
def test_an_unparsable_request_gets_an_aws_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str, case: str
) -> None:
    """Before the app, so the same on every store."""
    if protocol == "h11":
        from emulator.protocol.deadline_h11 import DeadlineH11Protocol

        monkeypatch.setattr("emulator.protocol.uvicorn_config.fastest_protocol", lambda: DeadlineH11Protocol)
    with running_server(Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}")) as endpoint:
        parts = urlsplit(endpoint)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(UNPARSABLE[case])
            status, headers, body = read_response(sock)  # until the server closes the connection
    assert (status, json.loads(body)) == (
        400,
        {"__type": "SerializationException", "message": "Invalid HTTP request received."},
    )
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert headers["x-amzn-errortype"] == "SerializationException"
    assert headers["connection"] == "close"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", headers["x-amzn-requestid"])
