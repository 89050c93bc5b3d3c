"""Create, Describe, List and Delete, written once for every kind of resource (emulator/resources/)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson

from emulator.errors import ConflictException, ResourceLimitExceeded, ValidationException
from emulator.operations.context import Deps, RequestContext
from emulator.operations.tags import distinct_tags
from emulator.operations.tokens import INVALID_TOKEN_MESSAGE
from emulator.resources.kind import SORT_COLUMNS, ResourceKind, limit_message
from emulator.store.records import LimitReached, ListQuery, NewResource, ResourceExists, ResourceInUse, Scope

# AWS documents no default page size for ListModels; 10 is what SageMaker documents for its other List operations.
DEFAULT_PAGE_SIZE = 10
# Timestamps far outside any creation time clamp here, so they never overflow a BIGINT column.
_MS_BOUND = 2**62


def target(kind: ResourceKind, *, request: dict[str, Any], operation: str, ctx: RequestContext) -> str:
    """The name a Describe or Delete request means. Where the API model takes a name or an ARN, an ARN of this kind in
    the caller's account and region means its name; any other ARN names nothing here: AWS's missing text, with it."""
    value: str = request[kind.name_member]
    return named_by(kind, value, ctx=ctx) if operation in kind.takes_arn else value


def named_by(kind: ResourceKind, value: str, *, ctx: RequestContext) -> str:
    """The name a name or an ARN means in the caller's account and region ('<group>/<n>' for a versioned ARN);
    an ARN of another account, region or kind names nothing here: AWS's missing text, with it."""
    if not value.startswith("arn:"):
        return value
    name = kind.name_in(value, account_id=ctx.account_id, region=ctx.region)
    if name is None:
        raise ValidationException(kind.missing_message(value))
    return name


async def check_references(kind: ResourceKind, request: dict[str, Any], *, ctx: RequestContext, deps: Deps) -> None:
    """AWS's 'Could not find <label> "<arn>".' for the first resource the request names that does not exist, and
    the named kind's refusal of one that exists but may not be named (a model package not approved).

    Checked before the insert, not with it: AWS too checks references only when a resource is created or updated,
    and lets the referenced resource be deleted afterwards."""
    for arn_type, value in kind.references(request):
        other = deps.kinds[arn_type]
        name = named_by(other, value, ctx=ctx)
        stored = await deps.store.get(ctx.scope(other), name)
        if stored is None:
            raise ValidationException(other.missing_message(ctx.arn(other, name)))
        refusal = other.referable(stored.name, stored.status, ctx.arn(other, stored.name))
        if refusal is not None:
            raise ValidationException(refusal)


async def create(kind: ResourceKind, *, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    kind.rules(request, deps.limits)
    await check_references(kind, request, ctx=ctx, deps=deps)
    await kind.checks(request=request, ctx=ctx, deps=deps)
    await insert(kind, request=request, ctx=ctx, deps=deps)
    return {kind.arn_member: ctx.arn(kind, request[kind.name_member])}


async def insert(
    kind: ResourceKind,
    *,
    request: dict[str, Any],
    ctx: RequestContext,
    deps: Deps,
    creation_ms: int | None = None,
    status: str | None = None,
    state: str | None = None,
) -> None:
    """Stores a checked create request: AWS's texts for a duplicate and for the kind's limit."""
    name = request[kind.name_member]
    definition = {k: request[k] for k in kind.definition_members if k in request}
    if status is None and kind.status_from is not None:
        status = kind.status_from(definition)
    tags = distinct_tags(request.get("Tags", []))
    resource = NewResource(
        scope=ctx.scope(kind),
        name=name,
        # round: 1.001 s is 1000.9999 ms in binary
        creation_ms=round(deps.clock() * 1000) if creation_ms is None else creation_ms,
        definition=orjson.dumps(definition).decode(),  # compact, UTF-8 as is
        tags=tags,
        status=status,
        state=state,
    )
    limit = kind.limit(deps.limits)
    try:
        await deps.store.create(resource, limit=limit)
    except ResourceExists:
        raise kind.exists_error(kind.exists_message(ctx.arn(kind, name))) from None
    except LimitReached as exc:
        raise ResourceLimitExceeded(
            limit_message(kind.limit_name, limit=limit or 0, current=exc.current, delta=1, unit=kind.plural)
        ) from None


async def describe(kind: ResourceKind, *, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name = target(kind, request=request, operation=f"Describe{kind.noun}", ctx=ctx)
    stored = await deps.store.get(ctx.scope(kind), name)
    if stored is None:
        raise ValidationException(kind.missing_message(ctx.arn(kind, name)))
    out: dict[str, Any] = {kind.name_member: stored.name, **kind.described(orjson.loads(stored.definition))}
    out.update(kind.fixed_members)
    out["CreationTime"] = stored.creation_ms / 1000
    out[kind.arn_member] = ctx.arn(kind, stored.name)
    return out


def ceil_ms(seconds: float) -> int:
    """The least whole millisecond at or after a timestamp, exact for the decimal the client sent."""
    ms = math.ceil(Decimal(repr(seconds)) * 1000)
    return max(-_MS_BOUND, min(_MS_BOUND, ms))


def ms_bound(request: dict[str, Any], member: str) -> int | None:
    """A time filter as whole milliseconds: times are stored in whole ms, so `< t` is `< ceil(t)` and `>= t` is
    `>= ceil(t)`."""
    value = request.get(member)
    return None if value is None else ceil_ms(value)


async def list_page(
    kind: ResourceKind,
    *,
    request: dict[str, Any],
    ctx: RequestContext,
    deps: Deps,
    filters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One page of List<plural>. `filters`: ListQuery fields of a kind's own filters (name_prefix, nested, status),
    from its own List handler; they bind the NextToken too."""
    filters = filters or {}
    wire = kind.list_wire
    sort = SORT_COLUMNS[request.get("SortBy", "CreationTime")]
    descending = request.get("SortOrder", kind.default_sort_order) == "Descending"
    # The summary's members that come from what was sent (a description), read with the page.
    from_definition = wire.summary_members.intersection(kind.definition_members)
    name_contains = request.get("NameContains")
    before_ms, from_ms = ms_bound(request, "CreationTimeBefore"), ms_bound(request, "CreationTimeAfter")
    modified_before_ms = ms_bound(request, "LastModifiedTimeBefore")
    modified_from_ms = ms_bound(request, "LastModifiedTimeAfter")
    status = request.get("StatusEquals")
    # The token is bound to everything that defines the listing; MaxResults may change between pages.
    query: tuple[Any, ...] = (
        f"List{kind.plural}",
        ctx.account_id,
        ctx.region,
        sort == "name",
        descending,
        (name_contains or "").lower(),
        before_ms,
        from_ms,
    )
    if kind.status_member is not None:
        query += (sort, modified_before_ms, modified_from_ms, status)
    if filters:
        query += (sort, *sorted(filters.items()))
    cursor: tuple[str | int, int] | None = None
    if request.get("NextToken"):  # an empty token is no token, as SDK paginators treat it
        read = deps.tokens.read(request["NextToken"], query=query)
        key_type = int if sort == "creation_ms" else str
        if len(read) != 2 or type(read[1]) is not int or type(read[0]) is not key_type:
            raise ValidationException(INVALID_TOKEN_MESSAGE)
        cursor = (read[0], read[1])
    page, more = await deps.store.list_page(
        ListQuery(
            scope=ctx.scope(kind),
            sort=sort,
            descending=descending,
            name_contains=name_contains,
            before_ms=before_ms,
            from_ms=from_ms,
            after=cursor,
            limit=request.get("MaxResults", DEFAULT_PAGE_SIZE),
            modified_before_ms=modified_before_ms,
            modified_from_ms=modified_from_ms,
            with_definition=bool(from_definition),
            with_state=kind.state_summary is not None,
            **{"status": status, **filters},
        )
    )
    fixed = {k: v for k, v in kind.fixed_members.items() if k in wire.summary_members}
    summaries: list[dict[str, Any]] = []
    for r in page:
        summary: dict[str, Any] = {
            kind.name_member: r.name,
            kind.arn_member: ctx.arn(kind, r.name),
            "CreationTime": r.creation_ms / 1000,
        }
        if kind.status_member is not None:
            summary["LastModifiedTime"] = (r.modified_ms or r.creation_ms) / 1000
            summary[kind.status_member] = r.status
        if r.definition is not None:
            definition = orjson.loads(r.definition)
            summary.update((k, definition[k]) for k in from_definition if k in definition)
        if kind.state_summary is not None:
            summary.update(kind.state_summary(r.state))
        summary.update(fixed)
        summaries.append(kind.summarized(summary, r.name))
    out: dict[str, Any] = {wire.member: summaries}
    if more:
        last = page[-1]
        key = {"name": last.name, "creation_ms": last.creation_ms, "status": last.status}[sort]
        out["NextToken"] = deps.tokens.issue(query=query, cursor=[key, last.id])
    return out


async def delete(kind: ResourceKind, *, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> None:
    name = target(kind, request=request, operation=f"Delete{kind.noun}", ctx=ctx)
    members = None
    if kind.member_kind is not None:
        members = Scope(kind=kind.member_kind, account_id=ctx.account_id, region=ctx.region)
    try:
        deleted = await deps.store.delete(ctx.scope(kind), name, unless_members=members)
    except ResourceInUse:
        raise ConflictException(kind.in_use_message(ctx.arn(kind, name))) from None
    if not deleted:
        raise ValidationException(kind.missing_message(ctx.arn(kind, name)))
