"""Issue 17: one guard for the admin API (loopback clients, a token, or off), the AWS request limits for admin bodies,
and admin errors as short JSON."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from emulator.admin.guard import REFUSALS, AdminGuard
from emulator.app import create_app
from emulator.server import serving
from emulator.settings import Settings
from tests.scopes import account_map, secret_map
from tests.support import http, running_server
from tests.test_limits import read_response

TOKEN = "s3cret-admin-token"
SNAPSHOT = {"format": "sagemaker-emulator-snapshot", "version": 1, "models": []}
# Every request that reads the data or the settings, or changes anything.
GUARDED = [
    ("GET", "/_emulator/state", None),
    ("PUT", "/_emulator/state", SNAPSHOT),
    ("POST", "/_emulator/reset", None),
    ("GET", "/_emulator/settings", None),
    ("GET", "/_emulator/faults", None),
    ("PUT", "/_emulator/faults", {"rules": []}),
    ("DELETE", "/_emulator/faults", None),
    ("GET", "/_emulator/modelservers", None),
    ("PUT", "/_emulator/modelservers", {}),
    ("GET", "/_emulator/modelcommands", None),
    ("PUT", "/_emulator/modelcommands", {"*": "serve {port}"}),
]
OPEN = ["/_emulator/health", "/_emulator/ready", "/_emulator/version", "/_emulator/openapi.json"]


def call(endpoint: str, method: str, path: str, body: Any, **headers: str) -> httpx.Response:
    return http().request(method, endpoint + path, json=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    ("overrides", "strict", "mode"),
    [
        ({}, False, "loopback"),
        ({"host": "::1"}, False, "loopback"),
        ({"host": "localhost"}, False, "loopback"),
        ({"host": "0.0.0.0"}, False, "off"),
        ({"host": "::"}, False, "off"),
        ({"host": "emulator.internal"}, False, "off"),
        ({}, True, "off"),  # strict mode: loopback alone is not proof enough
        ({"host": "0.0.0.0", "admin_token": TOKEN}, False, "token"),
        ({"admin_token": TOKEN}, True, "token"),
        ({"host": "0.0.0.0", "admin_access": "loopback"}, False, "loopback"),
        ({"admin_access": "off"}, False, "off"),
    ],
)
def test_the_mode_in_force(overrides: dict[str, Any], strict: bool, mode: str) -> None:
    assert Settings(**overrides).admin_mode(strict_auth=strict) == mode


def test_a_token_mode_needs_a_token() -> None:
    with pytest.raises(ValueError, match="admin_access token needs admin_token"):
        Settings(admin_access="token")


def test_loopback_mode_refuses_other_clients() -> None:
    guard = AdminGuard(mode="loopback", token=None, prefix="/_emulator")

    def scope(client: str) -> dict[str, Any]:
        return {"path": "/_emulator/state", "headers": [], "client": (client, 50000)}

    assert guard.refusal(scope("127.0.0.1")) is None
    assert guard.refusal(scope("::1")) is None
    assert guard.refusal(scope("::ffff:127.0.0.1")) is None
    refused = guard.refusal(scope("10.1.2.3"))
    assert refused is not None and (refused.status, refused.message) == (403, REFUSALS["loopback"])
    assert guard.refusal({**scope("10.1.2.3"), "path": "/_emulator/ready"}) is None


@pytest.fixture
def token_endpoint(make_settings: Any) -> Iterator[str]:
    # A wildcard listener's settings (served on loopback here): the token is required.
    with running_server(make_settings(host="0.0.0.0", admin_token=TOKEN)) as url:
        yield url


@pytest.mark.parametrize(("method", "path", "body"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_token_mode_refuses_without_the_token(token_endpoint: str, method: str, path: str, body: Any) -> None:
    expected = {"__type": "AccessDeniedException", "message": REFUSALS["token"]}
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ):
        refused = call(token_endpoint, method, path, body, **headers)
        assert (refused.status_code, refused.json()) == (403, expected)
    allowed = call(token_endpoint, method, path, body, Authorization=f"Bearer {TOKEN}")
    assert allowed.status_code == 200, allowed.text
    assert call(token_endpoint, method, path, body, Authorization=f"bearer {TOKEN}").status_code == 200
    assert TOKEN not in allowed.text


def test_health_readiness_and_version_need_no_token(token_endpoint: str) -> None:
    for path in OPEN:
        assert http().get(token_endpoint + path).status_code == 200, path


def test_a_wildcard_listener_without_a_token_keeps_the_data_closed(make_settings: Any) -> None:
    with running_server(make_settings(host="0.0.0.0")) as endpoint:
        for method, path, body in GUARDED:
            refused = call(endpoint, method, path, body)
            assert (refused.status_code, refused.json()["message"]) == (403, REFUSALS["off"]), path
        assert http().get(endpoint + "/_emulator/ready").status_code == 200


def test_strict_mode_guards_the_admin_api_on_loopback_too(make_settings: Any) -> None:
    settings = make_settings(strict_auth=True, access_keys=account_map(), secret_keys=secret_map())
    with running_server(settings) as endpoint:
        assert http().post(endpoint + "/_emulator/reset").status_code == 403
        assert http().get(endpoint + "/_emulator/state").status_code == 403
    with running_server(settings.model_copy(update={"admin_access": "loopback"})) as endpoint:
        assert http().post(endpoint + "/_emulator/reset").status_code == 200


def raw(endpoint: str, request: bytes, *, pause: float = 0) -> tuple[int, dict[str, str], Any]:
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        if pause:
            time.sleep(pause)
        status, headers, body = read_response(sock)
    return status, headers, json.loads(body)


def put_head(length: int, *, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"PUT /_emulator/state HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {length}\r\n\r\n".encode()


def test_a_refused_request_is_answered_before_its_body(token_endpoint: str) -> None:
    status, headers, body = raw(token_endpoint, put_head(400 * 1024 * 1024))  # announces 400 MB, sends none
    assert (status, body["__type"], headers["connection"]) == (403, "AccessDeniedException", "close")


def test_admin_bodies_have_the_aws_size_limit(make_settings: Any) -> None:
    with running_server(make_settings(max_request_bytes=4096)) as endpoint:
        status, headers, body = raw(endpoint, put_head(400 * 1024 * 1024))
        assert (status, headers["connection"], body) == (
            413,
            "close",
            {"__type": "RequestEntityTooLargeException", "message": "HTTP content length exceeded 4096 bytes."},
        )
        chunked = b"PUT /_emulator/faults HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunked += b"1000\r\n" + b" " * 4096 + b"\r\n1\r\n{\r\n0\r\n\r\n"
        status, _, body = raw(endpoint, chunked)
        assert (status, body["__type"]) == (413, "RequestEntityTooLargeException")
        assert http().put(endpoint + "/_emulator/state", json=SNAPSHOT).status_code == 200


def test_admin_bodies_have_the_aws_body_timeout(make_settings: Any) -> None:
    with running_server(make_settings(request_body_timeout=0.5)) as endpoint:
        started = time.monotonic()
        status, _, body = raw(endpoint, put_head(100) + b'{"format": ')  # then nothing more
        assert (status, body) == (
            408,
            {"__type": "RequestTimeoutException", "message": "The request body was not received within 0.5 seconds."},
        )
        assert time.monotonic() - started < 5
        assert http().get(endpoint + "/_emulator/health").status_code == 200


def test_an_internal_admin_failure_is_short_json(make_settings: Any) -> None:
    settings = make_settings()
    app = create_app(settings)

    async def broken() -> Any:
        raise RuntimeError("/secret/path/internals.py exploded")

    app.service.deps.store.export = broken  # type: ignore[method-assign]
    with serving(app, settings.model_copy(update={"port": 0}), start_timeout=10) as endpoint:
        response = http().get(endpoint + "/_emulator/state")
    assert (response.status_code, response.json()) == (
        500,
        {"__type": "InternalFailure", "message": "We encountered an internal error. Please try again."},
    )
    assert response.headers["content-type"] == "application/json"


def websocket_scope(path: str, *, client: str, headers: list[tuple[bytes, bytes]], extensions: Any) -> dict[str, Any]:
    """A WebSocket handshake's scope as uvicorn builds it (with websockets or wsproto installed)."""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": (client, 50000),
        "server": ("0.0.0.0", 8787),
        "subprotocols": [],
        "extensions": extensions,
    }


async def handshake(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("path", ["/_emulator/state", "/_emulator/faults", "/elsewhere"])
def test_a_websocket_passes_the_guard_too(make_settings: Any, path: str) -> None:
    """No route takes a WebSocket today; one added later must not skip the guard (it used to see no guard at all)."""
    app = create_app(make_settings(host="0.0.0.0", admin_token=TOKEN))
    bearer = [(b"authorization", f"Bearer {TOKEN}".encode())]
    try:
        # Where the server lets the app answer the handshake over HTTP (the ASGI extension), and where it does not.
        answered = asyncio.run(
            handshake(
                app, websocket_scope(path, client="10.1.2.3", headers=[], extensions={"websocket.http.response": {}})
            )
        )
        closed = asyncio.run(handshake(app, websocket_scope(path, client="10.1.2.3", headers=[], extensions={})))
        admitted = asyncio.run(handshake(app, websocket_scope(path, client="10.1.2.3", headers=bearer, extensions={})))
    finally:
        app.close()
    # The same 403 an HTTP request gets.
    assert [m["type"] for m in answered] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert answered[0]["status"] == 403
    assert json.loads(answered[1]["body"]) == {"__type": "AccessDeniedException", "message": REFUSALS["token"]}
    # A close before accepting, which the server answers with a 403.
    assert closed == [{"type": "websocket.close", "code": 1008}]
    # With the token it reaches the admin API, which has no WebSocket route and closes it as Starlette does.
    assert admitted == [{"type": "websocket.close", "code": 1000, "reason": ""}]
