"""Endpoints through boto3 (and its waiters) and the AWS CLI: the lifecycle, every AWS text, the slow-lifecycle
settings, the fault rule that makes one fail, limits, lists, races, isolation and the admin snapshot."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from emulator.operations import KINDS
from emulator.pytest_plugin import reset_emulator
from emulator.shapes.generated import OPERATIONS, SHAPES
from tests.profiles import full_only
from tests.scopes import account_map, four_scopes, secret_map
from tests.support import aws_cli, aws_post, error_of, http, running_server, sagemaker_client

ARN = "arn:aws:sagemaker:us-east-1:123456789012"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"
RESOLVED = (
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:"
    "a491903e487670c914f89e8173f0a2de862d12caeeb687496df6788b641d0ade"
)
VARIANT = {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
FAILURE = (
    "The primary container for production variant AllTraffic did not pass the ping health check. Please check"
    " CloudWatch logs for this endpoint."
)


def in_progress(name: str) -> str:
    return f'Cannot update in-progress endpoint "{ARN}:endpoint/{name}".'


def deployable(sm: Any, *, model: str = "m", config: str = "c") -> None:
    sm.create_model(ModelName=model, PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[{**VARIANT, "ModelName": model}])


def waited(sm: Any, waiter: str, name: str) -> float:
    started = time.monotonic()
    sm.get_waiter(waiter).wait(EndpointName=name, WaiterConfig={"Delay": 30, "MaxAttempts": 2})
    return time.monotonic() - started


def test_create_wait_describe_update_delete_with_boto3_waiters(sm: Any) -> None:
    deployable(sm)
    assert sm.create_endpoint(EndpointName="My-Endpoint", EndpointConfigName="c", Tags=[{"Key": "k", "Value": "v"}])[
        "EndpointArn"
    ] == (f"{ARN}:endpoint/my-endpoint")
    listed = sm.list_endpoints()["Endpoints"]
    assert [(e["EndpointName"], e["EndpointStatus"]) for e in listed] == [("My-Endpoint", "Creating")]
    assert waited(sm, "endpoint_in_service", "my-endpoint") < 1
    described = sm.describe_endpoint(EndpointName="My-Endpoint")
    described.pop("ResponseMetadata")
    creation, modified = described.pop("CreationTime"), described.pop("LastModifiedTime")
    assert modified > creation  # it moved when the status did
    resolution = described["ProductionVariants"][0]["DeployedImages"][0].pop("ResolutionTime")
    assert resolution == creation
    assert described == {
        "EndpointName": "My-Endpoint",
        "EndpointArn": f"{ARN}:endpoint/my-endpoint",
        "EndpointConfigName": "c",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "DeployedImages": [{"SpecifiedImage": IMAGE, "ResolvedImage": RESOLVED}],
                "CurrentWeight": 1.0,
                "DesiredWeight": 1.0,
                "CurrentInstanceCount": 1,
                "DesiredInstanceCount": 1,
            }
        ],
        "EndpointStatus": "InService",
    }
    assert sm.list_tags(ResourceArn=f"{ARN}:endpoint/my-endpoint")["Tags"] == [{"Key": "k", "Value": "v"}]
    # Another config, another model: the update is done at the next describe, and the endpoint serves the new one.
    deployable(sm, model="m2", config="c2")
    sm.update_endpoint(EndpointName="my-endpoint", EndpointConfigName="c2")
    assert error_of(sm.update_endpoint, EndpointName="my-endpoint", EndpointConfigName="c2") == (
        "ValidationException",
        in_progress("my-endpoint"),
    )
    assert waited(sm, "endpoint_in_service", "my-endpoint") < 1
    assert sm.describe_endpoint(EndpointName="my-endpoint")["EndpointConfigName"] == "c2"
    sm.delete_endpoint(EndpointName="my-endpoint")
    assert [e["EndpointStatus"] for e in sm.list_endpoints()["Endpoints"]] == ["Deleting"]
    assert waited(sm, "endpoint_deleted", "my-endpoint") < 1
    assert sm.list_endpoints()["Endpoints"] == []
    # The name is free again, and its tags went with it.
    sm.create_endpoint(EndpointName="my-endpoint", EndpointConfigName="c")
    assert sm.list_tags(ResourceArn=f"{ARN}:endpoint/my-endpoint")["Tags"] == []


def test_the_same_image_resolves_to_the_same_digest(sm: Any) -> None:
    deployable(sm)
    sm.create_model(ModelName="twin", PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName="c2", ProductionVariants=[{**VARIANT, "ModelName": "twin"}])
    for name, config in (("a", "c"), ("b", "c2")):
        sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
    images = [
        sm.describe_endpoint(EndpointName=n)["ProductionVariants"][0]["DeployedImages"][0]["ResolvedImage"]
        for n in "ab"
    ]
    assert images == [RESOLVED, RESOLVED]


def captured(sm: Any, capture: dict[str, Any]) -> dict[str, Any]:
    """Endpoint `e` on config `c` (model `m`) with this DataCaptureConfig; DescribeEndpoint's DataCaptureConfig."""
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[VARIANT], DataCaptureConfig=capture)
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    return sm.describe_endpoint(EndpointName="e")["DataCaptureConfig"]  # type: ignore[no-any-return]


def test_data_capture_is_described_as_aws_describes_it(sm: Any) -> None:
    capture = {
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://bucket/capture",
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    # As the SageMaker Python SDK's integration tests read it back from AWS (docs/decisions.md).
    assert captured(sm, capture) == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 20,
        "DestinationS3Uri": "s3://bucket/capture",
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
    }
    sm.create_endpoint_config(
        EndpointConfigName="off", ProductionVariants=[VARIANT], DataCaptureConfig={**capture, "EnableCapture": False}
    )
    sm.update_endpoint(EndpointName="e", EndpointConfigName="off")
    assert sm.describe_endpoint(EndpointName="e")["DataCaptureConfig"]["CaptureStatus"] == "Stopped"
    sm.create_endpoint_config(EndpointConfigName="none", ProductionVariants=[VARIANT])
    sm.update_endpoint(EndpointName="e", EndpointConfigName="none")
    assert "DataCaptureConfig" not in sm.describe_endpoint(EndpointName="e")


def test_data_capture_without_a_key_still_has_its_required_key_member(sm: Any) -> None:
    capture = {
        "InitialSamplingPercentage": 5,
        "DestinationS3Uri": "s3://bucket/c",
        "CaptureOptions": [{"CaptureMode": "Input"}],
    }
    # KmsKeyId is required in DataCaptureConfigSummary [M]: SDKs that check required members need it.
    assert captured(sm, capture) == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 5,
        "DestinationS3Uri": "s3://bucket/c",
        "KmsKeyId": "",
    }


ASYNC = {
    "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
    "OutputConfig": {
        "S3OutputPath": "s3://bucket/out",
        "NotificationConfig": {"SuccessTopic": "arn:aws:sns:us-east-1:123456789012:t"},
    },
}
EXPLAINER = {"ClarifyExplainerConfig": {"ShapConfig": {"ShapBaselineConfig": {"ShapBaseline": "1,2"}}}}


def test_describe_endpoint_shows_the_configs_async_shadow_explainer_and_metrics_members(sm: Any) -> None:
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    sm.create_model(ModelName="shadow-model", PrimaryContainer={"Image": "other:2"})
    shadow = {**VARIANT, "VariantName": "Shadow", "ModelName": "shadow-model", "InitialVariantWeight": 0.5}
    sm.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[VARIANT],
        ShadowProductionVariants=[shadow],
        AsyncInferenceConfig=ASYNC,
        ExplainerConfig=EXPLAINER,
        MetricsConfig={"EnableEnhancedMetrics": True},
    )
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    described = sm.describe_endpoint(EndpointName="e")
    assert described["EndpointStatus"] == "InService"
    assert described["AsyncInferenceConfig"] == ASYNC
    assert described["ExplainerConfig"] == EXPLAINER
    assert described["MetricsConfig"] == {"EnableEnhancedMetrics": True}
    [summary] = described["ShadowProductionVariants"]
    summary["DeployedImages"][0].pop("ResolutionTime")
    assert summary == {
        "VariantName": "Shadow",
        "DeployedImages": [
            {
                "SpecifiedImage": "other:2",
                "ResolvedImage": "other@sha256:" + __import__("hashlib").sha256(b"other:2").hexdigest(),
            }
        ],
        "CurrentWeight": 0.5,
        "DesiredWeight": 0.5,
        "CurrentInstanceCount": 1,
        "DesiredInstanceCount": 1,
    }
    # An update to a config without them ends with none of them shown.
    sm.create_endpoint_config(EndpointConfigName="plain", ProductionVariants=[VARIANT])
    sm.update_endpoint(EndpointName="e", EndpointConfigName="plain")
    after = sm.describe_endpoint(EndpointName="e")
    assert after["EndpointStatus"] == "InService"
    assert not {"AsyncInferenceConfig", "ExplainerConfig", "MetricsConfig", "ShadowProductionVariants"} & set(after)


def test_a_serverless_update_reaches_describe_endpoint(sm: Any) -> None:
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    serverless = {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
    }
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[serverless])
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    sm.describe_endpoint(EndpointName="e")
    update = {"MaxConcurrency": 20, "ProvisionedConcurrency": 3}
    sm.update_endpoint_weights_and_capacities(
        EndpointName="e", DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "ServerlessUpdateConfig": update}]
    )
    [variant] = sm.describe_endpoint(EndpointName="e")["ProductionVariants"]
    assert (
        variant["CurrentServerlessConfig"]
        == variant["DesiredServerlessConfig"]
        == {
            "MemorySizeInMB": 2048,
            "MaxConcurrency": 20,
            "ProvisionedConcurrency": 3,
        }
    )
    with pytest.raises(ClientError) as refused:
        sm.update_endpoint_weights_and_capacities(
            EndpointName="e",
            DesiredWeightsAndCapacities=[
                {"VariantName": "AllTraffic", "ServerlessUpdateConfig": {"MaxConcurrency": 2}}
            ],
        )
    assert refused.value.response["Error"]["Message"] == (
        'ProvisionedConcurrency (3) must be less than or equal to MaxConcurrency (2) for variant "AllTraffic".'
    )


def test_pending_deployment_while_updating_and_weights(make_settings: Any) -> None:
    with running_server(make_settings(endpoint_transition_describes=1)) as url:
        sm = sagemaker_client(url)
        deployable(sm)
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        creating = sm.describe_endpoint(EndpointName="e")  # one describe sees Creating, the next InService
        assert (creating["EndpointStatus"], "ProductionVariants" in creating) == ("Creating", False)
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
        deployable(sm, model="m2", config="c2")
        sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")
        updating = sm.describe_endpoint(EndpointName="e")
        assert (updating["EndpointStatus"], updating["EndpointConfigName"]) == ("Updating", "c")
        pending = updating["PendingDeploymentSummary"]
        assert pending["EndpointConfigName"] == "c2"
        assert pending["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"
        assert pending["ProductionVariants"][0]["VariantStatus"][0]["StartTime"] == pending["StartTime"]
        assert error_of(sm.delete_endpoint, EndpointName="e") == ("ValidationException", in_progress("e"))
        done = sm.describe_endpoint(EndpointName="e")
        assert (done["EndpointStatus"], done["EndpointConfigName"]) == ("InService", "c2")
        assert "PendingDeploymentSummary" not in done
        sm.update_endpoint_weights_and_capacities(
            EndpointName="e",
            DesiredWeightsAndCapacities=[
                {"VariantName": "AllTraffic", "DesiredWeight": 0.5, "DesiredInstanceCount": 2}
            ],
        )
        variant = sm.describe_endpoint(EndpointName="e")["ProductionVariants"][0]
        assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (1.0, 0.5)
        assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (1, 2)
        variant = sm.describe_endpoint(EndpointName="e")["ProductionVariants"][0]
        assert (variant["CurrentWeight"], variant["CurrentInstanceCount"]) == (0.5, 2)
        sm.delete_endpoint(EndpointName="e")
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Deleting"
        assert error_of(sm.describe_endpoint, EndpointName="e") == (
            "ValidationException",
            f'Could not find endpoint "{ARN}:endpoint/e".',
        )


def test_a_lifecycle_in_seconds_follows_the_clock(make_settings: Any) -> None:
    now = [1_800_000_000.0]
    with running_server(make_settings(endpoint_transition_seconds=60), clock=lambda: now[0]) as url:
        sm = sagemaker_client(url)
        deployable(sm)
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Creating"
        now[0] += 59.999
        assert error_of(sm.update_endpoint, EndpointName="e", EndpointConfigName="c") == (
            "ValidationException",
            in_progress("e"),
        )
        now[0] += 0.001
        # Time alone ends it: an update finds it InService without a describe in between.
        sm.update_endpoint(EndpointName="e", EndpointConfigName="c")
        described = sm.describe_endpoint(EndpointName="e")
        assert described["EndpointStatus"] == "Updating"
        assert described["LastModifiedTime"].timestamp() == now[0]
        assert sm.list_endpoints(StatusEquals="Updating")["Endpoints"][0]["EndpointName"] == "e"
        now[0] += 60
        # A list ends what time has ended too: it shows and filters by the status a describe would give.
        listed = sm.list_endpoints(StatusEquals="InService")["Endpoints"]
        assert [(e["EndpointName"], e["LastModifiedTime"].timestamp()) for e in listed] == [("e", now[0])]
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
        sm.delete_endpoint(EndpointName="e")
        now[0] += 60
        assert sm.list_endpoints()["Endpoints"] == []


def test_a_fault_rule_makes_a_create_or_an_update_fail(make_settings: Any) -> None:
    rules = {"rules": [{"action": "fail-endpoint", "endpoint_name_prefixes": ["doomed"], "times": 2}]}
    with running_server(make_settings(faults=json.dumps(rules))) as url:
        sm = sagemaker_client(url)
        deployable(sm)
        sm.create_endpoint(EndpointName="doomed-1", EndpointConfigName="c")
        with pytest.raises(WaiterError) as raised:
            sm.get_waiter("endpoint_in_service").wait(EndpointName="doomed-1")
        assert "Waiter encountered a terminal failure state" in str(raised.value)
        failed = sm.describe_endpoint(EndpointName="doomed-1")
        assert (failed["EndpointStatus"], failed["FailureReason"]) == ("Failed", FAILURE)
        assert "ProductionVariants" not in failed
        # The rule's second firing: an update of another endpoint ends Failed too.
        sm.create_endpoint(EndpointName="fine", EndpointConfigName="c")
        sm.describe_endpoint(EndpointName="fine")
        sm.create_endpoint(EndpointName="doomed-2", EndpointConfigName="c")
        assert sm.describe_endpoint(EndpointName="doomed-2")["EndpointStatus"] == "Failed"
        sm.update_endpoint(EndpointName="doomed-1", EndpointConfigName="c")  # the rule is used up
        assert sm.describe_endpoint(EndpointName="doomed-1")["EndpointStatus"] == "InService"
        assert "FailureReason" not in sm.describe_endpoint(EndpointName="doomed-1")
        assert sm.describe_endpoint(EndpointName="fine")["EndpointStatus"] == "InService"
        counters = http().get(f"{url}/_emulator/faults").json()["counters"]
        assert counters == [{"matched": 3, "injected": 2}]
        sm.delete_endpoint(EndpointName="doomed-2")  # a Failed endpoint can be deleted


def test_a_request_fault_rule_can_match_by_endpoint_name(make_settings: Any) -> None:
    rules = {"rules": [{"action": "throttle", "endpoint_name_prefixes": ["slow"], "operations": ["DescribeEndpoint"]}]}
    with running_server(make_settings(faults=json.dumps(rules))) as url:
        sm = sagemaker_client(url)
        deployable(sm)
        for name in ("slow-one", "fast-one"):
            sm.create_endpoint(EndpointName=name, EndpointConfigName="c")
        assert error_of(sm.describe_endpoint, EndpointName="slow-one") == ("ThrottlingException", "Rate exceeded")
        assert sm.describe_endpoint(EndpointName="fast-one")["EndpointStatus"] == "InService"


# (id, setup, operation, request, message): every text of the issue, exact.
def _config_gone(sm: Any) -> None:
    deployable(sm)
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    sm.describe_endpoint(EndpointName="e")
    sm.delete_endpoint_config(EndpointConfigName="c")  # AWS lets it go while the endpoint uses it


def _model_gone(sm: Any) -> None:
    deployable(sm)
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    sm.describe_endpoint(EndpointName="e")
    sm.delete_model(ModelName="m")


def _creating(sm: Any) -> None:
    deployable(sm)
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")


def _updating(sm: Any) -> None:
    _creating(sm)
    sm.describe_endpoint(EndpointName="e")
    sm.update_endpoint(EndpointName="e", EndpointConfigName="c")


def _nothing(sm: Any) -> None:
    sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})


TEXTS: list[tuple[str, Callable[[Any], None], str, dict[str, Any], str, str]] = [
    (
        "config-exists",
        deployable,
        "create_endpoint_config",
        {"EndpointConfigName": "C", "ProductionVariants": [VARIANT]},
        "ValidationException",
        f'Cannot create already existing endpoint configuration "{ARN}:endpoint-config/c".',
    ),
    (
        "endpoint-exists",
        _creating,
        "create_endpoint",
        {"EndpointName": "E", "EndpointConfigName": "c"},
        "ValidationException",
        f'Cannot create already existing endpoint "{ARN}:endpoint/e".',
    ),
    (
        "config-model-missing",
        _nothing,
        "create_endpoint_config",
        {"EndpointConfigName": "c", "ProductionVariants": [{**VARIANT, "ModelName": "Nope"}]},
        "ValidationException",
        f'Could not find model "{ARN}:model/nope".',
    ),
    (
        "create-endpoint-model-deleted",
        lambda sm: (deployable(sm), sm.delete_model(ModelName="m")),
        "create_endpoint",
        {"EndpointName": "e", "EndpointConfigName": "c"},
        "ValidationException",
        f'Could not find model "{ARN}:model/m".',
    ),
    (
        "update-endpoint-model-deleted",
        _model_gone,
        "update_endpoint",
        {"EndpointName": "e", "EndpointConfigName": "c"},
        "ValidationException",
        f'Could not find model "{ARN}:model/m".',
    ),
    (
        "describe-config-missing",
        _nothing,
        "describe_endpoint_config",
        {"EndpointConfigName": "Nope"},
        "ValidationException",
        f'Could not find endpoint configuration "{ARN}:endpoint-config/nope".',
    ),
    (
        "delete-config-missing",
        _nothing,
        "delete_endpoint_config",
        {"EndpointConfigName": "nope"},
        "ValidationException",
        f'Could not find endpoint configuration "{ARN}:endpoint-config/nope".',
    ),
    (
        "create-endpoint-config-missing",
        _nothing,
        "create_endpoint",
        {"EndpointName": "e", "EndpointConfigName": "Nope"},
        "ValidationException",
        f'Could not find endpoint configuration "{ARN}:endpoint-config/nope".',
    ),
    (
        "update-endpoint-config-deleted",
        _config_gone,
        "update_endpoint",
        {"EndpointName": "e", "EndpointConfigName": "c"},
        "ValidationException",
        f'Could not find endpoint configuration "{ARN}:endpoint-config/c".',
    ),
    (
        "describe-endpoint-missing",
        _nothing,
        "describe_endpoint",
        {"EndpointName": "Nope"},
        "ValidationException",
        f'Could not find endpoint "{ARN}:endpoint/nope".',
    ),
    (
        "update-endpoint-missing",
        deployable,
        "update_endpoint",
        {"EndpointName": "nope", "EndpointConfigName": "c"},
        "ValidationException",
        f'Could not find endpoint "{ARN}:endpoint/nope".',
    ),
    (
        "weights-endpoint-missing",
        _nothing,
        "update_endpoint_weights_and_capacities",
        {"EndpointName": "nope", "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredWeight": 1}]},
        "ValidationException",
        f'Could not find endpoint "{ARN}:endpoint/nope".',
    ),
    (
        "delete-endpoint-missing",
        _nothing,
        "delete_endpoint",
        {"EndpointName": "nope"},
        "ValidationException",
        f'Could not find endpoint "{ARN}:endpoint/nope".',
    ),
    (
        "update-while-creating",
        _creating,
        "update_endpoint",
        {"EndpointName": "e", "EndpointConfigName": "c"},
        "ValidationException",
        in_progress("e"),
    ),
    (
        "update-while-updating",
        _updating,
        "update_endpoint",
        {"EndpointName": "E", "EndpointConfigName": "c"},
        "ValidationException",
        in_progress("e"),
    ),
    (
        "weights-while-creating",
        _creating,
        "update_endpoint_weights_and_capacities",
        {"EndpointName": "e", "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredWeight": 1}]},
        "ValidationException",
        in_progress("e"),
    ),
    (
        "weights-while-updating",
        _updating,
        "update_endpoint_weights_and_capacities",
        {"EndpointName": "e", "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredWeight": 1}]},
        "ValidationException",
        in_progress("e"),
    ),
    (
        "delete-while-creating",
        _creating,
        "delete_endpoint",
        {"EndpointName": "e"},
        "ValidationException",
        in_progress("e"),
    ),
    (
        "delete-while-updating",
        _updating,
        "delete_endpoint",
        {"EndpointName": "e"},
        "ValidationException",
        in_progress("e"),
    ),
    (
        "weights-unknown-variant",
        lambda sm: (_creating(sm), sm.describe_endpoint(EndpointName="e")),
        "update_endpoint_weights_and_capacities",
        {"EndpointName": "e", "DesiredWeightsAndCapacities": [{"VariantName": "Other", "DesiredWeight": 1}]},
        "ValidationException",
        f'The variant(s) "[Other]" is/are not present in the endpoint "{ARN}:endpoint/e".',
    ),
    (
        "weights-variant-twice",
        lambda sm: (_creating(sm), sm.describe_endpoint(EndpointName="e")),
        "update_endpoint_weights_and_capacities",
        {
            "EndpointName": "e",
            "DesiredWeightsAndCapacities": [
                {"VariantName": "AllTraffic", "DesiredWeight": 1},
                {"VariantName": "AllTraffic", "DesiredWeight": 2},
            ],
        },
        "ValidationException",
        'The variant name "AllTraffic" was non-unique within the request.',
    ),
    (
        "weights-serverless-update-of-instances",
        lambda sm: (_creating(sm), sm.describe_endpoint(EndpointName="e")),
        "update_endpoint_weights_and_capacities",
        {
            "EndpointName": "e",
            "DesiredWeightsAndCapacities": [
                {"VariantName": "AllTraffic", "ServerlessUpdateConfig": {"MaxConcurrency": 2}}
            ],
        },
        "ValidationException",
        f'ServerlessUpdateConfig cannot be specified for variant "AllTraffic" of endpoint "{ARN}:endpoint/e": it is'
        " not a serverless variant.",
    ),
]


@pytest.mark.parametrize(
    ("setup", "method", "request_", "code", "message"), [t[1:] for t in TEXTS], ids=[t[0] for t in TEXTS]
)
def test_aws_texts(
    sm: Any, setup: Callable[[Any], None], method: str, request_: dict[str, Any], code: str, message: str
) -> None:
    setup(sm)
    before = http().get(f"{sm.meta.endpoint_url}/_emulator/state").json()
    assert error_of(getattr(sm, method), **request_) == (code, message)
    # A request that failed changed nothing.
    assert http().get(f"{sm.meta.endpoint_url}/_emulator/state").json() == before


def test_deleting_the_model_and_config_in_use_leaves_the_endpoint_serving(sm: Any) -> None:
    _config_gone(sm)
    sm.delete_model(ModelName="m")
    described = sm.describe_endpoint(EndpointName="e")
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "c")
    sm.delete_endpoint(EndpointName="e")


def test_the_endpoint_limit(make_settings: Any) -> None:
    with running_server(make_settings(max_endpoints=1)) as url:
        sm = sagemaker_client(url)
        deployable(sm)
        sm.create_endpoint(EndpointName="one", EndpointConfigName="c")
        assert error_of(sm.create_endpoint, EndpointName="two", EndpointConfigName="c") == (
            "ResourceLimitExceeded",
            "The account-level service limit 'Number of endpoints' is 1 Endpoints, with current utilization of 1"
            " Endpoints and a request delta of 1 Endpoints. Please contact AWS support to request an increase for"
            " this limit.",
        )
        sm.describe_endpoint(EndpointName="one")
        sm.delete_endpoint(EndpointName="one")
        with pytest.raises(ClientError):
            sm.describe_endpoint(EndpointName="one")  # the Deleting ends here, and frees the slot
        sm.create_endpoint(EndpointName="two", EndpointConfigName="c")


def test_list_filters_sorts_and_pages(make_settings: Any) -> None:
    now = [1_800_000_000.0]
    with running_server(make_settings(), clock=lambda: now[0]) as url:
        sm = sagemaker_client(url)
        deployable(sm)
        for name in ("b-one", "a-two", "c-three"):
            now[0] += 10
            sm.create_endpoint(EndpointName=name, EndpointConfigName="c")
        now[0] += 10
        sm.describe_endpoint(EndpointName="a-two")  # InService, modified at +40

        def names(**request: Any) -> list[str]:
            return [e["EndpointName"] for e in sm.list_endpoints(**request)["Endpoints"]]

        assert names() == ["c-three", "a-two", "b-one"]
        assert names(SortBy="Name", SortOrder="Ascending") == ["a-two", "b-one", "c-three"]
        assert names(SortBy="Status", SortOrder="Ascending") == ["b-one", "c-three", "a-two"]
        assert names(StatusEquals="InService") == ["a-two"]
        assert names(StatusEquals="Creating", SortBy="Name") == ["c-three", "b-one"]
        assert names(LastModifiedTimeAfter=1_800_000_040) == ["a-two"]
        assert names(LastModifiedTimeBefore=1_800_000_040) == ["c-three", "b-one"]
        assert names(CreationTimeAfter=1_800_000_020, CreationTimeBefore=1_800_000_030) == ["a-two"]
        assert names(NameContains="T") == ["c-three", "a-two"]
        first = sm.list_endpoints(SortBy="Status", MaxResults=2)
        assert [e["EndpointName"] for e in first["Endpoints"]] == ["a-two", "c-three"]
        rest = sm.list_endpoints(SortBy="Status", MaxResults=2, NextToken=first["NextToken"])
        assert [e["EndpointName"] for e in rest["Endpoints"]] == ["b-one"]
        summary = sm.list_endpoints(StatusEquals="InService")["Endpoints"][0]
        assert summary["LastModifiedTime"].timestamp() == 1_800_000_040
        # A token is bound to its query: another filter cannot reuse it.
        assert error_of(sm.list_endpoints, SortBy="Status", StatusEquals="Creating", NextToken=first["NextToken"]) == (
            "ValidationException",
            'Invalid pagination token because "{0}".',
        )


def test_racing_creates_store_one_and_racing_updates_let_one_through(endpoint: str) -> None:
    sm = sagemaker_client(endpoint)
    deployable(sm)

    def attempt(call: Callable[[], Any]) -> str:
        try:
            call()
            return "ok"
        except ClientError as error:
            return str(error.response["Error"]["Message"])

    with ThreadPoolExecutor(8) as pool:
        clients = [sagemaker_client(endpoint) for _ in range(8)]
        created = list(
            pool.map(lambda c: attempt(lambda: c.create_endpoint(EndpointName="race", EndpointConfigName="c")), clients)
        )
        assert sorted(created) == [f'Cannot create already existing endpoint "{ARN}:endpoint/race".'] * 7 + ["ok"]
        assert len(sm.list_endpoints()["Endpoints"]) == 1
        sm.describe_endpoint(EndpointName="race")
        updated = list(
            pool.map(lambda c: attempt(lambda: c.update_endpoint(EndpointName="race", EndpointConfigName="c")), clients)
        )
        assert sorted(updated) == [in_progress("race")] * 7 + ["ok"]


def test_accounts_and_regions_are_apart(endpoint: str) -> None:
    east, west = sagemaker_client(endpoint), sagemaker_client(endpoint, region="us-west-2")
    deployable(east)
    east.create_endpoint(EndpointName="e", EndpointConfigName="c")
    assert error_of(west.create_endpoint, EndpointName="e", EndpointConfigName="c") == (
        "ValidationException",
        'Could not find endpoint configuration "arn:aws:sagemaker:us-west-2:123456789012:endpoint-config/c".',
    )
    assert error_of(west.describe_endpoint, EndpointName="e") == (
        "ValidationException",
        'Could not find endpoint "arn:aws:sagemaker:us-west-2:123456789012:endpoint/e".',
    )
    assert west.list_endpoints()["Endpoints"] == []


def live_and_new(endpoint: str) -> tuple[Any, dict[str, Any]]:
    """Endpoint `live` (described once: InService) and `new` (still Creating) on config `c`; a client and the
    exported state."""
    sm = sagemaker_client(endpoint)
    deployable(sm)
    sm.create_endpoint(EndpointName="live", EndpointConfigName="c")
    sm.describe_endpoint(EndpointName="live")
    sm.create_endpoint(EndpointName="new", EndpointConfigName="c")
    document = http().get(f"{endpoint}/_emulator/state").json()
    return sm, document


def test_export_import_and_reset_keep_the_lifecycle(endpoint: str) -> None:
    sm, document = live_and_new(endpoint)
    assert [(e["endpoint_name"], e["status"]) for e in document["endpoints"]] == [
        ("live", "InService"),
        ("new", "Creating"),
    ]
    reset = http().post(f"{endpoint}/_emulator/reset").json()
    assert reset == {f"deleted_{kind.snake}s": 0 for kind in KINDS} | {
        "deleted_models": 1,
        "deleted_endpoint_configs": 1,
        "deleted_endpoints": 2,
    }
    assert sm.list_endpoints()["Endpoints"] == []
    imported = http().put(f"{endpoint}/_emulator/state", json=document).json()
    assert imported == {f"imported_{kind.snake}s": 0 for kind in KINDS} | {
        "imported_models": 1,
        "imported_endpoint_configs": 1,
        "imported_endpoints": 2,
    }
    assert http().get(f"{endpoint}/_emulator/state").json() == document
    assert sm.describe_endpoint(EndpointName="live")["ProductionVariants"][0]["DeployedImages"][0]["ResolvedImage"] == (
        RESOLVED
    )
    assert sm.describe_endpoint(EndpointName="new")["EndpointStatus"] == "InService"
    broken = json.loads(json.dumps(document))
    broken["endpoints"][0]["state"] = {"config": 1}
    response = http().put(f"{endpoint}/_emulator/state", json=broken)
    assert (response.status_code, response.json()) == (
        400,
        {"__type": "ValidationException", "message": "endpoints[0]: state must be an endpoint's state as exported."},
    )


def _variant(state: dict[str, Any]) -> dict[str, Any]:
    variant: dict[str, Any] = state["variants"][0]
    return variant


@pytest.mark.parametrize(
    ("break_it", "status"),
    [
        (lambda state: _variant(state).update(CurrentWeight=-1.0), "InService"),
        (lambda state: _variant(state).update(DesiredInstanceCount=-1), "InService"),
        (lambda state: _variant(state).update(DesiredInstanceCount=1.5), "InService"),
        (lambda state: state.update(variants=[]), "InService"),
        (lambda state: state.update(variants=[_variant(state), _variant(state)]), "InService"),
        (lambda state: state.update(deployed=False), "InService"),
        (lambda state: state.update(describes_left=10**12), "Creating"),
        (lambda state: state.update(due_ms=-1), "Creating"),
        (lambda state: state.update(deployed=True), "Creating"),
        (lambda state: state.update(failure="boom"), "InService"),
    ],
)
def test_snapshot_import_refuses_states_no_api_call_can_make(
    endpoint: str, break_it: Callable[[dict[str, Any]], None], status: str
) -> None:
    _, document = live_and_new(endpoint)
    index = 0 if status == "InService" else 1
    assert document["endpoints"][index]["status"] == status
    break_it(document["endpoints"][index]["state"])
    before = http().get(f"{endpoint}/_emulator/state").json()
    response = http().put(f"{endpoint}/_emulator/state", json=document)
    assert (response.status_code, response.json()) == (
        400,
        {
            "__type": "ValidationException",
            "message": f"endpoints[{index}]: state is not one the API can make for an endpoint that is {status}.",
        },
    )
    assert http().get(f"{endpoint}/_emulator/state").json() == before


@full_only
def test_the_aws_cli_waits_for_an_endpoint(endpoint: str, tmp_path: Path) -> None:
    cli = aws_cli(endpoint, tmp_path)

    deployable(sagemaker_client(endpoint))
    created = cli("create-endpoint", "--endpoint-name", "e", "--endpoint-config-name", "c")
    assert json.loads(created.stdout) == {"EndpointArn": f"{ARN}:endpoint/e"}
    started = time.monotonic()
    waited = cli("wait", "endpoint-in-service", "--endpoint-name", "e")
    assert (waited.returncode, waited.stdout, waited.stderr) == (0, "", "")
    assert time.monotonic() - started < 10  # a process start; no 30 s poll
    assert json.loads(cli("describe-endpoint", "--endpoint-name", "e").stdout)["EndpointStatus"] == "InService"
    assert cli("delete-endpoint", "--endpoint-name", "e").returncode == 0
    assert cli("wait", "endpoint-deleted", "--endpoint-name", "e").returncode == 0
    missing = cli("describe-endpoint", "--endpoint-name", "e")
    assert missing.stderr.strip() == (
        "An error occurred (ValidationException) when calling the DescribeEndpoint operation: "
        f'Could not find endpoint "{ARN}:endpoint/e".'
    )


def test_replicas_on_one_database_agree_on_the_lifecycle(make_settings: Any) -> None:
    settings = make_settings(endpoint_transition_describes=2)
    with running_server(settings) as first, running_server(settings) as second:
        a, b = sagemaker_client(first), sagemaker_client(second)
        deployable(a)
        a.create_endpoint(EndpointName="e", EndpointConfigName="c")
        # The describes it waits for are counted in the database, whichever replica answers them.
        assert [c.describe_endpoint(EndpointName="e")["EndpointStatus"] for c in (a, b, a)] == [
            "Creating",
            "Creating",
            "InService",
        ]
        b.update_endpoint(EndpointName="e", EndpointConfigName="c")
        assert error_of(a.update_endpoint, EndpointName="e", EndpointConfigName="c") == (
            "ValidationException",
            in_progress("e"),
        )
        assert [c.describe_endpoint(EndpointName="e")["EndpointStatus"] for c in (b, a, b)] == [
            "Updating",
            "Updating",
            "InService",
        ]


def test_the_same_names_in_four_accounts_and_regions_are_four_deployments(make_settings: Any) -> None:
    settings = make_settings(access_keys=account_map(), secret_keys=secret_map(), strict_auth=True)
    with running_server(settings) as url:
        scopes = four_scopes(url)
        for scope in scopes:
            scope.client.create_model(ModelName="m", PrimaryContainer={"Image": f"{IMAGE}-{scope.region}"})
            scope.client.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[VARIANT])
            scope.client.create_endpoint(EndpointName="e", EndpointConfigName="c")
        owner, *others = scopes
        owner.client.describe_endpoint(EndpointName="e")
        owner.client.update_endpoint(EndpointName="e", EndpointConfigName="c")
        # The owner's update is in its scope only.
        assert [e["EndpointStatus"] for e in owner.client.list_endpoints()["Endpoints"]] == ["Updating"]
        assert {e["EndpointStatus"] for s in others for e in s.client.list_endpoints()["Endpoints"]} == {"Creating"}
        for scope in others:
            described = scope.client.describe_endpoint(EndpointName="e")
            assert described["EndpointStatus"] == "InService"
            assert described["EndpointArn"] == f"arn:aws:sagemaker:{scope.region}:{scope.account}:endpoint/e"
            image = described["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"]
            assert image == f"{IMAGE}-{scope.region}"
            scope.client.delete_endpoint(EndpointName="e")
            scope.client.describe_endpoint_config(EndpointConfigName="c")
        assert [e["EndpointStatus"] for e in owner.client.list_endpoints()["Endpoints"]] == ["Updating"]
        for scope in others:
            assert error_of(scope.client.describe_endpoint, EndpointName="e") == (
                "ValidationException",
                f'Could not find endpoint "arn:aws:sagemaker:{scope.region}:{scope.account}:endpoint/e".',
            )


def test_the_pytest_plugins_reset_leaves_nothing_behind(make_settings: Any) -> None:
    with running_server(make_settings(max_endpoints=1, max_endpoint_configs=1)) as url:
        sm = sagemaker_client(url)
        _updating(sm)  # an endpoint mid-update, its config and model, tags on the endpoint
        sm.add_tags(ResourceArn=f"{ARN}:endpoint/e", Tags=[{"Key": "k", "Value": "v"}])
        reset_emulator(url)
        state = http().get(f"{url}/_emulator/state").json()
        assert [state[f"{kind.snake}s"] for kind in KINDS] == [[] for _ in KINDS]
        # Names and limit slots are free again.
        _creating(sm)
        assert sm.list_tags(ResourceArn=f"{ARN}:endpoint/e")["Tags"] == []


# Rows generated from the pinned API model (emulator/shapes/generated.py): for every endpoint and endpoint-config
# operation, each required member left out of an otherwise valid request, and each top-level enum member given a
# value outside its set. The wire checks them before any handler runs, so nothing is stored.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "CreateEndpointConfig": {"EndpointConfigName": "c", "ProductionVariants": [VARIANT]},
    "DescribeEndpointConfig": {"EndpointConfigName": "c"},
    "ListEndpointConfigs": {},
    "DeleteEndpointConfig": {"EndpointConfigName": "c"},
    "CreateEndpoint": {"EndpointName": "e", "EndpointConfigName": "c"},
    "DescribeEndpoint": {"EndpointName": "e"},
    "ListEndpoints": {},
    "UpdateEndpoint": {"EndpointName": "e", "EndpointConfigName": "c"},
    "UpdateEndpointWeightsAndCapacities": {
        "EndpointName": "e",
        "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredWeight": 1}],
    },
    "DeleteEndpoint": {"EndpointName": "e"},
}


def camel(member: str) -> str:
    return member[0].lower() + member[1:]


def generated_rows() -> list[tuple[str, str, dict[str, Any], str]]:
    rows = []
    for operation, body in VALID_BODIES.items():
        shape = SHAPES[OPERATIONS[operation]["input"]]
        for member in shape.get("required", []):
            rest = {k: v for k, v in body.items() if k != member}
            message = f"Value null at '{camel(member)}' failed to satisfy constraint: Member must not be null"
            rows.append((f"{operation}-{member}-missing", operation, rest, message))
        for member, spec in shape["members"].items():
            member_shape = SHAPES[spec["shape"]]
            pattern = member_shape.get("pattern")
            # A blank breaks every name and ARN pattern without breaking a length (min 0 or 1).
            if pattern and member_shape.get("min", 0) <= 1 and not re.fullmatch(pattern, " "):
                message = (
                    f"Value ' ' at '{camel(member)}' failed to satisfy constraint: Member must satisfy regular"
                    f" expression pattern: {pattern}"
                )
                rows.append((f"{operation}-{member}-pattern", operation, {**body, member: " "}, message))
            enum = member_shape.get("enum")
            if enum:
                message = (
                    f"Value 'Bogus' at '{camel(member)}' failed to satisfy constraint: Member must satisfy enum value"
                    f" set: [{', '.join(enum)}]"
                )
                rows.append((f"{operation}-{member}-enum", operation, {**body, member: "Bogus"}, message))
    return rows


GENERATED = generated_rows()


@pytest.mark.parametrize(("operation", "body", "message"), [r[1:] for r in GENERATED], ids=[r[0] for r in GENERATED])
def test_constraints_of_the_api_model(endpoint: str, operation: str, body: dict[str, Any], message: str) -> None:
    response = aws_post(endpoint, operation, body)
    assert (response.status_code, response.json()) == (
        400,
        {"__type": "ValidationException", "message": f"1 validation error detected: {message}"},
    )
    assert http().get(f"{endpoint}/_emulator/state").json()["endpoints"] == []


def test_the_generated_rows_cover_every_operation() -> None:
    assert {r[1] for r in GENERATED} == set(VALID_BODIES)
    assert len(GENERATED) >= 20


def test_racing_creates_never_pass_the_endpoint_limit(make_settings: Any) -> None:
    with running_server(make_settings(max_endpoints=3)) as url:
        deployable(sagemaker_client(url))

        def create(i: int) -> str:
            try:
                sagemaker_client(url).create_endpoint(EndpointName=f"e{i}", EndpointConfigName="c")
                return "ok"
            except ClientError as error:
                return str(error.response["Error"]["Code"])

        with ThreadPoolExecutor(10) as pool:
            outcomes = sorted(pool.map(create, range(10)))
        assert outcomes == ["ResourceLimitExceeded"] * 7 + ["ok"] * 3
        assert len(sagemaker_client(url).list_endpoints()["Endpoints"]) == 3
