"""Logging set-up: human-readable lines by default, one JSON object per line when asked (log shippers)."""

from __future__ import annotations

import datetime
import logging
import sys
from typing import Any

import orjson

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Printable ASCII but the escape character itself: anything else in a client-sent field could end a line, start a
# forged field, or hide text (tabs, newlines, U+0085, bidi controls), so it is written as a \\xHH-style escape.
_PLAIN = frozenset(chr(c) for c in range(0x21, 0x7F)) - {"\\"}


def _escape_char(c: str) -> str:
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_field(value: str) -> str:
    """One key=value field as one token: spaces, backslashes, control and non-ASCII characters escaped."""
    if value.isascii() and value.isprintable() and " " not in value and "\\" not in value:
        return value
    return "".join(c if c in _PLAIN else _escape_char(c) for c in value)


def escape_controls(message: str) -> str:
    """A log message on one line: characters that are not printable (line breaks, tabs, U+2028) escaped."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else _escape_char(c) for c in message)


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT, with any message kept on its line (a client's text inside it cannot start a forged line)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", ...fields}: a request line carries its fields as separate keys."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "request", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(*, level: str, log_format: str) -> None:
    """Everything (ours and uvicorn's) goes to stderr through one handler on the root logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Migration progress is not news at INFO: the schema is either current or upgraded silently.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
