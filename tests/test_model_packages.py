"""Model packages through boto3, its paginators and the AWS CLI: versioned packages numbered in their group,
unversioned ones, Describe by name, ARN and versioned ARN, List's filters and defaults, UpdateModelPackage,
BatchDescribeModelPackage, tags on package ARNs, DeleteModelPackageGroup while it holds versions, and CreateModel
naming a package; AWS's texts, exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import aws_cli, error_of, http

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package"
GROUP_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package-group"
ROLE = "arn:aws:iam::123456789012:role/r"
SPEC = {
    "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1", "ModelDataUrl": "s3://b/m.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
# An unversioned package's specification names its instance types (the API model: "required for unversioned models").
UNVERSIONED_SPEC = {
    **SPEC,
    "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
    "SupportedTransformInstanceTypes": ["ml.c5.xlarge"],
}


def arns(listed: dict[str, Any]) -> list[str]:
    return [p["ModelPackageArn"] for p in listed["ModelPackageSummaryList"]]


def test_versions_are_numbered_in_their_group_and_described_by_every_name(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="Churn")
    first = sm.create_model_package(ModelPackageGroupName="Churn", InferenceSpecification=SPEC)
    second = sm.create_model_package(
        ModelPackageGroupName=f"{GROUP_ARN}/churn",  # the group's ARN as well as its name
        ModelPackageDescription="second",
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"a": "1"},
        MetadataProperties={"CommitId": "abc"},
        Domain="MACHINE_LEARNING",
        Task="CLASSIFICATION",
        SamplePayloadUrl="s3://b/sample",
    )
    # AWS lower-cases the name in the ARN; versions count from 1.
    assert first["ModelPackageArn"] == f"{ARN}/churn/1"
    assert second["ModelPackageArn"] == f"{ARN}/churn/2"
    for name in (f"{ARN}/churn/1", "Churn/1", "churn/1"):
        described = sm.describe_model_package(ModelPackageName=name)
        del described["ResponseMetadata"]
        creation = described.pop("CreationTime")
        modified = described.pop("LastModifiedTime")
        assert modified == creation
        assert described == {
            "ModelPackageName": "Churn",
            "ModelPackageGroupName": "Churn",
            "ModelPackageVersion": 1,
            "ModelPackageArn": f"{ARN}/churn/1",
            "InferenceSpecification": SPEC,
            # A versioned package given no approval waits for one.
            "ModelApprovalStatus": "PendingManualApproval",
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "CreatedBy": {},
        }
    second_described = sm.describe_model_package(ModelPackageName=second["ModelPackageArn"])
    assert {k: second_described[k] for k in ("ModelApprovalStatus", "CustomerMetadataProperties", "Domain")} == {
        "ModelApprovalStatus": "Approved",
        "CustomerMetadataProperties": {"a": "1"},
        "Domain": "MACHINE_LEARNING",
    }
    assert second_described["MetadataProperties"] == {"CommitId": "abc"}


def test_unversioned_packages_and_the_rule_for_both_or_neither(sm: Any) -> None:
    created = sm.create_model_package(
        ModelPackageName="Market-Pkg",
        InferenceSpecification={
            **SPEC,
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
        },
        CertifyForMarketplace=True,
        ValidationSpecification={
            "ValidationRole": ROLE,
            "ValidationProfiles": [
                {
                    "ProfileName": "p1",
                    "TransformJobDefinition": {
                        "TransformInput": {
                            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/i"}}
                        },
                        "TransformOutput": {"S3OutputPath": "s3://b/o"},
                        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
                    },
                }
            ],
        },
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    assert created["ModelPackageArn"] == f"{ARN}/market-pkg"
    described = sm.describe_model_package(ModelPackageName="market-pkg")
    assert described["ModelPackageName"] == "Market-Pkg"
    assert "ModelPackageGroupName" not in described and "ModelPackageVersion" not in described
    # Approval does not apply to unversioned packages: none is given them.
    assert "ModelApprovalStatus" not in described
    assert described["CertifyForMarketplace"] is True
    assert described["ModelPackageStatusDetails"] == {"ValidationStatuses": [{"Name": "p1", "Status": "Completed"}]}
    assert sm.list_tags(ResourceArn=created["ModelPackageArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert error_of(sm.create_model_package, ModelPackageName="market-pkg") == (
        "ValidationException",
        f'Cannot create already existing model package "{ARN}/market-pkg".',
    )
    sm.create_model_package_group(ModelPackageGroupName="g")
    assert error_of(sm.create_model_package, ModelPackageName="x", ModelPackageGroupName="g") == (
        "ValidationException",
        "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.",
    )
    assert error_of(sm.create_model_package, InferenceSpecification=SPEC) == ("ValidationException", "Missing ARN.")
    assert error_of(sm.create_model_package, ModelPackageGroupName="nope") == (
        "ValidationException",
        f"ModelPackageGroup {GROUP_ARN}/nope does not exist.",
    )
    assert error_of(sm.create_model_package, ModelPackageGroupName="g", Tags=[{"Key": "k", "Value": "v"}]) == (
        "ValidationException",
        "Tags cannot be supplied with ModelPackageGroupName: a versioned model package uses the tags of its model"
        " package group.",
    )
    # Nothing was stored by the refused requests.
    assert arns(sm.list_model_packages(ModelPackageType="Both")) == [f"{ARN}/market-pkg"]


def test_only_an_unversioned_package_must_name_its_instance_types(sm: Any) -> None:
    """The API model: both instance type lists are "required for unversioned models, and optional for versioned
    models". Creating is in the validation table; an update that replaces the InferenceSpecification is held to the
    same rule, and a version to neither."""
    arn = sm.create_model_package(ModelPackageName="solo", InferenceSpecification=UNVERSIONED_SPEC)["ModelPackageArn"]
    assert error_of(sm.update_model_package, ModelPackageArn=arn, InferenceSpecification=SPEC) == (
        "ValidationException",
        "SupportedRealtimeInferenceInstanceTypes is required in InferenceSpecification for an unversioned model package.",
    )
    assert sm.describe_model_package(ModelPackageName="solo")["InferenceSpecification"] == UNVERSIONED_SPEC
    sm.create_model_package_group(ModelPackageGroupName="g")
    version = sm.create_model_package(ModelPackageGroupName="g", InferenceSpecification=SPEC)["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=version, InferenceSpecification={**SPEC, "SupportedContentTypes": ["a/b"]})
    described = sm.describe_model_package(ModelPackageName=version)["InferenceSpecification"]
    assert described == {**SPEC, "SupportedContentTypes": ["a/b"]}


@pytest.mark.parametrize(
    "name",
    [
        "arn:aws:sagemaker:us-east-1:210987654321:model-package/g/1",  # another account's
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package/g/1",  # another region's
        "arn:aws:sagemaker:us-east-1:123456789012:model/g/1",  # another kind's
    ],
)
def test_an_arn_outside_the_callers_scope_names_no_package(sm: Any, name: str) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    sm.create_model_package(ModelPackageGroupName="g")
    assert error_of(sm.describe_model_package, ModelPackageName=name) == (
        "ValidationException",
        f"ModelPackage {name} does not exist.",
    )
    assert error_of(sm.delete_model_package, ModelPackageName=name)[0] == "ValidationException"


def test_missing_packages(sm: Any) -> None:
    for name, arn in (("nope", f"{ARN}/nope"), ("G/7", f"{ARN}/g/7"), (f"{ARN}/g/7", f"{ARN}/g/7")):
        message = f"ModelPackage {arn} does not exist."
        assert error_of(sm.describe_model_package, ModelPackageName=name) == ("ValidationException", message)
        assert error_of(sm.delete_model_package, ModelPackageName=name) == ("ValidationException", message)
    assert error_of(sm.update_model_package, ModelPackageArn=f"{ARN}/g/7", ModelApprovalStatus="Approved") == (
        "ValidationException",
        f"ModelPackage {ARN}/g/7 does not exist.",
    )


def test_list_filters_sorts_and_pages(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="alpha")
    sm.create_model_package_group(ModelPackageGroupName="beta")
    sm.create_model_package(ModelPackageName="solo", ModelPackageDescription="unversioned")
    sm.create_model_package(ModelPackageGroupName="alpha", ModelApprovalStatus="Approved")
    sm.create_model_package(ModelPackageGroupName="beta")
    sm.create_model_package(ModelPackageGroupName="alpha", ModelPackageDescription="a2")
    # ModelPackageType defaults to Unversioned; a group lists its versions; CreationTime Ascending by default.
    assert arns(sm.list_model_packages()) == [f"{ARN}/solo"]
    assert arns(sm.list_model_packages(ModelPackageGroupName="alpha")) == [f"{ARN}/alpha/1", f"{ARN}/alpha/2"]
    assert arns(sm.list_model_packages(ModelPackageGroupName=f"{GROUP_ARN}/alpha", SortOrder="Descending")) == [
        f"{ARN}/alpha/2",
        f"{ARN}/alpha/1",
    ]
    assert arns(sm.list_model_packages(ModelPackageType="Versioned")) == [
        f"{ARN}/alpha/1",
        f"{ARN}/beta/1",
        f"{ARN}/alpha/2",
    ]
    assert len(arns(sm.list_model_packages(ModelPackageType="Both"))) == 4
    assert arns(sm.list_model_packages(ModelPackageType="Both", ModelApprovalStatus="PendingManualApproval")) == [
        f"{ARN}/beta/1",
        f"{ARN}/alpha/2",
    ]
    assert arns(sm.list_model_packages(ModelPackageType="Both", NameContains="ALP", SortBy="Name")) == [
        f"{ARN}/alpha/1",
        f"{ARN}/alpha/2",
    ]
    # A group ARN of another account holds nothing here.
    other = "arn:aws:sagemaker:us-east-1:210987654321:model-package-group/alpha"
    assert arns(sm.list_model_packages(ModelPackageGroupName=other)) == []
    listed = sm.list_model_packages(ModelPackageGroupName="alpha")["ModelPackageSummaryList"]
    for summary in listed:
        summary.pop("CreationTime")
    # A versioned package's summary has its group and version, and no ModelPackageName.
    assert listed == [
        {
            "ModelPackageGroupName": "alpha",
            "ModelPackageVersion": 1,
            "ModelPackageArn": f"{ARN}/alpha/1",
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved",
        },
        {
            "ModelPackageGroupName": "alpha",
            "ModelPackageVersion": 2,
            "ModelPackageArn": f"{ARN}/alpha/2",
            "ModelPackageDescription": "a2",
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "PendingManualApproval",
        },
    ]
    solo = sm.list_model_packages()["ModelPackageSummaryList"][0]
    assert (solo["ModelPackageName"], solo["ModelPackageDescription"]) == ("solo", "unversioned")
    pages = sm.get_paginator("list_model_packages").paginate(ModelPackageType="Both", PaginationConfig={"PageSize": 3})
    assert [len(page["ModelPackageSummaryList"]) for page in pages] == [3, 1]
    # A token is bound to its filters.
    first = sm.list_model_packages(ModelPackageType="Both", MaxResults=1)
    assert (
        error_of(sm.list_model_packages, ModelPackageType="Versioned", MaxResults=1, NextToken=first["NextToken"])[0]
        == "ValidationException"
    )


def test_name_contains_matches_a_versions_group_name_never_its_version(sm: Any) -> None:
    """NameContains matches a package's name, for a version its group's (as DescribeModelPackage names it); the
    version number is no part of a name, so an all-digit filter does not find every version 1."""
    sm.create_model_package_group(ModelPackageGroupName="churn")
    sm.create_model_package_group(ModelPackageGroupName="model2")
    sm.create_model_package(ModelPackageGroupName="churn")
    sm.create_model_package(ModelPackageGroupName="churn")
    sm.create_model_package(ModelPackageGroupName="model2")
    sm.create_model_package(ModelPackageName="solo2")
    assert sm.describe_model_package(ModelPackageName=f"{ARN}/churn/2")["ModelPackageName"] == "churn"
    assert arns(sm.list_model_packages(ModelPackageType="Both", NameContains="1")) == []
    assert arns(sm.list_model_packages(ModelPackageType="Both", NameContains="2")) == [
        f"{ARN}/model2/1",
        f"{ARN}/solo2",
    ]
    assert arns(sm.list_model_packages(ModelPackageType="Versioned", NameContains="2")) == [f"{ARN}/model2/1"]
    assert arns(sm.list_model_packages(ModelPackageGroupName="churn", NameContains="2")) == []
    assert arns(sm.list_model_packages(ModelPackageGroupName="churn", NameContains="HUR")) == [
        f"{ARN}/churn/1",
        f"{ARN}/churn/2",
    ]
    assert arns(sm.list_model_packages(ModelPackageType="Unversioned", NameContains="2")) == [f"{ARN}/solo2"]


def test_update_approval_and_customer_metadata(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    arn = sm.create_model_package(ModelPackageGroupName="g", CustomerMetadataProperties={"keep": "1", "drop": "2"})[
        "ModelPackageArn"
    ]
    before = sm.describe_model_package(ModelPackageName=arn)
    updated = sm.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Approved",
        ApprovalDescription="looks good",
        CustomerMetadataProperties={"new": "3", "keep": "one"},
        CustomerMetadataPropertiesToRemove=["drop"],
    )
    assert updated["ModelPackageArn"] == arn
    after = sm.describe_model_package(ModelPackageName=arn)
    assert after["ModelApprovalStatus"] == "Approved"
    assert after["ApprovalDescription"] == "looks good"
    assert after["CustomerMetadataProperties"] == {"keep": "one", "new": "3"}
    assert after["LastModifiedTime"] >= before["LastModifiedTime"]
    assert arns(sm.list_model_packages(ModelPackageGroupName="g", ModelApprovalStatus="Approved")) == [arn]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Rejected"
    assert arns(sm.list_model_packages(ModelPackageGroupName="g", ModelApprovalStatus="Approved")) == []
    assert error_of(sm.update_model_package, ModelPackageArn=arn, ModelApprovalStatus="Maybe")[0] == (
        "ValidationException"
    )


def test_delete_group_while_it_holds_versions_and_delete_versions(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    sm.create_model_package(ModelPackageGroupName="g")
    sm.create_model_package(ModelPackageGroupName="g")
    message = f"ModelPackageGroup {GROUP_ARN}/g cannot be deleted because it contains model packages."
    assert error_of(sm.delete_model_package_group, ModelPackageGroupName="g") == ("ConflictException", message)
    sm.delete_model_package(ModelPackageName=f"{ARN}/g/1")
    sm.delete_model_package(ModelPackageName="g/2")
    # Deleting a package leaves its group.
    assert sm.describe_model_package_group(ModelPackageGroupName="g")["ModelPackageGroupName"] == "g"
    sm.delete_model_package_group(ModelPackageGroupName="g")
    # A group of the same name's prefix never counts as holding them.
    sm.create_model_package_group(ModelPackageGroupName="g")
    sm.create_model_package_group(ModelPackageGroupName="g-2")
    sm.create_model_package(ModelPackageGroupName="g-2")
    sm.delete_model_package_group(ModelPackageGroupName="g")


def test_batch_describe(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    arn = sm.create_model_package(ModelPackageGroupName="g", InferenceSpecification=SPEC)["ModelPackageArn"]
    solo = sm.create_model_package(ModelPackageName="solo")["ModelPackageArn"]
    bare = sm.create_model_package(ModelPackageGroupName="g")["ModelPackageArn"]
    answer = sm.batch_describe_model_package(ModelPackageArnList=[arn, solo, f"{ARN}/g/9", bare])
    summary = answer["ModelPackageSummaries"][arn]
    summary.pop("CreationTime")
    assert summary == {
        "ModelPackageGroupName": "g",
        "ModelPackageVersion": 1,
        "ModelPackageArn": arn,
        "InferenceSpecification": SPEC,
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "PendingManualApproval",
    }
    assert answer["BatchDescribeModelPackageErrorMap"] == {
        solo: {
            "ErrorCode": "ValidationException",
            "ErrorResponse": f"Model package {solo} is not a versioned model package.",
        },
        f"{ARN}/g/9": {"ErrorCode": "ValidationException", "ErrorResponse": f"ModelPackage {ARN}/g/9 does not exist."},
        # The summary's InferenceSpecification is required: a version registered without one cannot have one.
        bare: {
            "ErrorCode": "ValidationException",
            "ErrorResponse": f"Model package {bare} has no InferenceSpecification.",
        },
    }


def test_tags_on_a_versioned_package(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    arn = sm.create_model_package(ModelPackageGroupName="g")["ModelPackageArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["stage"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == []
    assert error_of(sm.list_tags, ResourceArn=f"{ARN}/g/2") == (
        "ValidationException",
        f"ModelPackage {ARN}/g/2 does not exist.",
    )


def test_limits(make_settings: Any) -> None:
    from tests.support import running_server, sagemaker_client

    with running_server(make_settings(max_model_packages=2, max_model_package_groups=1)) as url:
        sm = sagemaker_client(url)
        sm.create_model_package_group(ModelPackageGroupName="g")
        code, message = error_of(sm.create_model_package_group, ModelPackageGroupName="h")
        assert (code, message) == (
            "ResourceLimitExceeded",
            "The account-level service limit 'Number of model package groups' is 1 ModelPackageGroups, with current"
            " utilization of 1 ModelPackageGroups and a request delta of 1 ModelPackageGroups. Please contact AWS"
            " support to request an increase for this limit.",
        )
        sm.create_model_package(ModelPackageGroupName="g")
        sm.create_model_package(ModelPackageName="solo")
        limit = (
            "The account-level service limit 'Number of model packages' is 2 ModelPackages, with current utilization"
            " of 2 ModelPackages and a request delta of 1 ModelPackages. Please contact AWS support to request an"
            " increase for this limit."
        )
        assert error_of(sm.create_model_package, ModelPackageGroupName="g") == ("ResourceLimitExceeded", limit)
        assert error_of(sm.create_model_package, ModelPackageName="other") == ("ResourceLimitExceeded", limit)
        # The refused version took no number: after a delete the next one is 2.
        sm.delete_model_package(ModelPackageName="solo")
        assert sm.create_model_package(ModelPackageGroupName="g")["ModelPackageArn"] == f"{ARN}/g/2"


def test_create_model_from_a_package(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    arn = sm.create_model_package(ModelPackageGroupName="g", InferenceSpecification=SPEC)["ModelPackageArn"]
    sm.create_model_package(ModelPackageName="solo", InferenceSpecification=UNVERSIONED_SPEC)
    refused = (
        f"Model package {arn} cannot be deployed: its ModelApprovalStatus is PendingManualApproval, and a versioned"
        " model package must be Approved to deploy the model."
    )
    assert error_of(
        sm.create_model, ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": arn}
    ) == ("ValidationException", refused)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    for i, name in enumerate((arn, "g/1", "solo", f"{ARN}/solo")):
        sm.create_model(ModelName=f"m{i}", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": name})
        # DescribeModel echoes the container as sent.
        assert sm.describe_model(ModelName=f"m{i}")["PrimaryContainer"] == {
            "ModelPackageName": name,
            "Mode": "SingleModel",
            "Environment": {},
        }
    sm.create_model(ModelName="pipe", ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": "solo"}, {"Image": "i"}])
    for name, missing in (
        ("nope", f"{ARN}/nope"),
        ("g/2", f"{ARN}/g/2"),
        ("arn:aws:sagemaker:eu-west-1:123456789012:model-package/g/1", None),
        ("arn:aws:sagemaker:us-east-1:210987654321:model-package/solo", None),
    ):
        assert error_of(
            sm.create_model,
            ModelName="x",
            ExecutionRoleArn=ROLE,
            Containers=[{"Image": "i"}, {"ModelPackageName": name}],
        ) == ("ValidationException", f"ModelPackage {missing or name} does not exist.")
    assert error_of(sm.describe_model, ModelName="x")[0] == "ValidationException"


def test_the_aws_cli(endpoint: str, tmp_path: Path) -> None:
    cli = aws_cli(endpoint, tmp_path)
    cli("create-model-package-group", "--model-package-group-name", "g")
    spec = json.dumps(SPEC)
    created = json.loads(
        cli("create-model-package", "--model-package-group-name", "g", "--inference-specification", spec).stdout
    )
    assert created == {"ModelPackageArn": f"{ARN}/g/1"}
    described = json.loads(cli("describe-model-package", "--model-package-name", f"{ARN}/g/1").stdout)
    assert described["ModelPackageVersion"] == 1
    updated = cli("update-model-package", "--model-package-arn", f"{ARN}/g/1", "--model-approval-status", "Approved")
    assert json.loads(updated.stdout) == {"ModelPackageArn": f"{ARN}/g/1"}
    listed = json.loads(cli("list-model-packages", "--model-package-group-name", "g").stdout)
    assert [p["ModelApprovalStatus"] for p in listed["ModelPackageSummaryList"]] == ["Approved"]
    batch = json.loads(cli("batch-describe-model-package", "--model-package-arn-list", f"{ARN}/g/1").stdout)
    assert list(batch["ModelPackageSummaries"]) == [f"{ARN}/g/1"]
    conflict = cli("delete-model-package-group", "--model-package-group-name", "g")
    assert conflict.returncode == 254 or conflict.returncode == 255
    assert "ConflictException" in conflict.stderr
    assert cli("delete-model-package", "--model-package-name", f"{ARN}/g/1").returncode == 0
    missing = cli("describe-model-package", "--model-package-name", "g/1")
    assert f"ModelPackage {ARN}/g/1 does not exist." in missing.stderr


def test_an_endpoint_of_a_package_model_is_answered_by_the_packages_model_server(make_settings: Any) -> None:
    from tests.model_server import model_server
    from tests.support import running_server, sagemaker_client

    image = SPEC["Containers"][0]["Image"]
    with model_server() as (model, _), running_server(make_settings(model_servers={image: model})) as url:
        sm = sagemaker_client(url)
        runtime = sagemaker_client(url, service="sagemaker-runtime")
        sm.create_model_package_group(ModelPackageGroupName="g")
        arn = sm.create_model_package(ModelPackageGroupName="g", InferenceSpecification=SPEC)["ModelPackageArn"]
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": arn})
        variant = {
            "VariantName": "AllTraffic",
            "ModelName": "m",
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
        }
        sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[variant])
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        sm.get_waiter("endpoint_in_service").wait(EndpointName="e", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        deployed = sm.describe_endpoint(EndpointName="e")["ProductionVariants"][0]["DeployedImages"]
        # The endpoint deploys the package's image.
        assert [d["SpecifiedImage"] for d in deployed] == [image]
        answer = runtime.invoke_endpoint(
            EndpointName="e", Body=b'{"instances": [1, 2.5]}', ContentType="application/json"
        )
        assert json.loads(answer["Body"].read()) == {"predictions": [3, 6]}
        # A pipeline whose second container names the package runs the package's container second.
        sm.create_model(
            ModelName="pipe", ExecutionRoleArn=ROLE, Containers=[{"Image": "echo"}, {"ModelPackageName": "g/1"}]
        )
        sm.create_endpoint_config(EndpointConfigName="pc", ProductionVariants=[{**variant, "ModelName": "pipe"}])
        sm.create_endpoint(EndpointName="pe", EndpointConfigName="pc")
        sm.get_waiter("endpoint_in_service").wait(EndpointName="pe", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        answer = runtime.invoke_endpoint(EndpointName="pe", Body=b'{"instances": [1]}', ContentType="application/json")
        assert json.loads(answer["Body"].read()) == {"predictions": [3]}


def test_export_then_import_restores_groups_and_packages(make_settings: Any, tmp_path: Path) -> None:

    from emulator.settings import Settings
    from tests.support import running_server, sagemaker_client

    with running_server(make_settings()) as first:
        sm = sagemaker_client(first)
        sm.create_model_package_group(ModelPackageGroupName="G", Tags=[{"Key": "team", "Value": "ml"}])
        versioned = sm.create_model_package(ModelPackageGroupName="G", InferenceSpecification=SPEC)["ModelPackageArn"]
        sm.create_model_package(ModelPackageGroupName="G")
        sm.update_model_package(ModelPackageArn=versioned, ModelApprovalStatus="Approved", ApprovalDescription="ok")
        sm.add_tags(ResourceArn=versioned, Tags=[{"Key": "stage", "Value": "prod"}])
        sm.create_model_package(ModelPackageName="Solo", Tags=[{"Key": "k", "Value": "v"}])
        originals = [sm.describe_model_package(ModelPackageName=n) for n in ("G/1", "G/2", "Solo")]
        snapshot = http().get(f"{first}/_emulator/state").json()
        assert [p["model_package_name"] for p in snapshot["model_packages"]] == ["G/1", "G/2", "Solo"]
        # An unversioned package exported before its instance types were required still imports.
        snapshot["model_packages"][2]["definition"]["InferenceSpecification"] = SPEC
        originals[2]["InferenceSpecification"] = SPEC
    with running_server(Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}")) as second:
        imported = http().put(f"{second}/_emulator/state", content=json.dumps(snapshot).encode())
        assert imported.status_code == 200, imported.text
        assert (imported.json()["imported_model_packages"], imported.json()["imported_model_package_groups"]) == (3, 1)
        sm = sagemaker_client(second)
        restored = [sm.describe_model_package(ModelPackageName=n) for n in ("G/1", "G/2", "Solo")]
        for original, copy in zip(originals, restored, strict=True):
            original.pop("ResponseMetadata")
            copy.pop("ResponseMetadata")
            assert copy == original
        # Approval filters and numbering go on from the imported versions.
        assert arns(sm.list_model_packages(ModelPackageGroupName="G", ModelApprovalStatus="Approved")) == [versioned]
        assert sm.create_model_package(ModelPackageGroupName="g")["ModelPackageArn"] == f"{ARN}/g/3"
        assert sm.list_tags(ResourceArn=versioned)["Tags"] == [{"Key": "stage", "Value": "prod"}]
        bad = {**snapshot, "model_packages": [{"model_package_name": "G/x"}]}
        refused = http().put(f"{second}/_emulator/state", content=json.dumps(bad).encode())
        assert refused.status_code == 400
        assert refused.json()["message"].startswith("model_packages[0]: ")
