"""How a project tests its SageMaker code with the emulator's pytest plugin. The package is not on PyPI: install it
with its [pytest] extra from a clone, a git URL or a wheel (README, "Use it in your project"), e.g.
`pip install '/path/to/sagemaker-emulator[pytest]'`, then use the fixtures. No conftest.py, no imports from the
emulator: the fixtures come with the package."""

import pytest
from botocore.exceptions import ClientError

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"


def register_model(sm, name):
    """The code under test: creates a model and returns its ARN."""
    return sm.create_model(ModelName=name, PrimaryContainer={"Image": IMAGE})["ModelArn"]


def test_register_model(sagemaker_client):
    arn = register_model(sagemaker_client, "churn-predictor")
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:model/churn-predictor"
    assert sagemaker_client.describe_model(ModelName="churn-predictor")["PrimaryContainer"]["Image"] == IMAGE


def test_each_test_starts_with_no_models(sagemaker_client):
    # The test above created the same name: it would be a duplicate if state leaked between tests.
    register_model(sagemaker_client, "churn-predictor")
    with pytest.raises(ClientError) as error:
        register_model(sagemaker_client, "churn-predictor")
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_endpoint_serves_any_sdk(sagemaker_emulator_endpoint):
    assert sagemaker_emulator_endpoint.startswith("http://127.0.0.1:")
