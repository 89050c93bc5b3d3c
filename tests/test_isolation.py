"""Accounts (from the access key) and regions (from the credential scope) are separate worlds.

Every test runs in the four scopes of tests/scopes.py; operations added later get their own module
(test_isolation_lifecycle.py) built on the same scopes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.scopes import DEFAULT_ACCOUNT, IMAGE, Scope, account_map, create, four_scopes, secret_map, signed_client
from tests.support import as_described, aws_post, running_server


@pytest.fixture(params=["permissive", "strict"])
def scopes(request: pytest.FixtureRequest, make_settings: Any) -> Iterator[list[Scope]]:
    """The four scopes against one server, in both auth modes: isolation must not depend on the mode."""
    strict = request.param == "strict"
    settings = make_settings(access_keys=account_map(), secret_keys=secret_map() if strict else {}, strict_auth=strict)
    with running_server(settings) as url:
        yield four_scopes(url)


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_the_same_name_in_every_scope_is_four_models(scopes: list[Scope]) -> None:
    for scope in scopes:
        assert scope.client.create_model(
            ModelName="Shared", PrimaryContainer={"Image": IMAGE, "Environment": {"SCOPE": str(scope)}}
        )["ModelArn"] == scope.arn("Shared")
    for scope in scopes:
        described = scope.client.describe_model(ModelName="Shared")
        assert described["ModelArn"] == scope.arn("Shared")
        assert described["PrimaryContainer"] == as_described({"Image": IMAGE, "Environment": {"SCOPE": str(scope)}})


@pytest.mark.parametrize("owner", range(4))
def test_a_model_is_invisible_outside_its_scope(scopes: list[Scope], owner: int) -> None:
    create(scopes[owner], "only-here")
    for i, scope in enumerate(scopes):
        if i == owner:
            assert scope.client.describe_model(ModelName="only-here")["ModelArn"] == scope.arn("only-here")
            continue
        assert error_of(scope.client.describe_model, ModelName="only-here") == (
            "ValidationException",
            f'Could not find model "{scope.arn("only-here")}".',
            400,
        )


@pytest.mark.parametrize("owner", range(4))
def test_a_name_taken_in_one_scope_is_free_in_the_others(scopes: list[Scope], owner: int) -> None:
    create(scopes[owner], "taken")
    assert error_of(scopes[owner].client.create_model, ModelName="TAKEN", PrimaryContainer={"Image": IMAGE}) == (
        "ValidationException",
        f'Cannot create already existing model "{scopes[owner].arn("TAKEN")}".',
        400,
    )
    for i, scope in enumerate(scopes):
        if i != owner:
            create(scope, "TAKEN")
            assert scope.client.describe_model(ModelName="taken")["ModelName"] == "TAKEN"


def test_the_model_limit_counts_per_scope(make_settings: Any) -> None:
    with running_server(make_settings(access_keys=account_map(), max_models=1)) as url:
        scopes = four_scopes(url)
        for scope in scopes:
            create(scope, "first")
        code, message, _ = error_of(
            scopes[0].client.create_model, ModelName="second", PrimaryContainer={"Image": IMAGE}
        )
        assert code == "ResourceLimitExceeded"
        assert "current utilization of 1 Models" in message


def test_an_unmapped_access_key_is_the_default_account_in_permissive_mode(make_settings: Any) -> None:
    with running_server(make_settings(access_keys=account_map())) as url:
        client = signed_client(url, region="eu-west-1", key_id="AKIANOBODY0000000000", secret="anything")
        created = client.create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
        assert created["ModelArn"] == f"arn:aws:sagemaker:eu-west-1:{DEFAULT_ACCOUNT}:model/m"
        alice = four_scopes(url)[1]  # alice in eu-west-1
        assert error_of(alice.client.describe_model, ModelName="m")[1] == f'Could not find model "{alice.arn("m")}".'


def test_an_unsigned_request_is_the_default_account_and_region_in_permissive_mode(make_settings: Any) -> None:
    with running_server(make_settings(access_keys=account_map(), region="ap-south-1")) as url:
        response = aws_post(url, "CreateModel", {"ModelName": "m", "PrimaryContainer": {"Image": IMAGE}})
        assert response.status_code == 200
        assert response.json() == {"ModelArn": f"arn:aws:sagemaker:ap-south-1:{DEFAULT_ACCOUNT}:model/m"}


@pytest.mark.parametrize(
    "region", ["US-EAST-1", "us_east_1", "-us-east-1", "us--east-1", "a" * 51, "us-east-1'", "us-east-1."]
)
def test_a_region_that_cannot_be_in_an_arn_is_refused_in_permissive_mode(endpoint: str, region: str) -> None:
    authorization = (
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/sagemaker/aws4_request,"
        " SignedHeaders=host;x-amz-date, Signature=0"
    )
    response = aws_post(
        endpoint, "CreateModel", {"ModelName": "m", "PrimaryContainer": {"Image": IMAGE}}, Authorization=authorization
    )
    assert (response.status_code, response.json()) == (
        400,
        {"__type": "InvalidSignatureException", "message": "Credential should be scoped to a valid region. "},
    )
