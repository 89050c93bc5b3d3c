"""Who answers an invocation: a real model server per container image, reached over HTTP as SageMaker reaches a
container (`GET /ping`, `POST /invocations`), or nobody (the runtime's echo).

One pool of kept-alive connections per process (emulator/runtime/http_client.py), made on first use on the serving loop:
the proxy costs a request on an open connection, not a handshake. It is closed on that loop when the loop ends, or
by close() while it still runs. The table can be replaced at run time (the admin API, for every process:
emulator/runtime/runtime_sync.py) and takes effect at the next invocation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from emulator.running_loop import running_loop
from emulator.runtime.http_client import HttpClient, HttpError, Response, TimedOut, TooLarge

# SageMaker's container contract: a model has 60 s to answer /invocations; /ping must answer within 2 s [AWS docs].
# Both are deadlines for the whole answer, not for each byte of it.
INVOKE_TIMEOUT = 60.0
PING_TIMEOUT = 2.0
# The largest answer InvokeEndpoint gives (the API model's BodyBlob, 6 MB): a larger one is never held whole
# (docs/decisions.md, SageMaker Runtime: answers larger than 6 MB).
MAX_ANSWER_BYTES = 6 * 1024 * 1024
# Connecting to a model server (ours, as httpx was set before: a server near by accepts at once or is down).
CONNECT_TIMEOUT = 5.0
# Any image not named in the table.
EVERY_IMAGE = "*"


def checked_urls(urls: dict[str, str]) -> dict[str, str]:
    """The image -> URL table as given; ValueError naming the first URL that cannot be reached: not http(s), no
    host, a port out of range, a bracket left open."""
    for image, url in urls.items():
        problem = url_problem(url)
        if problem is not None:
            raise ValueError(f"the model server of {image} must be an http:// or https:// URL, not {url!r}: {problem}")
    return urls


def url_problem(url: str) -> str | None:
    if not url.startswith(("http://", "https://")):
        return "another scheme"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError as exc:
        return str(exc)
    if not parts.hostname:
        return "no host"
    if parts.port == 0:
        return "port 0"
    if any(c in url for c in "\r\n\t\0 "):
        return "it holds a space or a control character"
    return None


class ModelUnreachable(Exception):
    """Nothing answered at the model server's URL (refused, reset, or closed before an answer)."""


class ModelTimedOut(Exception):
    """The model server did not answer within the invocation timeout."""


class ModelTooLarge(Exception):
    """The model server's answer is larger than InvokeEndpoint gives."""


class ModelStreamBroken(Exception):
    """A streamed answer stopped before its end: the server closed, reset or went silent mid-stream."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelReply:
    status: int
    body: bytes
    content_type: str | None
    custom_attributes: str | None


class ModelServers:
    def __init__(self, urls: Mapping[str, str] | None = None, *, timeout: float = INVOKE_TIMEOUT) -> None:
        self.urls: dict[str, str] = dict(urls or {})
        self.timeout = timeout
        self._client: HttpClient | None = None
        self._closer: asyncio.Task[None] | None = None  # on the pool's loop; closes it when cancelled

    def configure(self, urls: Mapping[str, str]) -> None:
        """Replaces the whole table (image -> URL, `*` for every other image); the next invocation uses it."""
        self.urls = dict(urls)

    def url_for(self, image: str) -> str | None:
        """The model server for an image, the `*` one for any other, or None (the echo answers)."""
        return self.urls.get(image) or self.urls.get(EVERY_IMAGE)

    def client(self) -> HttpClient:
        if self._client is None:
            self._client = HttpClient()
            # Connections can be closed only on their loop while it runs: asyncio.run (uvicorn's) cancels every
            # task before it closes the loop, and this one closes the pool then.
            self._closer = running_loop().create_task(_close_when_cancelled(self._client))
        return self._client

    def close(self) -> None:
        """Closes the pooled connections (Emulator.close, emulator/entry.py), from any thread: on their loop if it
        still runs; a loop that has ended closed them as it ended."""
        closer, self._client, self._closer = self._closer, None, None
        if closer is None or closer.done():
            return
        loop = closer.get_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:  # on the loop itself: nothing may block it, the closer finishes on its own
            closer.cancel()
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def cancel() -> None:
            closer.cancel()
            closer.add_done_callback(lambda _: done.set_result(None))

        try:
            loop.call_soon_threadsafe(cancel)
        except RuntimeError:
            return  # the loop closed meanwhile, and the closer with it
        with contextlib.suppress(TimeoutError):  # a loop that stopped without ending: its end will close them
            done.result(timeout=10)

    async def _post(
        self,
        url: str,
        *,
        body: bytes,
        headers: dict[str, str],
        stream: bool,
        timeout: float | None = None,
        max_body: int = MAX_ANSWER_BYTES,
    ) -> Response:
        """POST <url>/invocations under the invocation's timeouts; with stream, returned once the head is in."""
        return await self.client().request(
            "POST",
            url.rstrip("/") + "/invocations",
            headers=headers,
            body=body,
            timeout=self.timeout if timeout is None else timeout,
            connect_timeout=CONNECT_TIMEOUT,
            stream=stream,
            max_body=None if stream else max_body,
        )

    async def invoke(
        self,
        url: str,
        *,
        body: bytes,
        headers: dict[str, str],
        timeout: float | None = None,
        max_body: int = MAX_ANSWER_BYTES,
    ) -> ModelReply:
        """POST <url>/invocations; raises ModelUnreachable or ModelTimedOut when no whole answer comes in time (the
        table's timeout, or `timeout`), ModelTooLarge for one larger than max_body."""
        try:
            reply = await self._post(url, body=body, headers=headers, stream=False, timeout=timeout, max_body=max_body)
            try:
                answer = await reply.read()
            finally:
                reply.close()  # nothing to do once read whole; a read cut short (cancelled) drops the connection
        except TimedOut:
            raise ModelTimedOut() from None
        except TooLarge:
            raise ModelTooLarge() from None
        except HttpError:
            raise ModelUnreachable() from None
        return ModelReply(
            status=reply.status,
            body=answer,
            content_type=reply.header(b"content-type"),
            custom_attributes=reply.header(b"x-amzn-sagemaker-custom-attributes"),
        )

    async def open_stream(self, url: str, *, body: bytes, headers: dict[str, str]) -> ModelStream:
        """POST <url>/invocations and return once the answer's head is in; its body is read by the caller, chunk
        by chunk as the server sends it. Raises ModelUnreachable or ModelTimedOut when no head comes."""
        try:
            reply = await self._post(url, body=body, headers=headers, stream=True)
        except TimedOut:
            raise ModelTimedOut() from None
        except HttpError:
            raise ModelUnreachable() from None
        return ModelStream(reply)

    async def ping(self, url: str) -> bool:
        """Whether GET <url>/ping answers 200, whole, within the contract's 2 s (connecting included)."""
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                reply = await self.client().request(
                    "GET",
                    url.rstrip("/") + "/ping",
                    headers={},
                    timeout=PING_TIMEOUT,
                    connect_timeout=PING_TIMEOUT,
                    max_body=MAX_ANSWER_BYTES,
                )
                try:
                    await reply.read()
                finally:
                    reply.close()
        except (HttpError, TimeoutError):
            return False
        return reply.status == 200


async def _close_when_cancelled(client: HttpClient) -> None:
    try:
        await running_loop().create_future()  # never set: only a cancel ends it
    finally:
        client.close()


class ModelStream:
    """An answer being received: its head now, its body as it arrives. Close it in every case (aclose)."""

    def __init__(self, response: Response) -> None:
        self._response = response
        self.status = response.status
        self.content_type: str | None = response.header(b"content-type")
        self.custom_attributes: str | None = response.header(b"x-amzn-sagemaker-custom-attributes")

    async def read(self) -> bytes:
        """The whole body (an error's); ModelStreamBroken if it breaks off, ModelTooLarge past MAX_ANSWER_BYTES."""
        try:
            return await self._response.read(max_body=MAX_ANSWER_BYTES)
        except TooLarge:
            raise ModelTooLarge() from None
        except HttpError:
            raise ModelStreamBroken() from None

    async def chunks(self) -> AsyncIterator[bytes]:
        """Each piece of the body as it arrives; ModelStreamBroken if the stream breaks off before its end."""
        try:
            async for chunk in self._response.chunks():
                if chunk:
                    yield chunk
        except HttpError:
            raise ModelStreamBroken() from None

    async def aclose(self) -> None:
        self._response.close()
