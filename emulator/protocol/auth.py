"""Who is calling, and where: the (account, region) of an AWS request.

Permissive mode (the default) trusts the Authorization header: region from the credential scope, account from the
configured access key map (the default account for other keys). Strict mode proves it with a SigV4 check first.
Everything that can be is prepared at start-up; the permissive path is one regex search and one dict lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from emulator.credentials import Credentials
from emulator.errors import InvalidSignatureException
from emulator.protocol.sigv4 import INVALID_REGION, SignedRequest, derive_signing_key, verify
from emulator.regions import valid_region

# Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/sagemaker/aws4_request, ...
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/[^/,\s]+/aws4_request")
# Derived keys are per (key, date, region): a handful a day. The bound only stops a flood of made-up regions.
_MAX_CACHED_KEYS = 4096


class CallerResolver(Protocol):
    def __call__(self, scope: MutableMapping[str, Any], authorization: str, body: bytes) -> tuple[str, str]:
        """(account id, region) of the request, or raise the AWS authentication error."""
        ...


class PermissiveAuth:
    __slots__ = ("accounts", "default_account", "default_region")

    def __init__(self, *, accounts: Mapping[str, str], default_account: str, default_region: str) -> None:
        self.accounts = dict(accounts)
        self.default_account = default_account
        self.default_region = default_region

    def __call__(self, scope: MutableMapping[str, Any], authorization: str, body: bytes) -> tuple[str, str]:
        found = _CREDENTIAL.search(authorization) if authorization else None
        if found is None:
            return self.default_account, self.default_region
        region = found.group(2)
        if not valid_region(region):
            # It would end up in ARNs and in the store: refuse it as AWS does rather than store junk.
            raise InvalidSignatureException(INVALID_REGION)
        return self.accounts.get(found.group(1), self.default_account), region


class StrictAuth:
    __slots__ = ("_derived", "_prefixed", "accounts", "clock", "default_account")

    def __init__(
        self,
        *,
        accounts: Mapping[str, str],
        secrets: Mapping[str, bytes],
        default_account: str,
        clock: Callable[[], float],
    ) -> None:
        self.accounts = dict(accounts)
        self.default_account = default_account
        self.clock = clock
        self._prefixed = {key_id: b"AWS4" + secret for key_id, secret in secrets.items()}
        self._derived: dict[tuple[str, str, str], bytes] = {}

    def __repr__(self) -> str:
        return f"StrictAuth(access_keys={sorted(self._prefixed)})"

    def signing_key(self, key_id: str, date: str, region: str) -> bytes | None:
        cached = self._derived.get((key_id, date, region))
        if cached is not None:
            return cached
        prefixed = self._prefixed.get(key_id)
        if prefixed is None:
            return None
        if len(self._derived) >= _MAX_CACHED_KEYS:
            self._derived.clear()
        key = self._derived[(key_id, date, region)] = derive_signing_key(prefixed, date, region)
        return key

    def __call__(self, scope: MutableMapping[str, Any], authorization: str, body: bytes) -> tuple[str, str]:
        # uvicorn gives the path as sent; other servers may give only the decoded one.
        raw_path = scope.get("raw_path")
        request = SignedRequest(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1") if raw_path else quote(scope["path"], safe="/~!$&'()*+,;=:@"),
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=scope["headers"],
            body=body,
        )
        now = datetime.fromtimestamp(self.clock(), UTC)
        key_id, region = verify(request, authorization or None, signing_key=self.signing_key, now=now)
        return self.accounts.get(key_id, self.default_account), region


def make_caller_resolver(
    credentials: Credentials, *, default_account: str, default_region: str, clock: Callable[[], float]
) -> CallerResolver:
    if credentials.strict:
        return StrictAuth(
            accounts=credentials.accounts,
            secrets={k: v.get_secret_value().encode() for k, v in credentials.secrets.items()},
            default_account=default_account,
            clock=clock,
        )
    return PermissiveAuth(accounts=credentials.accounts, default_account=default_account, default_region=default_region)
