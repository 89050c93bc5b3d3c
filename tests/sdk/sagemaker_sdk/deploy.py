"""Model(...).deploy(), predictor.predict() and predictor.delete_endpoint() of the SageMaker Python SDK against the
emulator (its runtime echoes: no model server is configured).

Run by tests/sdk/test_sagemaker_python_sdk.py in a virtual environment of its own (the SDK's dependencies are
heavy): python deploy.py <endpoint URL>. Prints what it saw as JSON.
"""

import json
import sys
import time

import boto3
import sagemaker
import sagemaker.session
from sagemaker.model import Model
from sagemaker.predictor import Predictor

# The SDK sleeps its poll interval (30 s) before each DescribeEndpoint of its wait: record the sleeps instead of
# taking them, so the test shows how many polls the emulator made it need without paying for them.
sleeps = []


class _Clock:
    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def sleep(seconds):
        sleeps.append(seconds)


sagemaker.session.time = _Clock()
url = sys.argv[1]
boto_session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1")
client = boto_session.client("sagemaker", endpoint_url=url)
runtime = boto_session.client("sagemaker-runtime", endpoint_url=url)
session = sagemaker.Session(
    boto_session=boto_session,
    sagemaker_client=client,
    sagemaker_runtime_client=runtime,
    default_bucket="emulator-bucket",
)
model = Model(
    image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0",
    model_data="s3://emulator-bucket/model.tar.gz",
    role="arn:aws:iam::123456789012:role/service-role/SageMakerRole",
    sagemaker_session=session,
    name="sdk-deployed-model",
    predictor_cls=Predictor,  # deploy() returns a predictor only for a model that names its class
)
started = time.monotonic()
predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-endpoint")
deploy_seconds = time.monotonic() - started
described = client.describe_endpoint(EndpointName="sdk-endpoint")
config_name = described["EndpointConfigName"]
out = {
    "deploy_seconds": deploy_seconds,
    "sleeps": sleeps,
    "predictor_endpoint": predictor.endpoint_name,
    "status": described["EndpointStatus"],
    "config": config_name,
    "variant": client.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"][0],
}
out["predicted"] = predictor.predict(b'{"instances": [1]}', initial_args={"ContentType": "application/json"}).decode()
predictor.delete_endpoint()
out["listed_after_delete"] = [(e["EndpointName"], e["EndpointStatus"]) for e in client.list_endpoints()["Endpoints"]]
try:
    client.describe_endpoint(EndpointName="sdk-endpoint")
    out["described_after_delete"] = "found"
except client.exceptions.ClientError as error:
    out["described_after_delete"] = error.response["Error"]["Message"]
out["endpoints_after_delete"] = [e["EndpointName"] for e in client.list_endpoints()["Endpoints"]]
out["configs_after_delete"] = [c["EndpointConfigName"] for c in client.list_endpoint_configs()["EndpointConfigs"]]
print(json.dumps(out, default=str))
