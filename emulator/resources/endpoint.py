"""Endpoints: CreateEndpoint, DescribeEndpoint, ListEndpoints, UpdateEndpoint, UpdateEndpointWeightsAndCapacities,
DeleteEndpoint, with AWS's lifecycle (Creating -> InService or Failed, Updating -> InService, Deleting -> gone).

No background job moves an endpoint along: its status is worked out from what is stored (how many more
DescribeEndpoint calls and which time the current change waits for, and how it ends), so every replica of one
database agrees, and each change is a compare-and-set in the store. The kind is declared with its handlers in
emulator/operations/endpoints.py; this module holds the pure part: the state, how it settles, and what
DescribeEndpoint shows of it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import orjson

from emulator.errors import ValidationException
from emulator.settings import MAX_TRANSITION_DESCRIBES

IN_PROGRESS = ("Creating", "Updating", "Deleting")
SETTLED = ("InService", "Failed")


def failure_reason(variant_name: str) -> str:
    """AWS's FailureReason for an endpoint whose container never answered /ping (spec, section 6)."""
    return (
        f"The primary container for production variant {variant_name} did not pass the ping health check. Please"
        " check CloudWatch logs for this endpoint."
    )


def resolved_image(image: str) -> str:
    """`<repo>@sha256:<digest>`, the same for the same image every time: the digest is the image string's sha256,
    as no registry is asked."""
    if "@sha256:" in image:
        return image
    repository = image
    slash, colon = image.rfind("/"), image.rfind(":")
    if colon > slash:  # a tag, not a registry's port
        repository = image[:colon]
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def images_of(model_definition: dict[str, Any]) -> list[str]:
    containers = [model_definition["PrimaryContainer"]] if "PrimaryContainer" in model_definition else []
    containers += model_definition.get("Containers", [])
    return [c["Image"] for c in containers if "Image" in c]


def variant_summary(variant: dict[str, Any], *, model: dict[str, Any] | None, now_ms: int) -> dict[str, Any]:
    """What DescribeEndpoint shows of a deployed variant: its images resolved, weights and counts as requested."""
    summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
    if model is not None:
        summary["DeployedImages"] = [
            {"SpecifiedImage": image, "ResolvedImage": resolved_image(image), "ResolutionTime": now_ms / 1000}
            for image in images_of(model)
        ]
    weight = float(variant.get("InitialVariantWeight", 1.0))
    summary["CurrentWeight"] = summary["DesiredWeight"] = weight
    if "ServerlessConfig" in variant:
        summary["CurrentServerlessConfig"] = summary["DesiredServerlessConfig"] = variant["ServerlessConfig"]
    else:
        count = variant.get("InitialInstanceCount", 1)
        summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = count
    for member in ("ManagedInstanceScaling", "RoutingConfig"):
        if member in variant:
            summary[member] = variant[member]
    return summary


def capture_summary(config: dict[str, Any]) -> dict[str, Any] | None:
    """DescribeEndpoint's DataCaptureConfig for a config's: on by default, at the initial sampling percentage."""
    capture = config.get("DataCaptureConfig")
    if capture is None:
        return None
    enabled = capture.get("EnableCapture", True)
    summary = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": capture["InitialSamplingPercentage"],
        "DestinationS3Uri": capture["DestinationS3Uri"],
        # Required in DataCaptureConfigSummary [M]: an empty key ID when the config names none [I].
        "KmsKeyId": capture.get("KmsKeyId", ""),
    }
    return summary


# What DescribeEndpoint shows of the deployed config as it was sent, besides its variants and data capture [M:
# DescribeEndpointOutput has these members with the config's own shapes].
CONFIG_MEMBERS = ("AsyncInferenceConfig", "ExplainerConfig", "MetricsConfig")


def config_extras(config: dict[str, Any], shadow: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The DescribeEndpoint members an endpoint config adds beyond variants and data capture: its
    AsyncInferenceConfig, ExplainerConfig and MetricsConfig as sent, and its shadow variants' summaries."""
    extras = {member: config[member] for member in CONFIG_MEMBERS if member in config}
    if shadow:
        extras["ShadowProductionVariants"] = shadow
    return extras or None


@dataclass(slots=True)
class EndpointState:
    """What the status is worked out from; stored as JSON in the resource's `state`.

    config, variants: what is deployed (the config's name and its variants as DescribeEndpoint shows them).
    pending: the UpdateEndpoint in progress (config name, variants, start time), or None.
    describes_left, due_ms: the change in progress ends at the first DescribeEndpoint with none left, at or after
    due_ms (0: no time to wait for; then only a DescribeEndpoint ends it, else any operation that looks). failure: the change ends Failed with this reason. reason: the FailureReason shown once Failed.
    deployed: the endpoint was InService once (DescribeEndpoint shows variants from then on).
    capture: the deployed config's DataCaptureConfig as DescribeEndpoint shows it, or None.
    extras: the deployed config's other members DescribeEndpoint shows (config_extras), or None.
    health: the change deploys containers whose ping health check is still to run, as the change ends
    (emulator/runtime/health.py): CreateEndpoint and UpdateEndpoint answer without waiting on a model server.
    containers: the containers the deployed variants run (emulator/containers/specs.py), as JSON-ready dicts; an
    update's are in pending["containers"] until it ends.
    """

    config: str
    variants: list[dict[str, Any]]
    describes_left: int = 0
    due_ms: int = 0
    failure: str | None = None
    reason: str | None = None
    pending: dict[str, Any] | None = None
    deployed: bool = False
    capture: dict[str, Any] | None = None
    extras: dict[str, Any] | None = None
    health: bool = False
    containers: list[dict[str, Any]] = field(default_factory=list)

    def dumps(self) -> str:
        return orjson.dumps(
            {
                "config": self.config,
                "variants": self.variants,
                "describes_left": self.describes_left,
                "due_ms": self.due_ms,
                "failure": self.failure,
                "reason": self.reason,
                "pending": self.pending,
                "deployed": self.deployed,
                "capture": self.capture,
                "extras": self.extras,
                "health": self.health,
                "containers": self.containers,
            }
        ).decode()

    @classmethod
    def loads(cls, text: str) -> EndpointState:
        """Raises ValueError for anything but a state this module wrote (a snapshot may carry one)."""
        data: dict[str, Any] = orjson.loads(text)
        if type(data) is not dict or "config" not in data or "variants" not in data:
            raise ValueError("state must be a JSON object with config and variants")
        state = cls(
            config=data["config"],  # types checked below
            variants=data["variants"],
            describes_left=data.get("describes_left", 0),
            due_ms=data.get("due_ms", 0),
            failure=data.get("failure"),
            reason=data.get("reason"),
            pending=data.get("pending"),
            deployed=data.get("deployed", False),
            capture=data.get("capture"),
            extras=data.get("extras"),
            health=data.get("health", False),
            containers=data.get("containers", []),
        )
        checks = (
            type(state.config) is str,
            type(state.variants) is list and all(type(v) is dict and "VariantName" in v for v in state.variants),
            type(state.describes_left) is int and state.describes_left >= 0,
            type(state.due_ms) is int,
            state.failure is None or type(state.failure) is str,
            state.reason is None or type(state.reason) is str,
            state.pending is None
            or (
                type(state.pending) is dict
                and type(state.pending.get("config")) is str
                and type(state.pending.get("variants")) is list
                and type(state.pending.get("start_ms")) is int
            ),
            type(state.deployed) is bool,
            state.capture is None or type(state.capture) is dict,
            state.extras is None or type(state.extras) is dict,
            type(state.health) is bool,
            _valid_containers(state.containers),
            state.pending is None or _valid_containers(state.pending.get("containers", [])),
        )
        if not all(checks):
            raise ValueError("state is not an endpoint's")
        return state


def _valid_containers(containers: Any) -> bool:
    return type(containers) is list and all(
        type(c) is dict and type(c.get("key")) is str and type(c.get("command")) is str for c in containers
    )


def container_keys(state: EndpointState) -> set[str]:
    """The containers an endpoint runs now: the deployed variants' and an update's in progress."""
    keys = {c["key"] for c in state.containers}
    if state.pending is not None:
        keys.update(c["key"] for c in state.pending.get("containers", []))
    return keys


def _number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _valid_variants(variants: list[dict[str, Any]]) -> bool:
    """Variants the API could have deployed: at least one (ProductionVariantList's minimum [M]), named once, weights
    non-negative numbers (VariantWeight), counts non-negative integers (TaskCount)."""
    names = [v["VariantName"] for v in variants]
    return (
        bool(variants)
        and all(type(name) is str for name in names)
        and len(set(names)) == len(names)
        and all(
            all(_number(v[w]) and v[w] >= 0 for w in ("CurrentWeight", "DesiredWeight") if w in v)
            and all(type(v[c]) is int and v[c] >= 0 for c in ("CurrentInstanceCount", "DesiredInstanceCount") if c in v)
            for v in variants
        )
    )


def reachable(status: str, state: EndpointState) -> bool:
    """Whether the API could have made this status and state: a snapshot may carry only such (weight -1, an
    InService endpoint with no variants, or a change waiting for 10**12 describes, which could never be updated or
    deleted, could not)."""
    return (
        _valid_variants(state.variants)
        and (state.pending is None or (status == "Updating" and _valid_variants(state.pending["variants"])))
        and state.describes_left <= MAX_TRANSITION_DESCRIBES
        and state.due_ms >= 0
        and (status != "InService" or state.deployed)  # InService is reached by deploying
        and (status != "Creating" or not state.deployed)  # a create deploys nothing before it ends
        and (status != "Failed" or state.reason is not None)
        and (state.failure is None or status in IN_PROGRESS)  # a failure to come ends a change in progress
    )


def check_state(status: Any, state: Any) -> str:
    """A snapshot's status and state of an endpoint, as stored; ValidationException if they are not one."""
    if status not in IN_PROGRESS + SETTLED:
        raise ValidationException(f"status must be one of {', '.join(IN_PROGRESS + SETTLED)}.")
    try:
        loaded = EndpointState.loads(orjson.dumps(state).decode())
    except (ValueError, TypeError):
        raise ValidationException("state must be an endpoint's state as exported.") from None
    if not reachable(status, loaded):
        raise ValidationException(f"state is not one the API can make for an endpoint that is {status}.")
    return loaded.dumps()


@dataclass(frozen=True, slots=True)
class Settled:
    """The outcome of looking at an endpoint now: its status and state, whether they changed, and whether the
    endpoint is gone (a Deleting that ended)."""

    status: str
    state: EndpointState
    changed: bool
    gone: bool = False
    # The keys of containers this change leaves without a use (to stop): an update's old ones, a failed change's.
    retired: tuple[str, ...] = ()


def ends_now(status: str, state: EndpointState, *, now_ms: int, describing: bool) -> bool:
    """Whether the change in progress ends at this look (settle then moves it on)."""
    if status not in IN_PROGRESS:
        return False
    # Without a time to wait for (due_ms 0), only a DescribeEndpoint ends a change: an Update right after another
    # finds it in progress, as on AWS, however fast the describes that follow end it.
    waits_for_describe = state.due_ms == 0 and not describing
    return not (state.describes_left > 0 or now_ms < state.due_ms or waits_for_describe)


def settle(status: str, state: EndpointState, *, now_ms: int, describing: bool) -> Settled:
    """Where a change in progress stands now. A DescribeEndpoint (`describing`) counts down the describes it waits
    for; other operations only see whether it has ended."""
    if status not in IN_PROGRESS:
        return Settled(status, state, changed=False)
    if not ends_now(status, state, now_ms=now_ms, describing=describing):
        if describing and state.describes_left > 0:
            state.describes_left -= 1
            return Settled(status, state, changed=True)
        return Settled(status, state, changed=False)
    if status == "Deleting":
        return Settled(status, state, changed=True, gone=True, retired=tuple(sorted(container_keys(state))))
    state.health = False
    if state.failure is not None:
        if state.pending is not None:  # an update that failed: what was deployed keeps serving
            retired = tuple(c["key"] for c in state.pending.get("containers", []))
        else:  # a create that failed deployed nothing
            retired, state.containers = tuple(c["key"] for c in state.containers), []
        state.reason, state.failure, state.pending = state.failure, None, None
        return Settled("Failed", state, changed=True, retired=retired)
    retired = ()
    if state.pending is not None:
        state.config, state.variants = state.pending["config"], state.pending["variants"]
        state.capture = state.pending.get("capture")
        state.extras = state.pending.get("extras")
        if "containers" in state.pending:  # traffic moves to the new containers; the old ones stop
            retired = tuple(c["key"] for c in state.containers)
            state.containers = state.pending["containers"]
        state.pending = None
    # A weights update ends with what was desired being current.
    for variant in state.variants:
        if "DesiredWeight" in variant:
            variant["CurrentWeight"] = variant["DesiredWeight"]
        if "DesiredInstanceCount" in variant:
            variant["CurrentInstanceCount"] = variant["DesiredInstanceCount"]
        if "DesiredServerlessConfig" in variant:
            variant["CurrentServerlessConfig"] = variant["DesiredServerlessConfig"]
    state.reason, state.deployed = None, True
    return Settled("InService", state, changed=True, retired=retired)


def described(
    *, name: str, arn: str, status: str, state: EndpointState, creation_ms: int, modified_ms: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"EndpointName": name, "EndpointArn": arn, "EndpointConfigName": state.config}
    if state.deployed:
        out["ProductionVariants"] = state.variants
        if state.capture is not None:
            out["DataCaptureConfig"] = state.capture
        if state.extras is not None:
            out.update(state.extras)
    out["EndpointStatus"] = status
    if status == "Failed" and state.reason is not None:
        out["FailureReason"] = state.reason
    out["CreationTime"] = creation_ms / 1000
    out["LastModifiedTime"] = modified_ms / 1000
    if status == "Updating" and state.pending is not None:
        start = state.pending["start_ms"] / 1000
        out["PendingDeploymentSummary"] = {
            "EndpointConfigName": state.pending["config"],
            "ProductionVariants": [
                {**v, "VariantStatus": [{"Status": "Creating", "StartTime": start}]} for v in state.pending["variants"]
            ],
            "StartTime": start,
        }
    return out
