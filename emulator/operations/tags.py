"""AddTags, ListTags and DeleteTags on any kind of resource, addressed by ARN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.errors import ValidationException
from emulator.operations.context import Deps, RequestContext
from emulator.operations.tokens import INVALID_TOKEN_MESSAGE
from emulator.resources.kind import ResourceKind
from emulator.store.records import ResourceMissing, TagLimitReached, TagQuery

if TYPE_CHECKING:  # the API model's types exist for the type checker only
    from emulator.shapes.generated import (
        AddTagsInput,
        AddTagsOutput,
        DeleteTagsInput,
        DeleteTagsOutput,
        ListTagsInput,
        ListTagsOutput,
        Tag,
    )

# AWS's per-resource tag limit, the same for every SageMaker resource.
MAX_TAGS_PER_RESOURCE = 50
# ListTags' MaxResults has a minimum of 50 and no documented default; 50 returns every tag of a resource.
DEFAULT_TAGS_PAGE_SIZE = 50
RESERVED_PREFIX_MESSAGE = "Tag keys starting with 'aws:' are reserved for AWS use."


def distinct_tags(tags: list[Tag]) -> list[tuple[str, str]]:
    """(key, value) pairs in first-seen order; a key sent twice keeps its last value, as a second AddTags would.

    Raises for keys in AWS's reserved `aws:` namespace (case-insensitive).
    """
    merged: dict[str, str] = {}
    for tag in tags:
        key = tag["Key"]
        if key[:4].lower() == "aws:":
            raise ValidationException(RESERVED_PREFIX_MESSAGE)
        merged[key] = tag["Value"]
    return list(merged.items())


def resource_of(arn: str, ctx: RequestContext, deps: Deps) -> tuple[ResourceKind, str]:
    """The kind and name a well-formed ARN (the input pattern already held) addresses in the caller's scope."""
    # arn:<partition>:sagemaker:<region>:<account>:<resource>, the resource possibly holding more colons.
    _, partition, _, region, account, resource = arn.split(":", 5)
    if region != ctx.region:
        raise ValidationException(f"ARN should be scoped to correct region: {ctx.region}")
    if partition != "aws":
        raise ValidationException("ARN should be scoped to correct partition: aws")
    if account != ctx.account_id:
        raise ValidationException(f"ARN should be scoped to correct account: {ctx.account_id}")
    arn_type, slash, name = resource.partition("/")
    kind = deps.kinds.get(arn_type)
    if kind is None or not slash:
        raise ValidationException(f'Could not find resource "{arn}".')
    return kind, name


def not_found(kind: ResourceKind, ctx: RequestContext, name: str) -> ValidationException:
    return ValidationException(kind.missing_message(ctx.arn(kind, name)))


async def add_tags(*, request: AddTagsInput, ctx: RequestContext, deps: Deps) -> AddTagsOutput:
    kind, name = resource_of(request["ResourceArn"], ctx, deps)
    tags = distinct_tags(request["Tags"])
    try:
        await deps.store.add_tags(ctx.scope(kind), name, tags, max_tags=MAX_TAGS_PER_RESOURCE)
    except ResourceMissing:
        raise not_found(kind, ctx, name) from None
    except TagLimitReached as exc:
        raise ValidationException(
            f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags: {ctx.arn(kind, name)} has {exc.current}"
            f" and the request adds {exc.added} new keys."
        ) from None
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags]}


async def list_tags(*, request: ListTagsInput, ctx: RequestContext, deps: Deps) -> ListTagsOutput:
    kind, name = resource_of(request["ResourceArn"], ctx, deps)
    query = ("ListTags", ctx.account_id, ctx.region, kind.arn_type, name.lower())
    after: int | None = None
    if request.get("NextToken"):
        cursor = deps.tokens.read(request["NextToken"], query=query)
        if len(cursor) != 1 or type(cursor[0]) is not int:
            raise ValidationException(INVALID_TOKEN_MESSAGE)
        after = cursor[0]
    try:
        page, more = await deps.store.list_tags(
            TagQuery(
                scope=ctx.scope(kind),
                name=name,
                after_position=after,
                limit=request.get("MaxResults", DEFAULT_TAGS_PAGE_SIZE),
            )
        )
    except ResourceMissing:
        raise not_found(kind, ctx, name) from None
    out: ListTagsOutput = {"Tags": [{"Key": t.key, "Value": t.value} for t in page]}
    if more:
        out["NextToken"] = deps.tokens.issue(query=query, cursor=[page[-1].position])
    return out


async def delete_tags(*, request: DeleteTagsInput, ctx: RequestContext, deps: Deps) -> DeleteTagsOutput:
    kind, name = resource_of(request["ResourceArn"], ctx, deps)
    try:
        await deps.store.delete_tags(ctx.scope(kind), name, request["TagKeys"])
    except ResourceMissing:
        raise not_found(kind, ctx, name) from None
    return {}
