"""SageMaker Runtime's InvokeEndpoint: the endpoint in the caller's account and region, deployed and serving, one of
its production variants (by current weight, or the one TargetVariant names), and what answers for that variant:
the model server configured for its image (emulator/runtime/model_servers.py), else the echo (the request's body, content
type and custom attributes come back, as from a model that returns its input).

The endpoint is read as a describe that counts nothing would read it: an invocation never moves a lifecycle.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson

from emulator.containers.readiness import restore
from emulator.errors import ModelError, ValidationError, ValidationException
from emulator.operations.context import Deps, RequestContext
from emulator.operations.endpoints import current
from emulator.operations.model_packages import expanded_model
from emulator.resources.endpoint import EndpointState
from emulator.resources.endpoint_config import ENDPOINT_CONFIG
from emulator.resources.model import MODEL
from emulator.runtime.canned import CannedAnswer
from emulator.runtime.model_servers import (
    MAX_ANSWER_BYTES,
    ModelStream,
    ModelStreamBroken,
    ModelTimedOut,
    ModelTooLarge,
    ModelUnreachable,
)

# What an endpoint serves while in these statuses: an update keeps the deployed variants serving until it ends, and
# one that failed leaves them serving (AWS rolls a failed update back); a create that failed deployed nothing.
SERVING = ("InService", "Updating", "Failed")
# InvokeEndpoint's content type when the request names none [I: AWS's default is unpublished].
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# The longest ContentType and CustomAttributes an answer carries (the API model's Header and CustomAttributesHeader).
MAX_HEADER_CHARS = 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    """One InvokeEndpoint request: the path's endpoint name, the body as sent, and the headers of its shape."""

    endpoint_name: str
    body: bytes
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    target_model: str | None = None
    target_variant: str | None = None
    target_container_hostname: str | None = None
    inference_id: str | None = None
    session_id: str | None = None
    inference_component: str | None = None
    # A routing hint for PREFIX_AWARE endpoints: validated, and routing ignores it (variants are drawn by weight).
    prefix_aware_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    body: bytes
    content_type: str
    variant: str
    custom_attributes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamedAnswer:
    """A streamed answer's head, and its parts as the model sends them; `parts` raises ModelStreamBroken if the
    model's stream breaks off. `close` must be awaited however the parts end."""

    content_type: str
    variant: str
    custom_attributes: str | None
    parts: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]


def not_found(ctx: RequestContext, name: str) -> ValidationError:
    """AWS's text for an endpoint the caller's account does not have [R, spec section 6]."""
    return ValidationError(f"Endpoint {name} of account {ctx.account_id} not found.")


def variant_not_found(ctx: RequestContext, name: str, variant: str) -> ValidationError:
    """A TargetVariant the endpoint does not serve [I: AWS's text was not found; worded as its endpoint text]."""
    return ValidationError(f"Variant {variant} not found for endpoint {name} of account {ctx.account_id}.")


def is_async(ctx: RequestContext, name: str) -> ValidationError:
    """InvokeEndpoint (or its streaming form) on an endpoint whose config has an AsyncInferenceConfig [I: AWS answers
    ValidationError (strands-agents/harness-sdk#1969); its text was not found, docs/decisions.md]."""
    return ValidationError(
        f"Endpoint {name} of account {ctx.account_id} is configured for asynchronous inference. Use"
        " InvokeEndpointAsync to invoke it."
    )


def not_async(ctx: RequestContext, name: str) -> ValidationError:
    """InvokeEndpointAsync on an endpoint without an AsyncInferenceConfig [I: AWS's text was not found]."""
    return ValidationError(
        f"Endpoint {name} of account {ctx.account_id} is not configured for asynchronous inference. Use"
        " InvokeEndpoint to invoke it."
    )


def async_config(state: EndpointState) -> dict[str, Any] | None:
    """The deployed config's AsyncInferenceConfig, as sent; None for a real-time endpoint."""
    found = (state.extras or {}).get("AsyncInferenceConfig")
    return found if isinstance(found, dict) else None


async def serving_variants(
    name: str, *, ctx: RequestContext, deps: Deps
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """The deployed config's name, production variants and run containers of an endpoint that serves; 'not found'
    for one that does not (yet)."""
    state = await serving_state(name, ctx=ctx, deps=deps)
    return state.config, state.variants, state.containers


async def serving_state(name: str, *, ctx: RequestContext, deps: Deps) -> EndpointState:
    """What an endpoint that serves has deployed; 'not found' for one that does not (yet)."""
    try:
        stored, settled = await current(name, ctx=ctx, deps=deps, describing=False)
    except ValidationException:
        raise not_found(ctx, name) from None
    # Names are unique case-insensitively, but the runtime matches the case CreateEndpoint was given [M: the API
    # model's EndpointName documentation].
    if stored.name != name:
        raise not_found(ctx, name)
    if settled.status not in SERVING or not settled.state.deployed or not settled.state.variants:
        raise not_found(ctx, name)
    return settled.state


def choose_variant(
    variants: list[dict[str, Any]], *, target: str | None, ctx: RequestContext, name: str
) -> dict[str, Any]:
    """The variant TargetVariant names, else one drawn by current weight (all weights 0: any, equally)."""
    if target is not None:
        for variant in variants:
            if variant["VariantName"] == target:
                return variant
        raise variant_not_found(ctx, name, target)
    if len(variants) == 1:
        return variants[0]
    weights = [float(v.get("CurrentWeight", 1.0)) for v in variants]
    if sum(weights) <= 0:
        return random.choice(variants)
    return random.choices(variants, weights=weights)[0]


def model_error(ctx: RequestContext, name: str, *, status: int, message: str, container: str = "primary") -> ModelError:
    """AWS's ModelError for a container's answer (or its silence, status 0) [R, docs/decisions.md]."""
    kind = "client" if 400 <= status < 500 else "server"
    group = f"/aws/sagemaker/Endpoints/{name}"
    console = (
        f"https://{ctx.region}.console.aws.amazon.com/cloudwatch/home?region={ctx.region}#logEventViewer:group={group}"
    )
    return ModelError(
        f'Received {kind} error ({status}) from {container} with message "{message}". See {console} in account'
        f" {ctx.account_id} for more information.",
        original_status=status,
        original_message=message,
        log_stream_arn=f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group}",
    )


def timed_out(ctx: RequestContext, name: str, container: str = "primary") -> ModelError:
    return model_error(
        ctx,
        name,
        status=0,
        message=f"Your invocation timed out while waiting for a response from container {container}. Review the"
        " latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.",
    )


def unreachable(ctx: RequestContext, name: str) -> ModelError:
    return model_error(
        ctx,
        name,
        status=0,
        message=f"Amazon SageMaker could not get a response from the {name} endpoint. This can occur when CPU or"
        " memory utilization is high. To check your utilization, see Amazon CloudWatch. To fix this problem, use an"
        " instance type with more CPU capacity or memory.",
    )


def too_large(ctx: RequestContext, name: str, container: str) -> ModelError:
    """A model's answer past InvokeEndpoint's 6 MB [I: AWS's text is unpublished, docs/decisions.md]."""
    return model_error(
        ctx,
        name,
        status=0,
        message=f"The response from container {container} is larger than the {MAX_ANSWER_BYTES} bytes InvokeEndpoint"
        " can return. Return a smaller response, or use asynchronous inference for larger payloads.",
        container=container,
    )


def checked_headers(
    ctx: RequestContext, name: str, container: str, *, content_type: str | None, custom_attributes: str | None
) -> None:
    """A model's ContentType or CustomAttributes longer than an answer carries is the model's error [I: AWS's text
    is unpublished, docs/decisions.md]."""
    for header, value in (("Content-Type", content_type), ("X-Amzn-SageMaker-Custom-Attributes", custom_attributes)):
        if value is not None and len(value) > MAX_HEADER_CHARS:
            raise model_error(
                ctx,
                name,
                status=0,
                message=f"The {header} header from container {container} is {len(value)} characters long, longer"
                f" than the {MAX_HEADER_CHARS} InvokeEndpoint can return.",
                container=container,
            )


def images_of(variant: dict[str, Any]) -> list[str]:
    return [image["SpecifiedImage"] for image in variant.get("DeployedImages", [])]


def container_headers(request: Invocation, *, content_type: str | None) -> dict[str, str]:
    """What SageMaker passes on to the container: the payload's content type (the previous container's, in a
    pipeline), the request's Accept, custom attributes and targets."""
    headers = {"Content-Type": content_type or DEFAULT_CONTENT_TYPE}
    for header, value in (
        ("Accept", request.accept),
        ("X-Amzn-SageMaker-Custom-Attributes", request.custom_attributes),
        ("X-Amzn-SageMaker-Target-Model", request.target_model),
        ("X-Amzn-SageMaker-Inference-Id", request.inference_id),
    ):
        if value is not None:
            headers[header] = value
    return headers


@dataclass(frozen=True, slots=True)
class Container:
    """One container an invocation goes through: its image, the name AWS's messages give it, its model server
    (None: the echo), and whether it is a container run here (whose URL is None while it is down)."""

    image: str
    name: str
    url: str | None
    run: bool = False


async def deployed_model(config_name: str, variant: str, *, ctx: RequestContext, deps: Deps) -> dict[str, Any] | None:
    """The model definition a deployed variant runs, read now; None if its config or model was deleted since (the
    endpoint keeps serving what it deployed: its images)."""
    config = await deps.store.get(ctx.scope(ENDPOINT_CONFIG), config_name)
    if config is None:
        return None
    for spec in orjson.loads(config.definition).get("ProductionVariants", []):
        if spec.get("VariantName") == variant and "ModelName" in spec:
            model = await deps.store.get(ctx.scope(MODEL), spec["ModelName"])
            return await expanded_model(orjson.loads(model.definition), ctx=ctx, deps=deps) if model else None
    return None


def is_multi_model(model: dict[str, Any] | None) -> bool:
    """A model whose container hosts many (Mode MultiModel); None (deleted since deployed) passes, as AWS keeps
    serving what it deployed."""
    if model is None:
        return True
    containers = [model["PrimaryContainer"]] if "PrimaryContainer" in model else model.get("Containers", [])
    return any(container.get("Mode") == "MultiModel" for container in containers)


async def answering(
    image: str,
    name: str,
    position: int,
    *,
    runs: dict[int, dict[str, Any]],
    endpoint: str,
    ctx: RequestContext,
    deps: Deps,
) -> Container:
    """What answers for the container at `position` (1-based) of a variant's model: the process run for it
    (emulator/containers/), else the model server of its image, else the echo."""
    spec = runs.get(position)
    if spec is None:
        return Container(image, name, deps.model_servers.url_for(image))
    url, has_row = await deps.containers.url(spec["key"], store=deps.shared)
    if not has_row:
        # Deployed without a row (an endpoint from a snapshot, or a process that died before writing it): started now.
        await restore(
            [spec],
            shared=deps.shared,
            directory=deps.containers,
            account_id=ctx.account_id,
            region=ctx.region,
            endpoint=endpoint,
        )
    return Container(image, name, url, run=True)


async def containers_for(
    request: Invocation,
    config_name: str,
    variant: dict[str, Any],
    *,
    runs: dict[int, dict[str, Any]],
    ctx: RequestContext,
    deps: Deps,
) -> list[Container]:
    """The containers this invocation runs through, in order: the one of a single-container model; every one of a
    Serial pipeline (each output the next input); the one TargetContainerHostname names in Direct mode. runs: the
    variant's run containers by position."""
    images = images_of(variant)
    if len(images) <= 1 and request.target_container_hostname is None:
        return [
            await answering(image, "primary", 1, runs=runs, endpoint=request.endpoint_name, ctx=ctx, deps=deps)
            for image in images
        ]
    model = await deployed_model(config_name, variant["VariantName"], ctx=ctx, deps=deps)
    specs = (model or {}).get("Containers") or [{"Image": image} for image in images]
    mode = (model or {}).get("InferenceExecutionConfig", {}).get("Mode", "Serial")
    containers = [
        await answering(
            spec["Image"],
            spec.get("ContainerHostname") or f"container-{i}",
            i,
            runs=runs,
            endpoint=request.endpoint_name,
            ctx=ctx,
            deps=deps,
        )
        for i, spec in enumerate(specs, 1)
        if "Image" in spec
    ]
    hostname = request.target_container_hostname
    if mode != "Direct":
        if hostname is not None:
            raise ValidationError(
                f"TargetContainerHostname can only be used with an endpoint whose model is in Direct mode; endpoint"
                f" {request.endpoint_name} of account {ctx.account_id} runs its containers in {mode} mode."
            )
        return containers
    if hostname is None:
        raise ValidationError(
            f"TargetContainerHostname is required to invoke endpoint {request.endpoint_name} of account"
            f" {ctx.account_id}: its model runs its containers in Direct mode."
        )
    for container in containers:
        if container.name == hostname:
            return [container]
    raise ValidationError(
        f"Container {hostname} not found for endpoint {request.endpoint_name} of account {ctx.account_id}."
    )


async def route(
    request: Invocation, *, ctx: RequestContext, deps: Deps, asynchronous: bool = False
) -> tuple[str, CannedAnswer | None, list[Container]]:
    """The variant that answers, and what answers for it: a canned answer, else its containers (a container with
    no model server echoes, passing its input on). asynchronous: InvokeEndpointAsync's request, run in the background,
    which only an endpoint with an AsyncInferenceConfig takes (and only it)."""
    state = await serving_state(request.endpoint_name, ctx=ctx, deps=deps)
    if asynchronous != (async_config(state) is not None):
        raise (not_async if asynchronous else is_async)(ctx, request.endpoint_name)
    config_name, variants, run = state.config, state.variants, state.containers
    variant = choose_variant(variants, target=request.target_variant, ctx=ctx, name=request.endpoint_name)
    name = variant["VariantName"]
    if request.target_model is not None:
        model = await deployed_model(config_name, name, ctx=ctx, deps=deps)
        if not is_multi_model(model):
            raise ValidationError(
                f"Endpoint {request.endpoint_name} is not a multi-model endpoint and does not support target model"
                " header."
            )
    if deps.canned.active:  # no answers anywhere: this attribute is all the invocation reads of them
        # The store is asked only for an endpoint that has answers; each answer is taken there, once.
        keys = deps.canned.candidates(
            account_id=ctx.account_id, region=ctx.region, endpoint_name=request.endpoint_name, variant=name
        )
        taken = await deps.shared.take_canned(keys) if keys else None
        if taken is not None:
            canned = CannedAnswer.model_validate_json(taken)
            if not 200 <= canned.status < 300:
                message = canned.payload().decode("utf-8", "replace")
                raise model_error(ctx, request.endpoint_name, status=canned.status, message=message)
            return name, canned, []
    runs = {spec["position"]: spec for spec in run if spec["variant"] == name}
    return name, None, await containers_for(request, config_name, variant, runs=runs, ctx=ctx, deps=deps)


async def run_containers(
    request: Invocation,
    containers: list[Container],
    *,
    ctx: RequestContext,
    deps: Deps,
    timeout: float | None = None,
    max_answer: int = MAX_ANSWER_BYTES,
) -> tuple[bytes, str, str | None]:
    """(body, content type, custom attributes) after the containers, each one's answer the next one's input.
    timeout and max_answer: each container's, when not InvokeEndpoint's (InvokeEndpointAsync's are larger)."""
    body, content_type, attributes = (
        request.body,
        request.content_type or DEFAULT_CONTENT_TYPE,
        request.custom_attributes,
    )
    for container in containers:
        if container.url is None and container.run:
            raise unreachable(ctx, request.endpoint_name)  # a run container that is down (being started again)
        if container.url is None:
            continue  # the echo: its input is its answer
        headers = container_headers(request, content_type=content_type)
        try:
            reply = await deps.model_servers.invoke(
                container.url, body=body, headers=headers, timeout=timeout, max_body=max_answer
            )
        except ModelTimedOut:
            raise timed_out(ctx, request.endpoint_name, container.name) from None
        except ModelTooLarge:
            raise too_large(ctx, request.endpoint_name, container.name) from None
        except ModelUnreachable:
            raise unreachable(ctx, request.endpoint_name) from None
        if not 200 <= reply.status < 300:
            message = reply.body.decode("utf-8", "replace")
            raise model_error(
                ctx, request.endpoint_name, status=reply.status, message=message, container=container.name
            )
        checked_headers(
            ctx,
            request.endpoint_name,
            container.name,
            content_type=reply.content_type,
            custom_attributes=reply.custom_attributes,
        )
        body, content_type = reply.body, reply.content_type or DEFAULT_CONTENT_TYPE
        attributes = reply.custom_attributes
    return body, content_type, attributes


async def invoke_endpoint(
    *,
    request: Invocation,
    ctx: RequestContext,
    deps: Deps,
    asynchronous: bool = False,
    timeout: float | None = None,
    max_answer: int = MAX_ANSWER_BYTES,
) -> Answer:
    """InvokeEndpoint; with asynchronous, the work of an InvokeEndpointAsync request (emulator/runtime/async_worker.py)
    under its own timeout and answer size."""
    variant, canned, containers = await route(request, ctx=ctx, deps=deps, asynchronous=asynchronous)
    if canned is not None:
        return Answer(
            body=canned.payload(),
            content_type=canned.content_type,
            variant=variant,
            custom_attributes=canned.custom_attributes,
        )
    body, content_type, attributes = await run_containers(
        request, containers, ctx=ctx, deps=deps, timeout=timeout, max_answer=max_answer
    )
    return Answer(body=body, content_type=content_type, variant=variant, custom_attributes=attributes)


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def _nothing() -> None:
    return None


async def invoke_endpoint_stream(*, request: Invocation, ctx: RequestContext, deps: Deps) -> StreamedAnswer:
    """InvokeEndpointWithResponseStream: errors before the model's first byte are the InvokeEndpoint ones; after
    it, the caller turns a broken stream into the stream's own error events."""
    name = request.endpoint_name
    variant, canned, containers = await route(request, ctx=ctx, deps=deps)
    if canned is not None:
        return StreamedAnswer(
            content_type=canned.content_type,
            variant=variant,
            custom_attributes=canned.custom_attributes,
            parts=_once(canned.payload()),
            close=_nothing,
        )
    # A pipeline streams its last container's answer; the ones before it answer whole, as their output is its input.
    body, content_type, attributes = await run_containers(request, containers[:-1], ctx=ctx, deps=deps)
    request = replace(request, body=body, content_type=content_type, custom_attributes=attributes)
    last = containers[-1] if containers else None
    if last is not None and last.url is None and last.run:
        raise unreachable(ctx, name)
    if last is None or last.url is None:
        return StreamedAnswer(
            content_type=request.content_type or DEFAULT_CONTENT_TYPE,
            variant=variant,
            custom_attributes=request.custom_attributes,
            parts=_once(request.body),
            close=_nothing,
        )
    try:
        stream: ModelStream = await deps.model_servers.open_stream(
            last.url, body=request.body, headers=container_headers(request, content_type=request.content_type)
        )
    except ModelTimedOut:
        raise timed_out(ctx, name, last.name) from None
    except ModelUnreachable:
        raise unreachable(ctx, name) from None
    if not 200 <= stream.status < 300:
        try:
            body = await stream.read()
        except ModelStreamBroken:
            body = b""
        except ModelTooLarge:
            raise too_large(ctx, name, last.name) from None
        finally:
            await stream.aclose()
        message = body.decode("utf-8", "replace")
        raise model_error(ctx, name, status=stream.status, message=message, container=last.name)
    try:
        checked_headers(
            ctx, name, last.name, content_type=stream.content_type, custom_attributes=stream.custom_attributes
        )
    except ModelError:
        await stream.aclose()
        raise
    return StreamedAnswer(
        content_type=stream.content_type or DEFAULT_CONTENT_TYPE,
        variant=variant,
        custom_attributes=stream.custom_attributes,
        parts=stream.chunks(),
        close=stream.aclose,
    )
