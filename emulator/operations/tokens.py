"""NextToken: an opaque, signed keyset cursor bound to the query that issued it.

A token is `base64url(cursor JSON).base64url(HMAC)`; the HMAC covers the cursor and the query (operation, account,
region, sort and filters), so a token that was altered or is replayed against another query fails to verify. The
key comes from settings (shared by every replica of one database), never from per-process randomness, so any
replica accepts a token another one issued.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import orjson

from emulator.errors import ValidationException

# SageMaker's text for a bad token, including the placeholder it leaves unformatted (see docs/decisions.md).
INVALID_TOKEN_MESSAGE = 'Invalid pagination token because "{0}".'
_MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PageTokens:
    """key: the secret, or a function that gives it on first use (deriving it from a database URL imports
    SQLAlchemy, which a server on a SQLite file does not load before its first listing)."""

    def __init__(self, key: bytes | Callable[[], bytes]) -> None:
        self._source = key
        self._digest: bytes | None = None

    def _mac(self, query: tuple[Any, ...], payload: bytes) -> bytes:
        if self._digest is None:
            key = self._source if isinstance(self._source, bytes) else self._source()
            self._digest = hashlib.sha256(b"sagemaker-emulator/next-token/v1\0" + key).digest()
        return hmac.new(self._digest, orjson.dumps(query) + b"\0" + payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def issue(self, *, query: tuple[Any, ...], cursor: list[Any]) -> str:
        payload = orjson.dumps(cursor)
        return f"{_b64(payload)}.{_b64(self._mac(query, payload))}"

    def read(self, token: str, *, query: tuple[Any, ...]) -> list[Any]:
        """The cursor inside a token this query issued; ValidationException for anything else."""
        try:
            encoded, _, mac = token.partition(".")
            payload = _unb64(encoded)
            if hmac.compare_digest(_unb64(mac), self._mac(query, payload)):
                cursor = orjson.loads(payload)
                if type(cursor) is list:
                    return cursor
        except (ValueError, binascii.Error):
            pass
        raise ValidationException(INVALID_TOKEN_MESSAGE)
