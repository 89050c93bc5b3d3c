"""SigV4-signed raw requests built with botocore's own signer, so tests can tamper with them after signing."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any
from unittest import mock

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support import http


@dataclass
class Signed:
    url: str
    headers: dict[str, str]
    body: bytes
    signer: SigV4Auth
    timestamp: str

    def send(self, **changes: Any) -> httpx.Response:
        """POST exactly these headers and body (after any changes); httpx adds only unsigned headers."""
        headers = dict(self.headers)
        headers.update(changes.pop("headers", {}))
        body = changes.pop("body", self.body)
        return http().post(self.url, content=body, headers=headers, timeout=30, **changes)

    def canonical(self, *, headers: dict[str, str] | None = None, body: bytes | None = None) -> tuple[str, str]:
        """(canonical request, string to sign) botocore computes for the request as it would be received."""
        request = AWSRequest(
            method="POST", url=self.url, data=self.body if body is None else body, headers=headers or self.headers
        )
        request.context["timestamp"] = self.timestamp
        # Only the headers that were signed; botocore would otherwise sign the Authorization header too.
        signed = self.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        for name in list(request.headers.keys()):
            if name.lower() not in signed:
                del request.headers[name]
        canonical = self.signer.canonical_request(request)
        return canonical, self.signer.string_to_sign(request, canonical)


def sign(
    endpoint: str,
    operation: str,
    body: dict[str, Any] | bytes,
    *,
    key_id: str,
    secret: str,
    region: str = "us-east-1",
    service: str = "sagemaker",
    when: datetime.datetime | None = None,
    headers: dict[str, str] | None = None,
    path: str = "/",
) -> Signed:
    """An awsJson1.1 request signed as boto3 signs it, optionally at another time or with extra signed headers."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"SageMaker.{operation}",
        **(headers or {}),
    }
    request = AWSRequest(method="POST", url=endpoint + path, data=data, headers=sent)
    signer = SigV4Auth(Credentials(key_id, secret), service, region)
    moment = (when or datetime.datetime.now(datetime.UTC)).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        signer.add_auth(request)
    return Signed(
        url=endpoint + path,
        headers=dict(request.headers.items()),
        body=data,
        signer=signer,
        timestamp=request.context["timestamp"],
    )
