"""Models: CreateModel, DescribeModel, ListModels, DeleteModel."""

from __future__ import annotations

from typing import Any

from emulator.errors import ResourceLimitExceeded, ValidationException
from emulator.resources.kind import ResourceKind, limit_message
from emulator.settings import Limits


def environment_bytes(container: dict[str, Any]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in container.get("Environment", {}).items())


def model_rules(request: dict[str, Any], limits: Limits) -> None:
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
    if containers is not None and len(containers) > limits.max_containers_per_model:
        raise ResourceLimitExceeded(
            limit_message(
                "Number of containers per model",
                limit=limits.max_containers_per_model,
                current=0,
                delta=len(containers),
                unit="Containers",
            )
        )
    for label, container in ([("PrimaryContainer", primary)] if primary else []) + [
        (f"Containers.{i}", c) for i, c in enumerate(containers or [], 1)
    ]:
        size = environment_bytes(container)
        if size > limits.max_environment_bytes:
            raise ValidationException(
                f"The total size of the Environment of {label} is {size} bytes, which exceeds the maximum of"
                f" {limits.max_environment_bytes} bytes for all keys and values together."
            )


async def model_data_checks(*, request: dict[str, Any], ctx: Any, deps: Any) -> None:
    """With check_model_data on, each container's model data must be in S3 (emulator/model_data/checks.py)."""
    if deps.model_data is not None:
        await deps.model_data.check(request, region=ctx.region)


def model_references(request: dict[str, Any]) -> list[tuple[str, str]]:
    """The model packages the containers name (a name, an ARN or a versioned ARN)."""
    containers = [request["PrimaryContainer"]] if "PrimaryContainer" in request else []
    containers += request.get("Containers", [])
    return [("model-package", c["ModelPackageName"]) for c in containers if "ModelPackageName" in c]


def described_container(container: dict[str, Any]) -> dict[str, Any]:
    out = {"Mode": "SingleModel", **container}
    out.setdefault("Environment", {})
    url = container.get("ModelDataUrl")
    # AWS describes an S3 ModelDataUrl (a model.tar.gz, as the API documents it) as the ModelDataSource it means.
    if "ModelDataSource" not in container and isinstance(url, str) and url.startswith("s3://"):
        out["ModelDataSource"] = {"S3DataSource": {"S3Uri": url, "S3DataType": "S3Object", "CompressionType": "Gzip"}}
    return out


def described_model(definition: dict[str, Any]) -> dict[str, Any]:
    """What DescribeModel shows beyond what was sent, as real transcripts show (docs/decisions.md: DescribeModel)."""
    out = dict(definition)
    if "PrimaryContainer" in out:
        out["PrimaryContainer"] = described_container(out["PrimaryContainer"])
    if "Containers" in out:
        out["Containers"] = [described_container(c) for c in out["Containers"]]
        out.setdefault("InferenceExecutionConfig", {"Mode": "Serial"})
    out.setdefault("EnableNetworkIsolation", False)
    out["DeploymentRecommendation"] = {"RecommendationStatus": "NOT_APPLICABLE"}
    return out


MODEL = ResourceKind(
    arn_type="model",
    noun="Model",
    plural="Models",
    label="model",
    definition_members=(
        "PrimaryContainer",
        "Containers",
        "InferenceExecutionConfig",
        "ExecutionRoleArn",
        "VpcConfig",
        "EnableNetworkIsolation",
    ),
    rules=model_rules,
    checks=model_data_checks,
    references=model_references,
    limit_field="max_models",
    limit_name="Number of models",
    described=described_model,
)
