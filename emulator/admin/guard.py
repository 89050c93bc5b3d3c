"""The one guard in front of the admin API: who may read the state and settings, reset, import and set faults.

Decided once, at start-up, from settings (Settings.admin_mode): `loopback` (clients on this machine), `token` (an
`Authorization: Bearer <admin_token>` header on every guarded request) or `off`. Checked on the request's head,
before its body is read, so a refused client cannot make the server read or hold a large body. Every path under
the prefix is guarded except OPEN_PATHS, which tell nothing about the data: a new admin route is guarded unless
it is added there.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from typing import Any

from emulator.errors import AccessDeniedException
from emulator.settings import AdminMode

# The admin API lives under this path; no AWS request can reach it (AWS requests are POST / with a target).
ADMIN_PREFIX = "/_emulator"
# Liveness and readiness (the container's health check), the version, the admin API's own schema.
OPEN_PATHS = frozenset({"health", "ready", "version", "openapi.json"})

TOKEN_HINT = "send the admin token (SAGEMAKER_EMULATOR_ADMIN_TOKEN) as 'Authorization: Bearer <token>'"
REFUSALS: dict[AdminMode, str] = {
    "off": "The admin API is off on this server (admin_access is off); set SAGEMAKER_EMULATOR_ADMIN_TOKEN to use it.",
    "loopback": "The admin API answers only clients on this machine (admin_access is loopback); set"
    " SAGEMAKER_EMULATOR_ADMIN_TOKEN to use it from elsewhere.",
    "token": f"This admin request needs the admin token: {TOKEN_HINT}.",
}


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


class AdminGuard:
    def __init__(self, *, mode: AdminMode, token: str | None, prefix: str) -> None:
        self.mode = mode
        self._expected = token.encode() if token is not None else None
        self._prefix = prefix

    def refusal(self, scope: Mapping[str, Any]) -> AccessDeniedException | None:
        """None when the request (an ASGI HTTP scope) may go on; else the 403 it gets."""
        path = scope["path"][len(self._prefix) :].strip("/")
        if path in OPEN_PATHS:
            return None
        if self.mode == "loopback":
            client = scope.get("client")
            if client is not None and is_loopback(client[0]):
                return None
        elif self.mode == "token" and self._expected is not None:
            for name, value in scope["headers"]:
                scheme, _, given = value.partition(b" ")
                # The scheme is case-insensitive (RFC 9110); the token compared in constant time, so the answer's
                # timing says nothing about it.
                if name == b"authorization" and scheme.lower() == b"bearer":
                    if hmac.compare_digest(given.strip(), self._expected):
                        return None
        return AccessDeniedException(REFUSALS[self.mode])
