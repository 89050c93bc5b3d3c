"""CreateModel's model data checks (check_model_data), through boto3 against a real server and moto's S3 server: each
case's exact AWS text, nothing stored when a check fails, and nothing asked of S3 when the checks are off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.moto_s3 import TEST_CREDENTIALS, emptied, make_bucket
from tests.support import free_port, running_server, sagemaker_client

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"


def no_access(uri: str, region: str = "us-east-1") -> str:
    return (
        f'Could not access model data at {uri}. Please ensure that the role "{ROLE}" exists and that its trust'
        ' relationship policy allows the action "sts:AssumeRole" for the service principal "sagemaker.amazonaws.com".'
        f' Also ensure that the role has "s3:GetObject" permissions and that the object is located in {region}. If'
        ' your Model uses multiple models or uncompressed models, please ensure that the role has "s3:ListBucket"'
        " permission."
    )


def source(uri: str, data_type: str, compression: str = "None") -> dict[str, Any]:
    return {
        "ModelDataSource": {"S3DataSource": {"S3Uri": uri, "S3DataType": data_type, "CompressionType": compression}}
    }


@pytest.fixture
def s3(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto emptied, then: bucket `models` (us-east-1) with a model.tar.gz and a prefix of two objects, an empty
    prefix's neighbour, and bucket `west-models` in eu-west-1. The emulator reads them with the env's credentials."""
    client = emptied(s3_url, monkeypatch)
    make_bucket(client, "west-models", region="eu-west-1")
    for key in (
        "good/model.tar.gz",
        "prefix/weights.bin",
        "prefix/code/inference.py",
        "prefixed-file",
        "multi/a.tar.gz",
    ):
        client.put_object(Bucket="models", Key=key, Body=b"data")
    client.put_object(Bucket="west-models", Key="m/model.tar.gz", Body=b"data")
    return client


@pytest.fixture
def sm(s3: Any, s3_url: str, make_settings: Any) -> Iterator[Any]:
    with running_server(make_settings(check_model_data=True, s3_endpoint_url=s3_url)) as url:
        yield sagemaker_client(url)


MISSING = "Could not find model data at {}."
CASES = [
    # (id, container(s), the error's message or None for created)
    ("url object", [{"ModelDataUrl": "s3://models/good/model.tar.gz"}], None),
    (
        "url typo in the key",
        [{"ModelDataUrl": "s3://models/good/modle.tar.gz"}],
        MISSING.format("s3://models/good/modle.tar.gz"),
    ),
    (
        "url missing bucket",
        [{"ModelDataUrl": "s3://no-such-bucket/model.tar.gz"}],
        MISSING.format("s3://no-such-bucket/model.tar.gz"),
    ),
    ("url bucket only", [{"ModelDataUrl": "s3://models"}], MISSING.format("s3://models")),
    (
        "url another region's bucket",
        [{"ModelDataUrl": "s3://west-models/m/model.tar.gz"}],
        no_access("s3://west-models/m/model.tar.gz"),
    ),
    ("https url is not read", [{"ModelDataUrl": "https://example.com/model.tar.gz"}], None),
    ("source object", [source("s3://models/good/model.tar.gz", "S3Object", "Gzip")], None),
    (
        "source object missing",
        [source("s3://models/good/other.bin", "S3Object")],
        MISSING.format("s3://models/good/other.bin"),
    ),
    ("source prefix", [source("s3://models/prefix/", "S3Prefix")], None),
    ("source prefix of one key", [source("s3://models/prefixed", "S3Prefix")], None),
    ("source prefix empty", [source("s3://models/absent/", "S3Prefix")], MISSING.format("s3://models/absent/")),
    ("source prefix of another region", [source("s3://west-models/m/", "S3Prefix")], no_access("s3://west-models/m/")),
    ("multi-model prefix", [{"Mode": "MultiModel", "ModelDataUrl": "s3://models/multi/"}], None),
    (
        "multi-model prefix empty",
        [{"Mode": "MultiModel", "ModelDataUrl": "s3://models/none/"}],
        MISSING.format("s3://models/none/"),
    ),
    ("no model data", [{}], None),
    (
        "pipeline: the first failing container decides",
        [
            {"ModelDataUrl": "s3://models/good/model.tar.gz"},
            {"ModelDataUrl": "s3://models/x.tar.gz"},
            {"ModelDataUrl": "s3://models/y.tar.gz"},
        ],
        MISSING.format("s3://models/x.tar.gz"),
    ),
]


@pytest.mark.parametrize(("containers", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_create_model_checks_the_model_data(sm: Any, containers: list[dict[str, Any]], message: str | None) -> None:
    with_image = [{"Image": IMAGE, **c} for c in containers]
    request: dict[str, Any] = {"ModelName": "m", "ExecutionRoleArn": ROLE}
    if len(with_image) == 1:
        request["PrimaryContainer"] = with_image[0]
    else:
        request["Containers"] = with_image
    if message is None:
        arn = sm.create_model(**request)["ModelArn"]
        assert sm.describe_model(ModelName="m")["ModelArn"] == arn
        return
    with pytest.raises(ClientError) as caught:
        sm.create_model(**request)
    assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": message}
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sm.list_models()["Models"] == []  # nothing stored


def test_the_region_is_the_request_s(s3: Any, s3_url: str, make_settings: Any) -> None:
    """A bucket in eu-west-1 is readable from eu-west-1, and its absence there is a plain 'could not find'."""
    with running_server(make_settings(check_model_data=True, s3_endpoint_url=s3_url)) as url:
        west = sagemaker_client(url, region="eu-west-1")
        west.create_model(
            ModelName="m",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://west-models/m/model.tar.gz"},
        )
        with pytest.raises(ClientError) as caught:
            west.create_model(
                ModelName="n",
                ExecutionRoleArn=ROLE,
                PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/good/model.tar.gz"},
            )
        assert caught.value.response["Error"]["Message"] == no_access(
            "s3://models/good/model.tar.gz", region="eu-west-1"
        )


def test_without_a_role_the_text_leaves_the_role_out(sm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sm.create_model(
            ModelName="m", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://west-models/m/model.tar.gz"}
        )
    assert caught.value.response["Error"]["Message"] == (
        "Could not access model data at s3://west-models/m/model.tar.gz. Please ensure that the role has"
        ' "s3:GetObject" permissions and that the object is located in us-east-1. If your Model uses multiple models'
        ' or uncompressed models, please ensure that the role has "s3:ListBucket" permission.'
    )


def test_data_without_credentials_is_unreadable(
    s3: Any, s3_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The standard chain finds no credential: to the caller, data the role cannot read."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with running_server(make_settings(check_model_data=True, s3_endpoint_url=s3_url)) as url:
        sm = sagemaker_client(url)
        with pytest.raises(ClientError) as caught:
            sm.create_model(
                ModelName="m",
                ExecutionRoleArn=ROLE,
                PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/good/model.tar.gz"},
            )
        assert caught.value.response["Error"]["Message"] == no_access("s3://models/good/model.tar.gz")
        assert sm.list_models()["Models"] == []


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
def test_the_endpoint_comes_from_aws_s_variables(
    s3: Any, s3_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, s3_url)
    with running_server(make_settings(check_model_data=True)) as url:
        sm = sagemaker_client(url)
        sm.create_model(
            ModelName="m", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/good/model.tar.gz"}
        )
        with pytest.raises(ClientError) as caught:
            sm.create_model(ModelName="n", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/bad.tar.gz"})
        assert caught.value.response["Error"]["Message"] == MISSING.format("s3://models/bad.tar.gz")


def test_the_setting_wins_over_aws_s_variable(
    s3: Any, s3_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with running_server(make_settings(check_model_data=True, s3_endpoint_url=s3_url)) as url:
        sagemaker_client(url).create_model(
            ModelName="m", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/good/model.tar.gz"}
        )


def test_checks_are_off_by_default_and_s3_is_never_asked(make_settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with running_server(make_settings()) as url:
        sm = sagemaker_client(url)
        sm.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/typo.tar.gz"})
        assert sm.describe_model(ModelName="m")["PrimaryContainer"]["ModelDataUrl"] == "s3://models/typo.tar.gz"


def test_an_unreachable_s3_is_an_internal_failure_and_stores_nothing(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with running_server(make_settings(check_model_data=True, s3_endpoint_url=f"http://127.0.0.1:{free_port()}")) as url:
        sm = sagemaker_client(url)
        with pytest.raises(ClientError) as caught:
            sm.create_model(
                ModelName="m", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/good/model.tar.gz"}
            )
        assert caught.value.response["Error"] == {
            "Code": "InternalFailure",
            "Message": "We encountered an internal error. Please try again.",
        }
        assert sm.list_models()["Models"] == []
