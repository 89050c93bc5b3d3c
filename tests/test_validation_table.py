"""Invalid CreateModel/DescribeModel requests: the exact AWS code and full message for each, and nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import __version__
from tests.support import aws_post, http, running_server, sagemaker_client

ROLE = "arn:aws:iam::123456789012:role/r"
MODEL_NAME_PATTERN = r"[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?"
S3_PATTERN = "(https|s3)://([^/]+)/?(.*)"
TAG_PATTERN = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"
ID_PATTERN = "[-0-9a-zA-Z]+"
CHANNEL_PATTERN = r"[A-Za-z0-9\.\-_]+"
IMAGE_PATTERN = r"[\S]+"
ENV_KEY_CONSTRAINTS = (
    "[Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, "
    "Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_]*]"
)
ENV_VALUE_CONSTRAINTS = (
    "[Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, "
    r"Member must satisfy regular expression pattern: [\S\s]*]"
)
ID_CONSTRAINTS = (
    "[Member must have length less than or equal to 32, Member must have length greater than or equal to 0, "
    f"Member must satisfy regular expression pattern: {ID_PATTERN}]"
)
VALID_S3 = {"S3Uri": "s3://b/k", "S3DataType": "S3Object", "CompressionType": "Gzip"}


def one(value: str | None, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"1 validation error detected: Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def pc(**members: Any) -> dict[str, Any]:
    """A CreateModel body with a primary container made of the given members."""
    return {"ModelName": "m", "PrimaryContainer": {"Image": "img", **members}}


def pattern(p: str) -> str:
    return f"Member must satisfy regular expression pattern: {p}"


def longer(n: int) -> str:
    return f"Member must have length less than or equal to {n}"


def shorter(n: int) -> str:
    return f"Member must have length greater than or equal to {n}"


NOT_NULL = "Member must not be null"
NOT_AN_INTEGER = "NUMBER_VALUE can not be converted to an Integer"
MODEL_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model/m"
PACKAGE_SPEC = {"Containers": [{"Image": "i"}], "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": []}
LONG_NAME = "a" * 64
LONG_IMAGE = "i" * 256
BAD_ENV_KEY_MAP = {"1BAD": "v"}

# (id, operation, body, code, message)
CASES: list[tuple[str, str, Any, str, str]] = [
    # ModelName
    (
        "name-missing",
        "CreateModel",
        {"PrimaryContainer": {"Image": "i"}},
        "ValidationException",
        one(None, "modelName", NOT_NULL),
    ),
    (
        "name-null",
        "CreateModel",
        {"ModelName": None, "PrimaryContainer": {"Image": "i"}},
        "ValidationException",
        one(None, "modelName", NOT_NULL),
    ),
    (
        "name-pattern-underscore",
        "CreateModel",
        {"ModelName": "bad_name!"},
        "ValidationException",
        one("bad_name!", "modelName", pattern(MODEL_NAME_PATTERN)),
    ),
    (
        "name-leading-hyphen",
        "CreateModel",
        {"ModelName": "-abc"},
        "ValidationException",
        one("-abc", "modelName", pattern(MODEL_NAME_PATTERN)),
    ),
    (
        "name-trailing-hyphen",
        "CreateModel",
        {"ModelName": "abc-"},
        "ValidationException",
        one("abc-", "modelName", pattern(MODEL_NAME_PATTERN)),
    ),
    (
        "name-empty",
        "CreateModel",
        {"ModelName": ""},
        "ValidationException",
        one("", "modelName", pattern(MODEL_NAME_PATTERN)),
    ),
    (
        "name-unicode",
        "CreateModel",
        {"ModelName": "modèle"},
        "ValidationException",
        one("modèle", "modelName", pattern(MODEL_NAME_PATTERN)),
    ),
    (
        "name-too-long",
        "CreateModel",
        {"ModelName": LONG_NAME, "PrimaryContainer": {"Image": "i"}},
        "ValidationException",
        one(LONG_NAME, "modelName", longer(63)),
    ),
    (
        "name-too-long-and-bad",
        "CreateModel",
        {"ModelName": LONG_NAME + "!"},
        "ValidationException",
        f"2 validation errors detected: Value '{LONG_NAME}!' at 'modelName' failed to satisfy constraint: {longer(63)}; "
        f"Value '{LONG_NAME}!' at 'modelName' failed to satisfy constraint: {pattern(MODEL_NAME_PATTERN)}",
    ),
    # ExecutionRoleArn
    (
        "role-too-short",
        "CreateModel",
        {**pc(), "ExecutionRoleArn": "arn:aws:iam::1:r"},
        "ValidationException",
        "2 validation errors detected: Value 'arn:aws:iam::1:r' at 'executionRoleArn' failed to satisfy constraint: "
        f"{shorter(20)}; Value 'arn:aws:iam::1:r' at 'executionRoleArn' failed to satisfy constraint: "
        + pattern(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"),
    ),
    (
        "role-wrong-service",
        "CreateModel",
        {**pc(), "ExecutionRoleArn": "arn:aws:s3:::bucket-name-long"},
        "ValidationException",
        one(
            "arn:aws:s3:::bucket-name-long",
            "executionRoleArn",
            pattern(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"),
        ),
    ),
    (
        "role-non-ascii-digits",
        "CreateModel",
        {**pc(), "ExecutionRoleArn": "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/r"},
        "ValidationException",
        one(
            "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/r",
            "executionRoleArn",
            pattern(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"),
        ),
    ),
    # Container members
    (
        "image-whitespace",
        "CreateModel",
        pc(Image="my image"),
        "ValidationException",
        one("my image", "primaryContainer.image", pattern(r"[\S]+")),
    ),
    (
        "image-too-long",
        "CreateModel",
        pc(Image=LONG_IMAGE),
        "ValidationException",
        one(LONG_IMAGE, "primaryContainer.image", longer(255)),
    ),
    (
        "hostname-pattern",
        "CreateModel",
        pc(ContainerHostname="host_1"),
        "ValidationException",
        one("host_1", "primaryContainer.containerHostname", pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")),
    ),
    (
        "mode-enum",
        "CreateModel",
        pc(Mode="Multi"),
        "ValidationException",
        one("Multi", "primaryContainer.mode", "Member must satisfy enum value set: [SingleModel, MultiModel]"),
    ),
    (
        "model-data-url-scheme",
        "CreateModel",
        pc(ModelDataUrl="ftp://host/model"),
        "ValidationException",
        one("ftp://host/model", "primaryContainer.modelDataUrl", pattern(S3_PATTERN)),
    ),
    (
        "image-config-mode-missing",
        "CreateModel",
        pc(ImageConfig={}),
        "ValidationException",
        one(None, "primaryContainer.imageConfig.repositoryAccessMode", NOT_NULL),
    ),
    (
        "image-config-mode-enum",
        "CreateModel",
        pc(ImageConfig={"RepositoryAccessMode": "vpc"}),
        "ValidationException",
        one(
            "vpc",
            "primaryContainer.imageConfig.repositoryAccessMode",
            "Member must satisfy enum value set: [Platform, Vpc]",
        ),
    ),
    (
        "repository-auth-arn-missing",
        "CreateModel",
        pc(ImageConfig={"RepositoryAccessMode": "Vpc", "RepositoryAuthConfig": {}}),
        "ValidationException",
        one(None, "primaryContainer.imageConfig.repositoryAuthConfig.repositoryCredentialsProviderArn", NOT_NULL),
    ),
    (
        "repository-auth-arn-empty",
        "CreateModel",
        pc(
            ImageConfig={
                "RepositoryAccessMode": "Vpc",
                "RepositoryAuthConfig": {"RepositoryCredentialsProviderArn": ""},
            }
        ),
        "ValidationException",
        one("", "primaryContainer.imageConfig.repositoryAuthConfig.repositoryCredentialsProviderArn", shorter(1)),
    ),
    (
        "s3-uri-scheme",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {**VALID_S3, "S3Uri": "gs://b/k"}}),
        "ValidationException",
        one("gs://b/k", "primaryContainer.modelDataSource.s3DataSource.s3Uri", pattern(S3_PATTERN)),
    ),
    (
        "s3-data-type-enum",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {**VALID_S3, "S3DataType": "ManifestFile"}}),
        "ValidationException",
        one(
            "ManifestFile",
            "primaryContainer.modelDataSource.s3DataSource.s3DataType",
            "Member must satisfy enum value set: [S3Prefix, S3Object]",
        ),
    ),
    (
        "compression-enum",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {**VALID_S3, "CompressionType": "Zip"}}),
        "ValidationException",
        one(
            "Zip",
            "primaryContainer.modelDataSource.s3DataSource.compressionType",
            "Member must satisfy enum value set: [None, Gzip]",
        ),
    ),
    (
        "s3-source-all-missing",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {}}),
        "ValidationException",
        "3 validation errors detected: "
        "Value null at 'primaryContainer.modelDataSource.s3DataSource.s3Uri' failed to satisfy constraint: Member must not be null; "
        "Value null at 'primaryContainer.modelDataSource.s3DataSource.s3DataType' failed to satisfy constraint: Member must not be null; "
        "Value null at 'primaryContainer.modelDataSource.s3DataSource.compressionType' failed to satisfy constraint: Member must not be null",
    ),
    (
        "accept-eula-missing",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {**VALID_S3, "ModelAccessConfig": {}}}),
        "ValidationException",
        one(None, "primaryContainer.modelDataSource.s3DataSource.modelAccessConfig.acceptEula", NOT_NULL),
    ),
    (
        "hub-content-arn-too-long",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {**VALID_S3, "HubAccessConfig": {"HubContentArn": "h" * 256}}}),
        "ValidationException",
        one("h" * 256, "primaryContainer.modelDataSource.s3DataSource.hubAccessConfig.hubContentArn", longer(255)),
    ),
    (
        "manifest-uri-pattern",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {**VALID_S3, "ManifestS3Uri": "manifest"}}),
        "ValidationException",
        one("manifest", "primaryContainer.modelDataSource.s3DataSource.manifestS3Uri", pattern(S3_PATTERN)),
    ),
    (
        "additional-source-channel-pattern",
        "CreateModel",
        pc(AdditionalModelDataSources=[{"ChannelName": "bad name", "S3DataSource": VALID_S3}]),
        "ValidationException",
        one(
            "bad name",
            "primaryContainer.additionalModelDataSources.1.member.channelName",
            pattern(r"[A-Za-z0-9\.\-_]+"),
        ),
    ),
    (
        "additional-source-second-item",
        "CreateModel",
        pc(
            AdditionalModelDataSources=[
                {"ChannelName": "ok", "S3DataSource": VALID_S3},
                {"ChannelName": "", "S3DataSource": VALID_S3},
            ]
        ),
        "ValidationException",
        "2 validation errors detected: "
        f"Value '' at 'primaryContainer.additionalModelDataSources.2.member.channelName' failed to satisfy constraint: {shorter(1)}; "
        f"Value '' at 'primaryContainer.additionalModelDataSources.2.member.channelName' failed to satisfy constraint: {pattern(CHANNEL_PATTERN)}",
    ),
    (
        "additional-source-missing-members",
        "CreateModel",
        pc(AdditionalModelDataSources=[{}]),
        "ValidationException",
        "2 validation errors detected: "
        "Value null at 'primaryContainer.additionalModelDataSources.1.member.channelName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'primaryContainer.additionalModelDataSources.1.member.s3DataSource' failed to satisfy constraint: Member must not be null",
    ),
    (
        "additional-sources-too-many",
        "CreateModel",
        pc(AdditionalModelDataSources=[{"ChannelName": f"c{i}", "S3DataSource": VALID_S3} for i in range(6)]),
        "ValidationException",
        one(
            "["
            + ", ".join(
                f"{{ChannelName=c{i}, S3DataSource={{S3Uri=s3://b/k, S3DataType=S3Object, CompressionType=Gzip}}}}"
                for i in range(6)
            )
            + "]",
            "primaryContainer.additionalModelDataSources",
            longer(5),
        ),
    ),
    (
        "environment-key-pattern",
        "CreateModel",
        pc(Environment=BAD_ENV_KEY_MAP),
        "ValidationException",
        one("{1BAD=v}", "primaryContainer.environment", f"Map keys must satisfy constraint: {ENV_KEY_CONSTRAINTS}"),
    ),
    (
        "environment-value-too-long",
        "CreateModel",
        pc(Environment={"K": "v" * 1025}),
        "ValidationException",
        one(
            "{K=" + "v" * 1025 + "}",
            "primaryContainer.environment",
            f"Map value must satisfy constraint: {ENV_VALUE_CONSTRAINTS}",
        ),
    ),
    (
        "environment-key-too-long",
        "CreateModel",
        pc(Environment={"K" * 1025: "v"}),
        "ValidationException",
        one(
            "{" + "K" * 1025 + "=v}",
            "primaryContainer.environment",
            f"Map keys must satisfy constraint: {ENV_KEY_CONSTRAINTS}",
        ),
    ),
    (
        "environment-too-many",
        "CreateModel",
        pc(Environment={f"K{i}": "v" for i in range(101)}),
        "ValidationException",
        one("{" + ", ".join(f"K{i}=v" for i in range(101)) + "}", "primaryContainer.environment", longer(100)),
    ),
    (
        "model-package-name-pattern",
        "CreateModel",
        pc(ModelPackageName="pkg-"),
        "ValidationException",
        one(
            "pkg-",
            "primaryContainer.modelPackageName",
            pattern(
                r"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\/[0-9]{1,9})?"
            ),
        ),
    ),
    (
        "model-package-name-empty",
        "CreateModel",
        pc(ModelPackageName=""),
        "ValidationException",
        "2 validation errors detected: "
        f"Value '' at 'primaryContainer.modelPackageName' failed to satisfy constraint: {shorter(1)}; "
        "Value '' at 'primaryContainer.modelPackageName' failed to satisfy constraint: "
        + pattern(
            r"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\/[0-9]{1,9})?"
        ),
    ),
    (
        "inference-spec-name-pattern",
        "CreateModel",
        pc(InferenceSpecificationName="spec_1"),
        "ValidationException",
        one("spec_1", "primaryContainer.inferenceSpecificationName", pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")),
    ),
    (
        "model-cache-setting-enum",
        "CreateModel",
        pc(MultiModelConfig={"ModelCacheSetting": "On"}),
        "ValidationException",
        one(
            "On",
            "primaryContainer.multiModelConfig.modelCacheSetting",
            "Member must satisfy enum value set: [Enabled, Disabled]",
        ),
    ),
    # Containers list
    (
        "containers-too-many",
        "CreateModel",
        {"ModelName": "m", "Containers": [{"Image": "i"}] * 16},
        "ValidationException",
        one("[" + ", ".join(["{Image=i}"] * 16) + "]", "containers", longer(15)),
    ),
    (
        "containers-second-image",
        "CreateModel",
        {"ModelName": "m", "Containers": [{"Image": "i"}, {"Image": "a b"}]},
        "ValidationException",
        one("a b", "containers.2.member.image", pattern(r"[\S]+")),
    ),
    (
        "containers-null-item",
        "CreateModel",
        {"ModelName": "m", "Containers": [{"Image": "i"}, None]},
        "ValidationException",
        one(None, "containers.2.member", NOT_NULL),
    ),
    (
        "inference-mode-missing",
        "CreateModel",
        {"ModelName": "m", "Containers": [{"Image": "i"}], "InferenceExecutionConfig": {}},
        "ValidationException",
        one(None, "inferenceExecutionConfig.mode", NOT_NULL),
    ),
    (
        "inference-mode-enum",
        "CreateModel",
        {"ModelName": "m", "Containers": [{"Image": "i"}], "InferenceExecutionConfig": {"Mode": "Parallel"}},
        "ValidationException",
        one("Parallel", "inferenceExecutionConfig.mode", "Member must satisfy enum value set: [Serial, Direct]"),
    ),
    # Tags
    (
        "tag-key-empty",
        "CreateModel",
        {**pc(), "Tags": [{"Key": "", "Value": "v"}]},
        "ValidationException",
        one("", "tags.1.member.key", shorter(1)),
    ),
    (
        "tag-key-too-long",
        "CreateModel",
        {**pc(), "Tags": [{"Key": "k" * 129, "Value": "v"}]},
        "ValidationException",
        one("k" * 129, "tags.1.member.key", longer(128)),
    ),
    (
        "tag-value-pattern",
        "CreateModel",
        {
            **pc(),
            "Tags": [
                {
                    "Key": "k",
                    "Value": "a",
                },
                {"Key": "k2", "Value": "bad!"},
            ],
        },
        "ValidationException",
        one("bad!", "tags.2.member.value", pattern(TAG_PATTERN)),
    ),
    (
        "tag-value-missing",
        "CreateModel",
        {**pc(), "Tags": [{"Key": "k"}]},
        "ValidationException",
        one(None, "tags.1.member.value", NOT_NULL),
    ),
    (
        "tags-too-many",
        "CreateModel",
        {**pc(), "Tags": [{"Key": f"k{i}", "Value": ""} for i in range(51)]},
        "ValidationException",
        one("[" + ", ".join(f"{{Key=k{i}, Value=}}" for i in range(51)) + "]", "tags", longer(50)),
    ),
    # VpcConfig
    (
        "vpc-missing-members",
        "CreateModel",
        {**pc(), "VpcConfig": {}},
        "ValidationException",
        "2 validation errors detected: Value null at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must not be null; "
        "Value null at 'vpcConfig.subnets' failed to satisfy constraint: Member must not be null",
    ),
    (
        "vpc-empty-lists",
        "CreateModel",
        {**pc(), "VpcConfig": {"SecurityGroupIds": [], "Subnets": []}},
        "ValidationException",
        f"2 validation errors detected: Value '[]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: {shorter(1)}; "
        f"Value '[]' at 'vpcConfig.subnets' failed to satisfy constraint: {shorter(1)}",
    ),
    (
        "vpc-too-many-groups",
        "CreateModel",
        {**pc(), "VpcConfig": {"SecurityGroupIds": [f"sg-{i}" for i in range(6)], "Subnets": ["s"]}},
        "ValidationException",
        one("[sg-0, sg-1, sg-2, sg-3, sg-4, sg-5]", "vpcConfig.securityGroupIds", longer(5)),
    ),
    (
        "vpc-bad-subnet-id",
        "CreateModel",
        {**pc(), "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet_1"]}},
        "ValidationException",
        one("[subnet_1]", "vpcConfig.subnets", f"Member must satisfy constraint: {ID_CONSTRAINTS}"),
    ),
    (
        "vpc-security-group-id-too-long",
        "CreateModel",
        {**pc(), "VpcConfig": {"SecurityGroupIds": ["sg-1", "sg-" + "a" * 30], "Subnets": ["s"]}},
        "ValidationException",
        one(
            "[sg-1, sg-" + "a" * 30 + "]",
            "vpcConfig.securityGroupIds",
            f"Member must satisfy constraint: {ID_CONSTRAINTS}",
        ),
    ),
    # Several errors at several depths, in member order
    (
        "several-at-once",
        "CreateModel",
        {
            "ModelName": "bad!",
            "PrimaryContainer": {"Image": "a b", "Mode": "x"},
            "Tags": [{"Key": "", "Value": "v"}],
            "VpcConfig": {"SecurityGroupIds": ["sg"]},
        },
        "ValidationException",
        "5 validation errors detected: "
        f"Value 'bad!' at 'modelName' failed to satisfy constraint: {pattern(MODEL_NAME_PATTERN)}; "
        f"Value 'a b' at 'primaryContainer.image' failed to satisfy constraint: {pattern(IMAGE_PATTERN)}; "
        "Value 'x' at 'primaryContainer.mode' failed to satisfy constraint: Member must satisfy enum value set: [SingleModel, MultiModel]; "
        f"Value '' at 'tags.1.member.key' failed to satisfy constraint: {shorter(1)}; "
        "Value null at 'vpcConfig.subnets' failed to satisfy constraint: Member must not be null",
    ),
    # Wrong JSON types: SerializationException, before any constraint error
    (
        "type-name-number",
        "CreateModel",
        {"ModelName": 5},
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    ),
    (
        "type-name-true",
        "CreateModel",
        {"ModelName": True},
        "SerializationException",
        "TRUE_VALUE can not be converted to a String",
    ),
    (
        "type-name-list",
        "CreateModel",
        {"ModelName": ["a"]},
        "SerializationException",
        "Start of list found where not expected",
    ),
    (
        "type-name-object",
        "CreateModel",
        {"ModelName": {"a": 1}},
        "SerializationException",
        "Start of structure or map found where not expected.",
    ),
    (
        "type-isolation-string",
        "CreateModel",
        {**pc(), "EnableNetworkIsolation": "true"},
        "SerializationException",
        "STRING_VALUE can not be converted to a Boolean",
    ),
    (
        "type-isolation-number",
        "CreateModel",
        {**pc(), "EnableNetworkIsolation": 1},
        "SerializationException",
        "NUMBER_VALUE can not be converted to a Boolean",
    ),
    (
        "type-container-string",
        "CreateModel",
        {"ModelName": "m", "PrimaryContainer": "img"},
        "SerializationException",
        "Expected null",
    ),
    (
        "type-containers-object",
        "CreateModel",
        {"ModelName": "m", "Containers": {"Image": "i"}},
        "SerializationException",
        "Start of structure or map found where not expected.",
    ),
    (
        "type-containers-string",
        "CreateModel",
        {"ModelName": "m", "Containers": "i"},
        "SerializationException",
        "Expected list or null",
    ),
    (
        "type-environment-list",
        "CreateModel",
        pc(Environment=[["A", "b"]]),
        "SerializationException",
        "Start of list found where not expected",
    ),
    ("type-environment-string", "CreateModel", pc(Environment="A=b"), "SerializationException", "Expected map or null"),
    (
        "type-environment-value-number",
        "CreateModel",
        pc(Environment={"A": 1}),
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    ),
    (
        "type-subnet-number",
        "CreateModel",
        {**pc(), "VpcConfig": {"SecurityGroupIds": ["sg"], "Subnets": [1]}},
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    ),
    (
        "type-accept-eula-string",
        "CreateModel",
        pc(ModelDataSource={"S3DataSource": {**VALID_S3, "ModelAccessConfig": {"AcceptEula": "yes"}}}),
        "SerializationException",
        "STRING_VALUE can not be converted to a Boolean",
    ),
    (
        "type-before-constraints",
        "CreateModel",
        {"ModelName": "bad!", "Tags": [{"Key": 7, "Value": "v"}]},
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    ),
    # Numbers an Integer cannot hold, and null map values: malformed, never a 500 (issue 17). Raw bodies keep the
    # client's spelling of the number (json.dumps would write 1e2 as 100.0).
    ("int-integral-float", "ListModels", '{"MaxResults": 10.0}', "SerializationException", NOT_AN_INTEGER),
    ("int-exponent", "ListModels", '{"MaxResults": 1e2}', "SerializationException", NOT_AN_INTEGER),
    ("int-upper-exponent", "ListModels", '{"MaxResults": 1E1}', "SerializationException", NOT_AN_INTEGER),
    ("int-over-int-range", "ListModels", '{"MaxResults": 2147483648}', "SerializationException", NOT_AN_INTEGER),
    ("int-under-int-range", "ListModels", '{"MaxResults": -2147483649}', "SerializationException", NOT_AN_INTEGER),
    (
        "int-at-int-max",
        "ListModels",
        '{"MaxResults": 2147483647}',
        "ValidationException",
        one("2147483647", "maxResults", "Member must have value less than or equal to 100"),
    ),
    (
        "tags-int-float",
        "ListTags",
        f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": 50.0}}',
        "SerializationException",
        NOT_AN_INTEGER,
    ),
    (
        "tags-int-exponent",
        "ListTags",
        f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": 1e2}}',
        "SerializationException",
        NOT_AN_INTEGER,
    ),
    (
        "tags-int-long-max",
        "ListTags",
        f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": {2**63 - 1}}}',
        "SerializationException",
        NOT_AN_INTEGER,
    ),
    (
        "tags-int-past-u64",
        "ListTags",
        f'{{"ResourceArn": "{MODEL_ARN}", "MaxResults": {2**64}}}',
        "SerializationException",
        NOT_AN_INTEGER,
    ),
    (
        "environment-null-value",
        "CreateModel",
        pc(Environment={"A": None}),
        "SerializationException",
        "NULL_VALUE can not be converted to a String",
    ),
    (
        "environment-null-value-after-valid",
        "CreateModel",
        pc(Environment={"A": "b", "C": None}),
        "SerializationException",
        "NULL_VALUE can not be converted to a String",
    ),
    # AWS lists the first 10 violations and counts only those.
    (
        "violations-capped-at-ten",
        "CreateModel",
        {**pc(), "Tags": [{"Key": "", "Value": "v"}] * 12},
        "ValidationException",
        "10 validation errors detected: "
        + "; ".join(
            f"Value '' at 'tags.{i}.member.key' failed to satisfy constraint: {shorter(1)}" for i in range(1, 11)
        ),
    ),
    ("describe-name-missing", "DescribeModel", {}, "ValidationException", one(None, "modelName", NOT_NULL)),
    (
        "describe-name-pattern",
        "DescribeModel",
        {"ModelName": "a b"},
        "ValidationException",
        one("a b", "modelName", pattern(MODEL_NAME_PATTERN)),
    ),
    (
        "describe-name-number",
        "DescribeModel",
        {"ModelName": 1.5},
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    ),
    # Endpoint configs and endpoints: the API model's constraints, generated as for models
    (
        "config-variants-missing",
        "CreateEndpointConfig",
        {"EndpointConfigName": "c"},
        "ValidationException",
        one(None, "productionVariants", NOT_NULL),
    ),
    (
        "config-variants-empty",
        "CreateEndpointConfig",
        {"EndpointConfigName": "c", "ProductionVariants": []},
        "ValidationException",
        "1 validation error detected: Value '[]' at 'productionVariants' failed to satisfy constraint: " + shorter(1),
    ),
    (
        "config-variant-name-and-count",
        "CreateEndpointConfig",
        {"EndpointConfigName": "c", "ProductionVariants": [{"VariantName": "a b", "InitialInstanceCount": 0}]},
        "ValidationException",
        "2 validation errors detected: Value 'a b' at 'productionVariants.1.member.variantName' failed to satisfy"
        " constraint: " + pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}") + "; Value '0' at"
        " 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: Member must have value"
        " greater than or equal to 1",
    ),
    (
        "config-name-too-long",
        "CreateEndpointConfig",
        {"EndpointConfigName": LONG_NAME, "ProductionVariants": [{"VariantName": "v"}]},
        "ValidationException",
        # 64 characters also break the pattern's {0,62}: AWS reports both.
        f"2 validation errors detected: Value '{LONG_NAME}' at 'endpointConfigName' failed to satisfy constraint:"
        f" {longer(63)}; Value '{LONG_NAME}' at 'endpointConfigName' failed to satisfy constraint:"
        f" {pattern('[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}')}",
    ),
    (
        "configs-sort-by-status",
        "ListEndpointConfigs",
        {"SortBy": "Status"},
        "ValidationException",
        one("Status", "sortBy", "Member must satisfy enum value set: [Name, CreationTime]"),
    ),
    (
        "describe-config-name-missing",
        "DescribeEndpointConfig",
        {},
        "ValidationException",
        one(None, "endpointConfigName", NOT_NULL),
    ),
    (
        "endpoint-config-name-missing",
        "CreateEndpoint",
        {"EndpointName": "e"},
        "ValidationException",
        one(None, "endpointConfigName", NOT_NULL),
    ),
    (
        "endpoints-status-enum",
        "ListEndpoints",
        {"StatusEquals": "Up"},
        "ValidationException",
        one(
            "Up",
            "statusEquals",
            "Member must satisfy enum value set: [OutOfService, Creating, Updating, SystemUpdating, RollingBack,"
            " InService, Deleting, Failed, UpdateRollbackFailed]",
        ),
    ),
    (
        "update-endpoint-name-pattern",
        "UpdateEndpoint",
        {"EndpointName": "a_b", "EndpointConfigName": "c"},
        "ValidationException",
        one("a_b", "endpointName", pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")),
    ),
    (
        "weights-empty",
        "UpdateEndpointWeightsAndCapacities",
        {"EndpointName": "e", "DesiredWeightsAndCapacities": []},
        "ValidationException",
        "1 validation error detected: Value '[]' at 'desiredWeightsAndCapacities' failed to satisfy constraint: "
        + shorter(1),
    ),
    # Semantic rules after constraints
    (
        "config-variant-named-twice",
        "CreateEndpointConfig",
        {
            "EndpointConfigName": "c",
            "ProductionVariants": [{"VariantName": "a", "ModelName": "m"}, {"VariantName": "a", "ModelName": "m"}],
        },
        "ValidationException",
        'The variant name "a" was non-unique within the request.',
    ),
    (
        "config-shadow-variant-named-as-production",
        "CreateEndpointConfig",
        {
            "EndpointConfigName": "c",
            "ProductionVariants": [{"VariantName": "a", "ModelName": "m"}],
            "ShadowProductionVariants": [{"VariantName": "a", "ModelName": "m"}],
        },
        "ValidationException",
        'The variant name "a" was non-unique within the request.',
    ),
    (
        "config-serverless-memory-not-whole-gigabytes",
        "CreateEndpointConfig",
        {
            "EndpointConfigName": "c",
            "ProductionVariants": [
                {
                    "VariantName": "a",
                    "ModelName": "m",
                    "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1},
                },
                {
                    "VariantName": "b",
                    "ModelName": "m",
                    "ServerlessConfig": {"MemorySizeInMB": 1500, "MaxConcurrency": 1},
                },
            ],
            "ShadowProductionVariants": [
                {
                    "VariantName": "c",
                    "ModelName": "m",
                    "ServerlessConfig": {"MemorySizeInMB": 6143, "MaxConcurrency": 1},
                }
            ],
        },
        "ValidationException",
        "2 validation errors detected: Value '1500' at 'productionVariants.2.member.serverlessConfig.memorySizeInMB'"
        " failed to satisfy constraint: Member must satisfy enum value set: [1024, 2048, 3072, 4096, 5120, 6144];"
        " Value '6143' at 'shadowProductionVariants.1.member.serverlessConfig.memorySizeInMB' failed to satisfy"
        " constraint: Member must satisfy enum value set: [1024, 2048, 3072, 4096, 5120, 6144]",
    ),
    (
        "neither-container",
        "CreateModel",
        {"ModelName": "m"},
        "ValidationException",
        "Either PrimaryContainer or Containers must be specified.",
    ),
    (
        "empty-containers",
        "CreateModel",
        {"ModelName": "m", "Containers": []},
        "ValidationException",
        "Either PrimaryContainer or Containers must be specified.",
    ),
    (
        "both-containers",
        "CreateModel",
        {**pc(), "Containers": [{"Image": "i"}]},
        "ValidationException",
        "Only one of PrimaryContainer or Containers can be specified, not both.",
    ),
    (
        "inference-config-with-primary",
        "CreateModel",
        {**pc(), "InferenceExecutionConfig": {"Mode": "Serial"}},
        "ValidationException",
        "InferenceExecutionConfig can only be specified with Containers.",
    ),
    (
        "direct-without-hostnames",
        "CreateModel",
        {
            "ModelName": "m",
            "Containers": [{"Image": "i", "ContainerHostname": "a"}, {"Image": "i"}],
            "InferenceExecutionConfig": {"Mode": "Direct"},
        },
        "ValidationException",
        "ContainerHostname must be specified for every container when InferenceExecutionConfig Mode is Direct; container 2 has none.",
    ),
    (
        "environment-over-32k",
        "CreateModel",
        pc(Environment={f"K{i:02d}": "v" * 1000 for i in range(33)}),
        "ValidationException",
        "The total size of the Environment of PrimaryContainer is 33099 bytes, which exceeds the maximum of 32768 bytes for all keys and values together.",
    ),
    # An unversioned model package's InferenceSpecification names its instance types (the API model: "required for
    # unversioned models"); a versioned one need not. [inferred text] docs/decisions.md, CreateModelPackage.
    (
        "unversioned-package-without-realtime-instance-types",
        "CreateModelPackage",
        {
            "ModelPackageName": "pkg",
            "InferenceSpecification": {**PACKAGE_SPEC, "SupportedTransformInstanceTypes": ["ml.m5.large"]},
        },
        "ValidationException",
        "SupportedRealtimeInferenceInstanceTypes is required in InferenceSpecification for an unversioned model package.",
    ),
    (
        "unversioned-package-without-transform-instance-types",
        "CreateModelPackage",
        {
            "ModelPackageName": "pkg",
            "InferenceSpecification": {**PACKAGE_SPEC, "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]},
        },
        "ValidationException",
        "SupportedTransformInstanceTypes is required in InferenceSpecification for an unversioned model package.",
    ),
    (
        "unversioned-package-without-instance-types",
        "CreateModelPackage",
        {"ModelPackageName": "pkg", "InferenceSpecification": PACKAGE_SPEC},
        "ValidationException",
        "SupportedRealtimeInferenceInstanceTypes is required in InferenceSpecification for an unversioned model package.",
    ),
]


@pytest.fixture(scope="module")
def shared_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from emulator.settings import Settings

    db = tmp_path_factory.mktemp("validation") / "emulator.db"
    with running_server(Settings(database_url=f"sqlite:///{db}")) as url:
        yield url


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("operation", "body", "code", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_request(shared_endpoint: str, operation: str, body: Any, code: str, message: str) -> None:
    response = aws_post(shared_endpoint, operation, body)
    assert response.status_code == 400
    assert response.json() == {"__type": code, "message": message}
    assert response.headers["x-amzn-errortype"] == code
    # Nothing was stored: the name is still free.
    name = body.get("ModelName") if isinstance(body, dict) else None
    if operation == "CreateModel" and isinstance(name, str):
        assert aws_post(shared_endpoint, "DescribeModel", {"ModelName": name}).status_code == 400
    if operation == "CreateModelPackage":
        described = aws_post(shared_endpoint, "DescribeModelPackage", {"ModelPackageName": body["ModelPackageName"]})
        assert described.status_code == 400


def unserved(what: str) -> dict[str, str]:
    """The emulator's UnknownOperationException, which AWS sends without a message."""
    return {
        "__type": "UnknownOperationException",
        "message": f"sagemaker-emulator {__version__} does not serve {what}; the operations it serves are listed by"
        " GET /_emulator/version and in its README (Supported operations)",
    }


@pytest.mark.parametrize(
    ("target", "body", "expected"),
    [
        ("SageMaker.CreateModelX", b"{}", unserved("SageMaker.CreateModelX")),
        ("SageMaker.createModel", b"{}", unserved("SageMaker.createModel")),
        ("Sagemaker.CreateModel", b"{}", unserved("Sagemaker.CreateModel")),
        ("SageMaker.CreateTrainingJob", b"{}", unserved("SageMaker.CreateTrainingJob")),
        ("CreateModel", b"{}", unserved("CreateModel")),
        (None, b"{}", unserved("requests without an X-Amz-Target header")),
        ("SageMaker.CreateModel", b"{not json", {"__type": "SerializationException"}),
        ("SageMaker.CreateModel", b"", {"__type": "SerializationException"}),
        ("SageMaker.CreateModel", b'"a string"', {"__type": "SerializationException"}),
        ("SageMaker.CreateModel", b"null", {"__type": "SerializationException"}),
        (
            "SageMaker.CreateModel",
            b"[1]",
            {"__type": "SerializationException", "message": "Start of list found where not expected"},
        ),
        ("SageMaker.CreateModel", b"\xff\xfe{}", {"__type": "SerializationException"}),
    ],
    ids=[
        "unknown-op",
        "lower-case-op",
        "wrong-prefix-case",
        "unserved-op",
        "no-prefix",
        "no-target",
        "bad-json",
        "empty-body",
        "string-body",
        "null-body",
        "list-body",
        "not-utf8",
    ],
)
def test_wire_errors(shared_endpoint: str, target: str | None, body: bytes, expected: dict[str, str]) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    response = http().post(shared_endpoint + "/", content=body, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.json() == expected
    assert response.headers["x-amzn-requestid"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_unknown_operations(shared_endpoint: str, method: str) -> None:
    response = http().request(method, shared_endpoint + "/", headers={"X-Amz-Target": "SageMaker.DescribeModel"})
    assert (response.status_code, response.json()) == (400, unserved("SageMaker.DescribeModel"))


def test_errors_reach_boto3_with_code_and_message(shared_endpoint: str) -> None:
    sm = sagemaker_client(shared_endpoint)
    with pytest.raises(ClientError) as caught:
        sm.create_model(ModelName="bad_name!", PrimaryContainer={"Image": "i"})
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": one("bad_name!", "modelName", pattern(MODEL_NAME_PATTERN)),
    }
    with pytest.raises(ClientError) as caught:
        sm.create_model(ModelName="m", PrimaryContainer={"Image": "i"}, EnableNetworkIsolation="yes")
    assert caught.value.response["Error"]["Code"] == "SerializationException"


def test_json_message_is_the_only_message_key(shared_endpoint: str) -> None:
    body = json.loads(aws_post(shared_endpoint, "DescribeModel", {}).text)
    assert sorted(body) == ["__type", "message"]
