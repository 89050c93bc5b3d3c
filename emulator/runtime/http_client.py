"""A pooled HTTP/1.1 client on asyncio, for the runtime's proxy to model servers (emulator/runtime/model_servers.py).

Why not httpx: measured on the project's machine, httpx spent 1.6-1.8 ms of CPU per proxied request (httpcore's
anyio locks and cancel scopes, a poll of every pooled connection per request, and on Python 3.11 a getpid in each
of the dozens of current_task calls), where this client spends about 60 us: the proxy cost more than the model
server's answer (docs/decisions.md, SageMaker Runtime: the proxy's client). It does only what the proxy needs: one
request at a time per kept-alive connection, the request written in one piece, the answer parsed by httptools
(uvicorn's parser, already a dependency), its body whole (up to a size) or piece by piece as it arrives, and a
deadline for the whole answer (for a streamed one, its head; its body may go silent no longer than the timeout).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit

import httptools

from emulator.running_loop import running_loop

# Idle connections kept per model server; more are closed when their answer ends.
MAX_IDLE = 100
# A streamed answer stops being read past this many bytes not yet taken by the caller: the model waits for the
# caller, as it would on a direct connection.
STREAM_BUFFER = 1024 * 1024


class HttpError(Exception):
    """No answer, or not all of it."""


class ConnectFailed(HttpError):
    """Nothing took the connection: refused, a name that does not resolve, a TLS handshake that failed."""


class TimedOut(HttpError):
    """Past the timeout: of connecting, of the whole answer, or (a streamed body) between two of its pieces."""


class TooLarge(HttpError):
    """The body is larger than the caller takes; the connection was closed without reading the rest."""


class Broken(HttpError):
    """The connection closed, was reset, or carried what is not HTTP before the answer ended."""


class Stale(Broken):
    """A kept-alive connection closed before any byte of the answer: the server dropped it while it was idle."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int
    host_header: bytes  # the Host header: the port only when it is not the scheme's default


@lru_cache(maxsize=256)
def split_url(url: str) -> tuple[Origin, bytes]:
    """(origin, path and query) of an http(s) URL; ConnectFailed for one that cannot be reached."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConnectFailed(f"bad URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectFailed(f"not an http(s) URL: {url!r}")
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    header = shown if port in (None, default) else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Origin(parts.scheme, host, port or default, header.encode("idna")), target.encode("ascii")


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class Response:
    """An answer being received: status and headers once its head is in, its body as it arrives."""

    def __init__(self, connection: Connection, *, timeout: float, stream: bool, max_body: int | None) -> None:
        self._connection = connection
        self._loop = connection.loop
        self._timeout = timeout
        self._stream = stream
        self.status = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.error: HttpError | None = None
        self.received_any = False
        self.until_eof = False  # no length and not chunked: the body ends when the connection does
        self._informational = False
        self._pieces: deque[bytes] = deque()
        self._buffered = 0
        self._received = 0
        self._max_body = max_body
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self.last_activity = self._loop.time()
        self._timer: asyncio.TimerHandle | None = self._loop.call_at(self.last_activity + timeout, self._check_timeout)

    def header(self, name: bytes) -> str | None:
        """A header's value (lower-case name), several joined by ', ' as httpx did; latin-1, so bytes round-trip."""
        values = [value for key, value in self.raw_headers if key == name]
        if not values:
            return None
        return b", ".join(values).decode("latin-1")

    async def read(self, *, max_body: int | None = None) -> bytes:
        """The whole body; HttpError if the answer breaks off, is not whole by its deadline, or is larger than
        max_body (or the request's)."""
        if max_body is not None:
            self._max_body = max_body
            if self._received > max_body:
                self._too_large()
        if self._paused:  # a streamed answer read whole after all (an error's): nobody takes its pieces
            self._paused = False
            self._connection.resume_reading()
        while not self.complete:
            if self.error is not None:
                raise self.error
            await self.wait()
        return b"".join(self._pieces)

    async def chunks(self) -> AsyncIterator[bytes]:
        """Each piece of the body as it arrives; HttpError if the answer breaks off or goes silent."""
        while True:
            while self._pieces:
                piece = self._pieces.popleft()
                self._buffered -= len(piece)
                yield piece
            if self.complete:
                return
            if self.error is not None:
                raise self.error
            if self._paused:
                self._paused = False
                self.last_activity = self._loop.time()
                self._connection.resume_reading()
            await self.wait()

    def close(self) -> None:
        """Ends the exchange: an answer not received whole leaves its connection closed, never reused."""
        self._cancel_timer()
        if not self.complete:
            self._connection.abort()

    async def wait(self) -> None:
        """Until the answer moves on: its head, a piece of body, its end, or an error."""
        waiter = self._waiter = self._loop.create_future()
        await waiter

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check_timeout(self) -> None:
        # The timeout is the whole answer's deadline: a server sending a byte now and then must not hold a caller
        # past it. Only a streamed body, once its head is in, may last longer, as long as it never goes silent for
        # the timeout; its timer moves on only when it fires (cheaper than re-arming one per piece received).
        if self._stream and self.head_done:
            now = self._loop.time()
            if self._paused:  # the caller is behind, not the model: the model's silence starts when reading resumes
                self.last_activity = now
            deadline = self.last_activity + self._timeout
            if now < deadline:
                self._timer = self._loop.call_at(deadline, self._check_timeout)
                return
        self._timer = None
        self.fail(TimedOut(f"no whole answer within {self._timeout} s"))
        self._connection.abort()

    def _too_large(self) -> None:
        self.fail(TooLarge(f"the answer is larger than {self._max_body} bytes"))
        self._connection.abort()

    # Called by the connection.
    def fail(self, error: HttpError) -> None:
        if not self.complete and self.error is None:
            self.error = error
            self._cancel_timer()
            self._wake()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.raw_headers.append((name.lower(), value))

    def on_headers_complete(self, status: int) -> None:
        if 100 <= status < 200:  # 100 Continue and the like: the answer is the next message
            self._informational = True
            self.raw_headers = []
            return
        self.status = status
        self.head_done = True
        if status not in (204, 304):
            names = {key for key, _ in self.raw_headers}
            self.until_eof = b"content-length" not in names and b"transfer-encoding" not in names
            if self._max_body is not None and b"content-length" in names:  # refused before a byte of it is read
                length = self.header(b"content-length") or ""
                if length.isdigit() and int(length) > self._max_body:
                    self._too_large()
                    return
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self.error is not None:  # refused or timed out: the rest of what was received is dropped
            return
        self._received += len(body)
        if self._max_body is not None and self._received > self._max_body:
            self._too_large()
            return
        self._pieces.append(body)
        if self._stream:
            self._buffered += len(body)
            if self._buffered > STREAM_BUFFER and not self._paused:
                self._paused = True
                self._connection.pause_reading()
            self._wake()

    def on_message_complete(self) -> bool:
        """True when the answer is done (False after an informational one, or one already failed: refused as too
        large, its connection closed, while the parser still had its end in hand)."""
        if self.error is not None:
            return False
        if self._informational:
            self._informational = False
            return False
        self.complete = True
        self._cancel_timer()
        self._wake()
        return True


class Connection(asyncio.Protocol):
    """One connection to a model server, carrying one exchange at a time."""

    def __init__(self, client: HttpClient, origin: Origin, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.origin = origin
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.reused = False
        self.response: Response | None = None
        self._unexpected = False

    async def exchange(self, request: bytes, *, timeout: float, stream: bool, max_body: int | None) -> Response:
        """Sends the request and returns once the answer's head is in."""
        assert self.transport is not None
        response = self.response = Response(self, timeout=timeout, stream=stream, max_body=max_body)
        self.transport.write(request)
        try:
            while not response.head_done:
                if response.error is not None:
                    raise response.error
                await response.wait()
        except BaseException:
            response.close()
            raise
        return response

    def abort(self) -> None:
        # Closed at once, so the pool skips it before connection_lost arrives.
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def pause_reading(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        response = self.response
        if response is None:  # bytes no request asked for: the connection cannot be trusted again
            self.abort()
            return
        response.received_any = True
        response.last_activity = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            response.fail(Broken(f"not an HTTP answer: {exc}"))
            self.abort()
            return
        if self._unexpected:
            self.abort()

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost ends the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        response, self.response = self.response, None
        if response is None or response.complete:
            return
        if response.head_done and response.until_eof and exc is None:
            response.on_message_complete()
        elif self.reused and not response.received_any:
            response.fail(Stale("the kept-alive connection closed before the answer"))
        else:
            response.fail(Broken("the connection closed before the answer ended"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if self.response is None:
            self._unexpected = True
        else:
            self.response.on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.response is None:
            self._unexpected = True
        else:
            self.response.on_headers_complete(self.parser.get_status_code())

    def on_body(self, body: bytes) -> None:
        if self.response is None:
            self._unexpected = True
        else:
            self.response.on_body(body)

    def on_message_complete(self) -> None:
        response = self.response
        if response is None:
            self._unexpected = True
            return
        if not response.on_message_complete():
            return
        self.response = None
        if self.parser.should_keep_alive() and not self.closed:
            self.client.release(self)
        else:
            self.closed = True
            if self.transport is not None:
                self.transport.close()


class HttpClient:
    """Kept-alive connections per origin, the most recently used first. Bound to the loop it is first used on (a
    connection belongs to one loop); used from another, it starts a new pool."""

    def __init__(self, *, max_idle: int = MAX_IDLE) -> None:
        self.max_idle = max_idle
        self._idle: dict[Origin, list[Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        timeout: float,
        connect_timeout: float,
        stream: bool = False,
        max_body: int | None = None,
    ) -> Response:
        """Sends one request and returns once the answer's head is in (read its body with `read` or `chunks`, and
        `close` a streamed one). HttpError when no head comes. `timeout` is the whole answer's deadline (a streamed
        one's head's, then the longest silence of its body); a body past max_body bytes is TooLarge."""
        origin, target = split_url(url)
        request = encode_request(method, target, origin.host_header, headers, body)
        loop = running_loop()
        if loop is not self._loop:
            self._idle, self._loop = {}, loop
        connection = self._take(origin)
        if connection is not None:
            try:
                return await connection.exchange(request, timeout=timeout, stream=stream, max_body=max_body)
            except Stale:
                pass  # dropped while idle, so the server never saw the request: once more on a new connection
        connection = await self._connect(origin, loop, connect_timeout)
        return await connection.exchange(request, timeout=timeout, stream=stream, max_body=max_body)

    def release(self, connection: Connection) -> None:
        idle = self._idle.setdefault(connection.origin, [])
        if len(idle) >= self.max_idle or connection.loop is not self._loop or self._closed:
            connection.abort()
            return
        connection.reused = True
        idle.append(connection)

    def close(self) -> None:
        """Closes the idle connections, on the pool's loop; one carrying an answer closes when its answer ends."""
        idle, self._idle, self._closed = self._idle, {}, True
        for connections in idle.values():
            for connection in connections:
                connection.closed = True
                if connection.transport is not None:
                    connection.transport.close()

    def _take(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if not connection.closed and connection.transport is not None and not connection.transport.is_closing():
                return connection
        return None

    async def _connect(self, origin: Origin, loop: asyncio.AbstractEventLoop, timeout: float) -> Connection:
        connection = Connection(self, origin, loop)
        context = tls_context() if origin.scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(lambda: connection, origin.host, origin.port, ssl=context)
        except TimeoutError:
            connection.abort()
            raise TimedOut(f"no connection to {origin.host}:{origin.port} within {timeout} s") from None
        except OSError as exc:  # refused, unreachable, unresolvable, TLS (ssl.SSLError is an OSError)
            raise ConnectFailed(f"cannot connect to {origin.host}:{origin.port}: {exc}") from None
        return connection


def encode_request(method: str, target: bytes, host: bytes, headers: Mapping[str, str], body: bytes) -> bytes:
    """The request's head and body as one piece, for one write. Accept */* unless one is given, as httpx sent."""
    lines = [b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode("ascii"), target, host)]
    accept = False
    for name, value in headers.items():
        # The runtime's headers came through a parser that stops at line breaks; checked anyway, as the one thing
        # that would let a value write a header of its own.
        if "\r" in value or "\n" in value or "\0" in value:
            raise Broken(f"header {name} cannot be sent: it holds a line break or NUL")
        try:
            lines.append(f"{name}: {value}\r\n".encode("latin-1"))
        except UnicodeEncodeError:
            raise Broken(f"header {name} holds characters HTTP/1.1 cannot carry") from None
        accept = accept or name.lower() == "accept"
    if not accept:
        lines.append(b"Accept: */*\r\n")
    if body or method != "GET":
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    lines.append(body)
    return b"".join(lines)
