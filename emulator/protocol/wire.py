"""awsJson1.1 on the wire: target routing, JSON in and out, request ids, and the one place errors are serialized.

This is a plain ASGI app, not a FastAPI route: the AWS path is the hot path, and FastAPI's request machinery would
cost more than everything else a request does. Anything not under the admin prefix is an AWS request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from emulator.admin import ADMIN_PREFIX
from emulator.errors import AwsError, InternalFailure, SerializationException, UnknownOperationException
from emulator.operations import HANDLERS, Handler
from emulator.operations.context import Deps, RequestContext
from emulator.protocol.request_log import CONTEXT_KEY, log_request
from emulator.shapes.validate import RequestValidator

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TARGET_PREFIX = "SageMaker."
CONTENT_TYPE = b"application/x-amz-json-1.1"
# Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/sagemaker/aws4_request, ...
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")

log = logging.getLogger("emulator.request")


def error_body(error: AwsError) -> bytes:
    body: dict[str, str] = {"__type": error.code}
    if error.message is not None:
        body["message"] = error.message
    return orjson.dumps(body)


def credential_scope(authorization: str) -> tuple[str, str] | None:
    """(access key id, region) from a SigV4 Authorization header, or None."""
    found = _CREDENTIAL.search(authorization)
    return (found.group(1), found.group(3)) if found else None


class AwsJsonApp:
    def __init__(self, *, deps: Deps, default_region: str, default_account: str, fallback: ASGIApp) -> None:
        self.deps = deps
        self.default_region = default_region
        self.default_account = default_account
        self.fallback = fallback
        self.validator = RequestValidator()
        self.handlers: dict[str, Handler] = dict(HANDLERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.fallback(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status, payload, code = self.handle(scope, body, request_id)
        headers = [
            (b"content-type", CONTENT_TYPE),
            (b"x-amzn-requestid", request_id.encode()),
            (b"content-length", str(len(payload)).encode()),
        ]
        if code is not None:
            headers.append((b"x-amzn-errortype", code.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        if log.isEnabledFor(logging.INFO):
            log_request(scope, request_id=request_id, status=status, error=code, seconds=time.perf_counter() - started)

    def handle(self, scope: Scope, body: bytes, request_id: str) -> tuple[int, bytes, str | None]:
        """(status, body, error code or None) for one AWS request; never raises."""
        target = authorization = ""
        for name, value in scope["headers"]:
            if name == b"x-amz-target":
                target = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        try:
            operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else ""
            handler = self.handlers.get(operation)
            if handler is None or scope["method"] != "POST":
                raise UnknownOperationException()
            scoped = credential_scope(authorization)
            ctx = RequestContext(
                account_id=self.default_account,
                region=scoped[1] if scoped else self.default_region,
                request_id=request_id,
            )
            scope[CONTEXT_KEY] = ctx
            try:
                request = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise SerializationException() from None
            if type(request) is not dict:
                if type(request) is list:
                    raise SerializationException("Start of list found where not expected")
                raise SerializationException()
            self.validator.validate(operation, request)
            result = handler(request=request, ctx=ctx, deps=self.deps)
            return 200, orjson.dumps(result if result is not None else {}), None
        except AwsError as error:
            if error.status >= 500:
                log.error("request %s %s failed: %s %s", request_id, target, error.code, error.message)
            return error.status, error_body(error), error.code
        except Exception:
            log.exception("request %s %s failed with an internal error", request_id, target)
            failure = InternalFailure("We encountered an internal error. Please try again.")
            return failure.status, error_body(failure), failure.code
