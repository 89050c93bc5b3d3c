"""Transform jobs' pure part: the state a job's run keeps in its resource row, AWS's rules for CreateTransformJob,
and what DescribeTransformJob and a List summary show. The kind is declared with its handlers in
emulator/operations/transform_jobs.py; the run itself is emulator/transform/job_run.py, started by the runner
(emulator/admin/job_runner.py).

The state is the job's progress and ownership: which process runs it and until when its lease holds, how many of
its input objects are written, its start and end times and its failure. Every change is a compare-and-set on status
and state (Store.change_lifecycle), so of two processes the database lets one run a job, and a Stop racing a
progress write is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from emulator.errors import ValidationException
from emulator.settings import Limits
from emulator.transform.jsonpath import JsonPathError, parse_path

IN_PROGRESS = "InProgress"
STOPPING = "Stopping"
# The statuses a runner has to act on: running ones, and ones being stopped.
LIVE = (IN_PROGRESS, STOPPING)
ENDED = ("Completed", "Failed", "Stopped")
STATUSES = (*LIVE, *ENDED)

# MaxPayloadInMB: AWS's default and its cap, alone and times MaxConcurrentTransforms [M: MaxPayloadInMB doc].
DEFAULT_MAX_PAYLOAD_MB = 6
MAX_PAYLOAD_MB = 100
# The longest FailureReason the API model allows.
MAX_REASON_CHARS = 1024


@dataclass(slots=True)
class JobState:
    """What a job's status is worked out from; stored as JSON in the resource's `state`.

    owner: the runner that holds the job (`<host>:<pid>:<id>`), or None; lease_ms: until when (wall clock, ms) its
    hold lasts unless renewed; another runner may take the job after that. done: input objects (in key order)
    whose output is written: a runner that takes the job over starts after them. start_ms, end_ms:
    TransformStartTime and TransformEndTime. reason: the FailureReason of a Failed job.
    """

    owner: str | None = None
    lease_ms: int = 0
    done: int = 0
    start_ms: int | None = None
    end_ms: int | None = None
    reason: str | None = None

    def dumps(self) -> str:
        return orjson.dumps(
            {
                "owner": self.owner,
                "lease_ms": self.lease_ms,
                "done": self.done,
                "start_ms": self.start_ms,
                "end_ms": self.end_ms,
                "reason": self.reason,
            }
        ).decode()

    @classmethod
    def loads(cls, text: str | None) -> JobState:
        """Raises ValueError for anything but a state this module wrote (a snapshot may carry one)."""
        data = orjson.loads(text or "null")
        if type(data) is not dict:
            raise ValueError("state must be a JSON object")
        state = cls(
            owner=data.get("owner"),
            lease_ms=data.get("lease_ms", 0),
            done=data.get("done", 0),
            start_ms=data.get("start_ms"),
            end_ms=data.get("end_ms"),
            reason=data.get("reason"),
        )
        checks = (
            state.owner is None or type(state.owner) is str,
            type(state.lease_ms) is int and state.lease_ms >= 0,
            type(state.done) is int and state.done >= 0,
            state.start_ms is None or type(state.start_ms) is int,
            state.end_ms is None or type(state.end_ms) is int,
            state.reason is None or (type(state.reason) is str and len(state.reason) <= MAX_REASON_CHARS),
        )
        if not all(checks):
            raise ValueError("state is not a transform job's")
        return state


def check_state(status: Any, state: Any) -> str:
    """A snapshot's status and state of a transform job, as stored; ValidationException if they are not one. An
    imported job in progress is held by nobody: a runner of the importing server takes it."""
    if status not in STATUSES:
        raise ValidationException(f"status must be one of {', '.join(STATUSES)}.")
    try:
        loaded = JobState.loads(orjson.dumps(state).decode())
    except (ValueError, TypeError):
        raise ValidationException("state must be a transform job's state as exported.") from None
    if (status == "Failed") != (loaded.reason is not None) or (status in ENDED) != (loaded.end_ms is not None):
        raise ValidationException(f"state is not one the API can make for a transform job that is {status}.")
    loaded.owner, loaded.lease_ms = None, 0
    return loaded.dumps()


def transform_rules(request: dict[str, Any], limits: Limits) -> None:
    """AWS's rules beyond the API model's constraints [M: the members' documentation; the texts are not published,
    docs/decisions.md: Batch transform]."""
    payload = request.get("MaxPayloadInMB")
    if payload is not None and payload > MAX_PAYLOAD_MB:
        raise ValidationException(f"MaxPayloadInMB ({payload}) cannot be greater than {MAX_PAYLOAD_MB} MB.")
    concurrent = request.get("MaxConcurrentTransforms")
    if concurrent and (payload if payload is not None else DEFAULT_MAX_PAYLOAD_MB) * concurrent > MAX_PAYLOAD_MB:
        raise ValidationException(
            f"The value of (MaxConcurrentTransforms * MaxPayloadInMB) ({concurrent} *"
            f" {payload if payload is not None else DEFAULT_MAX_PAYLOAD_MB}) cannot exceed {MAX_PAYLOAD_MB} MB."
        )
    source = request["TransformInput"]["DataSource"]["S3DataSource"]
    if source["S3DataType"] not in ("S3Prefix", "ManifestFile"):
        # [M: S3DataType doc] "The following values are compatible: ManifestFile, S3Prefix".
        raise ValidationException(
            f"S3DataType {source['S3DataType']} is not supported for batch transform; use S3Prefix or ManifestFile."
        )
    for member, uri in (
        ("TransformInput.DataSource.S3DataSource.S3Uri", source["S3Uri"]),
        ("TransformOutput.S3OutputPath", request["TransformOutput"]["S3OutputPath"]),
    ):
        if not uri.startswith("s3://"):
            raise ValidationException(f"{member} must be an S3 URI (s3://bucket/prefix), not {uri}.")
    for member in ("InputFilter", "OutputFilter"):
        expression = request.get("DataProcessing", {}).get(member)
        if expression is not None:
            try:
                parse_path(expression)
            except JsonPathError as exc:
                raise ValidationException(
                    f"DataProcessing.{member} {expression!r} is not a valid JSONPath: {exc}"
                ) from None


def no_objects_message(uri: str, *, region: str, role: str | None) -> str:
    """AWS's text for an input prefix with no objects [R aws/amazon-sagemaker-examples#2414]; the role is the model's
    (without one, the clause names none)."""
    bucket = uri[len("s3://") :].split("/", 1)[0]
    named = f' "{role}"' if role else ""
    return (
        f'No S3 objects found under S3 URL "{uri}" given in input data source. Please ensure that the bucket exists'
        f" in the selected region ({region}), that objects exist under that S3 prefix, and that the role{named} has"
        f' "s3:ListBucket" permissions on bucket "{bucket}".'
    )


# The create request's members DescribeTransformJob returns as sent.
DEFINITION_MEMBERS = (
    "ModelName",
    "MaxConcurrentTransforms",
    "ModelClientConfig",
    "MaxPayloadInMB",
    "BatchStrategy",
    "Environment",
    "TransformInput",
    "TransformOutput",
    "DataCaptureConfig",
    "TransformResources",
    "DataProcessing",
    "ExperimentConfig",
)


def described(
    *, name: str, arn: str, status: str, state: JobState, definition: dict[str, Any], creation_ms: int
) -> dict[str, Any]:
    """DescribeTransformJob: the request as sent, with AWS's defaults filled in [M: the members' documentation:
    MaxPayloadInMB 6, SplitType and CompressionType None, AssembleWith None, ModelClientConfig 600 s and 3
    retries, Environment {} as DescribeModel shows it]."""
    out: dict[str, Any] = {"TransformJobName": name, "TransformJobArn": arn, "TransformJobStatus": status}
    if state.reason is not None:
        out["FailureReason"] = state.reason
    out.update(definition)
    out.setdefault("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB)
    out.setdefault("Environment", {})
    out["ModelClientConfig"] = {
        "InvocationsTimeoutInSeconds": 600,
        "InvocationsMaxRetries": 3,
        **definition.get("ModelClientConfig", {}),
    }
    out["TransformInput"] = {"CompressionType": "None", "SplitType": "None", **definition["TransformInput"]}
    out["TransformOutput"] = {"AssembleWith": "None", **definition["TransformOutput"]}
    out["CreationTime"] = creation_ms / 1000
    if state.start_ms is not None:
        out["TransformStartTime"] = state.start_ms / 1000
    if state.end_ms is not None:
        out["TransformEndTime"] = state.end_ms / 1000
    return out


def state_summary(state: str | None) -> dict[str, Any]:
    """What a ListTransformJobs summary carries of the state: TransformEndTime and FailureReason."""
    try:
        loaded = JobState.loads(state)
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    if loaded.end_ms is not None:
        out["TransformEndTime"] = loaded.end_ms / 1000
    if loaded.reason is not None:
        out["FailureReason"] = loaded.reason
    return out
