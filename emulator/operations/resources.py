"""Create, Describe, List and Delete, written once for every kind of resource (emulator/resources/)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson

from emulator.errors import ResourceLimitExceeded, ValidationException
from emulator.operations.context import Deps, RequestContext
from emulator.operations.tags import distinct_tags
from emulator.operations.tokens import INVALID_TOKEN_MESSAGE
from emulator.resources.kind import ResourceKind, limit_message
from emulator.store.records import LimitReached, ListQuery, NewResource, ResourceExists

# AWS documents no default page size for ListModels; 10 is what SageMaker documents for its other List operations.
DEFAULT_PAGE_SIZE = 10
# Timestamps far outside any creation time clamp here, so they never overflow a BIGINT column.
_MS_BOUND = 2**62


async def create(kind: ResourceKind, *, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    kind.rules(request, deps.limits)
    name = request[kind.name_member]
    arn = ctx.arn(kind, name)
    definition = {k: request[k] for k in kind.definition_members if k in request}
    tags = distinct_tags(request.get("Tags", []))
    resource = NewResource(
        scope=ctx.scope(kind),
        name=name,
        creation_ms=round(deps.clock() * 1000),  # round: 1.001 s is 1000.9999 ms in binary
        definition=orjson.dumps(definition).decode(),  # compact, UTF-8 as is
        tags=tags,
    )
    limit = kind.limit(deps.limits)
    try:
        await deps.store.create(resource, limit=limit)
    except ResourceExists:
        raise ValidationException(kind.exists_message(arn)) from None
    except LimitReached as exc:
        raise ResourceLimitExceeded(
            limit_message(kind.limit_name, limit=limit or 0, current=exc.current, delta=1, unit=kind.plural)
        ) from None
    return {kind.arn_member: arn}


async def describe(kind: ResourceKind, *, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name = request[kind.name_member]
    stored = await deps.store.get(ctx.scope(kind), name)
    if stored is None:
        raise ValidationException(kind.missing_message(ctx.arn(kind, name)))
    out: dict[str, Any] = {kind.name_member: stored.name, **orjson.loads(stored.definition)}
    out["CreationTime"] = stored.creation_ms / 1000
    out[kind.arn_member] = ctx.arn(kind, stored.name)
    return out


def ceil_ms(seconds: float) -> int:
    """The least whole millisecond at or after a timestamp, exact for the decimal the client sent."""
    ms = math.ceil(Decimal(repr(seconds)) * 1000)
    return max(-_MS_BOUND, min(_MS_BOUND, ms))


async def list_page(kind: ResourceKind, *, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    by_name = request.get("SortBy", "CreationTime") == "Name"
    descending = request.get("SortOrder", "Descending") == "Descending"
    name_contains = request.get("NameContains")
    before, after = request.get("CreationTimeBefore"), request.get("CreationTimeAfter")
    # Creation times are whole milliseconds: `< t` is `< ceil(t)`, and `>= t` is `>= ceil(t)`.
    before_ms = None if before is None else ceil_ms(before)
    from_ms = None if after is None else ceil_ms(after)
    # The token is bound to everything that defines the listing; MaxResults may change between pages.
    query = (
        f"List{kind.plural}",
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
    page, more = await deps.store.list_page(
        ListQuery(
            scope=ctx.scope(kind),
            by_name=by_name,
            descending=descending,
            name_contains=name_contains,
            before_ms=before_ms,
            from_ms=from_ms,
            after=cursor,
            limit=request.get("MaxResults", DEFAULT_PAGE_SIZE),
        )
    )
    out: dict[str, Any] = {
        kind.plural: [
            {kind.name_member: r.name, kind.arn_member: ctx.arn(kind, r.name), "CreationTime": r.creation_ms / 1000}
            for r in page
        ]
    }
    if more:
        last = page[-1]
        out["NextToken"] = deps.tokens.issue(query=query, cursor=[last.name if by_name else last.creation_ms, last.id])
    return out


async def delete(kind: ResourceKind, *, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> None:
    name = request[kind.name_member]
    if not await deps.store.delete(ctx.scope(kind), name):
        raise ValidationException(kind.missing_message(ctx.arn(kind, name)))
