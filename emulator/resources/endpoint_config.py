"""Endpoint configs: CreateEndpointConfig, DescribeEndpointConfig, ListEndpointConfigs, DeleteEndpointConfig."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulator.errors import ResourceLimitExceeded
from emulator.resources.kind import ResourceKind, limit_message
from emulator.settings import Limits


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
    ),
    rules=endpoint_config_rules,
    limit_field="max_endpoint_configs",
    limit_name="Number of endpoint configs",
    references=models_named,
)
