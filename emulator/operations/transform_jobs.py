"""Transform jobs, declared with their own handlers: CreateTransformJob (AWS's checks, then the job stored
InProgress for a runner to take), DescribeTransformJob, ListTransformJobs (the generic list) and StopTransformJob (a
compare-and-set to Stopping: the runner holding the job stops it and writes Stopped). The run is
emulator/transform/job_run.py, started by emulator/admin/job_runner.py; the pure part (state, rules, what Describe
shows) is emulator/resources/transform_job.py. The API has no DeleteTransformJob: a job is kept for ever."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from emulator.errors import ResourceInUse, ValidationException
from emulator.model_data.s3 import S3Denied, S3Location, S3Missing
from emulator.operations.context import Deps, RequestContext
from emulator.operations.resources import check_references, insert, list_page
from emulator.resources.kind import ResourceKind
from emulator.resources.model import MODEL
from emulator.resources.transform_job import (
    DEFINITION_MEMBERS,
    IN_PROGRESS,
    STOPPING,
    JobState,
    check_state,
    described,
    no_objects_message,
    state_summary,
    transform_rules,
)
from emulator.store.records import LifecycleChange

log = logging.getLogger("emulator.transform")
# Compare-and-set rounds before giving up: each lost round means the job's runner wrote meanwhile.
_ROUNDS = 20
# CreateTransformJob's look at the input prefix waits no longer than this for S3: an S3 that does not answer leaves
# the check to the job, which then fails with S3's error [I].
INPUT_CHECK_SECONDS = 5.0


def missing(ctx: RequestContext, name: str) -> ValidationException:
    # The name as the caller wrote it (the generic missing_message reads it from the lower-cased ARN).
    return ValidationException(TRANSFORM_JOB.missing_text.format(name=name))


async def check_input(request: dict[str, Any], *, ctx: RequestContext, deps: Deps, role: str | None) -> None:
    """AWS checks at once that an S3Prefix input names objects [R: the create's synchronous 'No S3 objects found'];
    a manifest is read by the job."""
    source = request["TransformInput"]["DataSource"]["S3DataSource"]
    location = S3Location.parse(source["S3Uri"])
    if source["S3DataType"] != "S3Prefix" or location is None or deps.s3 is None:
        return
    s3 = deps.s3

    def first() -> bool:
        return next(s3.list_under(location, region=ctx.region, first_only=True), None) is not None

    try:
        found = await asyncio.wait_for(asyncio.to_thread(first), INPUT_CHECK_SECONDS)
    except (S3Missing, S3Denied):
        found = False
    except Exception as exc:  # noqa: BLE001 - S3 unreachable: the job reads it, and fails with what S3 says
        log.info("transform job input %s not checked: %s", source["S3Uri"], exc)
        return
    if not found:
        raise ValidationException(no_objects_message(source["S3Uri"], region=ctx.region, role=role))


async def create_transform_job(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name = request["TransformJobName"]
    transform_rules(request, deps.limits)
    await check_references(TRANSFORM_JOB, request, ctx=ctx, deps=deps)
    model = await deps.store.get(ctx.scope(MODEL), request["ModelName"])
    role = None if model is None else orjson.loads(model.definition).get("ExecutionRoleArn")
    await check_input(request, ctx=ctx, deps=deps, role=role)
    await insert(TRANSFORM_JOB, request=request, ctx=ctx, deps=deps, status=IN_PROGRESS, state=JobState().dumps())
    deps.job_wakeup.wake()
    return {"TransformJobArn": ctx.arn(TRANSFORM_JOB, name)}


async def describe_transform_job(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    name = request["TransformJobName"]
    stored = await deps.store.get(ctx.scope(TRANSFORM_JOB), name)
    if stored is None or stored.status is None:
        raise missing(ctx, name)
    return described(
        name=stored.name,
        arn=ctx.arn(TRANSFORM_JOB, stored.name),
        status=stored.status,
        state=JobState.loads(stored.state),
        definition=orjson.loads(stored.definition),
        creation_ms=stored.creation_ms,
    )


async def list_transform_jobs(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> dict[str, Any]:
    return await list_page(TRANSFORM_JOB, request=request, ctx=ctx, deps=deps)


async def stop_transform_job(*, request: dict[str, Any], ctx: RequestContext, deps: Deps) -> None:
    """InProgress -> Stopping; the runner holding the job ends its work and writes Stopped. A job already Stopping
    is left so; an ended one is refused with AWS's text [spec C: a public test stub's]."""
    name = request["TransformJobName"]
    for _ in range(_ROUNDS):
        stored = await deps.store.get(ctx.scope(TRANSFORM_JOB), name)
        if stored is None or stored.status is None or stored.state is None:
            raise missing(ctx, name)
        if stored.status == STOPPING:
            return
        if stored.status != IN_PROGRESS:
            raise ValidationException(
                f"The request was rejected because the transform job is in status {stored.status}"
            )
        change = LifecycleChange(
            scope=ctx.scope(TRANSFORM_JOB),
            name=stored.name,
            expect_status=stored.status,
            expect_state=stored.state,
            status=STOPPING,
            state=stored.state,
            modified_ms=round(deps.clock() * 1000),
        )
        if await deps.store.change_lifecycle(change):
            deps.job_wakeup.wake()
            return
    raise ValidationException(f"Transform job {ctx.arn(TRANSFORM_JOB, name)} is changing too fast to stop; try again.")


def transform_references(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [("model", request["ModelName"])]


TRANSFORM_JOB = ResourceKind(
    arn_type="transform-job",
    noun="TransformJob",
    plural="TransformJobs",
    label="transform job",
    definition_members=DEFINITION_MEMBERS,
    # [ACK generator.yaml: message prefix 'Could not find requested job with name'; the tail is inferred].
    missing_text="Could not find requested job with name: {name}",
    # [I: worded as AWS's duplicate training job text; the transform one was not found].
    exists_text=(
        "Transform job names must be unique within an AWS account and region, and a transform job with this name"
        " already exists ({arn})"
    ),
    exists_error=ResourceInUse,
    deletable=False,
    rules=transform_rules,
    references=transform_references,
    status_member="TransformJobStatus",
    check_state=check_state,
    state_summary=state_summary,
    handlers={
        "CreateTransformJob": create_transform_job,
        "DescribeTransformJob": describe_transform_job,
        "ListTransformJobs": list_transform_jobs,
        "StopTransformJob": stop_transform_job,
    },
)
