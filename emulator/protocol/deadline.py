"""uvicorn's h11 protocol with a deadline for a request's headers.

uvicorn has no timeout for receiving a request: its keep-alive timer is reset by every byte that arrives and is not
armed at all on a new connection, so a client that connects and sends nothing, or trickles its headers, holds a
connection for ever. Here a connection waiting for request headers (new, or idle after a response) is closed when
they are not complete within `header_timeout` seconds. The body has its own timeout in the app (limits.py), which
can still answer with an AWS error because the request has been routed by then.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class DeadlineH11Protocol(H11Protocol):
    header_timeout: float = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # headers are in: the request is the app's now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle is None or self.cycle.response_complete:
            self._arm()  # waiting for the next request's headers

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


def deadline_protocol(header_timeout: float) -> type[DeadlineH11Protocol]:
    """The protocol class for uvicorn's `http=` option, with this header timeout."""
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,), {"header_timeout": header_timeout})
