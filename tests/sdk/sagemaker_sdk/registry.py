"""The SageMaker Python SDK's model registry flow against the emulator: Model(...).register() into a group,
ModelPackage.update_approval_status(), ModelPackage(role, model_package_arn).deploy(), predictor.predict() (answered by
the model server configured for the package's image) and predictor.delete_endpoint().

Run by tests/sdk/test_sagemaker_python_sdk.py in the SDK's own virtual environment:
python registry.py <endpoint URL> <image>. Prints what it saw as JSON.
"""

import json
import sys

from emulator_session import emulator_session, record_sleeps
from sagemaker.model import Model, ModelPackage
from sagemaker.predictor import Predictor

record_sleeps()
url, image = sys.argv[1], sys.argv[2]
role = "arn:aws:iam::123456789012:role/service-role/SageMakerRole"
client, session = emulator_session(url)
model = Model(
    image_uri=image,
    model_data="s3://emulator-bucket/model.tar.gz",
    role=role,
    sagemaker_session=session,
)
registered = model.register(
    content_types=["application/json"],
    response_types=["application/json"],
    inference_instances=["ml.m5.large"],
    transform_instances=["ml.m5.large"],
    model_package_group_name="sdk-registry",
    approval_status="PendingManualApproval",
    description="registered by the SDK",
)
arn = registered.model_package_arn
out = {"arn": arn}
out["before"] = client.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
registered.update_approval_status(approval_status="Approved", approval_description="checked")
described = client.describe_model_package(ModelPackageName=arn)
out["after"] = [described["ModelApprovalStatus"], described["ApprovalDescription"]]
out["containers"] = described["InferenceSpecification"]["Containers"]
# A second registration into the same group is version 2 (the group exists: the SDK's create of it is ignored).
out["second"] = model.register(
    content_types=["application/json"],
    response_types=["application/json"],
    model_package_group_name="sdk-registry",
).model_package_arn
deployable = ModelPackage(role=role, model_package_arn=arn, sagemaker_session=session, predictor_cls=Predictor)
predictor = deployable.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-registry")
endpoint = client.describe_endpoint(EndpointName="sdk-registry")
out["status"] = endpoint["EndpointStatus"]
out["deployed"] = [d["SpecifiedImage"] for d in endpoint["ProductionVariants"][0]["DeployedImages"]]
config = client.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
model_described = client.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
out["model"] = model_described.get("PrimaryContainer") or model_described.get("Containers")
out["predicted"] = predictor.predict(
    b'{"instances": [1, 2.5]}', initial_args={"ContentType": "application/json"}
).decode()
predictor.delete_endpoint()
out["endpoints_after_delete"] = [(e["EndpointName"], e["EndpointStatus"]) for e in client.list_endpoints()["Endpoints"]]
print(json.dumps(out, default=str))
