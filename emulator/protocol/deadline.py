"""uvicorn's HTTP protocols with a deadline for a request's headers.

uvicorn has no timeout for receiving a request: its keep-alive timer is reset by every byte that arrives and is not
armed at all on a new connection, so a client that connects and sends nothing, or trickles its headers, holds a
connection for ever. Here a connection waiting for request headers (new, or idle after a response) is closed when
they are not complete within the header timeout. The body has its own timeout in the app (limits.py), which can
still answer with an AWS error because the request has been routed by then.

A request the HTTP parser rejects (a negative, duplicate or chunked-and-sized Content-Length, control bytes in a
header) never reaches the app; uvicorn answers it with a text/plain 400, which these protocols replace with an AWS
JSON error, so an SDK reports a code and a message rather than failing to parse the answer.

The classes are module-level (worker processes unpickle them); the timeout travels on the uvicorn Config. Each
protocol has a module of its own, imported only when it is the one used (serving.py chooses): importing h11 where
httptools serves would only lengthen start-up. This module imports neither, so they can import it without a cycle.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from emulator.timeouts import DEFAULT_HEADER_TIMEOUT

# The code for a request that is not valid HTTP/1.1: the body could not be read, the closest of AWS's JSON codes
# (docs/decisions.md, issue 17).
MALFORMED_HTTP_CODE = "SerializationException"


class HeaderDeadline:
    """Mixin over a uvicorn protocol: armed while waiting for headers, disarmed once a request is routed."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any
    server_state: Any
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)  # type: ignore[call-arg]
        self.header_timeout = getattr(config, "header_timeout", DEFAULT_HEADER_TIMEOUT)

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self.cycle is None or self.cycle.response_complete:
            self._arm()  # waiting for the next request's headers

    def send_400_response(self, msg: str) -> None:
        """Replaces uvicorn's text/plain answer to an unparsable request (msg is its text) with AWS's JSON error."""
        body = json.dumps({"__type": MALFORMED_HTTP_CODE, "message": msg}, separators=(",", ":")).encode()
        head = [b"HTTP/1.1 400 Bad Request"]
        head += [name + b": " + value for name, value in self.server_state.default_headers]  # the date
        head += [
            b"content-type: application/x-amz-json-1.1",
            b"x-amzn-requestid: " + str(uuid.uuid4()).encode(),
            b"x-amzn-errortype: " + MALFORMED_HTTP_CODE.encode(),
            b"content-length: " + str(len(body)).encode(),
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing():
            self.transport.close()
