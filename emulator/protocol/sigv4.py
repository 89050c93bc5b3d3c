"""Checking an AWS Signature Version 4 Authorization header, in the order and with the texts of AWS's JSON services.

Order (measured on Coral services): missing header, incomplete header, date format and skew, Host signed,
algorithm, credential shape, credential scope, access key, signature.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from emulator.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from emulator.regions import valid_region

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "sagemaker"
TERMINATOR = "aws4_request"
MAX_SKEW = timedelta(minutes=15)
TIMESTAMP = "%Y%m%dT%H%M%SZ"
_BASIC_FORMAT = re.compile(r"^\d{8}T\d{6}Z$")

MISSING_TOKEN = "Missing Authentication Token"
UNRECOGNIZED_CLIENT = "The security token included in the request is invalid."
INVALID_REGION = "Credential should be scoped to a valid region. "
DATE_REQUIRED = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access"
    " Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What the signature covers, as received: the raw (still percent-encoded) path and query string."""

    method: str
    raw_path: str
    query_string: str
    headers: Sequence[tuple[bytes, bytes]]  # ASGI: lower-case names, in the order received
    body: bytes


def _header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str | None:
    found = None
    for key, value in headers:
        if key == name:
            found = value.decode("latin-1")
    return found


def _request_time(headers: Sequence[tuple[bytes, bytes]]) -> tuple[datetime, str] | None:
    """(time, the X-Amz-Date form of it) from X-Amz-Date, else Date; None when neither is present.

    Raises IncompleteSignatureException for a date in another format."""
    amz_date = _header(headers, b"x-amz-date")
    if amz_date is not None:
        if _BASIC_FORMAT.match(amz_date):
            try:
                return datetime.strptime(amz_date, TIMESTAMP).replace(tzinfo=UTC), amz_date
            except ValueError:
                pass
        raise IncompleteSignatureException(
            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    http_date = _header(headers, b"date")
    if http_date is None:
        return None
    try:
        parsed = parsedate_to_datetime(http_date)
        # `-0000` (what botocore sends) parses to a naive time that means UTC.
        when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError):
        raise IncompleteSignatureException(
            f"Date must be in ISO-8601 'basic format'. Got '{http_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None
    return when, when.strftime(TIMESTAMP)


def _parameters(authorization: str) -> tuple[str, dict[str, str]]:
    """(algorithm, {Credential, SignedHeaders, Signature, ...}) of `ALG Credential=..., SignedHeaders=..., ...`."""
    algorithm, _, rest = authorization.strip().partition(" ")
    params: dict[str, str] = {}
    for part in rest.replace(" ", "").split(","):
        key, _, value = part.partition("=")
        if key:
            params[key] = value
    return algorithm, params


def _check_skew(when: datetime, stamp: str, now: datetime) -> None:
    earliest, latest = now - MAX_SKEW, now + MAX_SKEW
    minutes = int(MAX_SKEW.total_seconds() // 60)
    if when < earliest:
        raise InvalidSignatureException(
            f"Signature expired: {stamp} is now earlier than {earliest.strftime(TIMESTAMP)}"
            f" ({now.strftime(TIMESTAMP)} - {minutes} min.)"
        )
    if when > latest:
        raise InvalidSignatureException(
            f"Signature not yet current: {stamp} is still later than {latest.strftime(TIMESTAMP)}"
            f" ({now.strftime(TIMESTAMP)} + {minutes} min.)"
        )


def _uri_encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_request(request: SignedRequest, signed_headers: list[str]) -> str:
    """The canonical request as SigV4 defines it for non-S3 services (the path is encoded a second time)."""
    path = posixpath.normpath(request.raw_path) if request.raw_path else "/"
    if request.raw_path.endswith("/") and path != "/":
        path += "/"
    pairs = []
    for pair in request.query_string.split("&") if request.query_string else ():
        name, _, value = pair.partition("=")
        pairs.append((_uri_encode(unquote(name)), _uri_encode(unquote(value))))
    query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    values: dict[str, list[str]] = {name: [] for name in signed_headers}
    for raw_name, raw_value in request.headers:
        name = raw_name.decode("latin-1")
        if name in values:
            values[name].append(" ".join(raw_value.decode("latin-1").split()))
    headers = "".join(f"{name}:{','.join(values[name])}\n" for name in signed_headers)
    return "\n".join(
        (
            request.method,
            quote(path, safe="/~"),
            query,
            headers,
            ";".join(signed_headers),
            hashlib.sha256(request.body).hexdigest(),
        )
    )


def verify(
    request: SignedRequest,
    authorization: str | None,
    *,
    signing_key: Callable[[str, str, str], bytes | None],
    now: datetime,
) -> tuple[str, str]:
    """(access key id, region) of a correctly signed request; raises the AWS error otherwise.

    signing_key(access key id, date, region) is the derived SigV4 key, or None for an unknown access key.
    """
    if not authorization or not authorization.strip().startswith("AWS4-"):
        raise MissingAuthenticationTokenException(MISSING_TOKEN)
    algorithm, params = _parameters(authorization)
    incomplete = "".join(
        f"Authorization header requires '{name}' parameter. "
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    )
    if not any(name in (b"x-amz-date", b"date") for name, _ in request.headers):
        incomplete += DATE_REQUIRED
    if incomplete:
        raise IncompleteSignatureException(f"{incomplete}Authorization={authorization}")
    # Parsed only now: a header that lacks parts is reported as such even when its date is also bad.
    request_time = _request_time(request.headers)
    if request_time is None:
        raise IncompleteSignatureException(f"{DATE_REQUIRED}Authorization={authorization}")
    when, stamp = request_time
    _check_skew(when, stamp, now)
    signed_headers = params["SignedHeaders"].lower().split(";")
    if "host" not in signed_headers:
        raise InvalidSignatureException(HOST_NOT_SIGNED)
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). ")
    credential = params["Credential"]
    parts = credential.rstrip("/").split("/")
    if len(parts) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
            f" got '{credential}'"
        )
    key_id, date, region, service, terminator = parts
    scope_errors = ""
    if not valid_region(region):
        scope_errors += INVALID_REGION
    if service != SERVICE:
        scope_errors += f"Credential should be scoped to correct service: '{SERVICE}'. "
    if terminator != TERMINATOR:
        scope_errors += f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
    if date != stamp[:8]:
        scope_errors += (
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP:"
            f" '{date}' != '{stamp[:8]}', from '{stamp}'."
        )
    if scope_errors:
        raise InvalidSignatureException(scope_errors)
    key = signing_key(key_id, date, region)
    if key is None:
        raise UnrecognizedClientException(UNRECOGNIZED_CLIENT)
    canonical = canonical_request(request, signed_headers)
    string_to_sign = "\n".join(
        (ALGORITHM, stamp, f"{date}/{region}/{SERVICE}/{TERMINATOR}", hashlib.sha256(canonical.encode()).hexdigest())
    )
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
        # As AWS does: what we signed, so the caller can compare with what their SDK signed. Neither holds a secret.
        raise InvalidSignatureException(
            f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
            f"The String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    return key_id, region


def derive_signing_key(secret_prefixed: bytes, date: str, region: str) -> bytes:
    """kSigning from b"AWS4" + secret, as SigV4 defines it."""
    key = secret_prefixed
    for part in (date, region, SERVICE, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
