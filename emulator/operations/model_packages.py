"""Model packages, declared with their own handlers: CreateModelPackage (a versioned package numbered in its group by
the database, or an unversioned one), DescribeModelPackage, ListModelPackages (the generic List with the package
filters), UpdateModelPackage (a compare-and-set on the definition), BatchDescribeModelPackage; DeleteModelPackage is
the generic one. The pure part is emulator/resources/model_package.py."""

from __future__ import annotations

from typing import Any

import orjson

from emulator.errors import ResourceLimitExceeded, ValidationException
from emulator.operations.context import Deps, RequestContext
from emulator.operations.resources import insert, list_page, named_by, target
from emulator.resources.kind import ResourceKind, limit_message
from emulator.resources.model_package import (
    DEFINITION_MEMBERS,
    approval_of,
    batch_summary,
    containers_of,
    create_rules,
    definition_of,
    described,
    is_versioned,
    referable,
    stored_request,
    stored_rules,
    summarized,
    unversioned_specification_rules,
    updated,
)
from emulator.resources.model_package_group import MODEL_PACKAGE_GROUP
from emulator.settings import Limits
from emulator.store.records import DefinitionChange, LimitReached, NewResource, ResourceMissing

# Compare-and-set rounds of an update before giving up: each lost round means another update changed it meanwhile.
_ROUNDS = 20
# [inferred] BatchDescribeModelPackage's error for an ARN it cannot describe; the API model gives only the shape.
BATCH_ERROR_CODE = "ValidationException"
NOT_VERSIONED_TEXT = "Model package {arn} is not a versioned model package."
# The summary requires an InferenceSpecification, which a version registered without one does not have.
NO_SPECIFICATION_TEXT = "Model package {arn} has no InferenceSpecification."


def now_ms(deps: Deps) -> int:
    return round(deps.clock() * 1000)


async def create_model_package(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    create_rules(request)
    group = request.get("ModelPackageGroupName")
    if group is None:
        await insert(MODEL_PACKAGE, request=request, ctx=ctx, deps=deps)
        return {"ModelPackageArn": ctx.arn(MODEL_PACKAGE, request["ModelPackageName"])}
    group_name = named_by(MODEL_PACKAGE_GROUP, group, ctx=ctx)
    definition = definition_of(request, versioned=True)
    resource = NewResource(
        scope=ctx.scope(MODEL_PACKAGE),
        name="",  # numbered by the store
        creation_ms=now_ms(deps),
        definition=orjson.dumps(definition).decode(),
        tags=[],
        status=approval_of(definition),
    )
    limit = MODEL_PACKAGE.limit(deps.limits)
    try:
        name = await deps.store.create_member(
            resource, parent=ctx.scope(MODEL_PACKAGE_GROUP), parent_name=group_name, limit=limit
        )
    except ResourceMissing:
        # [inferred] AWS's text for a missing group on CreateModelPackage is unknown: the group's missing text.
        raise ValidationException(
            MODEL_PACKAGE_GROUP.missing_message(ctx.arn(MODEL_PACKAGE_GROUP, group_name))
        ) from None
    except LimitReached as exc:
        raise ResourceLimitExceeded(
            limit_message(
                MODEL_PACKAGE.limit_name, limit=limit or 0, current=exc.current, delta=1, unit=MODEL_PACKAGE.plural
            )
        ) from None
    return {"ModelPackageArn": ctx.arn(MODEL_PACKAGE, name)}


async def describe_model_package(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name = target(MODEL_PACKAGE, request=request, operation="DescribeModelPackage", ctx=ctx)
    stored = await deps.store.get(ctx.scope(MODEL_PACKAGE), name)
    if stored is None:
        raise ValidationException(MODEL_PACKAGE.missing_message(ctx.arn(MODEL_PACKAGE, name)))
    return described(
        name=stored.name,
        arn=ctx.arn(MODEL_PACKAGE, stored.name),
        definition=orjson.loads(stored.definition),
        creation_ms=stored.creation_ms,
        modified_ms=stored.modified_ms,
    )


async def list_model_packages(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    """ModelPackageType is Unversioned when absent (the API model's doc), and Versioned when a group is given (as moto
    has it: a group holds versions only)."""
    filters: dict[str, Any] = {"contains_before_slash": True}  # NameContains: a version's name is its group's
    group = request.get("ModelPackageGroupName")
    package_type = request.get("ModelPackageType", "Versioned" if group is not None else "Unversioned")
    if package_type != "Both":
        filters["nested"] = package_type == "Versioned"
    if group is not None:
        if group.startswith("arn:"):
            # A group ARN of another account or region holds nothing here: ':' is in no name, so it matches none.
            group = MODEL_PACKAGE_GROUP.name_in(group, account_id=ctx.account_id, region=ctx.region) or group
        filters["name_prefix"] = f"{group}/"
    if "ModelApprovalStatus" in request:
        filters["status"] = request["ModelApprovalStatus"]
    return await list_page(MODEL_PACKAGE, request=request, ctx=ctx, deps=deps, filters=filters)


async def update_model_package(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    arn = request["ModelPackageArn"]
    name = MODEL_PACKAGE.name_in(arn, account_id=ctx.account_id, region=ctx.region)
    if name is None:
        raise ValidationException(MODEL_PACKAGE.missing_message(arn))
    scope = ctx.scope(MODEL_PACKAGE)
    for _ in range(_ROUNDS):
        stored = await deps.store.get(scope, name)
        if stored is None:
            raise ValidationException(MODEL_PACKAGE.missing_message(ctx.arn(MODEL_PACKAGE, name)))
        if "InferenceSpecification" in request and not is_versioned(stored.name):
            unversioned_specification_rules(request["InferenceSpecification"])
        definition = updated(orjson.loads(stored.definition), request)
        change = DefinitionChange(
            scope=scope,
            name=name,
            expect_definition=stored.definition,
            definition=orjson.dumps(definition).decode(),
            status=approval_of(definition),
            modified_ms=now_ms(deps),
        )
        if await deps.store.change_definition(change):
            return {"ModelPackageArn": ctx.arn(MODEL_PACKAGE, stored.name)}
    raise ValidationException(
        f"Model package {ctx.arn(MODEL_PACKAGE, name)} is changing too fast to update; try again."
    )


async def batch_describe_model_package(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    """Summaries of the versioned packages named; an error entry for each ARN that names none here."""
    summaries: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    scope = ctx.scope(MODEL_PACKAGE)
    for arn in dict.fromkeys(request["ModelPackageArnList"]):
        name = MODEL_PACKAGE.name_in(arn, account_id=ctx.account_id, region=ctx.region)
        stored = None if name is None else await deps.store.get(scope, name)
        if stored is None:
            errors[arn] = {"ErrorCode": BATCH_ERROR_CODE, "ErrorResponse": MODEL_PACKAGE.missing_message(arn)}
        elif not is_versioned(stored.name):
            errors[arn] = {"ErrorCode": BATCH_ERROR_CODE, "ErrorResponse": NOT_VERSIONED_TEXT.format(arn=arn)}
        else:
            definition = orjson.loads(stored.definition)
            if "InferenceSpecification" not in definition:
                errors[arn] = {"ErrorCode": BATCH_ERROR_CODE, "ErrorResponse": NO_SPECIFICATION_TEXT.format(arn=arn)}
                continue
            summaries[arn] = batch_summary(
                name=stored.name,
                arn=ctx.arn(MODEL_PACKAGE, stored.name),
                definition=definition,
                creation_ms=stored.creation_ms,
            )
    out: dict[str, Any] = {"ModelPackageSummaries": summaries}
    if errors:
        out["BatchDescribeModelPackageErrorMap"] = errors
    return out


async def expanded_model(definition: dict[str, Any], *, ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    """A model's definition with each container that names a model package replaced by the package's inference
    containers (their images are what the endpoint deploys and invokes). A package deleted since leaves the
    container as it is: it has no image."""
    containers = [definition["PrimaryContainer"]] if "PrimaryContainer" in definition else []
    containers += definition.get("Containers", [])
    if not any("ModelPackageName" in c for c in containers):
        return definition
    expanded: list[dict[str, Any]] = []
    for container in containers:
        package = container.get("ModelPackageName")
        if package is None:
            expanded.append(container)
            continue
        name = package
        if package.startswith("arn:"):
            name = MODEL_PACKAGE.name_in(package, account_id=ctx.account_id, region=ctx.region)
        stored = None if name is None else await deps.store.get(ctx.scope(MODEL_PACKAGE), name)
        found = [] if stored is None else containers_of(orjson.loads(stored.definition), container)
        expanded += found or [container]
    out = dict(definition)
    out.pop("PrimaryContainer", None)
    if "PrimaryContainer" in definition and len(expanded) == 1:
        out["PrimaryContainer"] = expanded[0]
    else:
        out["Containers"] = expanded
    return out


def snapshot_rules(request: dict[str, Any], limits: Limits) -> None:
    stored_rules(request)


MODEL_PACKAGE = ResourceKind(
    arn_type="model-package",
    noun="ModelPackage",
    plural="ModelPackages",
    label="model package",
    definition_members=DEFINITION_MEMBERS,
    # AWS's text, from a real DescribeModelPackage answer (shared/spec/sagemaker-registry-async-batch.md A.2).
    missing_text="ModelPackage {arn} does not exist.",
    # ListModelPackages' documented defaults: CreationTime, Ascending.
    default_sort_order="Ascending",
    # A snapshot's entries are checked as the create requests that made them.
    rules=snapshot_rules,
    create_request=stored_request,
    limit_field="max_model_packages",
    # [inferred] AWS's quota name for model packages is not published.
    limit_name="Number of model packages",
    # Validation and image scans are not run: a package is Completed from its creation.
    fixed_members={"ModelPackageStatus": "Completed"},
    status_from=approval_of,
    summarized=summarized,
    referable=referable,
    handlers={
        "CreateModelPackage": create_model_package,
        "DescribeModelPackage": describe_model_package,
        "ListModelPackages": list_model_packages,
        "UpdateModelPackage": update_model_package,
        "BatchDescribeModelPackage": batch_describe_model_package,
    },
)
