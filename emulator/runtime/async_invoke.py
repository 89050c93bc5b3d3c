"""SageMaker Runtime's InvokeEndpointAsync, the part answered at once: the request checked, its input found, and the
request kept in the store (a row of async_invocations) before the 202 names where its answer will be written. The
work itself is done in the background (emulator/runtime/async_worker.py) by InvokeEndpoint's own path.

Where the answer goes [R: a real run, spec part B]: `<S3OutputPath>/<id>.out` on success and
`<S3FailurePath>/<id>-error.out` on failure, `id` a uuid of the request's own, not its InferenceId.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.errors import ValidationError
from emulator.model_data.s3 import S3Denied, S3Location, S3Missing, S3Reader
from emulator.operations.context import Deps, RequestContext
from emulator.resources.endpoint import EndpointState
from emulator.runtime.invoke import async_config, not_async, serving_state

# The API model's AsyncBodyBlob: "The inline payload can be up to 128,000 bytes" [M].
MAX_INLINE_BYTES = 128_000
# The API model's defaults [M: RequestTTLSecondsHeader and InvocationTimeoutSecondsHeader documentation].
DEFAULT_TTL_SECONDS = 21_600
DEFAULT_INVOCATION_TIMEOUT_SECONDS = 900
# MaxConcurrentInvocationsPerInstance when the config gives none: AWS "chooses an optimal value" [M]; ours is
# [I: docs/decisions.md].
DEFAULT_CONCURRENCY_PER_INSTANCE = 4
# Async payloads go up to 1 GB [AWS docs: async-inference]; the emulator holds an input and an answer whole.
MAX_ASYNC_BYTES = 1024 * 1024 * 1024
# https:// forms of an S3 object's URL: virtual-hosted (bucket.s3.region.amazonaws.com/key) and path style.
_VIRTUAL_HOSTED = re.compile(r"^https://([^/]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/(.*)$")
_PATH_STYLE = re.compile(r"^https://s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/([^/]+)/(.*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class AsyncInvocation:
    """One InvokeEndpointAsync request: the path's endpoint name, the inline body (None when none was sent), and the
    headers of its shape."""

    endpoint_name: str
    body: bytes | None = None
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    inference_id: str | None = None
    input_location: str | None = None
    s3_output_path_extension: str | None = None
    filename: str | None = None
    request_ttl_seconds: int | None = None
    invocation_timeout_seconds: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    inference_id: str
    output_location: str | None
    failure_location: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedRequest:
    """What a row keeps of a request (its `request` column, as JSON): all the background work needs."""

    inference_id: str
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    input_location: str | None
    body: bytes | None
    output_location: str | None
    failure_location: str | None
    invocation_timeout_seconds: int

    def dumps(self) -> str:
        data: dict[str, Any] = {
            "InferenceId": self.inference_id,
            "ContentType": self.content_type,
            "Accept": self.accept,
            "CustomAttributes": self.custom_attributes,
            "InputLocation": self.input_location,
            "Body": None if self.body is None else base64.b64encode(self.body).decode(),
            "OutputLocation": self.output_location,
            "FailureLocation": self.failure_location,
            "InvocationTimeoutSeconds": self.invocation_timeout_seconds,
        }
        return orjson.dumps({k: v for k, v in data.items() if v is not None}).decode()

    @classmethod
    def loads(cls, text: str) -> QueuedRequest:
        data = orjson.loads(text)
        body = data.get("Body")
        return cls(
            inference_id=data["InferenceId"],
            content_type=data.get("ContentType"),
            accept=data.get("Accept"),
            custom_attributes=data.get("CustomAttributes"),
            input_location=data.get("InputLocation"),
            body=None if body is None else base64.b64decode(body),
            output_location=data.get("OutputLocation"),
            failure_location=data.get("FailureLocation"),
            invocation_timeout_seconds=int(data["InvocationTimeoutSeconds"]),
        )


class AsyncQueue:
    """What InvokeEndpointAsync needs beyond Deps: S3 (to find the input), and how to wake this process's worker
    (set by it: emulator/runtime/async_worker.py), which otherwise finds new requests at its next poll."""

    def __init__(self, *, s3: S3Reader) -> None:
        self.s3 = s3
        self.wake: Callable[[], None] = lambda: None


def s3_location(uri: str) -> S3Location | None:
    """An S3 object named as s3://bucket/key or by its https:// URL (virtual-hosted or path style)."""
    found = S3Location.parse(uri)
    if found is not None:
        return found
    match = _VIRTUAL_HOSTED.match(uri) or _PATH_STYLE.match(uri)
    return S3Location(bucket=match.group(1), key=match.group(2)) if match else None


def both_or_neither(given: bool) -> ValidationError:
    """Body and InputLocation together, or neither [M: "Body and InputLocation are mutually exclusive. Provide exactly
    one of them."; I: AWS rejects either at once (aws-samples/sagemaker-genai-hosting-examples#208), its text was not
    found]."""
    if given:
        return ValidationError("Body and InputLocation are mutually exclusive. Provide exactly one of them.")
    return ValidationError("Either Body or InputLocation must be provided. Provide exactly one of them.")


def body_too_large() -> ValidationError:
    """[R: the constraint text AWS gave for the old API's body, aws/aws-sdk-js#4203, with this model's 128,000.]"""
    return ValidationError(
        "1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less"
        f" than or equal to {MAX_INLINE_BYTES}"
    )


def input_missing(uri: str) -> ValidationError:
    """[I: AWS's text was not found; worded as CreateModel's "Could not find model data at <s3>." (sagemaker-model-
    api.md section 4)]."""
    return ValidationError(f"Could not find input data at {uri}.")


def input_denied(uri: str, region: str) -> ValidationError:
    """[I: worded as CreateModel's "Could not access model data at <s3>. ..." (sagemaker-model-api.md section 4)]."""
    return ValidationError(
        f'Could not access input data at {uri}. Please ensure that the role has "s3:GetObject" permissions and that'
        f" the object is located in {region}."
    )


def joined(path: str, extension: str | None, name: str) -> str:
    """<path>[/<extension>]/<name> with one slash at each join."""
    parts = [path.rstrip("/")]
    if extension:
        parts.append(extension.strip("/"))
    return "/".join([*parts, name])


def concurrency(state: EndpointState, config: dict[str, Any]) -> int:
    """How many of the endpoint's requests may run at once: MaxConcurrentInvocationsPerInstance for each instance of
    its variants."""
    per_instance = int(config.get("ClientConfig", {}).get("MaxConcurrentInvocationsPerInstance", 0))
    instances = sum(int(v.get("CurrentInstanceCount", 1)) for v in state.variants) or 1
    return (per_instance or DEFAULT_CONCURRENCY_PER_INSTANCE) * instances


async def invoke_endpoint_async(
    *, request: AsyncInvocation, ctx: RequestContext, deps: Deps, queue: AsyncQueue
) -> Accepted:
    if request.body is not None and len(request.body) > MAX_INLINE_BYTES:
        raise body_too_large()
    if (request.body is not None) == (request.input_location is not None):
        raise both_or_neither(request.body is not None)
    name = request.endpoint_name
    state = await serving_state(name, ctx=ctx, deps=deps)
    config = async_config(state)
    if config is None:
        raise not_async(ctx, name)
    if request.input_location is not None:
        location = s3_location(request.input_location)
        if location is None or not location.key:
            raise input_missing(request.input_location)
        try:  # S3 never on the event loop
            await asyncio.to_thread(queue.s3.head, location, region=ctx.region)
        except S3Missing:
            raise input_missing(request.input_location) from None
        except S3Denied:
            raise input_denied(request.input_location, ctx.region) from None
    key = str(uuid.uuid4())
    output = config.get("OutputConfig", {})
    extension = request.s3_output_path_extension
    output_path, failure_path = output.get("S3OutputPath"), output.get("S3FailurePath")
    queued = QueuedRequest(
        inference_id=request.inference_id or str(uuid.uuid4()),
        content_type=request.content_type,
        accept=request.accept,
        custom_attributes=request.custom_attributes,
        input_location=request.input_location,
        body=request.body,
        output_location=joined(output_path, extension, request.filename or f"{key}.out") if output_path else None,
        failure_location=joined(failure_path, extension, f"{request.filename or key}-error.out")
        if failure_path
        else None,
        invocation_timeout_seconds=request.invocation_timeout_seconds or DEFAULT_INVOCATION_TIMEOUT_SECONDS,
    )
    now_ms = int(time.time() * 1000)
    ttl = request.request_ttl_seconds or DEFAULT_TTL_SECONDS
    await deps.shared.add_async_invocation(
        {
            "id": key,
            "account_id": ctx.account_id,
            "region": ctx.region,
            "endpoint_name": name,
            "request": queued.dumps(),
            "concurrency": concurrency(state, config),
            "created_ms": now_ms,
            "expires_ms": now_ms + ttl * 1000,
        }
    )
    queue.wake()
    return Accepted(
        inference_id=queued.inference_id,
        output_location=queued.output_location,
        failure_location=queued.failure_location,
    )
