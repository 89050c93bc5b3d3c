"""The SageMaker Python SDK deploying a model whose weights are in S3, as on AWS: Session.upload_data() puts the
model.tar.gz in the S3 the test runs (moto's server), Model(image_uri, model_data="s3://...").deploy() makes the
emulator download it and run the operator's model command for the image, predictor.predict() answers from those
weights, predictor.delete_endpoint() stops the container.

Run by tests/sdk/test_sagemaker_python_sdk.py in the SDK's own virtual environment:
python model_data.py <endpoint URL> <S3 URL> <image> <weights as JSON>. Every connection the process opens is recorded,
and any but to 127.0.0.1 refused (tracked_connections). Prints what it saw as JSON.
"""

import json
import sys
import tarfile

from emulator_session import emulator_session, record_sleeps, tracked_connections
from sagemaker.deserializers import JSONDeserializer
from sagemaker.model import Model
from sagemaker.predictor import Predictor
from sagemaker.serializers import JSONSerializer

connections = tracked_connections()
sleeps = record_sleeps()
url, s3_url, image, weights = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
client, session = emulator_session(url, s3_url=s3_url)


class JSONPredictor(Predictor):
    """What deploy() returns: JSON in, JSON out."""

    def __init__(self, endpoint_name, sagemaker_session=None):
        super().__init__(endpoint_name, sagemaker_session, serializer=JSONSerializer(), deserializer=JSONDeserializer())


with open("model.json", "w") as file:
    file.write(weights)
with tarfile.open("model.tar.gz", "w:gz") as tar:
    tar.add("model.json")
model_data = session.upload_data("model.tar.gz", bucket="models", key_prefix="sdk")
model = Model(
    image_uri=image,
    model_data=model_data,
    role="arn:aws:iam::123456789012:role/service-role/SageMakerRole",
    sagemaker_session=session,
    name="sdk-weights",
    predictor_cls=JSONPredictor,
)
predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-weights")
described = client.describe_endpoint(EndpointName="sdk-weights")
out = {
    "model_data": model_data,
    "sleeps": sleeps,
    "status": described["EndpointStatus"],
    "container": client.describe_model(ModelName="sdk-weights")["PrimaryContainer"],
    "predicted": predictor.predict({"instances": [2, 10]}),
    "pid": predictor.predict({"pid": True})["pid"],
}
predictor.delete_endpoint()
out["endpoints_after_delete"] = [(e["EndpointName"], e["EndpointStatus"]) for e in client.list_endpoints()["Endpoints"]]
out["ports"] = sorted({port for _, port in connections["made"]})
out["refused"] = connections["refused"]
print(json.dumps(out, default=str))
