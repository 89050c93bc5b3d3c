"""DeleteModel, AddTags, ListTags and DeleteTags through boto3 against a live server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import as_described, aws_post, running_server, sagemaker_client

IMAGE = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"}
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model/"
RESERVED = "Tag keys starting with 'aws:' are reserved for AWS use."


def error_of(call: Any, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]  # type: ignore[no-any-return]


def tags(n: int, prefix: str = "k") -> list[dict[str, str]]:
    return [{"Key": f"{prefix}{i}", "Value": f"v{i}"} for i in range(n)]


# DeleteModel


def test_delete_removes_the_model_and_frees_its_name(sm: Any) -> None:
    sm.create_model(ModelName="Doomed", PrimaryContainer=IMAGE, Tags=[{"Key": "team", "Value": "a"}])
    sm.create_model(ModelName="kept", PrimaryContainer=IMAGE)
    reply = sm.delete_model(ModelName="doomed")  # names match case-insensitively
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200 and set(reply) == {"ResponseMetadata"}
    assert error_of(sm.describe_model, ModelName="Doomed") == {
        "Code": "ValidationException",
        "Message": f'Could not find model "{ARN}doomed".',
    }
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["kept"]
    sm.create_model(ModelName="Doomed", PrimaryContainer={"Image": "other"})
    assert sm.describe_model(ModelName="Doomed")["PrimaryContainer"] == as_described({"Image": "other"})
    assert sm.list_tags(ResourceArn=f"{ARN}doomed")["Tags"] == []  # the old model's tags went with it


def test_delete_of_a_missing_model_is_a_validation_error(sm: Any) -> None:
    assert error_of(sm.delete_model, ModelName="Never-Was") == {
        "Code": "ValidationException",
        "Message": f'Could not find model "{ARN}never-was".',
    }
    sm.create_model(ModelName="once", PrimaryContainer=IMAGE)
    sm.delete_model(ModelName="once")
    assert error_of(sm.delete_model, ModelName="once")["Message"] == f'Could not find model "{ARN}once".'


def test_delete_frees_a_slot_of_the_model_limit(make_settings: Any) -> None:
    with running_server(make_settings(max_models=2)) as url:
        sm = sagemaker_client(url)
        sm.create_model(ModelName="a", PrimaryContainer=IMAGE)
        sm.create_model(ModelName="b", PrimaryContainer=IMAGE)
        assert error_of(sm.create_model, ModelName="c", PrimaryContainer=IMAGE)["Code"] == "ResourceLimitExceeded"
        sm.delete_model(ModelName="a")
        with pytest.raises(ClientError):
            sm.delete_model(ModelName="a")  # a failed delete must not free another slot
        sm.create_model(ModelName="c", PrimaryContainer=IMAGE)
        assert error_of(sm.create_model, ModelName="d", PrimaryContainer=IMAGE)["Message"] == (
            "The account-level service limit 'Number of models' is 2 Models, with current utilization of 2 Models"
            " and a request delta of 1 Models. Please contact AWS support to request an increase for this limit."
        )


def test_delete_validates_the_name(sm: Any) -> None:
    assert error_of(sm.delete_model, ModelName="bad_name") == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy constraint:"
        " Member must satisfy regular expression pattern: [a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?",
    }


# Tags


def test_create_model_tags_are_listed_in_order(sm: Any) -> None:
    sent = [{"Key": "zeta", "Value": "1"}, {"Key": "alpha", "Value": ""}, {"Key": "ünï côde", "Value": "值 @+=/:."}]
    arn = sm.create_model(ModelName="Tagged", PrimaryContainer=IMAGE, Tags=sent)["ModelArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == sent
    assert sm.list_tags(ResourceArn=f"{ARN}Tagged")["Tags"] == sent  # the name part matches case-insensitively


def test_a_key_sent_twice_keeps_its_last_value(sm: Any) -> None:
    arn = sm.create_model(
        ModelName="twice",
        PrimaryContainer=IMAGE,
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}],
    )["ModelArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    added = sm.add_tags(ResourceArn=arn, Tags=[{"Key": "c", "Value": "4"}, {"Key": "c", "Value": "5"}])
    assert added["Tags"] == [{"Key": "c", "Value": "5"}]


def test_add_tags_adds_and_overwrites_by_key(sm: Any) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE, Tags=tags(2))["ModelArn"]
    added = sm.add_tags(ResourceArn=arn, Tags=[{"Key": "new", "Value": "n"}, {"Key": "k0", "Value": "changed"}])
    assert added["Tags"] == [{"Key": "new", "Value": "n"}, {"Key": "k0", "Value": "changed"}]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "k0", "Value": "changed"},  # an overwritten key keeps its place
        {"Key": "k1", "Value": "v1"},
        {"Key": "new", "Value": "n"},
    ]
    assert sm.add_tags(ResourceArn=arn, Tags=[])["Tags"] == []
    assert len(sm.list_tags(ResourceArn=arn)["Tags"]) == 3


def test_tag_keys_are_case_sensitive(sm: Any) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE, Tags=[{"Key": "Team", "Value": "a"}])["ModelArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["TEAM"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}]


def test_a_model_holds_at_most_50_tags(sm: Any) -> None:
    arn = sm.create_model(ModelName="full", PrimaryContainer=IMAGE, Tags=tags(48))["ModelArn"]
    assert error_of(sm.add_tags, ResourceArn=arn, Tags=tags(1, "x") + tags(2, "y") + tags(3, "k")) == {
        "Code": "ValidationException",
        "Message": f"A resource can have at most 50 tags: {ARN}full has 48 and the request adds 3 new keys.",
    }
    assert len(sm.list_tags(ResourceArn=arn)["Tags"]) == 48  # nothing of the failed request was stored
    sm.add_tags(ResourceArn=arn, Tags=tags(2, "x"))
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "overwritten"} for i in range(48)])  # at 50: fine
    listed = sm.list_tags(ResourceArn=arn)["Tags"]
    assert len(listed) == 50 and listed[0] == {"Key": "k0", "Value": "overwritten"}
    sm.delete_tags(ResourceArn=arn, TagKeys=["x0"])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "last", "Value": "in"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"][-1] == {"Key": "last", "Value": "in"}


def test_the_50_tag_limit_holds_under_concurrent_adds(sm: Any) -> None:
    arn = sm.create_model(ModelName="raced", PrimaryContainer=IMAGE, Tags=tags(40))["ModelArn"]

    def add(prefix: str) -> int:
        return aws_post(sm.meta.endpoint_url, "AddTags", {"ResourceArn": arn, "Tags": tags(6, prefix)}).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(add, ["a", "b", "c", "d"]))
    assert statuses == [200, 400, 400, 400]
    assert len(sm.list_tags(ResourceArn=arn)["Tags"]) == 46


@pytest.mark.parametrize("key", ["aws:cost-center", "AWS:x", "Aws:", "aws:"])
def test_the_aws_prefix_is_reserved(sm: Any, key: str) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE)["ModelArn"]
    expected = {"Code": "ValidationException", "Message": RESERVED}
    assert (
        error_of(sm.add_tags, ResourceArn=arn, Tags=[{"Key": "fine", "Value": "1"}, {"Key": key, "Value": "v"}])
        == expected
    )
    assert (
        error_of(sm.create_model, ModelName="other", PrimaryContainer=IMAGE, Tags=[{"Key": key, "Value": "v"}])
        == expected
    )
    assert sm.list_tags(ResourceArn=arn)["Tags"] == []
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["m"]


def test_aws_in_a_value_or_inside_a_key_is_allowed(sm: Any) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE)["ModelArn"]
    sent = [{"Key": "team:aws:x", "Value": "aws:value"}, {"Key": "aws", "Value": ""}]
    sm.add_tags(ResourceArn=arn, Tags=sent)
    assert sm.list_tags(ResourceArn=arn)["Tags"] == sent


def test_delete_tags_ignores_missing_keys(sm: Any) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE, Tags=tags(3))["ModelArn"]
    assert set(sm.delete_tags(ResourceArn=arn, TagKeys=["k1", "absent"])) == {"ResponseMetadata"}
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k0", "Value": "v0"}, {"Key": "k2", "Value": "v2"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["absent"])
    assert len(sm.list_tags(ResourceArn=arn)["Tags"]) == 2


def test_list_tags_pages(sm: Any) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE, Tags=tags(50))["ModelArn"]
    listed = sm.list_tags(ResourceArn=arn, MaxResults=50)
    assert listed["Tags"] == tags(50) and "NextToken" not in listed
    walked = [t for page in sm.get_paginator("list_tags").paginate(ResourceArn=arn) for t in page["Tags"]]
    assert walked == tags(50)
    assert sm.list_tags(ResourceArn=arn, NextToken="")["Tags"] == tags(50)


def test_list_tags_rejects_bad_tokens_and_small_pages(sm: Any) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE)["ModelArn"]
    sm.create_model(ModelName="n", PrimaryContainer=IMAGE)
    models_token = sm.list_models(MaxResults=1)["NextToken"]
    for token in ["asdf", models_token]:
        assert error_of(sm.list_tags, ResourceArn=arn, NextToken=token) == {
            "Code": "ValidationException",
            "Message": 'Invalid pagination token because "{0}".',
        }
    assert error_of(sm.list_tags, ResourceArn=arn, MaxResults=49) == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '49' at 'maxResults' failed to satisfy constraint:"
        " Member must have value greater than or equal to 50",
    }


ARN_PATTERN = "arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+"
BAD_ARNS = [
    (
        "",
        f"1 validation error detected: Value '' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: {ARN_PATTERN}",
    ),
    (
        "arn:aws:s3:::bucket",
        f"1 validation error detected: Value 'arn:aws:s3:::bucket' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: {ARN_PATTERN}",
    ),
    ("arn:aws:sagemaker:us-west-2:123456789012:model/m", "ARN should be scoped to correct region: us-east-1"),
    ("arn:aws:sagemaker::123456789012:model/m", "ARN should be scoped to correct region: us-east-1"),
    ("arn:aws-cn:sagemaker:us-east-1:123456789012:model/m", "ARN should be scoped to correct partition: aws"),
    ("arn:aws:sagemaker:us-east-1:210987654321:model/m", "ARN should be scoped to correct account: 123456789012"),
    (
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/m",
        'Could not find resource "arn:aws:sagemaker:us-east-1:123456789012:training-job/m".',
    ),
    (
        "arn:aws:sagemaker:us-east-1:123456789012:model",
        'Could not find resource "arn:aws:sagemaker:us-east-1:123456789012:model".',
    ),
    (f"{ARN}missing", f'Could not find model "{ARN}missing".'),
    (f"{ARN}M/extra", f'Could not find model "{ARN}m/extra".'),
    (f"{ARN}", f'Could not find model "{ARN}".'),
]


@pytest.mark.parametrize(("arn", "message"), BAD_ARNS)
@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("add_tags", {"Tags": [{"Key": "k", "Value": "v"}]}),
        ("list_tags", {}),
        ("delete_tags", {"TagKeys": ["k"]}),
    ],
)
def test_an_arn_that_names_no_model_of_this_scope_is_a_validation_error(
    sm: Any, arn: str, message: str, operation: str, params: dict[str, Any]
) -> None:
    sm.create_model(ModelName="m", PrimaryContainer=IMAGE, Tags=[{"Key": "k", "Value": "kept"}])
    assert error_of(getattr(sm, operation), ResourceArn=arn, **params) == {
        "Code": "ValidationException",
        "Message": message,
    }
    assert sm.list_tags(ResourceArn=f"{ARN}m")["Tags"] == [{"Key": "k", "Value": "kept"}]


def test_tags_are_scoped_to_the_region(endpoint: str) -> None:
    east, west = sagemaker_client(endpoint), sagemaker_client(endpoint, region="us-west-2")
    east_arn = east.create_model(ModelName="same", PrimaryContainer=IMAGE)["ModelArn"]
    west_arn = west.create_model(ModelName="same", PrimaryContainer=IMAGE)["ModelArn"]
    west.add_tags(ResourceArn=west_arn, Tags=[{"Key": "where", "Value": "west"}])
    assert east.list_tags(ResourceArn=east_arn)["Tags"] == []
    assert (
        error_of(west.list_tags, ResourceArn=east_arn)["Message"] == "ARN should be scoped to correct region: us-west-2"
    )
    west.delete_model(ModelName="same")
    assert east.describe_model(ModelName="same")["ModelArn"] == east_arn


TAG_VALIDATION = [
    (
        {"Tags": [{"Key": "", "Value": "v"}]},
        "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ),
    (
        {"Tags": [{"Key": "k"}]},
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
    ),
    (
        {"Tags": tags(51)},
        None,  # the list itself is too long: checked by prefix below
    ),
    ({}, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"),
]


@pytest.mark.parametrize(("params", "message"), TAG_VALIDATION)
def test_add_tags_input_is_validated(sm: Any, params: dict[str, Any], message: str | None) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE)["ModelArn"]
    error = error_of(sm.add_tags, ResourceArn=arn, **params)
    assert error["Code"] == "ValidationException"
    if message is None:
        assert error["Message"].startswith("1 validation error detected: Value '[")
        assert error["Message"].endswith(
            "' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
        )
    else:
        assert error["Message"] == message
    assert sm.list_tags(ResourceArn=arn)["Tags"] == []


def test_delete_tags_input_is_validated(sm: Any) -> None:
    arn = sm.create_model(ModelName="m", PrimaryContainer=IMAGE)["ModelArn"]
    assert error_of(sm.delete_tags, ResourceArn=arn, TagKeys=[]) == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1",
    }
