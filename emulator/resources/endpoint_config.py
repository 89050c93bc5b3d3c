"""Endpoint configs: CreateEndpointConfig, DescribeEndpointConfig, ListEndpointConfigs, DeleteEndpointConfig."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulator.errors import ResourceLimitExceeded, ValidationException
from emulator.resources.kind import ResourceKind, limit_message
from emulator.settings import Limits
from emulator.shapes.validate import format_errors, violation

# The API model says 1024-6144; the documentation says 1 GB steps only, and AWS refuses the rest [M documentation].
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)


def variants(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Production and shadow variants, in the order sent."""
    return [*request.get("ProductionVariants", []), *request.get("ShadowProductionVariants", [])]


def endpoint_config_rules(request: dict[str, Any], limits: Limits) -> None:
    count = len(request.get("ProductionVariants", []))
    if count > limits.max_variants_per_endpoint_config:
        raise ResourceLimitExceeded(
            limit_message(
                "Number of variants per endpoint config",
                limit=limits.max_variants_per_endpoint_config,
                current=0,
                delta=count,
                unit="Variants",
            )
        )
    errors = [
        violation(
            memory,
            f"{member[0].lower()}{member[1:]}.{i}.member.serverlessConfig.memorySizeInMB",
            f"Member must satisfy enum value set: [{', '.join(map(str, SERVERLESS_MEMORY_SIZES))}]",
        )
        for member in ("ProductionVariants", "ShadowProductionVariants")
        for i, variant in enumerate(request.get(member, []), 1)
        if "ServerlessConfig" in variant
        and (memory := variant["ServerlessConfig"]["MemorySizeInMB"]) not in SERVERLESS_MEMORY_SIZES
    ]
    if errors:
        raise ValidationException(format_errors(errors))
    duplicate = first_duplicate(v["VariantName"] for v in variants(request))
    if duplicate is not None:
        raise ValidationException(non_unique(duplicate))


def first_duplicate(names: Iterable[str]) -> str | None:
    """The first name that comes again (production and shadow variants share one namespace: requests are routed and
    weights updated by name)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def non_unique(name: str) -> str:
    """[I: moto's text for a variant named twice in UpdateEndpointWeightsAndCapacities; AWS's was not found.]"""
    return f'The variant name "{name}" was non-unique within the request.'


def models_named(request: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """Every variant's model: AWS answers 'Could not find model' for the first one missing."""
    return [("model", v["ModelName"]) for v in variants(request) if "ModelName" in v]


ENDPOINT_CONFIG = ResourceKind(
    arn_type="endpoint-config",
    noun="EndpointConfig",
    plural="EndpointConfigs",
    label="endpoint configuration",
    definition_members=(
        "ProductionVariants",
        "DataCaptureConfig",
        "KmsKeyId",
        "AsyncInferenceConfig",
        "ExplainerConfig",
        "ShadowProductionVariants",
        "ExecutionRoleArn",
        "VpcConfig",
        "EnableNetworkIsolation",
        "MetricsConfig",
        "TracingConfig",
        "CrossRegionTrafficConfig",
    ),
    rules=endpoint_config_rules,
    limit_field="max_endpoint_configs",
    limit_name="Number of endpoint configs",
    references=models_named,
)
