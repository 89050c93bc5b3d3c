"""The binary framing of `application/vnd.amazon.eventstream`, which InvokeEndpointWithResponseStream answers in.

A message is a prelude (total length, headers length, both 4-byte big-endian, then the CRC32 of those 8 bytes),
the headers (name length 1 byte, name, value type 1 byte (7: string), value length 2 bytes, value), the payload,
and the CRC32 of everything before it. SDKs check both CRCs; botocore's own parser decodes these in the tests.
"""

from __future__ import annotations

import struct
import zlib

_STRING = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _headers(headers: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += bytes((len(raw_name),)) + raw_name + bytes((_STRING,)) + struct.pack(">H", len(raw_value)) + raw_value
    return bytes(out)


def message(headers: dict[str, str], payload: bytes) -> bytes:
    encoded = _headers(headers)
    total = _PRELUDE.size + _CRC.size + len(encoded) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(encoded))
    head = prelude + _CRC.pack(zlib.crc32(prelude)) + encoded + payload
    return head + _CRC.pack(zlib.crc32(head))


def event(event_type: str, payload: bytes, *, content_type: str = "application/octet-stream") -> bytes:
    """An event of the stream's union (PayloadPart)."""
    return message(
        {":event-type": event_type, ":content-type": content_type, ":message-type": "event"},
        payload,
    )


def exception(exception_type: str, payload: bytes) -> bytes:
    """An error member of the stream's union (ModelStreamError, InternalStreamFailure): the stream ends with it."""
    return message(
        {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"},
        payload,
    )
