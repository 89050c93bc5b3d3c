"""awsJson1.1 on the wire: target routing, JSON in and out, request ids, and the one place errors are serialized.

This is a plain ASGI app, not a FastAPI route: the AWS path is the hot path, and FastAPI's request machinery would
cost more than everything else a request does. The application (emulator/app.py) sends it every request outside
the admin prefix.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from typing import Any

import orjson

from emulator.errors import AwsError, InternalFailure, SerializationException, UnknownOperationException
from emulator.operations import HANDLERS
from emulator.operations.context import Deps, RequestContext
from emulator.protocol.asgi import Receive, Scope, Send
from emulator.protocol.auth import CallerResolver, PermissiveAuth
from emulator.protocol.limits import ClientDisconnected, RequestLimits
from emulator.protocol.request_log import CONTEXT_KEY, TARGET_PREFIX, log_request
from emulator.resources.kind import Handler
from emulator.running_loop import running_loop
from emulator.shapes.validate import RequestValidator

CONTENT_TYPE = b"application/x-amz-json-1.1"
# Bodies larger than this are parsed and validated on a thread: a few MB of JSON with thousands of bad values takes
# tens of milliseconds or more, which the event loop would owe every other request. Smaller ones cost less than a hop.
THREADED_BODY_BYTES = 64 * 1024

log = logging.getLogger("emulator.request")


class RequestIds:
    """UUID-shaped request ids, unique per process: a random 20 hex digits drawn once, then a counter.
    Cheaper than a uuid4 per request, and as unique for anything an SDK does with them (logs, retries)."""

    def __init__(self) -> None:
        prefix = uuid.uuid4().hex[:20]
        self._prefix = f"{prefix[:8]}-{prefix[8:12]}-4{prefix[13:16]}-{prefix[16:20]}-"
        self._next = itertools.count(1).__next__

    def __call__(self) -> str:
        return f"{self._prefix}{self._next():012x}"


def error_body(error: AwsError) -> bytes:
    """The JSON body of an error, for awsJson1.1 and rest-json alike: SDKs of both read the code from `__type` (or
    the x-amzn-ErrorType header), the message from `message`, and a shape's other members by name."""
    body: dict[str, str | int | None] = {"__type": error.code} if error.typed else {}
    if error.message is not None or error.null_message:
        body["message"] = error.message
    body.update(error.members())
    return orjson.dumps(body)


class AwsJsonApp:
    def __init__(
        self,
        *,
        deps: Deps,
        default_region: str,
        default_account: str,
        resolve_caller: CallerResolver | None = None,
        request_limits: RequestLimits | None = None,
        handlers: dict[str, Handler] | None = None,
        validator: RequestValidator | None = None,
        check_answers: bool = False,
    ) -> None:
        self.deps = deps
        self.check_answers = check_answers
        self.limits = request_limits or RequestLimits()
        self.faults = deps.faults
        self.resolve_caller = resolve_caller or PermissiveAuth(
            accounts={}, default_account=default_account, default_region=default_region
        )
        self.validator = validator or RequestValidator()
        self.handlers: dict[str, Handler] = HANDLERS if handlers is None else handlers
        self.request_ids = RequestIds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = self.request_ids()
        code: str | None
        try:
            self.limits.check_content_length(scope["headers"])
            body = await self.limits.read_body(receive)
        except AwsError as error:
            # The rest of the body is never read: answer and close the connection.
            status, payload, code = error.status, error_body(error), error.code
            close = [(b"connection", b"close")]
        except ClientDisconnected:
            return
        else:
            status, payload, code = await self.handle(scope, body, request_id)
            close = []
        headers = [
            *close,
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

    async def handle(self, scope: Scope, body: bytes, request_id: str) -> tuple[int, bytes, str | None]:
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
                raise UnknownOperationException.unserved(target)
            large = len(body) > THREADED_BODY_BYTES
            if large:
                request = await running_loop().run_in_executor(None, self.decode, body)
            else:
                request = self.decode(body)
            # After target and body checks, before validation: the order of AWS's JSON services.
            account_id, region = self.resolve_caller(scope, authorization, body)
            ctx = RequestContext(account_id=account_id, region=region, request_id=request_id)
            scope[CONTEXT_KEY] = ctx
            if self.faults.active:
                delay = await self.faults.pick(operation=operation, account_id=ctx.account_id, request=request)
                if delay:
                    await asyncio.sleep(delay)
            if large:
                await running_loop().run_in_executor(None, self.validator.validate, operation, request)
            else:
                self.validator.validate(operation, request)
            result = await handler(request=request, ctx=ctx, deps=self.deps)
            if self.check_answers:
                self.validator.check_answer(operation, result)
            return 200, orjson.dumps(result if result is not None else {}), None
        except AwsError as error:
            if error.status >= 500:
                log.error("request %s %s failed: %s %s", request_id, target, error.code, error.message)
            return error.status, error_body(error), error.code
        except Exception:
            log.exception("request %s %s failed with an internal error", request_id, target)
            failure = InternalFailure("We encountered an internal error. Please try again.")
            return failure.status, error_body(failure), failure.code

    def decode(self, body: bytes) -> dict[str, Any]:
        """The request's JSON object, or the SerializationException AWS answers for anything else."""
        self.limits.check_depth(body)
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise SerializationException() from None
        if type(request) is not dict:
            if type(request) is list:
                raise SerializationException("Start of list found where not expected")
            raise SerializationException()
        return request
