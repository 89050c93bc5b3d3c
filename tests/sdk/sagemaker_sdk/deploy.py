"""Model(...).deploy(), predictor.predict() and predictor.delete_endpoint() of the SageMaker Python SDK against the
emulator (its runtime echoes: no model server is configured).

Run by tests/sdk/test_sagemaker_python_sdk.py in a virtual environment of its own (the SDK's dependencies are
heavy): python deploy.py <endpoint URL>. Prints what it saw as JSON.
"""

import json
import sys
import time

from emulator_session import emulator_session, record_sleeps
from sagemaker.model import Model
from sagemaker.predictor import Predictor

# The test shows how many polls the emulator made the SDK need, by its recorded sleeps, without paying for them.
sleeps = record_sleeps()
url = sys.argv[1]
client, session = emulator_session(url)
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
