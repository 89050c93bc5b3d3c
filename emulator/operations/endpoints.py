"""Endpoints, declared with their own handlers: the operations that change or show the lifecycle (Create, Describe,
List, Update, UpdateWeightsAndCapacities and Delete; List is the generic one, after ending the changes whose time has
passed). Every change is a compare-and-set on the stored status and state, so of racing calls the database lets one
through; a loser reads again and answers as it then finds the endpoint. The pure part (the state, how it settles,
what Describe shows) is emulator/resources/endpoint.py."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.containers.readiness import readiness, row_params
from emulator.containers.specs import specs_for
from emulator.errors import ValidationException
from emulator.operations.context import Deps, RequestContext
from emulator.operations.model_packages import expanded_model
from emulator.operations.resources import insert, list_page
from emulator.resources.endpoint import (
    IN_PROGRESS,
    EndpointState,
    Settled,
    capture_summary,
    check_state,
    config_extras,
    container_keys,
    described,
    ends_now,
    failure_reason,
    settle,
    variant_summary,
)
from emulator.resources.endpoint_config import ENDPOINT_CONFIG, first_duplicate, non_unique
from emulator.resources.kind import ResourceKind
from emulator.resources.model import MODEL
from emulator.runtime.health import ping_failure
from emulator.store.records import LifecycleChange, ListQuery, StoredResource

# Compare-and-set rounds before giving up: each lost round means another call changed the endpoint meanwhile.
_ROUNDS = 20


def now_ms(deps: Deps) -> int:
    return round(deps.clock() * 1000)


def in_progress(ctx: RequestContext, name: str) -> ValidationException:
    return ValidationException(f'Cannot update in-progress endpoint "{ctx.arn(ENDPOINT, name)}".')


def missing(ctx: RequestContext, name: str) -> ValidationException:
    return ValidationException(ENDPOINT.missing_message(ctx.arn(ENDPOINT, name)))


def timed(state: EndpointState, *, start_ms: int, deps: Deps) -> EndpointState:
    """The state with a new change starting now, lasting as the settings say."""
    state.describes_left = deps.endpoint_timing.describes
    seconds = deps.endpoint_timing.seconds
    state.due_ms = start_ms + math.ceil(seconds * 1000) if seconds > 0 else 0
    return state


@dataclass(frozen=True, slots=True)
class Deployment:
    """What a config deploys: its variants as DescribeEndpoint shows them, its data capture and other members
    DescribeEndpoint shows, and the containers it runs as processes (emulator/containers/specs.py)."""

    variants: list[dict[str, Any]]
    capture: dict[str, Any] | None
    extras: dict[str, Any] | None
    containers: list[dict[str, Any]]


async def deployment(config_name: str, *, ctx: RequestContext, deps: Deps, start_ms: int) -> Deployment:
    """What a config deploys, read now: AWS checks the config and its models when an endpoint is created or updated,
    and answers 'Could not find ...' for one deleted since."""
    config = await deps.store.get(ctx.scope(ENDPOINT_CONFIG), config_name)
    if config is None:
        raise ValidationException(ENDPOINT_CONFIG.missing_message(ctx.arn(ENDPOINT_CONFIG, config_name)))
    definition = orjson.loads(config.definition)
    variants: list[dict[str, Any]] = definition["ProductionVariants"]
    shadows: list[dict[str, Any]] = definition.get("ShadowProductionVariants", [])
    models: dict[str, dict[str, Any]] = {}
    for variant in [*variants, *shadows]:
        model_name = variant.get("ModelName")
        if model_name is None or model_name.lower() in models:
            continue
        model = await deps.store.get(ctx.scope(MODEL), model_name)
        if model is None:
            raise ValidationException(MODEL.missing_message(ctx.arn(MODEL, model_name)))
        # A container naming a model package deploys the package's images.
        models[model_name.lower()] = await expanded_model(orjson.loads(model.definition), ctx=ctx, deps=deps)

    def summaries(of: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [variant_summary(v, model=models.get(v.get("ModelName", "").lower()), now_ms=start_ms) for v in of]

    containers = specs_for(
        variants,
        models,
        commands=deps.model_commands,
        servers=deps.model_servers,
        default_timeout=deps.containers.startup_timeout,
    )
    return Deployment(
        summaries(variants), capture_summary(definition), config_extras(definition, summaries(shadows)), containers
    )


async def add_containers(containers: list[dict[str, Any]], *, ctx: RequestContext, deps: Deps, name: str) -> None:
    """The rows of a deployment's containers, once the endpoint's change that runs them is stored; the supervisor
    starts them (emulator/containers/supervisor.py)."""
    if containers:
        params = row_params(
            containers, account_id=ctx.account_id, region=ctx.region, endpoint=name, now_ms=now_ms(deps)
        )
        await deps.shared.add_containers(params)
        deps.containers.wake()


async def retire_containers(keys: Sequence[str], *, deps: Deps) -> None:
    if keys:
        await deps.shared.retire_containers(list(keys), now_ms=now_ms(deps))
        deps.containers.wake()


async def failure_of(
    *, operation: str, name: str, variants: list[dict[str, Any]], ctx: RequestContext, deps: Deps
) -> str | None:
    """The FailureReason a fail-endpoint fault rule gives this change, or None."""
    if not deps.faults.active:
        return None
    rule = await deps.faults.endpoint_failure(operation=operation, account_id=ctx.account_id, endpoint_name=name)
    if rule is None:
        return None
    return rule.message if rule.message is not None else failure_reason(variants[0]["VariantName"])


async def create_endpoint(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name = request["EndpointName"]
    start = now_ms(deps)
    deployed = await deployment(request["EndpointConfigName"], ctx=ctx, deps=deps, start_ms=start)
    state = EndpointState(
        config=request["EndpointConfigName"],
        variants=deployed.variants,
        capture=deployed.capture,
        extras=deployed.extras,
    )
    state = timed(state, start_ms=start, deps=deps)
    state.failure = await failure_of(
        operation="CreateEndpoint", name=name, variants=deployed.variants, ctx=ctx, deps=deps
    )
    state.health = state.failure is None  # checked as the change ends: AWS answers at once
    if state.health:
        state.containers = deployed.containers
    await insert(
        ENDPOINT, request=request, ctx=ctx, deps=deps, creation_ms=start, status="Creating", state=state.dumps()
    )
    await add_containers(state.containers, ctx=ctx, deps=deps, name=name)
    return {"EndpointArn": ctx.arn(ENDPOINT, name)}


async def current(name: str, *, ctx: RequestContext, deps: Deps, describing: bool) -> tuple[StoredResource, Settled]:
    """The endpoint as it stands now, with any change that has ended written back; 'Could not find' if missing."""
    for _ in range(_ROUNDS):
        stored = await deps.store.get(ctx.scope(ENDPOINT), name)
        if stored is None or stored.status is None or stored.state is None:
            raise missing(ctx, name)
        time_ms = now_ms(deps)
        state = EndpointState.loads(stored.state)
        if state.health and ends_now(stored.status, state, now_ms=time_ms, describing=describing):
            # The deployment's containers run here must be healthy (a describe waits a little for them), and
            # the model servers answer their ping, bounded by its deadline.
            deploying = state.pending["variants"] if state.pending is not None else state.variants
            containers = state.pending.get("containers", []) if state.pending is not None else state.containers
            if containers:
                ended, state.failure = await readiness(
                    containers,
                    shared=deps.shared,
                    directory=deps.containers,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    endpoint=stored.name,
                    wait=deps.containers.describe_wait if describing else 0,
                )
                if not ended:  # still starting: the change goes on
                    return stored, Settled(stored.status, EndpointState.loads(stored.state), changed=False)
            if state.failure is None:
                state.failure = await ping_failure(deploying, deps=deps)
        settled = settle(stored.status, state, now_ms=time_ms, describing=describing)
        if not settled.changed:
            return stored, settled
        if settled.gone:
            if await deps.store.delete(ctx.scope(ENDPOINT), name, expect=(stored.status, stored.state)):
                await retire_containers(settled.retired, deps=deps)
                raise missing(ctx, name)
            continue
        status_moved = settled.status != stored.status
        change = LifecycleChange(
            scope=ctx.scope(ENDPOINT),
            name=name,
            expect_status=stored.status,
            expect_state=stored.state,
            status=settled.status,
            state=settled.state.dumps(),
            # LastModifiedTime moves when the status does, not when a describe is counted.
            modified_ms=time_ms if status_moved else (stored.modified_ms or stored.creation_ms),
        )
        if await deps.store.change_lifecycle(change):
            await retire_containers(settled.retired, deps=deps)
            return (
                StoredResource(
                    name=stored.name,
                    creation_ms=stored.creation_ms,
                    definition=stored.definition,
                    status=change.status,
                    modified_ms=change.modified_ms,
                    state=change.state,
                ),
                settled,
            )
    raise ValidationException(f'Endpoint "{ctx.arn(ENDPOINT, name)}" is changing too fast to describe; try again.')


async def describe_endpoint(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    stored, settled = await current(request["EndpointName"], ctx=ctx, deps=deps, describing=True)
    return described(
        name=stored.name,
        arn=ctx.arn(ENDPOINT, stored.name),
        status=settled.status,
        state=settled.state,
        creation_ms=stored.creation_ms,
        modified_ms=stored.modified_ms or stored.creation_ms,
    )


# A change of lifecycle: (current status, state, start ms) -> the new status and state; raises to refuse.
Change = Callable[[str, EndpointState, int], Awaitable[tuple[str, EndpointState]]]


async def start_change(name: str, *, ctx: RequestContext, deps: Deps, change: Change) -> EndpointState:
    """Moves a settled endpoint into a new change: `change(status, state, start_ms)` gives the new status and state
    (or raises); the state written. 'Cannot update in-progress endpoint' while one is under way, decided by the
    database."""
    for _ in range(_ROUNDS):
        stored, settled = await current(name, ctx=ctx, deps=deps, describing=False)
        if settled.status in IN_PROGRESS:
            raise in_progress(ctx, name)
        start = now_ms(deps)
        status, state = await change(settled.status, settled.state, start)
        written = LifecycleChange(
            scope=ctx.scope(ENDPOINT),
            name=name,
            expect_status=stored.status,
            expect_state=stored.state,
            status=status,
            state=timed(state, start_ms=start, deps=deps).dumps(),
            modified_ms=start,
        )
        if await deps.store.change_lifecycle(written):
            return state
    raise in_progress(ctx, name)


async def update_endpoint(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name, config_name = request["EndpointName"], request["EndpointConfigName"]

    async def change(status: str, state: EndpointState, start: int) -> tuple[str, EndpointState]:
        deployed = await deployment(config_name, ctx=ctx, deps=deps, start_ms=start)
        state.failure = await failure_of(
            operation="UpdateEndpoint", name=name, variants=deployed.variants, ctx=ctx, deps=deps
        )
        state.health = state.failure is None  # checked as the change ends: AWS answers at once
        state.pending = {
            "config": config_name,
            "variants": deployed.variants,
            "start_ms": start,
            "capture": deployed.capture,
            "extras": deployed.extras,
            "containers": deployed.containers if state.health else [],
        }
        return "Updating", state

    written = await start_change(name, ctx=ctx, deps=deps, change=change)
    if written.pending is not None:
        await add_containers(written.pending["containers"], ctx=ctx, deps=deps, name=name)
    return {"EndpointArn": ctx.arn(ENDPOINT, name)}


async def update_weights(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name = request["EndpointName"]

    async def change(status: str, state: EndpointState, start: int) -> tuple[str, EndpointState]:
        by_name = {v["VariantName"]: v for v in state.variants}
        wanted = request["DesiredWeightsAndCapacities"]
        duplicate = first_duplicate(d["VariantName"] for d in wanted)
        if duplicate is not None:
            raise ValidationException(non_unique(duplicate))
        unknown = [d["VariantName"] for d in wanted if d["VariantName"] not in by_name]
        if unknown:
            raise ValidationException(
                f'The variant(s) "[{", ".join(unknown)}]" is/are not present in the endpoint'
                f' "{ctx.arn(ENDPOINT, name)}".'
            )
        for desired in wanted:
            variant = by_name[desired["VariantName"]]
            if "ServerlessUpdateConfig" in desired:
                variant["DesiredServerlessConfig"] = serverless_update(
                    variant, desired["ServerlessUpdateConfig"], ctx=ctx, name=name
                )
        for desired in wanted:
            variant = by_name[desired["VariantName"]]
            if "DesiredWeight" in desired:
                variant["DesiredWeight"] = float(desired["DesiredWeight"])
            if "DesiredInstanceCount" in desired:
                variant["DesiredInstanceCount"] = desired["DesiredInstanceCount"]
        state.failure, state.health = None, False
        return "Updating", state

    await start_change(name, ctx=ctx, deps=deps, change=change)
    return {"EndpointArn": ctx.arn(ENDPOINT, name)}


def serverless_update(
    variant: dict[str, Any], update: dict[str, Any], *, ctx: RequestContext, name: str
) -> dict[str, Any]:
    """A serverless variant's config with ServerlessUpdateConfig's members applied; refused for an instance-based
    variant, and where provisioned concurrency would exceed the maximum [I: AWS's texts were not found]."""
    current = variant.get("DesiredServerlessConfig")
    if current is None:
        raise ValidationException(
            f'ServerlessUpdateConfig cannot be specified for variant "{variant["VariantName"]}" of endpoint'
            f' "{ctx.arn(ENDPOINT, name)}": it is not a serverless variant.'
        )
    updated = {**current, **update}
    if updated.get("ProvisionedConcurrency", 0) > updated["MaxConcurrency"]:
        raise ValidationException(
            f"ProvisionedConcurrency ({updated['ProvisionedConcurrency']}) must be less than or equal to"
            f' MaxConcurrency ({updated["MaxConcurrency"]}) for variant "{variant["VariantName"]}".'
        )
    return updated


async def delete_endpoint(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> None:
    name = request["EndpointName"]
    for _ in range(_ROUNDS):
        stored, settled = await current(name, ctx=ctx, deps=deps, describing=False)
        if settled.status == "Deleting":
            return  # already on its way out
        if settled.status in IN_PROGRESS:
            raise in_progress(ctx, name)
        start = now_ms(deps)
        state = timed(settled.state, start_ms=start, deps=deps)
        state.failure = state.pending = None
        written = LifecycleChange(
            scope=ctx.scope(ENDPOINT),
            name=name,
            expect_status=stored.status,
            expect_state=stored.state,
            status="Deleting",
            state=state.dumps(),
            modified_ms=start,
        )
        if await deps.store.change_lifecycle(written):
            # A deleting endpoint serves nothing: its containers stop now.
            await retire_containers(sorted(container_keys(settled.state)), deps=deps)
            return
    raise in_progress(ctx, name)


async def settle_due(*, ctx: RequestContext, deps: Deps) -> None:
    """Ends every change of the scope whose time has passed, so a list shows and filters by the status a describe
    would give. Only changes that wait for a time can end without a describe; the default timing has none."""
    for status in IN_PROGRESS:
        after: tuple[str | int, int] | None = None
        while True:
            query = ListQuery(
                scope=ctx.scope(ENDPOINT),
                sort="name",
                descending=False,
                name_contains=None,
                before_ms=None,
                from_ms=None,
                after=after,
                limit=100,
                status=status,
            )
            page, more = await deps.store.list_page(query)
            for listed in page:
                try:
                    await current(listed.name, ctx=ctx, deps=deps, describing=False)
                except ValidationException:
                    pass  # deleted meanwhile, or just now by its own Deleting ending
            if not more:
                break
            after = (page[-1].name, page[-1].id)


async def list_endpoints(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    if deps.endpoint_timing.seconds > 0:
        await settle_due(ctx=ctx, deps=deps)
    return await list_page(ENDPOINT, request=request, ctx=ctx, deps=deps)


ENDPOINT = ResourceKind(
    arn_type="endpoint",
    noun="Endpoint",
    plural="Endpoints",
    label="endpoint",
    # As sent to CreateEndpoint; what is deployed now (after updates) is in the state.
    definition_members=("EndpointConfigName", "DeploymentConfig"),
    limit_field="max_endpoints",
    limit_name="Number of endpoints",
    status_member="EndpointStatus",
    check_state=check_state,
    # Every operation that changes or shows the lifecycle; DeleteEndpoint's generic twin would skip the lifecycle.
    handlers={
        "CreateEndpoint": create_endpoint,
        "DescribeEndpoint": describe_endpoint,
        "ListEndpoints": list_endpoints,
        "UpdateEndpoint": update_endpoint,
        "UpdateEndpointWeightsAndCapacities": update_weights,
        "DeleteEndpoint": delete_endpoint,
    },
)
