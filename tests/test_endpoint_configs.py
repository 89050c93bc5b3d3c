"""Endpoint configs through boto3 and the AWS CLI: create, describe, list, delete, tags, the model reference, limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import aws_cli, error_of, running_server, sagemaker_client

ARN = "arn:aws:sagemaker:us-east-1:123456789012"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"
VARIANT = {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}


def test_create_describe_list_delete(sm: Any) -> None:
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    created = sm.create_endpoint_config(
        EndpointConfigName="Config-One", ProductionVariants=[VARIANT], Tags=[{"Key": "team", "Value": "a"}]
    )
    assert created["EndpointConfigArn"] == f"{ARN}:endpoint-config/config-one"
    described = sm.describe_endpoint_config(EndpointConfigName="config-one")
    assert described["EndpointConfigName"] == "Config-One"
    assert described["ProductionVariants"] == [VARIANT]
    assert described["EndpointConfigArn"] == created["EndpointConfigArn"]
    assert "Tags" not in described
    sm.create_endpoint_config(EndpointConfigName="b", ProductionVariants=[VARIANT])
    listed = sm.list_endpoint_configs(SortBy="Name", SortOrder="Ascending", MaxResults=1)
    assert [c["EndpointConfigName"] for c in listed["EndpointConfigs"]] == ["Config-One"]
    rest = sm.list_endpoint_configs(SortBy="Name", SortOrder="Ascending", NextToken=listed["NextToken"])
    assert [c["EndpointConfigName"] for c in rest["EndpointConfigs"]] == ["b"]
    assert "NextToken" not in rest
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs(NameContains="ONE")["EndpointConfigs"]] == [
        "Config-One"
    ]
    assert sm.list_tags(ResourceArn=created["EndpointConfigArn"])["Tags"] == [{"Key": "team", "Value": "a"}]
    sm.add_tags(ResourceArn=created["EndpointConfigArn"], Tags=[{"Key": "env", "Value": "prod"}])
    sm.delete_tags(ResourceArn=created["EndpointConfigArn"], TagKeys=["team"])
    assert sm.list_tags(ResourceArn=created["EndpointConfigArn"])["Tags"] == [{"Key": "env", "Value": "prod"}]
    sm.delete_endpoint_config(EndpointConfigName="CONFIG-ONE")
    missing = f'Could not find endpoint configuration "{ARN}:endpoint-config/config-one".'
    assert error_of(sm.describe_endpoint_config, EndpointConfigName="Config-One") == ("ValidationException", missing)
    assert error_of(sm.delete_endpoint_config, EndpointConfigName="Config-One") == ("ValidationException", missing)
    assert error_of(sm.list_tags, ResourceArn=created["EndpointConfigArn"]) == ("ValidationException", missing)


def test_members_new_in_botocore_1_44_are_stored_and_described(sm: Any) -> None:
    """What an SDK newer than botocore 1.43 sends (issue 27): taken, kept and described, as AWS does."""
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    variant = {
        **VARIANT,
        "InstanceType": "ml.g7.2xlarge",
        "RoutingConfig": {
            "RoutingStrategy": "PREFIX_AWARE",
            "PrefixAwareRoutingConfig": {"PrefixLength": 2048, "ConcurrencyThreshold": 8},
        },
        "AcceleratorPartitionLayouts": [{"AcceleratorPartitionTypes": ["mig-1g.10gb", "mig-3g.40gb"]}],
    }
    sent = {
        "ProductionVariants": [variant],
        "MetricsConfig": {"EnableEnhancedMetrics": True, "EnableDetailedObservability": True},
        "TracingConfig": {"EnableTracing": True, "InitialSamplingPercentage": 10},
        "CrossRegionTrafficConfig": {"MaxInvocationsPerSecondPerInstance": 50, "MaxCrossRegionPercentPerEndpoint": 20},
    }
    sm.create_endpoint_config(EndpointConfigName="new-members", **sent)
    described = sm.describe_endpoint_config(EndpointConfigName="new-members")
    assert {k: described[k] for k in sent} == sent


def test_a_missing_model_is_named_and_nothing_is_stored(sm: Any) -> None:
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    variants = [VARIANT, {**VARIANT, "VariantName": "b", "ModelName": "Gone"}]
    assert error_of(sm.create_endpoint_config, EndpointConfigName="c", ProductionVariants=variants) == (
        "ValidationException",
        f'Could not find model "{ARN}:model/gone".',
    )
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []


def test_a_duplicate_is_refused_before_anything_changes(sm: Any) -> None:
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[VARIANT])
    assert error_of(sm.create_endpoint_config, EndpointConfigName="C", ProductionVariants=[VARIANT]) == (
        "ValidationException",
        f'Cannot create already existing endpoint configuration "{ARN}:endpoint-config/c".',
    )


def test_deleting_the_model_keeps_the_config(sm: Any) -> None:
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[VARIANT])
    sm.delete_model(ModelName="m")
    assert sm.describe_endpoint_config(EndpointConfigName="c")["ProductionVariants"] == [VARIANT]


def test_limits_on_configs_and_variants(make_settings: Any) -> None:
    with running_server(make_settings(max_endpoint_configs=1, max_variants_per_endpoint_config=2)) as url:
        sm = sagemaker_client(url)
        sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
        three = [{**VARIANT, "VariantName": f"v{i}"} for i in range(3)]
        assert error_of(sm.create_endpoint_config, EndpointConfigName="c", ProductionVariants=three) == (
            "ResourceLimitExceeded",
            "The account-level service limit 'Number of variants per endpoint config' is 2 Variants, with current"
            " utilization of 0 Variants and a request delta of 3 Variants. Please contact AWS support to request an"
            " increase for this limit.",
        )
        sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=three[:2])
        assert error_of(sm.create_endpoint_config, EndpointConfigName="d", ProductionVariants=[VARIANT]) == (
            "ResourceLimitExceeded",
            "The account-level service limit 'Number of endpoint configs' is 1 EndpointConfigs, with current"
            " utilization of 1 EndpointConfigs and a request delta of 1 EndpointConfigs. Please contact AWS support to"
            " request an increase for this limit.",
        )
        sm.create_model(ModelName="other", PrimaryContainer={"Image": IMAGE})  # models count on their own


def test_accounts_and_regions_are_apart(endpoint: str) -> None:
    east, west = sagemaker_client(endpoint), sagemaker_client(endpoint, region="us-west-2")
    east.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    # The model is in us-east-1: a config in us-west-2 cannot name it.
    assert error_of(west.create_endpoint_config, EndpointConfigName="c", ProductionVariants=[VARIANT]) == (
        "ValidationException",
        'Could not find model "arn:aws:sagemaker:us-west-2:123456789012:model/m".',
    )
    east.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[VARIANT])
    assert west.list_endpoint_configs()["EndpointConfigs"] == []


def test_the_aws_cli_creates_and_describes(endpoint: str, tmp_path: Path) -> None:
    cli = aws_cli(endpoint, tmp_path)

    assert cli("create-model", "--model-name", "m", "--primary-container", f"Image={IMAGE}").returncode == 0
    created = cli(
        "create-endpoint-config", "--endpoint-config-name", "c", "--production-variants", json.dumps([VARIANT])
    )
    assert json.loads(created.stdout) == {"EndpointConfigArn": f"{ARN}:endpoint-config/c"}
    described = json.loads(cli("describe-endpoint-config", "--endpoint-config-name", "c").stdout)
    assert described["ProductionVariants"] == [VARIANT]
    missing = cli("create-endpoint-config", "--endpoint-config-name", "d", "--production-variants",
                  json.dumps([{**VARIANT, "ModelName": "nope"}]))  # fmt: skip
    assert missing.returncode == 255
    assert missing.stderr.strip() == (
        "An error occurred (ValidationException) when calling the CreateEndpointConfig operation: "
        f'Could not find model "{ARN}:model/nope".'
    )
