"""The proxy's HTTP/1.1 client (emulator/runtime/http_client.py) against real servers on 127.0.0.1 that answer byte for byte
as the test writes them: kept-alive connections are reused, answers of every framing are read whole or piece by
piece, a pooled connection the server dropped is replaced, and every way an answer can fail is one HttpError."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
import uvloop

from emulator.runtime.http_client import Broken, ConnectFailed, HttpClient, Response, TimedOut, TooLarge, encode_request
from tests.support import free_port

T = TypeVar("T")
# (connection number from 0, socket) -> None: talks to one client connection.
Script = Callable[[int, socket.socket], None]
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


def read_request(sock: socket.socket) -> bytes:
    """One request's head and its Content-Length body; b"" if the client closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(v) for k, _, v in (x.partition(b": ") for x in head.split(b"\r\n")) if k.lower() == b"content-length"), 0
    )
    while len(body) < length:
        body += sock.recv(65536)
    return data


@contextmanager
def scripted(script: Script) -> Iterator[tuple[str, list[bytes]]]:
    """A server running `script` on each connection it accepts; yields its URL and the requests it read."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    seen: list[bytes] = []
    accepted = 0

    def serve() -> None:
        nonlocal accepted
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            number, accepted = accepted, accepted + 1

            def run(sock: socket.socket = sock, number: int = number) -> None:
                with sock:
                    script(number, RecordingSocket(sock, seen))  # type: ignore[arg-type]

            threading.Thread(target=run, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        listener.close()


class RecordingSocket:
    """A socket whose requests (as read_request reads them) are kept for the test."""

    def __init__(self, sock: socket.socket, seen: list[bytes]) -> None:
        self.sock, self.seen = sock, seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)

    def request(self) -> bytes:
        data = read_request(self.sock)
        if data:
            self.seen.append(data)
        return data


def run(main: Callable[[HttpClient], Awaitable[T]]) -> T:
    """Runs `main` with a new client, closed before the loop ends: a connection it kept alive would otherwise be left
    to the garbage collector (a ResourceWarning)."""

    async def with_client() -> T:
        client = HttpClient()
        try:
            return await main(client)
        finally:
            client.close()

    return uvloop.run(with_client())


def answer_each(response: bytes, *, times: int = 100) -> Script:
    def script(_: int, sock: socket.socket) -> None:
        for _ in range(times):
            if not sock.request():  # type: ignore[attr-defined]
                return
            sock.sendall(response)

    return script


async def post(client: HttpClient, url: str, body: bytes = b"x", **options: Any) -> Response:
    return await client.request(
        "POST",
        url + "/invocations",
        headers={"Content-Type": "text/plain"},
        body=body,
        timeout=2,
        connect_timeout=2,
        **options,
    )


def test_kept_alive_connections_are_reused_and_the_request_is_one_piece() -> None:
    with scripted(answer_each(OK)) as (url, seen):

        async def main(client: HttpClient) -> list[bytes]:
            return [await (await post(client, url, b"hello")).read() for _ in range(3)]

        assert run(main) == [b"ok"] * 3
    port = url.rsplit(":", 1)[1]
    assert (
        seen
        == [
            b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: text/plain\r\nAccept: */*\r\n"
            b"Content-Length: 5\r\n\r\nhello" % port.encode()
        ]
        * 3
    )


def test_one_connection_serves_them_all() -> None:
    connections: list[int] = []

    def script(number: int, sock: socket.socket) -> None:
        connections.append(number)
        answer_each(OK)(number, sock)

    with scripted(script) as (url, _):

        async def main(client: HttpClient) -> None:
            for _ in range(5):
                await (await post(client, url)).read()

        run(main)
    assert connections == [0]


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", b"abcde"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", b"abc"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
    ids=["chunked", "after 100 Continue", "no content"],
)
def test_answers_of_every_framing_are_read_whole(answer: bytes, body: bytes) -> None:
    with scripted(answer_each(answer)) as (url, _):

        async def main(client: HttpClient) -> list[bytes]:
            return [await (await post(client, url)).read() for _ in range(2)]  # the connection is still usable

        assert run(main) == [body, body]


def test_an_answer_without_length_ends_with_the_connection_which_is_not_reused() -> None:
    def script(number: int, sock: socket.socket) -> None:
        sock.request()  # type: ignore[attr-defined]
        sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/csv\r\n\r\n1,2\n3,4\n")

    with scripted(script) as (url, seen):

        async def main(client: HttpClient) -> list[tuple[str | None, bytes]]:
            answers = []
            for _ in range(2):
                response = await post(client, url)
                answers.append((response.header(b"content-type"), await response.read()))
            return answers

        assert run(main) == [("text/csv", b"1,2\n3,4\n")] * 2
        assert len(seen) == 2


def test_a_streamed_answer_comes_piece_by_piece_as_sent() -> None:
    def script(number: int, sock: socket.socket) -> None:
        sock.request()  # type: ignore[attr-defined]
        sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Amzn-SageMaker-Custom-Attributes: a\r\n\r\n")
        for part in (b"one", b"two"):
            time.sleep(0.2)
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        sock.sendall(b"0\r\n\r\n")

    with scripted(script) as (url, _):

        async def main(client: HttpClient) -> tuple[str | None, list[tuple[float, bytes]]]:
            started = time.monotonic()
            response = await post(client, url, stream=True)
            pieces = [(time.monotonic() - started, piece) async for piece in response.chunks()]
            response.close()
            return response.header(b"x-amzn-sagemaker-custom-attributes"), pieces

        attributes, pieces = run(main)
    assert attributes == "a"
    assert [p for _, p in pieces] == [b"one", b"two"]
    assert pieces[0][0] < 0.35 < pieces[1][0]  # the first piece was out before the second was sent


def test_a_pooled_connection_the_server_dropped_is_replaced() -> None:
    def script(number: int, sock: socket.socket) -> None:
        sock.request()  # type: ignore[attr-defined]
        if number == 0:
            sock.sendall(OK)
            sock.request()  # type: ignore[attr-defined]
            sock.shutdown(socket.SHUT_RDWR)  # the next request on it gets no answer, as an idle timeout would
            return
        sock.sendall(OK)

    with scripted(script) as (url, seen):

        async def main(client: HttpClient) -> list[bytes]:
            return [await (await post(client, url)).read() for _ in range(2)]

        assert run(main) == [b"ok", b"ok"]
        assert len(seen) == 3  # the second request, sent again on a new connection


def test_failures_are_http_errors() -> None:
    def silent(number: int, sock: socket.socket) -> None:
        sock.request()  # type: ignore[attr-defined]
        time.sleep(1.5)

    def stalls(number: int, sock: socket.socket) -> None:
        sock.request()  # type: ignore[attr-defined]
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        time.sleep(1.5)

    def trickles(number: int, sock: socket.socket) -> None:  # never silent for 0.5 s, never whole within it
        sock.request()  # type: ignore[attr-defined]
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        with contextlib.suppress(OSError):  # the client leaves at its deadline
            for _ in range(10):
                time.sleep(0.15)
                sock.sendall(b"x")

    def trickled_head(number: int, sock: socket.socket) -> None:
        sock.request()  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                time.sleep(0.05)
                sock.sendall(bytes([byte]))

    def cut(number: int, sock: socket.socket) -> None:
        sock.request()  # type: ignore[attr-defined]
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")

    async def fails(client: HttpClient, url: str, *, timeout: float = 0.5) -> type[Exception]:
        try:
            response = await client.request("GET", url, headers={}, timeout=timeout, connect_timeout=timeout)
            await response.read()
        except Exception as exc:  # noqa: BLE001 - the test is which one
            return type(exc)
        raise AssertionError("no error")

    assert run(lambda client: fails(client, f"http://127.0.0.1:{free_port()}/")) is ConnectFailed
    for script, error in (
        (silent, TimedOut),
        (stalls, TimedOut),
        (trickles, TimedOut),
        (trickled_head, TimedOut),
        (cut, Broken),
        (answer_each(b"SPDY/9 ?\r\n\r\n"), Broken),
    ):
        with scripted(script) as (url, _):
            assert run(lambda client: fails(client, url + "/")) is error, script


def test_a_header_value_cannot_add_a_header() -> None:
    with pytest.raises(Broken):
        encode_request("POST", b"/", b"h", {"Accept": "a\r\nX-Injected: 1"}, b"")


def test_a_body_past_max_body_is_too_large_and_its_connection_dropped() -> None:
    big = b"x" * 3000

    def script(number: int, sock: socket.socket) -> None:
        while sock.request():  # type: ignore[attr-defined]
            if number == 0:  # chunked, so only its size as read tells
                sock.sendall(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (3000, big)
                )
            else:
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + big)

    async def main(client: HttpClient, url: str) -> list[object]:
        outcomes: list[object] = []
        for max_body in (3000, 2999, 2999):
            response = await client.request("GET", url, headers={}, timeout=2, connect_timeout=2, max_body=max_body)
            try:
                outcomes.append(len(await response.read()))
            except TooLarge:
                outcomes.append(TooLarge)
            finally:
                response.close()
        return outcomes

    with scripted(script) as (url, seen):
        # 3000 fits (the connection is kept); 2999 does not, by its length as read, then by its Content-Length.
        assert run(lambda client: main(client, url + "/")) == [3000, TooLarge, TooLarge]
        assert len(seen) == 3
