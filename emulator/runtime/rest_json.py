"""SageMaker Runtime on the wire: rest-json on the same port as SageMaker, `POST /endpoints/{EndpointName}/<op>`.

The body is the model's payload, untouched bytes, and the answer's body is the model's; everything else travels in
headers. Errors are AwsErrors serialized by the wire's one error_body, with the x-amzn-ErrorType header rest-json
SDKs read the code from. Callers are resolved (and in strict mode, signatures checked) as on the awsJson path: the
runtime signs with the same name, `sagemaker`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import orjson

import emulator.runtime.eventstream as eventstream
from emulator.errors import (
    AwsError,
    InternalFailure,
    PayloadTooLarge,
    RequestEntityTooLargeException,
    ServiceUnavailable,
    UnknownOperationException,
    ValidationError,
    ValidationException,
)
from emulator.operations.context import Deps, RequestContext
from emulator.protocol.asgi import Receive, Scope, Send
from emulator.protocol.auth import CallerResolver
from emulator.protocol.limits import ClientDisconnected, RequestLimits
from emulator.protocol.request_log import CONTEXT_KEY, log_request
from emulator.protocol.wire import RequestIds, error_body
from emulator.runtime.async_invoke import Accepted, AsyncInvocation, AsyncQueue, invoke_endpoint_async
from emulator.runtime.invoke import Answer, Invocation, StreamedAnswer, invoke_endpoint, invoke_endpoint_stream
from emulator.runtime.model_servers import ModelStreamBroken
from emulator.runtime.runtime_shapes import answer_members, runtime_validator

# The app routes every path under this prefix here (emulator/app.py): one startswith on the awsJson path's cost.
RUNTIME_PREFIX = "/endpoints/"
# The API model's largest body (BodyBlob, 6 MB). AWS refuses past it plus 4 KiB: with the 5 MB limit of 2018 its text
# said 5246976 bytes, 5 MiB + 4096 [R: aws/sagemaker-python-sdk#171].
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_PAYLOAD_BYTES + 4096
JSON = b"application/json"
# How long an invocation runs before the runtime watches for its client leaving (RuntimeApp.watched).
WATCH_AFTER_SECONDS = 0.05

# The request headers of each operation's input shape: header -> (member, Invocation field).
_HEADERS = {
    b"content-type": ("ContentType", "content_type"),
    b"accept": ("Accept", "accept"),
    b"x-amzn-sagemaker-custom-attributes": ("CustomAttributes", "custom_attributes"),
    b"x-amzn-sagemaker-target-model": ("TargetModel", "target_model"),
    b"x-amzn-sagemaker-target-variant": ("TargetVariant", "target_variant"),
    b"x-amzn-sagemaker-target-container-hostname": ("TargetContainerHostname", "target_container_hostname"),
    b"x-amzn-sagemaker-inference-id": ("InferenceId", "inference_id"),
    b"x-amzn-sagemaker-session-id": ("SessionId", "session_id"),
    b"x-amzn-sagemaker-inference-component": ("InferenceComponentName", "inference_component"),
    b"x-amzn-sagemaker-prefix-aware-id": ("PrefixAwareId", "prefix_aware_id"),
}
# The streaming call takes Accept as X-Amzn-SageMaker-Accept and has no TargetModel [M].
_STREAM_HEADERS = {
    **{k: v for k, v in _HEADERS.items() if k not in (b"accept", b"x-amzn-sagemaker-target-model")},
    b"x-amzn-sagemaker-accept": ("Accept", "accept"),
}
# InvokeEndpointAsync's: its payload type and Accept in X-Amzn-SageMaker-* headers, and the async members [M].
_ASYNC_HEADERS = {
    b"x-amzn-sagemaker-content-type": ("ContentType", "content_type"),
    b"x-amzn-sagemaker-accept": ("Accept", "accept"),
    b"x-amzn-sagemaker-custom-attributes": ("CustomAttributes", "custom_attributes"),
    b"x-amzn-sagemaker-inference-id": ("InferenceId", "inference_id"),
    b"x-amzn-sagemaker-inputlocation": ("InputLocation", "input_location"),
    b"x-amzn-sagemaker-s3outputpathextension": ("S3OutputPathExtension", "s3_output_path_extension"),
    b"x-amzn-sagemaker-filename": ("Filename", "filename"),
    b"x-amzn-sagemaker-requestttlseconds": ("RequestTTLSeconds", "request_ttl_seconds"),
    b"x-amzn-sagemaker-invocationtimeoutseconds": ("InvocationTimeoutSeconds", "invocation_timeout_seconds"),
}
_INTEGER_MEMBERS = frozenset(("RequestTTLSeconds", "InvocationTimeoutSeconds"))
INVOKE, STREAM, ASYNC = "InvokeEndpoint", "InvokeEndpointWithResponseStream", "InvokeEndpointAsync"
_OPERATIONS = {"invocations": INVOKE, "invocations-response-stream": STREAM, "async-invocations": ASYNC}
_KNOWN_HEADERS = {INVOKE: _HEADERS, STREAM: _STREAM_HEADERS, ASYNC: _ASYNC_HEADERS}
# What GET /_emulator/version lists as SageMaker Runtime's served operations.
RUNTIME_OPERATIONS = sorted(_OPERATIONS.values())
EVENT_STREAM = b"application/vnd.amazon.eventstream"
# The stream's own error events [I: AWS's texts for these are unpublished].
BROKEN = b'{"Message": "The model server closed its response stream before it was complete.", "ErrorCode": "ModelStreamError"}'
FAILED = b'{"Message": "We encountered an internal error. Please try again."}'


@dataclass(frozen=True, slots=True)
class Streaming:
    """A streamed answer whose head is known: sent as events, part by part, by the app."""

    answer: StreamedAnswer


log = logging.getLogger("emulator.request")


class RuntimeApp:
    def __init__(
        self,
        *,
        deps: Deps,
        resolve_caller: CallerResolver,
        request_ids: RequestIds,
        async_queue: AsyncQueue,
        body_timeout: float = 30.0,
        check_answers: bool = False,
    ) -> None:
        self.deps = deps
        self.async_queue = async_queue
        self.faults = deps.faults
        self.check_answers = check_answers
        self.resolve_caller = resolve_caller
        self.request_ids = request_ids
        self.validator = runtime_validator()
        self.limits = RequestLimits(max_body_bytes=MAX_REQUEST_BYTES, body_timeout=body_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = self.request_ids()
        name, _, action = scope["path"][len(RUNTIME_PREFIX) :].partition("/")
        operation = _OPERATIONS.get(action) if scope["method"] == "POST" else None
        try:
            try:
                self.limits.check_content_length(scope["headers"])
                received = await self.limits.read_body(receive)
            except RequestEntityTooLargeException:
                raise PayloadTooLarge(f"HTTP content length exceeded {MAX_REQUEST_BYTES} bytes.") from None
            if self.deps.model_servers.urls:  # a model server may keep it waiting: watch for the client leaving
                watched = await self.watched(scope, name, operation, received, request_id, receive)
                if watched is None:
                    return
                outcome = watched
            else:  # the echo and canned answers come at once: nothing to watch
                outcome = await self.handle(scope, name, operation, received, request_id)
            if isinstance(outcome, Streaming):
                await self.stream(outcome.answer, send, receive, request_id)
                self.log(scope, request_id, 200, None, started, operation)
                return
            status, body, headers, code = outcome
        except AwsError as error:
            # The rest of the body is never read: answer and close the connection.
            status, body, code = error.status, error_body(error), error.code if error.typed else None
            headers = [(b"connection", b"close"), (b"content-type", JSON)]
        except ClientDisconnected:
            return
        headers += [(b"x-amzn-requestid", request_id.encode()), (b"content-length", str(len(body)).encode())]
        if code is not None:
            headers.append((b"x-amzn-errortype", code.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self.log(scope, request_id, status, code, started, operation)

    @staticmethod
    def log(
        scope: Scope, request_id: str, status: int, code: str | None, started: float, operation: str | None
    ) -> None:
        if log.isEnabledFor(logging.INFO):
            log_request(
                scope,
                request_id=request_id,
                status=status,
                error=code,
                seconds=time.perf_counter() - started,
                operation=operation or "-",
            )

    async def watched(
        self, scope: Scope, name: str, operation: str | None, body: bytes, request_id: str, receive: Receive
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], str | None] | Streaming | None:
        """handle(), cut short when the client leaves (None then): uvicorn tells only receive(), and a model that is
        slow or silent would keep its connection, and the invocation, open for nobody until its deadline. Cut short
        by the server's stop too (its grace period over): then the answer is ServiceUnavailable."""
        task = asyncio.current_task()
        assert task is not None
        watching = True
        gone: asyncio.Future[None] | None = None

        def left(_: asyncio.Future[None]) -> None:
            if watching:
                task.cancel()

        def watch() -> None:
            nonlocal gone
            gone = asyncio.ensure_future(disconnected(receive))
            gone.add_done_callback(left)

        # Most answers come within milliseconds: the watch (a task) starts only for those that take longer.
        later = asyncio.get_running_loop().call_later(WATCH_AFTER_SECONDS, watch)
        try:
            return await self.handle(scope, name, operation, body, request_id)
        except asyncio.CancelledError:
            task.uncancel()  # our own cancel, or the stop's: this request's task ends here, with or without an answer
            if gone is not None and gone.done() and not gone.cancelled():
                log.info("request %s %s: the client left before the answer", request_id, operation)
                return None
            log.warning("request %s %s: cut short by the server's stop", request_id, operation)
            raise ServiceUnavailable("The service is unavailable. Try your call again.") from None
        finally:
            watching = False
            later.cancel()
            if gone is not None:
                gone.cancel()

    async def stream(self, answer: StreamedAnswer, send: Send, receive: Receive, request_id: str) -> None:
        """The head, then the parts as they arrive (forward). A client that leaves mid-stream ends it: uvicorn drops
        what is sent to a closed connection without a word, so the model's answer would be read to its end for
        nobody; the one thing that notices is receive(), which answers http.disconnect."""
        headers = [*stream_headers(answer), (b"x-amzn-requestid", request_id.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        forwarding = asyncio.ensure_future(self.forward(answer, send, request_id))
        gone = asyncio.ensure_future(disconnected(receive))
        try:
            await asyncio.wait((forwarding, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not forwarding.done():  # the client left (or the server stops): stop reading the model
                forwarding.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await forwarding
            await answer.close()

    async def forward(self, answer: StreamedAnswer, send: Send, request_id: str) -> None:
        """One PayloadPart per piece the model sends, each as it arrives; a stream that breaks off ends with a
        ModelStreamError event, our own failure with InternalStreamFailure."""
        try:
            async for part in answer.parts:
                await send(
                    {"type": "http.response.body", "body": eventstream.event("PayloadPart", part), "more_body": True}
                )
        except ModelStreamBroken:
            await send(
                {
                    "type": "http.response.body",
                    "body": eventstream.exception("ModelStreamError", BROKEN),
                    "more_body": True,
                }
            )
        except Exception:
            log.exception("request %s: the response stream failed", request_id)
            await send(
                {
                    "type": "http.response.body",
                    "body": eventstream.exception("InternalStreamFailure", FAILED),
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b""})

    async def handle(
        self, scope: Scope, name: str, operation: str | None, body: bytes, request_id: str
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], str | None] | Streaming:
        """(status, body, headers, error code or None) of one runtime request, or a stream to send; never raises."""
        members: dict[str, str | int] = {"EndpointName": name}
        authorization = ""
        known_headers = _KNOWN_HEADERS.get(operation or INVOKE, _HEADERS)
        for header, value in scope["headers"]:
            known = known_headers.get(header)
            if known is not None:
                members[known[0]] = value.decode("latin-1")
            elif header == b"authorization":
                authorization = value.decode("latin-1")
        for member in _INTEGER_MEMBERS.intersection(members) if operation == ASYNC else ():
            # A header's integer; one that is none stays text, which the validator refuses as the wrong type.
            with contextlib.suppress(ValueError):
                members[member] = int(str(members[member]).strip())
        try:
            account_id, region = self.resolve_caller(scope, authorization, body)
            ctx = RequestContext(account_id=account_id, region=region, request_id=request_id)
            scope[CONTEXT_KEY] = ctx
            if operation is None or not name:
                raise unserved(scope)
            if self.faults.active:  # as on the awsJson path: after the operation is known, before validation
                delay = await self.faults.pick(operation=operation, account_id=account_id, request=members)
                if delay:
                    await asyncio.sleep(delay)
            try:
                self.validator.validate(operation, members)
            except ValidationException as invalid:
                raise ValidationError(invalid.message) from None  # the runtime's code for the same text
            fields = {field: members[member] for member, field in known_headers.values() if member in members}
            if operation == ASYNC:
                accepted = await invoke_endpoint_async(
                    request=AsyncInvocation(endpoint_name=name, body=body or None, **fields),  # type: ignore[arg-type]
                    ctx=ctx,
                    deps=self.deps,
                    queue=self.async_queue,
                )
                headers = accepted_headers(accepted)
                if self.check_answers:
                    self.validator.check_answer(operation, answer_members(operation, headers))
                return 202, orjson.dumps({"InferenceId": accepted.inference_id}), headers, None
            request = Invocation(endpoint_name=name, body=body, **fields)  # type: ignore[arg-type]
            if operation == STREAM:
                streamed = await invoke_endpoint_stream(request=request, ctx=ctx, deps=self.deps)
                if self.check_answers:
                    try:
                        self.validator.check_answer(operation, answer_members(operation, stream_headers(streamed)))
                    except AwsError:
                        await streamed.close()
                        raise
                return Streaming(streamed)
            answer = await invoke_endpoint(request=request, ctx=ctx, deps=self.deps)
            headers = answer_headers(answer)
            if self.check_answers:
                self.validator.check_answer(operation, answer_members(operation, headers))
            return 200, answer.body, headers, None
        except AwsError as error:
            if error.status >= 500:
                log.error("request %s %s failed: %s %s", request_id, operation, error.code, error.message)
            return error.status, error_body(error), [(b"content-type", JSON)], error.code if error.typed else None
        except Exception:
            log.exception("request %s %s failed with an internal error", request_id, operation)
            failure = InternalFailure("We encountered an internal error. Please try again.")
            return failure.status, error_body(failure), [(b"content-type", JSON)], failure.code


def answer_headers(answer: Answer) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"x-amzn-invoked-production-variant", answer.variant.encode("latin-1")),
    ]
    if answer.custom_attributes is not None:
        headers.append((b"x-amzn-sagemaker-custom-attributes", answer.custom_attributes.encode("latin-1")))
    return headers


def accepted_headers(accepted: Accepted) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", JSON)]
    for header, value in (
        (b"x-amzn-sagemaker-outputlocation", accepted.output_location),
        (b"x-amzn-sagemaker-failurelocation", accepted.failure_location),
    ):
        if value is not None:
            headers.append((header, value.encode("latin-1")))
    return headers


def stream_headers(answer: StreamedAnswer) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", EVENT_STREAM),
        (b"x-amzn-sagemaker-content-type", answer.content_type.encode("latin-1")),
        (b"x-amzn-invoked-production-variant", answer.variant.encode("latin-1")),
    ]
    if answer.custom_attributes is not None:
        headers.append((b"x-amzn-sagemaker-custom-attributes", answer.custom_attributes.encode("latin-1")))
    return headers


async def disconnected(receive: Receive) -> None:
    """Returns once the client has gone (the request's body was read already: nothing else arrives before)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def unserved(scope: Scope) -> AwsError:
    return UnknownOperationException.unserved(f"{scope['method']} {scope['path']}")
