"""CreateModel and DescribeModel round trips through boto3 and raw HTTP against a live server."""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import as_described, aws_post, http, running_server, sagemaker_client

S3_SOURCE = {
    "S3Uri": "s3://bucket/prefix/",
    "S3DataType": "S3Prefix",
    "CompressionType": "None",
    "ModelAccessConfig": {"AcceptEula": True},
    "HubAccessConfig": {
        "HubContentArn": "arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/x/1.0.0"
    },
}


def register_package(sm: Any) -> None:
    """The approved version pkg/3 that container() names: CreateModel checks a package exists and is approved."""
    sm.create_model_package_group(ModelPackageGroupName="pkg")
    for _ in range(3):
        arn = sm.create_model_package(ModelPackageGroupName="pkg")["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")


def container(hostname: str) -> dict[str, Any]:
    """A container with every member of the seeds' request syntax filled."""
    return {
        "ContainerHostname": hostname,
        "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0",
        "ImageConfig": {
            "RepositoryAccessMode": "Vpc",
            "RepositoryAuthConfig": {
                "RepositoryCredentialsProviderArn": "arn:aws:lambda:us-east-1:123456789012:function:creds"
            },
        },
        "Mode": "MultiModel",
        "ModelDataUrl": "s3://bucket/model.tar.gz",
        "ModelDataSource": {"S3DataSource": copy.deepcopy(S3_SOURCE)},
        "AdditionalModelDataSources": [{"ChannelName": "draft_model", "S3DataSource": copy.deepcopy(S3_SOURCE)}],
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "LOG_LEVEL": "débug ✓"},
        "ModelPackageName": "arn:aws:sagemaker:us-east-1:123456789012:model-package/pkg/3",
        "InferenceSpecificationName": "spec-1",
        "MultiModelConfig": {"ModelCacheSetting": "Disabled"},
        # New in botocore 1.44 (issue 27): an SDK that sends it gets it back, as from AWS.
        "ContainerMetricsConfig": {
            "MetricsEndpoints": [{"MetricsEndpointPath": "/metrics", "MetricPublishFrequencyInSeconds": 60}]
        },
    }


FULL_DEFINITION: dict[str, Any] = {
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
    "VpcConfig": {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123", "subnet-4567"]},
    "EnableNetworkIsolation": True,
}
# What AWS's DescribeModel adds to any model (docs/decisions.md: DescribeModel).
RECOMMENDATION = {"DeploymentRecommendation": {"RecommendationStatus": "NOT_APPLICABLE"}}
TAGS = [{"Key": "team", "Value": "ml ops"}, {"Key": "ünïcode", "Value": "值"}]


def test_full_primary_container_round_trips_through_boto3(sm: Any) -> None:
    register_package(sm)
    before = datetime.datetime.now(datetime.UTC)
    created = sm.create_model(
        ModelName="Full-Model", PrimaryContainer=container("primary"), Tags=TAGS, **FULL_DEFINITION
    )
    assert created["ModelArn"] == "arn:aws:sagemaker:us-east-1:123456789012:model/full-model"
    described = sm.describe_model(ModelName="Full-Model")
    assert described.pop("ResponseMetadata")["HTTPStatusCode"] == 200
    created_at = described.pop("CreationTime")
    assert before - datetime.timedelta(seconds=1) <= created_at <= datetime.datetime.now(datetime.UTC)
    assert described == {
        "ModelName": "Full-Model",
        "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/full-model",
        "PrimaryContainer": container("primary"),
        **FULL_DEFINITION,
        **RECOMMENDATION,
    }


def test_pipeline_of_containers_round_trips_through_boto3(sm: Any) -> None:
    register_package(sm)
    containers = [container("first"), container("second")]
    sm.create_model(
        ModelName="pipeline",
        Containers=containers,
        InferenceExecutionConfig={"Mode": "Direct"},
        **FULL_DEFINITION,
    )
    described = sm.describe_model(ModelName="pipeline")
    assert described["Containers"] == containers
    assert described["InferenceExecutionConfig"] == {"Mode": "Direct"}
    assert "PrimaryContainer" not in described and "Tags" not in described


def test_raw_http_round_trip_and_wire_details(endpoint: str) -> None:
    register_package(sagemaker_client(endpoint))
    body = {"ModelName": "raw", "PrimaryContainer": container("raw"), "Tags": TAGS, **FULL_DEFINITION}
    created = aws_post(endpoint, "CreateModel", body)
    assert created.status_code == 200
    assert created.headers["content-type"] == "application/x-amz-json-1.1"
    assert len(created.headers["x-amzn-requestid"]) == 36
    assert created.json() == {"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/raw"}
    described = aws_post(endpoint, "DescribeModel", {"ModelName": "raw"})
    out = described.json()
    # Epoch seconds with milliseconds, as a JSON number.
    assert isinstance(out.pop("CreationTime"), float)
    assert out == {
        "ModelName": "raw",
        "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/raw",
        "PrimaryContainer": container("raw"),
        **FULL_DEFINITION,
        **RECOMMENDATION,
    }
    assert described.headers["x-amzn-requestid"] != created.headers["x-amzn-requestid"]


def test_unknown_and_null_members_are_ignored_and_not_stored(endpoint: str) -> None:
    body = {
        "ModelName": "extras",
        "Unknown": {"deep": [1, 2]},
        "ExecutionRoleArn": None,
        "PrimaryContainer": {"Image": "img", "Surprise": 1, "Environment": None},
    }
    assert aws_post(endpoint, "CreateModel", body).status_code == 200
    out = aws_post(endpoint, "DescribeModel", {"ModelName": "extras"}).json()
    assert out["PrimaryContainer"] == {"Image": "img", "Mode": "SingleModel", "Environment": {}}
    assert "Unknown" not in out and "ExecutionRoleArn" not in out


def test_describe_fills_in_what_aws_fills_in(sm: Any) -> None:
    """Members AWS adds to what was sent, as real describe-model transcripts show; the snapshot keeps what was sent."""
    sm.create_model(ModelName="plain", PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"})
    described = sm.describe_model(ModelName="plain")
    assert described["PrimaryContainer"] == {
        "Image": "img",
        "Mode": "SingleModel",
        "ModelDataUrl": "s3://b/model.tar.gz",
        "ModelDataSource": {
            "S3DataSource": {"S3Uri": "s3://b/model.tar.gz", "S3DataType": "S3Object", "CompressionType": "Gzip"}
        },
        "Environment": {},
    }
    assert described["EnableNetworkIsolation"] is False
    assert described["DeploymentRecommendation"] == {"RecommendationStatus": "NOT_APPLICABLE"}
    assert "InferenceExecutionConfig" not in described
    sm.create_model(ModelName="serial", Containers=[{"Image": "a"}, {"Image": "b", "Mode": "MultiModel"}])
    described = sm.describe_model(ModelName="serial")
    assert described["InferenceExecutionConfig"] == {"Mode": "Serial"}
    assert [(c["Mode"], c["Environment"]) for c in described["Containers"]] == [("SingleModel", {}), ("MultiModel", {})]
    state = http().get(f"{sm.meta.endpoint_url}/_emulator/state").json()
    assert state["models"][0]["definition"] == {
        "PrimaryContainer": {"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"}
    }


@pytest.mark.parametrize("content_type", ["application/x-amz-json-1.1", "application/x-amz-json-1.1; charset=utf-8"])
def test_content_type_with_or_without_charset(endpoint: str, content_type: str) -> None:
    name = "ct-" + str(len(content_type))
    response = aws_post(
        endpoint,
        "CreateModel",
        {"ModelName": name, "PrimaryContainer": {"Image": "i"}},
        **{"Content-Type": content_type},
    )
    assert response.status_code == 200, response.text


def test_region_comes_from_the_sigv4_credential_scope(endpoint: str) -> None:
    eu = sagemaker_client(endpoint, region="eu-central-1")
    arn = eu.create_model(ModelName="regional", PrimaryContainer={"Image": "i"})["ModelArn"]
    assert arn == "arn:aws:sagemaker:eu-central-1:123456789012:model/regional"
    assert eu.describe_model(ModelName="regional")["ModelArn"] == arn


def test_unsigned_request_uses_the_configured_region_and_account(make_settings: Any) -> None:
    with running_server(make_settings(region="ap-south-1", account_id="111122223333")) as url:
        response = aws_post(url, "CreateModel", {"ModelName": "m", "PrimaryContainer": {"Image": "i"}})
        assert response.json() == {"ModelArn": "arn:aws:sagemaker:ap-south-1:111122223333:model/m"}


def test_duplicate_name_is_rejected_case_insensitively(sm: Any) -> None:
    sm.create_model(ModelName="Dup", PrimaryContainer={"Image": "first"})
    with pytest.raises(ClientError) as caught:
        sm.create_model(ModelName="dUP", PrimaryContainer={"Image": "second"})
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": 'Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/dup".',
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The first definition is untouched.
    assert sm.describe_model(ModelName="dup")["PrimaryContainer"] == as_described({"Image": "first"})


def test_describe_missing_model(sm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sm.describe_model(ModelName="Missing")
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/missing".',
    }


def test_describe_is_case_insensitive_and_keeps_the_callers_case(sm: Any) -> None:
    sm.create_model(ModelName="CamelCase", PrimaryContainer={"Image": "i"})
    assert sm.describe_model(ModelName="camelcase")["ModelName"] == "CamelCase"


def test_internal_failure_is_a_500_without_traceback(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.store.store import Store

    async def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "get", broken)
    response = aws_post(endpoint, "DescribeModel", {"ModelName": "x"})
    assert response.status_code == 500
    assert response.json() == {
        "__type": "InternalFailure",
        "message": "We encountered an internal error. Please try again.",
    }
    assert "disk on fire" not in response.text and "Traceback" not in response.text
    assert json.loads(response.text)["__type"] == response.headers["x-amzn-errortype"]
