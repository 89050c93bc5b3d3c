"""Who answers an invocation: a real model server per container image, reached over HTTP as SageMaker reaches a
container (`GET /ping`, `POST /invocations`), or nobody (the runtime's echo).

One pooled httpx.AsyncClient per process, made on first use on the serving loop: connections to a model server are
kept alive between invocations, so the proxy costs a request on an open connection, not a handshake. The table
can be replaced at run time (the admin API) and takes effect at the next invocation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

# SageMaker's container contract: a model has 60 s to answer /invocations; /ping must answer within 2 s [AWS docs].
INVOKE_TIMEOUT = 60.0
PING_TIMEOUT = 2.0
# Any image not named in the table.
EVERY_IMAGE = "*"


def checked_urls(urls: dict[str, str]) -> dict[str, str]:
    """The image -> URL table as given; ValueError naming the first URL that is not http(s)."""
    for image, url in urls.items():
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the model server of {image} must be an http:// or https:// URL, not {url!r}")
    return urls


class ModelUnreachable(Exception):
    """Nothing answered at the model server's URL (refused, reset, or closed before an answer)."""


class ModelTimedOut(Exception):
    """The model server did not answer within the invocation timeout."""


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
        self._client: httpx.AsyncClient | None = None

    def configure(self, urls: Mapping[str, str]) -> None:
        """Replaces the whole table (image -> URL, `*` for every other image); the next invocation uses it."""
        self.urls = dict(urls)

    def url_for(self, image: str) -> str | None:
        """The model server for an image, the `*` one for any other, or None (the echo answers)."""
        return self.urls.get(image) or self.urls.get(EVERY_IMAGE)

    def client(self) -> httpx.AsyncClient:
        # Imported on first use: a server that only echoes never pays httpx's import at start-up.
        import httpx

        if self._client is None:
            # No limit on connections: the emulator's own concurrency is the bound, as AWS's front end is.
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=100)
            self._client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(self.timeout, connect=5.0))
        return self._client

    async def invoke(self, url: str, *, body: bytes, headers: dict[str, str]) -> ModelReply:
        """POST <url>/invocations; raises ModelUnreachable or ModelTimedOut when no answer comes."""
        import httpx

        try:
            reply = await self.client().post(url.rstrip("/") + "/invocations", content=body, headers=headers)
        except httpx.TimeoutException:
            raise ModelTimedOut() from None
        except httpx.TransportError:
            raise ModelUnreachable() from None
        return ModelReply(
            status=reply.status_code,
            body=reply.content,
            content_type=reply.headers.get("content-type"),
            custom_attributes=reply.headers.get("x-amzn-sagemaker-custom-attributes"),
        )

    async def open_stream(self, url: str, *, body: bytes, headers: dict[str, str]) -> ModelStream:
        """POST <url>/invocations and return once the answer's head is in; its body is read by the caller, chunk
        by chunk as the server sends it. Raises ModelUnreachable or ModelTimedOut when no head comes."""
        import httpx

        client = self.client()
        request = client.build_request("POST", url.rstrip("/") + "/invocations", content=body, headers=headers)
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            raise ModelTimedOut() from None
        except httpx.TransportError:
            raise ModelUnreachable() from None
        return ModelStream(response)

    async def ping(self, url: str) -> bool:
        """Whether GET <url>/ping answers 200 within the contract's 2 s."""
        import httpx

        try:
            reply = await self.client().get(url.rstrip("/") + "/ping", timeout=PING_TIMEOUT)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200


class ModelStream:
    """An answer being received: its head now, its body as it arrives. Close it in every case (aclose)."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.content_type: str | None = response.headers.get("content-type")
        self.custom_attributes: str | None = response.headers.get("x-amzn-sagemaker-custom-attributes")

    async def read(self) -> bytes:
        """The whole body (an error's); ModelStreamBroken if it breaks off."""
        import httpx

        try:
            return await self._response.aread()
        except httpx.HTTPError:
            raise ModelStreamBroken() from None

    async def chunks(self) -> AsyncIterator[bytes]:
        """Each piece of the body as it arrives; ModelStreamBroken if the stream breaks off before its end."""
        import httpx

        try:
            async for chunk in self._response.aiter_raw():
                if chunk:
                    yield chunk
        except httpx.HTTPError:
            raise ModelStreamBroken() from None

    async def aclose(self) -> None:
        await self._response.aclose()
