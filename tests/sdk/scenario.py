"""The one scenario every SDK runs, and what the emulator must answer, step by step.

A runner is a function `call(operation, params) -> output dict` that raises ScenarioError(code, message) for an
AWS error; run_scenario drives it. The JavaScript runner (js/scenario.mjs) performs the same steps in node and
prints the same results, so check_results judges every SDK alike.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

MODEL = "Sdk-Model"
DEFINITION: dict[str, Any] = {
    "PrimaryContainer": {
        "ContainerHostname": "primary",
        "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0",
        "Mode": "SingleModel",
        "ModelDataUrl": "s3://bucket/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "LOG_LEVEL": "débug ✓"},
        "ImageConfig": {"RepositoryAccessMode": "Platform"},
    },
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
    "VpcConfig": {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123", "subnet-4567"]},
    "EnableNetworkIsolation": True,
}
FAR_FUTURE = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


class ScenarioError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


Call = Callable[[str, dict[str, Any]], dict[str, Any]]


def error_of(call: Call, operation: str, params: dict[str, Any]) -> dict[str, str]:
    try:
        call(operation, params)
    except ScenarioError as exc:
        return {"code": exc.code, "message": exc.message}
    raise AssertionError(f"{operation} succeeded but should have failed")


def epoch(value: Any) -> float:
    """CreationTime as epoch seconds, whichever form the SDK gave it in."""
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def run_scenario(call: Call) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["create"] = call("CreateModel", {"ModelName": MODEL, **DEFINITION, "Tags": [{"Key": "team", "Value": "ml"}]})
    # Empty list and map: paws drops them, the other SDKs send them; the answer must be the same.
    image = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"}
    call("CreateModel", {"ModelName": "sdk-other-1", "PrimaryContainer": {**image, "Environment": {}}, "Tags": []})
    call("CreateModel", {"ModelName": "sdk-other-2", "PrimaryContainer": image})
    call("CreateModel", {"ModelName": "unrelated", "PrimaryContainer": image})
    out["describe"] = call("DescribeModel", {"ModelName": "sdk-model"})
    first = call("ListModels", {"NameContains": "SDK", "SortBy": "Name", "SortOrder": "Ascending", "MaxResults": 2})
    second = call(
        "ListModels",
        {
            "NameContains": "SDK",
            "SortBy": "Name",
            "SortOrder": "Ascending",
            "MaxResults": 2,
            "NextToken": first["NextToken"],
        },
    )
    out["pages"] = [[m["ModelName"] for m in page["Models"]] for page in (first, second)]
    out["second_page_has_token"] = "NextToken" in second
    filtered = call("ListModels", {"NameContains": "other", "CreationTimeBefore": FAR_FUTURE, "SortOrder": "Ascending"})
    out["filtered"] = [m["ModelName"] for m in filtered["Models"]]
    arn = out["create"]["ModelArn"]
    out["other_tags"] = call("ListTags", {"ResourceArn": arn.replace("sdk-model", "sdk-other-1")})["Tags"]
    out["add_tags"] = call(
        "AddTags", {"ResourceArn": arn, "Tags": [{"Key": "stage", "Value": "prod"}, {"Key": "team", "Value": "mlops"}]}
    )
    out["tags_after_add"] = call("ListTags", {"ResourceArn": arn})["Tags"]
    out["delete_tags"] = call("DeleteTags", {"ResourceArn": arn, "TagKeys": ["team", "absent"]})
    out["tags_after_delete"] = call("ListTags", {"ResourceArn": arn})["Tags"]
    out["delete"] = call("DeleteModel", {"ModelName": MODEL})
    out["not_found"] = error_of(call, "DescribeModel", {"ModelName": MODEL})
    out["validation"] = error_of(call, "CreateModel", {"ModelName": "bad_name!", "PrimaryContainer": image})
    return out


def check_results(out: dict[str, Any], *, region: str = "us-east-1", account: str = "123456789012") -> None:
    arn = f"arn:aws:sagemaker:{region}:{account}:model/sdk-model"
    described = dict(out["describe"])
    assert abs(epoch(described.pop("CreationTime")) - time.time()) < 120
    assert out["create"] == {"ModelArn": arn}
    # What AWS's DescribeModel adds: the ModelDataSource an S3 ModelDataUrl means, and the recommendation status.
    data_source = {"S3Uri": "s3://bucket/model.tar.gz", "S3DataType": "S3Object", "CompressionType": "Gzip"}
    assert described == {
        "ModelName": MODEL,
        "ModelArn": arn,
        **DEFINITION,
        "PrimaryContainer": {**DEFINITION["PrimaryContainer"], "ModelDataSource": {"S3DataSource": data_source}},
        "DeploymentRecommendation": {"RecommendationStatus": "NOT_APPLICABLE"},
    }
    assert out["pages"] == [["Sdk-Model", "sdk-other-1"], ["sdk-other-2"]]
    assert out["second_page_has_token"] is False
    assert out["filtered"] == ["sdk-other-1", "sdk-other-2"]
    assert out["other_tags"] == []
    assert out["add_tags"] == {"Tags": [{"Key": "stage", "Value": "prod"}, {"Key": "team", "Value": "mlops"}]}
    assert out["tags_after_add"] == [{"Key": "team", "Value": "mlops"}, {"Key": "stage", "Value": "prod"}]
    assert out["delete_tags"] == {}
    assert out["tags_after_delete"] == [{"Key": "stage", "Value": "prod"}]
    assert out["delete"] == {}
    assert out["not_found"] == {"code": "ValidationException", "message": f'Could not find model "{arn}".'}
    assert out["validation"] == {
        "code": "ValidationException",
        "message": "1 validation error detected: Value 'bad_name!' at 'modelName' failed to satisfy constraint:"
        " Member must satisfy regular expression pattern: [a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?",
    }
