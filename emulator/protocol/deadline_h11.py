"""The header deadline over uvicorn's h11 protocol (used where httptools is not installed)."""

from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol

from emulator.protocol.deadline import HeaderDeadline


class DeadlineH11Protocol(HeaderDeadline, H11Protocol):
    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # headers are in: the request is the app's now
