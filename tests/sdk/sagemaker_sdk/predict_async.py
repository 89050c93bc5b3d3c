"""Model(...).deploy(async_inference_config=...) of the SageMaker Python SDK against the emulator, then its
AsyncPredictor: predict_async() (the SDK uploads the input to S3 and calls InvokeEndpointAsync), the result read by
get_result() polling S3, and a failing request's model error read from the failure path.

Run by tests/sdk/test_sagemaker_python_sdk.py in the SDK's virtual environment: python predict_async.py <endpoint URL>
<S3 URL> (the S3 the emulator writes to). Prints what it saw as JSON.
"""

import json
import sys

from emulator_session import emulator_session, record_sleeps
from sagemaker.async_inference import AsyncInferenceConfig, WaiterConfig
from sagemaker.async_inference.async_inference_response import AsyncInferenceResponse
from sagemaker.exceptions import AsyncInferenceModelError
from sagemaker.model import Model
from sagemaker.predictor import Predictor

sleeps = record_sleeps()
url, s3_url = sys.argv[1], sys.argv[2]
client, session = emulator_session(url, s3_url=s3_url)
model = Model(
    image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1",
    role="arn:aws:iam::123456789012:role/service-role/SageMakerRole",
    sagemaker_session=session,
    name="sdk-async-model",
    predictor_cls=Predictor,
)
predictor = model.deploy(
    initial_instance_count=1,
    instance_type="ml.m5.large",
    endpoint_name="sdk-async",
    async_inference_config=AsyncInferenceConfig(
        output_path="s3://emulator-bucket/async-out",
        failure_path="s3://emulator-bucket/async-failures",
        max_concurrent_invocations_per_instance=2,
    ),
)
waiter = WaiterConfig(max_attempts=40, delay=0.25)
response = predictor.predict_async(data=b'{"instances": [1, 2.5]}', initial_args={"ContentType": "application/json"})
out = {
    "predictor": type(predictor).__name__,
    "response": type(response).__name__ if isinstance(response, AsyncInferenceResponse) else None,
    "output_path": response.output_path,
    "failure_path": response.failure_path,
    "config": client.describe_endpoint_config(EndpointConfigName="sdk-async")["AsyncInferenceConfig"],
    "result": response.get_result(waiter).decode(),
    "predicted": predictor.predict(
        data=b'{"instances": [4]}', initial_args={"ContentType": "application/json"}, waiter_config=waiter
    ).decode(),
}
failing = predictor.predict_async(
    data=b'{"fail": 422, "message": "bad input"}', initial_args={"ContentType": "application/json"}
)
try:
    failing.get_result(waiter)
    out["failure"] = "no error"
except AsyncInferenceModelError as error:
    out["failure"] = str(error)
predictor.delete_endpoint()
print(json.dumps(out, default=str))
