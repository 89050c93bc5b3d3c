"""The header deadline over uvicorn's httptools protocol (imported only when httptools is installed)."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulator.protocol.deadline import HeaderDeadline


class DeadlineHttpToolsProtocol(HeaderDeadline, HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._disarm()  # headers are in: the request is the app's now
