"""The requests every server gets: one realistic CreateModel definition, the names Describe reads, the List pages."""

from __future__ import annotations

import json
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"  # the region in the Authorization header load.lua sends
NAME_PLACEHOLDER = "__NAME__"

# What a training pipeline sends: image, artifact, environment, role, VPC, network isolation, tags.
CREATE_REQUEST: dict[str, Any] = {
    "ModelName": NAME_PLACEHOLDER,
    "PrimaryContainer": {
        "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310-ubuntu20.04-sagemaker",
        "ModelDataUrl": "s3://ml-artifacts-123456789012/churn/training-2024-05-01/output/model.tar.gz",
        "Mode": "SingleModel",
        "Environment": {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": "us-east-1",
            "MODEL_THRESHOLD": "0.42",
        },
    },
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240501T101010",
    "VpcConfig": {
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
        "Subnets": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    },
    "EnableNetworkIsolation": True,
    "Tags": [
        {"Key": "project", "Value": "churn"},
        {"Key": "owner", "Value": "ml-platform"},
        {"Key": "stage", "Value": "staging"},
    ],
}

# DescribeModel reads these names, created over HTTP before the scenario (same on every server).
DESCRIBE_PREFIX = "bench-describe-"
DESCRIBE_COUNT = 100

# The ListModels page compared at 1,000 and at 100,000 models: one in ten seeded names contains the filter word.
LIST_FILTER = "xgboost"
LIST_REQUEST: dict[str, Any] = {"NameContains": LIST_FILTER, "MaxResults": 100}
# The mixed workload lists the newest models, as a console or `aws sagemaker list-models` does.
MIXED_LIST_REQUEST: dict[str, Any] = {"MaxResults": 10}


# Endpoints: one model every config names, DescribeEndpoint over this many endpoints (each described once before,
# so the scenario reads InService endpoints as a deployed application polls them), and the deploy scenario's
# CreateEndpointConfig + CreateEndpoint pairs. Its endpoints deploy a config made before the run, not the one just
# created: wrk's connections interleave, so an endpoint could otherwise arrive before its config.
ENDPOINT_MODEL = "bench-endpoint-model"
ENDPOINT_PREFIX = "bench-endpoint-"
ENDPOINT_COUNT = 100
CONFIG_REQUEST: dict[str, Any] = {
    "EndpointConfigName": NAME_PLACEHOLDER,
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "ModelName": ENDPOINT_MODEL,
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": 1.0,
        }
    ],
    "Tags": [{"Key": "project", "Value": "churn"}],
}
ENDPOINT_REQUEST: dict[str, Any] = {"EndpointName": NAME_PLACEHOLDER, "EndpointConfigName": f"{ENDPOINT_PREFIX}0"}


# DescribeModelPackage over this many versions of one group, registered over HTTP before the scenario; they are
# described by their versioned names ('<group>/<version>'), as a deployment pipeline reads the version it deploys.
PACKAGE_GROUP = "bench-packages"
PACKAGE_COUNT = 100


# The register-approve-deploy flow (register_deploy), one after another on each connection: a version registered into
# this group, approved, a model made from its ARN, a config and an endpoint of that model, described until InService;
# what a registry-driven pipeline does per model version. Its baseline (image_deploy) is the same deployment of a model
# made from an image: the two differ by the registry's part (two more requests, the package read by CreateModel).
FLOW_GROUP = "bench-register"
ARN_PLACEHOLDER = "__ARN__"
FLOW_PACKAGE_REQUEST: dict[str, Any] = {
    "ModelPackageGroupName": FLOW_GROUP,
    "ModelPackageDescription": "churn model trained 2024-05-01",
    "InferenceSpecification": {
        "Containers": [
            {
                "Image": CREATE_REQUEST["PrimaryContainer"]["Image"],
                "ModelDataUrl": CREATE_REQUEST["PrimaryContainer"]["ModelDataUrl"],
            }
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    },
    "CustomerMetadataProperties": {"team": "ml"},
}
FLOW_UPDATE_REQUEST: dict[str, Any] = {"ModelPackageArn": ARN_PLACEHOLDER, "ModelApprovalStatus": "Approved"}
FLOW_PACKAGE_MODEL_REQUEST: dict[str, Any] = {
    "ModelName": NAME_PLACEHOLDER,
    "PrimaryContainer": {"ModelPackageName": ARN_PLACEHOLDER},
    "ExecutionRoleArn": CREATE_REQUEST["ExecutionRoleArn"],
}
FLOW_IMAGE_MODEL_REQUEST: dict[str, Any] = {
    "ModelName": NAME_PLACEHOLDER,
    "PrimaryContainer": {k: CREATE_REQUEST["PrimaryContainer"][k] for k in ("Image", "ModelDataUrl")},
    "ExecutionRoleArn": CREATE_REQUEST["ExecutionRoleArn"],
}
FLOW_CONFIG_REQUEST: dict[str, Any] = {
    **CONFIG_REQUEST,
    "ProductionVariants": [{**CONFIG_REQUEST["ProductionVariants"][0], "ModelName": NAME_PLACEHOLDER}],
}
FLOW_ENDPOINT_REQUEST: dict[str, Any] = {"EndpointName": NAME_PLACEHOLDER, "EndpointConfigName": NAME_PLACEHOLDER}
FLOW_DESCRIBE_REQUEST: dict[str, Any] = {"EndpointName": NAME_PLACEHOLDER}
FLOWS = ("image_deploy", "register_deploy")


def flow_templates(scenario: str) -> list[str]:
    """The six request bodies of a flow, in order (load.lua's register_deploy and image_deploy); '-' for the steps
    image_deploy skips."""
    if scenario == "register_deploy":
        head = [compact(FLOW_PACKAGE_REQUEST), compact(FLOW_UPDATE_REQUEST), compact(FLOW_PACKAGE_MODEL_REQUEST)]
    else:
        head = ["-", "-", compact(FLOW_IMAGE_MODEL_REQUEST)]
    tail = [FLOW_CONFIG_REQUEST, FLOW_ENDPOINT_REQUEST, FLOW_DESCRIBE_REQUEST]
    return head + [compact(each) for each in tail]


# InvokeEndpoint: one endpoint whose model server is the shipped example (examples/model_server/server.py), called
# directly and through the emulator with the same body and content type. Ten instances of the toy linear model.
INVOKE_ENDPOINT = "bench-invoke"
INVOKE_CONTENT_TYPE = "application/json"
INVOKE_REQUEST: dict[str, Any] = {"instances": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]}
INVOKE_DIRECT_PATH = "/invocations"
INVOKE_PROXIED_PATH = f"/endpoints/{INVOKE_ENDPOINT}/invocations"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def create_template() -> str:
    return compact(CREATE_REQUEST)


def create_body(name: str) -> bytes:
    return create_template().replace(NAME_PLACEHOLDER, name, 1).encode()


def seeded_name(i: int) -> str:
    """Names of the seeded store: every tenth carries the List filter word."""
    return f"{LIST_FILTER}-model-{i:07d}" if i % 10 == 0 else f"pytorch-model-{i:07d}"


def config_template() -> str:
    return compact(CONFIG_REQUEST)


def endpoint_template() -> str:
    return compact(ENDPOINT_REQUEST)
