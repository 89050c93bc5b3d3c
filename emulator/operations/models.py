"""CreateModel, DescribeModel, ListModels and DeleteModel."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson

from emulator.errors import ResourceLimitExceeded, ValidationException
from emulator.operations.context import Deps, RequestContext, model_arn
from emulator.operations.tags import distinct_tags
from emulator.operations.tokens import INVALID_TOKEN_MESSAGE
from emulator.shapes.generated import (
    ContainerDefinition,
    CreateModelInput,
    CreateModelOutput,
    DeleteModelInput,
    DescribeModelInput,
    DescribeModelOutput,
    ListModelsInput,
    ListModelsOutput,
)
from emulator.store.records import ModelExists, ModelLimitReached, ModelQuery, NewModel

# The members of CreateModelInput that make up the model's definition (Describe returns them; Tags it does not).
DEFINITION_MEMBERS = (
    "PrimaryContainer",
    "Containers",
    "InferenceExecutionConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)


def limit_message(name: str, *, limit: int, current: int, delta: int, unit: str) -> str:
    return (
        f"The account-level service limit '{name}' is {limit} {unit}, with current utilization of {current} {unit}"
        f" and a request delta of {delta} {unit}. Please contact AWS support to request an increase for this limit."
    )


def environment_bytes(container: ContainerDefinition) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in container.get("Environment", {}).items())


def check_definition(request: CreateModelInput, deps: Deps) -> None:
    """The rules AWS applies after the API model's constraints. AWS publishes no texts for these."""
    primary, containers = request.get("PrimaryContainer"), request.get("Containers")
    if primary is not None and containers is not None:
        raise ValidationException("Only one of PrimaryContainer or Containers can be specified, not both.")
    if primary is None and not containers:
        raise ValidationException("Either PrimaryContainer or Containers must be specified.")
    mode = request.get("InferenceExecutionConfig", {}).get("Mode")
    if mode is not None and containers is None:
        raise ValidationException("InferenceExecutionConfig can only be specified with Containers.")
    if mode == "Direct" and containers is not None:
        for i, container in enumerate(containers, 1):
            if not container.get("ContainerHostname"):
                raise ValidationException(
                    f"ContainerHostname must be specified for every container when InferenceExecutionConfig Mode"
                    f" is Direct; container {i} has none."
                )
    if containers is not None and len(containers) > deps.limits.max_containers_per_model:
        raise ResourceLimitExceeded(
            limit_message(
                "Number of containers per model",
                limit=deps.limits.max_containers_per_model,
                current=0,
                delta=len(containers),
                unit="Containers",
            )
        )
    for label, container in ([("PrimaryContainer", primary)] if primary else []) + [
        (f"Containers.{i}", c) for i, c in enumerate(containers or [], 1)
    ]:
        size = environment_bytes(container)
        if size > deps.limits.max_environment_bytes:
            raise ValidationException(
                f"The total size of the Environment of {label} is {size} bytes, which exceeds the maximum of"
                f" {deps.limits.max_environment_bytes} bytes for all keys and values together."
            )


async def create_model(*, request: CreateModelInput, ctx: RequestContext, deps: Deps) -> CreateModelOutput:
    check_definition(request, deps)
    name = request["ModelName"]
    arn = model_arn(ctx, name)
    definition = {k: request[k] for k in DEFINITION_MEMBERS if k in request}  # type: ignore[literal-required]
    tags = distinct_tags(request.get("Tags", []))
    try:
        model = NewModel(
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            creation_ms=round(deps.clock() * 1000),  # round: 1.001 s is 1000.9999 ms in binary
            definition=orjson.dumps(definition).decode(),  # compact, UTF-8 as is
            tags=tags,
        )
        await deps.store.insert_model_async(model, max_models=deps.limits.max_models)
    except ModelExists:
        raise ValidationException(f'Cannot create already existing model "{arn}".') from None
    except ModelLimitReached as exc:
        limit = deps.limits.max_models or 0
        raise ResourceLimitExceeded(
            limit_message("Number of models", limit=limit, current=exc.current, delta=1, unit="Models")
        ) from None
    return {"ModelArn": arn}


def describe_model(*, request: DescribeModelInput, ctx: RequestContext, deps: Deps) -> DescribeModelOutput:
    name = request["ModelName"]
    stored = deps.store.get_model(account_id=ctx.account_id, region=ctx.region, name=name)
    if stored is None:
        raise ValidationException(f'Could not find model "{model_arn(ctx, name)}".')
    out: dict[str, Any] = {"ModelName": stored.name, **orjson.loads(stored.definition)}
    out["CreationTime"] = stored.creation_ms / 1000
    out["ModelArn"] = model_arn(ctx, stored.name)
    return out  # type: ignore[return-value]


# AWS documents no default page size for ListModels; 10 is what SageMaker documents for its other List operations.
DEFAULT_PAGE_SIZE = 10
# Timestamps far outside any creation time clamp here, so they never overflow a BIGINT column.
_MS_BOUND = 2**62


def ceil_ms(seconds: float) -> int:
    """The least whole millisecond at or after a timestamp, exact for the decimal the client sent."""
    ms = math.ceil(Decimal(repr(seconds)) * 1000)
    return max(-_MS_BOUND, min(_MS_BOUND, ms))


def list_models(*, request: ListModelsInput, ctx: RequestContext, deps: Deps) -> ListModelsOutput:
    by_name = request.get("SortBy", "CreationTime") == "Name"
    descending = request.get("SortOrder", "Descending") == "Descending"
    name_contains = request.get("NameContains")
    before, after = request.get("CreationTimeBefore"), request.get("CreationTimeAfter")
    # Creation times are whole milliseconds: `< t` is `< ceil(t)`, and `>= t` is `>= ceil(t)`.
    before_ms = None if before is None else ceil_ms(before)
    from_ms = None if after is None else ceil_ms(after)
    # The token is bound to everything that defines the listing; MaxResults may change between pages.
    query = (
        "ListModels",
        ctx.account_id,
        ctx.region,
        by_name,
        descending,
        (name_contains or "").lower(),
        before_ms,
        from_ms,
    )
    cursor: tuple[str | int, int] | None = None
    if request.get("NextToken"):  # an empty token is no token, as SDK paginators treat it
        read = deps.tokens.read(request["NextToken"], query=query)
        if len(read) != 2 or type(read[1]) is not int or type(read[0]) is not (str if by_name else int):
            raise ValidationException(INVALID_TOKEN_MESSAGE)
        cursor = (read[0], read[1])
    page, more = deps.store.list_models(
        ModelQuery(
            account_id=ctx.account_id,
            region=ctx.region,
            by_name=by_name,
            descending=descending,
            name_contains=name_contains,
            before_ms=before_ms,
            from_ms=from_ms,
            after=cursor,
            limit=request.get("MaxResults", DEFAULT_PAGE_SIZE),
        )
    )
    out: ListModelsOutput = {
        "Models": [
            {"ModelName": m.name, "ModelArn": model_arn(ctx, m.name), "CreationTime": m.creation_ms / 1000}
            for m in page
        ]
    }
    if more:
        last = page[-1]
        out["NextToken"] = deps.tokens.issue(query=query, cursor=[last.name if by_name else last.creation_ms, last.id])
    return out


def delete_model(*, request: DeleteModelInput, ctx: RequestContext, deps: Deps) -> None:
    name = request["ModelName"]
    if not deps.store.delete_model(account_id=ctx.account_id, region=ctx.region, name=name):
        raise ValidationException(f'Could not find model "{model_arn(ctx, name)}".')
