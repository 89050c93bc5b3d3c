"""CreateEndpoint and UpdateEndpoint ping the model servers of the images they deploy: one that does not answer
GET /ping with 200 ends the endpoint Failed with AWS's FailureReason."""

from __future__ import annotations

from typing import Any

from tests.model_server import model_server
from tests.support import free_port, running_server, sagemaker_client
from tests.test_runtime import IMAGE, deploy, runtime_client

REASON = (
    "The primary container for production variant AllTraffic did not pass the ping health check. Please check"
    " CloudWatch logs for this endpoint."
)


def test_an_endpoint_whose_model_server_is_down_ends_failed(make_settings: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with running_server(make_settings(model_servers={IMAGE: dead})) as url:
        sm = sagemaker_client(url)
        deploy(sm, "down", describe=False)
        described = sm.describe_endpoint(EndpointName="down")
        assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", REASON)


def test_an_update_to_a_server_that_went_away_ends_failed(make_settings: Any) -> None:
    with model_server() as (model, proc), running_server(make_settings(model_servers={IMAGE: model})) as url:
        sm = sagemaker_client(url)
        deploy(sm, "up")  # InService: the server answered /ping
        proc.terminate()
        proc.wait()
        sm.create_endpoint_config(
            EndpointConfigName="up-2",
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "up-model", "InitialInstanceCount": 2}],
        )
        sm.update_endpoint(EndpointName="up", EndpointConfigName="up-2")
        described = sm.describe_endpoint(EndpointName="up")
        assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", REASON)


def test_after_a_failed_update_the_deployed_variants_keep_serving(make_settings: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    broken_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/broken:1"
    with running_server(make_settings(model_servers={broken_image: dead})) as url:
        sm = sagemaker_client(url)
        deploy(sm, "kept")  # the echo: no model server for its image
        sm.create_model(ModelName="broken", PrimaryContainer={"Image": broken_image})
        sm.create_endpoint_config(
            EndpointConfigName="broken",
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "broken", "InitialInstanceCount": 1}],
        )
        sm.update_endpoint(EndpointName="kept", EndpointConfigName="broken")
        assert sm.describe_endpoint(EndpointName="kept")["EndpointStatus"] == "Failed"
        answer = runtime_client(url).invoke_endpoint(EndpointName="kept", Body=b"still here")
        assert answer["Body"].read() == b"still here"
