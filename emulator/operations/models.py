"""CreateModel and DescribeModel."""

from __future__ import annotations

import json
from typing import Any

from emulator.errors import ResourceLimitExceeded, ValidationException
from emulator.operations.context import Deps, RequestContext, model_arn
from emulator.shapes.generated import (
    ContainerDefinition,
    CreateModelInput,
    CreateModelOutput,
    DescribeModelInput,
    DescribeModelOutput,
)
from emulator.store.repository import ModelExists, ModelLimitReached

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


def create_model(*, request: CreateModelInput, ctx: RequestContext, deps: Deps) -> CreateModelOutput:
    check_definition(request, deps)
    name = request["ModelName"]
    arn = model_arn(ctx, name)
    definition = {k: request[k] for k in DEFINITION_MEMBERS if k in request}  # type: ignore[literal-required]
    # A key sent twice is one tag: the last value wins, at the first one's place (as AddTags overwrites a value).
    tags = list({t["Key"]: t["Value"] for t in request.get("Tags", [])}.items())
    try:
        deps.store.insert_model(
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            creation_ms=int(deps.clock() * 1000),
            definition=json.dumps(definition, separators=(",", ":"), ensure_ascii=False),
            tags=tags,
            max_models=deps.limits.max_models,
        )
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
    out: dict[str, Any] = {"ModelName": stored.name, **json.loads(stored.definition)}
    out["CreationTime"] = stored.creation_ms / 1000
    out["ModelArn"] = model_arn(ctx, stored.name)
    return out  # type: ignore[return-value]
