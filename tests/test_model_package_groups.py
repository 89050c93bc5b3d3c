"""Model package groups through boto3, its paginator and the AWS CLI: create, describe and delete by name or ARN,
list with its own answer member, filters, sort and default order, tags on the group's ARN, AWS's texts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import aws_cli, error_of

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package-group"


def names(listed: dict[str, Any]) -> list[str]:
    return [g["ModelPackageGroupName"] for g in listed["ModelPackageGroupSummaryList"]]


def test_create_describe_list_delete(sm: Any) -> None:
    created = sm.create_model_package_group(
        ModelPackageGroupName="Churn-Models",
        ModelPackageGroupDescription="churn prediction",
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    assert created["ModelPackageGroupArn"] == f"{ARN}/churn-models"
    described = sm.describe_model_package_group(ModelPackageGroupName="churn-models")
    del described["ResponseMetadata"]
    creation = described.pop("CreationTime")
    assert described == {
        "ModelPackageGroupName": "Churn-Models",
        "ModelPackageGroupArn": f"{ARN}/churn-models",
        "ModelPackageGroupDescription": "churn prediction",
        "CreatedBy": {},
        "ModelPackageGroupStatus": "Completed",
    }
    # Describe and Delete take the ARN as well as the name (ArnOrName in the API model).
    by_arn = sm.describe_model_package_group(ModelPackageGroupName=created["ModelPackageGroupArn"])
    assert by_arn["ModelPackageGroupName"] == "Churn-Models"
    listed = sm.list_model_package_groups()
    assert listed["ModelPackageGroupSummaryList"] == [
        {
            "ModelPackageGroupName": "Churn-Models",
            "ModelPackageGroupArn": f"{ARN}/churn-models",
            "ModelPackageGroupDescription": "churn prediction",
            "CreationTime": creation,
            "ModelPackageGroupStatus": "Completed",
        }
    ]
    assert sm.list_tags(ResourceArn=created["ModelPackageGroupArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]
    sm.add_tags(ResourceArn=created["ModelPackageGroupArn"], Tags=[{"Key": "stage", "Value": "dev"}])
    assert len(sm.list_tags(ResourceArn=created["ModelPackageGroupArn"])["Tags"]) == 2
    sm.delete_model_package_group(ModelPackageGroupName=created["ModelPackageGroupArn"])
    missing = f"ModelPackageGroup {ARN}/churn-models does not exist."
    assert error_of(sm.describe_model_package_group, ModelPackageGroupName="Churn-Models") == (
        "ValidationException",
        missing,
    )
    assert error_of(sm.delete_model_package_group, ModelPackageGroupName="churn-models") == (
        "ValidationException",
        missing,
    )
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def test_a_duplicate_name_is_refused_whatever_its_case(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    assert error_of(sm.create_model_package_group, ModelPackageGroupName="G") == (
        "ValidationException",
        f"Model Package Group already exists: {ARN}/g",
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sagemaker:us-east-1:210987654321:model-package-group/g",  # another account's
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/g",  # another region's
        "arn:aws:sagemaker:us-east-1:123456789012:model/g",  # another kind's
    ],
)
def test_an_arn_outside_the_callers_scope_names_nothing(sm: Any, arn: str) -> None:
    sm.create_model_package_group(ModelPackageGroupName="g")
    assert error_of(sm.describe_model_package_group, ModelPackageGroupName=arn) == (
        "ValidationException",
        f"ModelPackageGroup {arn} does not exist.",
    )
    assert error_of(sm.delete_model_package_group, ModelPackageGroupName=arn)[0] == "ValidationException"
    assert names(sm.list_model_package_groups()) == ["g"]


def test_list_sorts_ascending_by_default_filters_and_pages(sm: Any) -> None:
    for name in ("b-group", "a-group", "c-other"):
        sm.create_model_package_group(ModelPackageGroupName=name)
    # Oldest first: ListModelPackageGroups' SortOrder defaults to Ascending (ListModels' to Descending).
    assert names(sm.list_model_package_groups()) == ["b-group", "a-group", "c-other"]
    assert names(sm.list_model_package_groups(SortOrder="Descending")) == ["c-other", "a-group", "b-group"]
    assert names(sm.list_model_package_groups(SortBy="Name")) == ["a-group", "b-group", "c-other"]
    assert names(sm.list_model_package_groups(NameContains="GROUP", SortBy="Name")) == ["a-group", "b-group"]
    first = sm.list_model_package_groups(MaxResults=2)
    assert names(first) == ["b-group", "a-group"]
    assert names(sm.list_model_package_groups(MaxResults=2, NextToken=first["NextToken"])) == ["c-other"]
    first_created = sm.describe_model_package_group(ModelPackageGroupName="b-group")["CreationTime"]
    assert "b-group" not in names(sm.list_model_package_groups(CreationTimeBefore=first_created))
    assert names(sm.list_model_package_groups(CreationTimeAfter=first_created)) == ["b-group", "a-group", "c-other"]
    assert names(sm.list_model_package_groups(CreationTimeAfter=first_created + timedelta(days=1))) == []
    pages = sm.get_paginator("list_model_package_groups").paginate(PaginationConfig={"PageSize": 1})
    assert [names(page) for page in pages] == [["b-group"], ["a-group"], ["c-other"]]
    every = sm.get_paginator("list_model_package_groups").paginate(PaginationConfig={"PageSize": 2}).build_full_result()
    assert names(every) == ["b-group", "a-group", "c-other"]


def test_the_aws_cli_creates_lists_and_deletes(endpoint: str, tmp_path: Path) -> None:
    cli = aws_cli(endpoint, tmp_path)
    created = cli(
        "create-model-package-group", "--model-package-group-name", "g", "--model-package-group-description", "d"
    )
    assert json.loads(created.stdout) == {"ModelPackageGroupArn": f"{ARN}/g"}
    listed = json.loads(cli("list-model-package-groups").stdout)
    assert [g["ModelPackageGroupName"] for g in listed["ModelPackageGroupSummaryList"]] == ["g"]
    assert cli("delete-model-package-group", "--model-package-group-name", f"{ARN}/g").returncode == 0
    missing = cli("describe-model-package-group", "--model-package-group-name", "g")
    assert missing.returncode == 255
    assert f"ModelPackageGroup {ARN}/g does not exist." in missing.stderr
