"""Every served operation's answer is checked against its output shape in the API model (issues 23 and 27).

A wrong member name is the bug no SDK test sees: boto3 drops members its model lacks, so a list written under the
wrong key reads as empty. With check_answers on (as for every server the tests start, tests/conftest.py), such an
answer is an InternalFailure naming the member. This test drives every operation the server serves through boto3,
with answers as full as the emulator makes them, and fails when an operation is served that it does not drive."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.operations import HANDLERS
from emulator.runtime.rest_json import ASYNC, INVOKE, STREAM
from tests.moto_s3 import emptied, make_bucket
from tests.support import running_server, sagemaker_client

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"
ROLE = "arn:aws:iam::123456789012:role/service-role/SageMakerRole"
KMS = "arn:aws:kms:us-east-1:123456789012:key/k"
TAGS = [{"Key": "team", "Value": "a"}]
CONTAINER = {
    "ContainerHostname": "first",
    "Image": IMAGE,
    "Mode": "SingleModel",
    "ModelDataUrl": "s3://bucket/model.tar.gz",
    "Environment": {"K": "v"},
    "ContainerMetricsConfig": {"MetricsEndpoints": [{"MetricsEndpointPath": "/metrics"}]},
}
VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": "m",
    "InitialInstanceCount": 2,
    "InstanceType": "ml.g7.2xlarge",
    "InitialVariantWeight": 1.0,
    "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 4},
}
CAPTURE = {
    "InitialSamplingPercentage": 50,
    "DestinationS3Uri": "s3://bucket/capture",
    "KmsKeyId": KMS,
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
}


def recording(*clients: Any) -> set[str]:
    """The operations these clients got a 2xx for (an answer that breaks its shape is a 500 and a ClientError)."""
    answered: set[str] = set()

    def record(model: Any, http_response: Any, **_: Any) -> None:
        if 200 <= http_response.status_code < 300:
            answered.add(model.name)

    for client in clients:
        client.meta.events.register("after-call", record)
    return answered


def test_every_served_operation_answers_as_its_output_shape(
    make_settings: Any, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = emptied(s3_url, monkeypatch)  # transform jobs read and write it
    make_bucket(s3, "out")  # where the async endpoint writes
    s3.put_object(Bucket="models", Key="in/x.csv", Body=b"1,2\n3,4\n")
    # One DescribeEndpoint per change: Creating, Updating (with its PendingDeploymentSummary) and Deleting are seen.
    settings = make_settings(
        check_answers=True, endpoint_transition_describes=1, s3_endpoint_url=s3_url, transform_scan_seconds=0.2
    )
    with running_server(settings) as url:
        sm = sagemaker_client(url, validate=True)  # the requests are valid for boto3's own model too
        runtime = sagemaker_client(url, service="sagemaker-runtime", validate=True)
        answered = recording(sm, runtime)

        sm.create_model(
            ModelName="m",
            PrimaryContainer=CONTAINER,
            ExecutionRoleArn=ROLE,
            VpcConfig={"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123"]},
            EnableNetworkIsolation=True,
            Tags=TAGS,
        )
        sm.create_model(
            ModelName="pipeline",
            Containers=[CONTAINER, {**CONTAINER, "ContainerHostname": "second"}],
            InferenceExecutionConfig={"Mode": "Serial"},
        )
        assert sm.describe_model(ModelName="m")["PrimaryContainer"]["ContainerMetricsConfig"]
        assert sm.describe_model(ModelName="pipeline")["InferenceExecutionConfig"] == {"Mode": "Serial"}
        assert sm.list_models(SortBy="Name", MaxResults=1)["NextToken"]

        sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[VARIANT],
            DataCaptureConfig=CAPTURE,
            KmsKeyId=KMS,
            MetricsConfig={"EnableEnhancedMetrics": True},
            TracingConfig={"EnableTracing": True, "InitialSamplingPercentage": 5},
            CrossRegionTrafficConfig={"MaxInvocationsPerSecondPerInstance": 10, "MaxCrossRegionPercentPerEndpoint": 5},
            Tags=TAGS,
        )
        sm.create_endpoint_config(
            EndpointConfigName="c2",
            ProductionVariants=[{**VARIANT, "ModelName": "pipeline"}, {**VARIANT, "VariantName": "b"}],
        )
        assert sm.describe_endpoint_config(EndpointConfigName="c")["DataCaptureConfig"]["KmsKeyId"] == KMS
        assert len(sm.list_endpoint_configs(MaxResults=1)["EndpointConfigs"]) == 1

        sm.create_endpoint(EndpointName="e", EndpointConfigName="c", Tags=TAGS)
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Creating"
        described = sm.describe_endpoint(EndpointName="e")
        assert described["EndpointStatus"] == "InService"
        assert described["DataCaptureConfig"]["CaptureStatus"] == "Started"
        assert [e["EndpointName"] for e in sm.list_endpoints(StatusEquals="InService")["Endpoints"]] == ["e"]

        answer = runtime.invoke_endpoint(
            EndpointName="e", Body=b"{}", ContentType="application/json", CustomAttributes="a=1"
        )
        assert answer["Body"].read() == b"{}"
        stream = runtime.invoke_endpoint_with_response_stream(EndpointName="e", Body=b"[1]", CustomAttributes="a=1")
        assert b"".join(event["PayloadPart"]["Bytes"] for event in stream["Body"]) == b"[1]"

        sm.create_endpoint_config(
            EndpointConfigName="async",
            ProductionVariants=[VARIANT],
            AsyncInferenceConfig={
                "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 1},
                "OutputConfig": {"S3OutputPath": "s3://out/ok", "S3FailurePath": "s3://out/failed"},
            },
        )
        sm.create_endpoint(EndpointName="ae", EndpointConfigName="async")
        assert sm.describe_endpoint(EndpointName="ae")["EndpointStatus"] == "Creating"
        assert sm.describe_endpoint(EndpointName="ae")["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"]
        queued = runtime.invoke_endpoint_async(EndpointName="ae", Body=b"{}", InferenceId="i-1")
        assert (queued["InferenceId"], queued["OutputLocation"][:12]) == ("i-1", "s3://out/ok/")

        sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")
        updating = sm.describe_endpoint(EndpointName="e")
        assert updating["EndpointStatus"] == "Updating"
        assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == "c2"
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
        sm.update_endpoint_weights_and_capacities(
            EndpointName="e", DesiredWeightsAndCapacities=[{"VariantName": "b", "DesiredWeight": 0.5}]
        )
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Updating"
        assert len(sm.describe_endpoint(EndpointName="e")["ProductionVariants"]) == 2

        sm.create_model_package_group(ModelPackageGroupName="g", ModelPackageGroupDescription="models of g", Tags=TAGS)
        assert sm.describe_model_package_group(ModelPackageGroupName="g")["ModelPackageGroupStatus"] == "Completed"
        listed = sm.list_model_package_groups(NameContains="g")["ModelPackageGroupSummaryList"]
        assert [g["ModelPackageGroupDescription"] for g in listed] == ["models of g"]
        specification = {
            "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://bucket/model.tar.gz", "Environment": {"K": "v"}}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],  # required of the unversioned package below
        }
        version = sm.create_model_package(
            ModelPackageGroupName="g",
            ModelPackageDescription="first",
            InferenceSpecification=specification,
            CustomerMetadataProperties={"a": "1"},
            MetadataProperties={"CommitId": "abc"},
            ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://b/s"}}},
            Domain="MACHINE_LEARNING",
            Task="CLASSIFICATION",
            SamplePayloadUrl="s3://bucket/sample",
            ModelLifeCycle={"Stage": "Development", "StageStatus": "InProgress"},
        )["ModelPackageArn"]
        solo = sm.create_model_package(
            ModelPackageName="solo", InferenceSpecification=specification, CertifyForMarketplace=False, Tags=TAGS
        )["ModelPackageArn"]
        sm.update_model_package(ModelPackageArn=version, ModelApprovalStatus="Approved", ApprovalDescription="ok")
        described_package = sm.describe_model_package(ModelPackageName=version)
        assert (described_package["ModelPackageVersion"], described_package["ApprovalDescription"]) == (1, "ok")
        assert sm.describe_model_package(ModelPackageName="solo")["ModelPackageName"] == "solo"
        packages = sm.list_model_packages(ModelPackageType="Both")["ModelPackageSummaryList"]
        assert [p["ModelPackageArn"] for p in packages] == [version, solo]
        batch = sm.batch_describe_model_package(ModelPackageArnList=[version, solo])
        assert list(batch["ModelPackageSummaries"]) == [version]
        assert list(batch["BatchDescribeModelPackageErrorMap"]) == [solo]
        sm.create_model(ModelName="packaged", PrimaryContainer={"ModelPackageName": version}, ExecutionRoleArn=ROLE)
        assert sm.describe_model(ModelName="packaged")["PrimaryContainer"]["ModelPackageName"] == version
        sm.delete_model_package(ModelPackageName=version)
        sm.delete_model_package(ModelPackageName="solo")
        sm.delete_model_package_group(ModelPackageGroupName="g")

        arn = sm.describe_model(ModelName="m")["ModelArn"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [*TAGS, {"Key": "env", "Value": "prod"}]
        sm.delete_tags(ResourceArn=arn, TagKeys=["env"])

        transform = {
            "ModelName": "m",
            "MaxConcurrentTransforms": 2,
            "ModelClientConfig": {"InvocationsTimeoutInSeconds": 60, "InvocationsMaxRetries": 1},
            "MaxPayloadInMB": 1,
            "BatchStrategy": "MultiRecord",
            "Environment": {"K": "v"},
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://models/in/"}},
                "ContentType": "text/csv",
                "CompressionType": "None",
                "SplitType": "Line",
            },
            "TransformOutput": {"S3OutputPath": "s3://models/out/", "Accept": "text/csv", "AssembleWith": "Line"},
            "DataCaptureConfig": {"DestinationS3Uri": "s3://models/capture", "GenerateInferenceId": True},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            "DataProcessing": {"InputFilter": "$", "OutputFilter": "$", "JoinSource": "None"},
            "ExperimentConfig": {"ExperimentName": "e"},
            "Tags": TAGS,
        }
        sm.create_transform_job(TransformJobName="t", **transform)
        sm.get_waiter("transform_job_completed_or_stopped").wait(
            TransformJobName="t", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        sm.create_transform_job(TransformJobName="stopped", **transform)
        sm.stop_transform_job(TransformJobName="stopped")
        assert sm.describe_transform_job(TransformJobName="t")["TransformEndTime"]
        jobs = sm.list_transform_jobs(SortBy="Name", SortOrder="Ascending")["TransformJobSummaries"]
        assert [job["TransformJobName"] for job in jobs] == ["stopped", "t"]

        sm.delete_endpoint(EndpointName="e")
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Deleting"
        sm.delete_endpoint_config(EndpointConfigName="c")
        sm.delete_model(ModelName="m")

    assert answered == set(HANDLERS) | {INVOKE, STREAM, ASYNC}


def test_describe_endpoint_of_a_capture_without_a_key(make_settings: Any) -> None:
    with running_server(make_settings(check_answers=True)) as url:
        sm = sagemaker_client(url)
        sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
        capture = {k: v for k, v in CAPTURE.items() if k != "KmsKeyId"}
        sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[VARIANT], DataCaptureConfig=capture)
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        # Found by the answer check: DataCaptureConfigSummary requires KmsKeyId, which the config did not name.
        assert "KmsKeyId" in sm.describe_endpoint(EndpointName="e")["DataCaptureConfig"]
