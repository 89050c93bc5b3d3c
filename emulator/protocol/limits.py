"""Limits on what one request may cost: body size, JSON nesting depth, and how long its body may take to arrive.

The size is checked against Content-Length before any byte of the body is read, and counted while receiving (a
chunked body has no Content-Length). Depth is checked on the raw bytes before JSON parsing, and only when the body
holds more brackets than the limit, so ordinary requests pay one `bytes.count` per bracket kind.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from emulator.errors import RequestEntityTooLargeException, RequestTimeoutException, SerializationException
from emulator.protocol.asgi import Receive
from emulator.running_loop import running_loop

# A JSON string literal (escapes included; an unterminated one runs to the end) or a bracket. One left-to-right pass
# of non-overlapping matches: linear however the quotes and backslashes are arranged.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_OPENERS = (ord("{"), ord("["))
_CLOSERS = (ord("}"), ord("]"))


class ClientDisconnected(Exception):
    """The client went away before its body was complete: there is no one to answer, and nothing to do."""


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_body_bytes: int = 8 * 1024 * 1024
    max_json_depth: int = 32
    body_timeout: float = 30.0

    def too_large(self) -> RequestEntityTooLargeException:
        return RequestEntityTooLargeException(f"HTTP content length exceeded {self.max_body_bytes} bytes.")

    def check_content_length(self, headers: list[tuple[bytes, bytes]]) -> None:
        for name, value in headers:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body_bytes:
                    raise self.too_large()
                return

    async def read_body(self, receive: Receive) -> bytes:
        """The whole body; raises when it grows past the limit, does not arrive within body_timeout, or never will.

        The deadline is a plain timer that cancels this task, as asyncio.timeout does, without the cost of its
        context manager on every request (docs/decisions.md)."""
        task = asyncio.current_task(running_loop())  # with the loop: no getpid() (emulator/running_loop.py)
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        deadline = task.get_loop().call_later(self.body_timeout, expire)
        chunks: list[bytes] = []
        size = 0
        try:
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnected()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise self.too_large()
                chunks.append(chunk)
                more = message.get("more_body", False)
        except asyncio.CancelledError:
            if not expired:
                raise
            task.uncancel()
            raise RequestTimeoutException(
                f"The request body was not received within {self.body_timeout:g} seconds."
            ) from None
        finally:
            deadline.cancel()
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def check_depth(self, body: bytes) -> None:
        """SerializationException when JSON arrays and objects nest deeper than max_json_depth."""
        limit = self.max_json_depth
        if body.count(b"{") + body.count(b"[") <= limit:
            return
        depth = 0
        for token in _TOKEN.finditer(body):
            first = body[token.start()]
            if first in _OPENERS:
                depth += 1
                if depth > limit:
                    raise SerializationException(f"JSON nesting depth exceeds the maximum of {limit}.")
            elif first in _CLOSERS:
                depth -= 1
