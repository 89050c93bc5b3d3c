"""Strict mode: requests signed by real SDKs pass; every other request gets AWS's authentication error."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.node_sdk import locked_node_modules
from tests.scopes import IMAGE, KEYS, account_map, secret_map, signed_client
from tests.signing import Signed, sign
from tests.support import as_described, aws_post, running_server

ALICE, BOB = KEYS
ALICE_ACCOUNT, ALICE_SECRET = KEYS[ALICE]
JS_DIR = Path(__file__).parent / "sdk" / "js-auth"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access"
    " Key and signing method. Consult the service documentation for details."
)
CREATE = {"ModelName": "signed", "PrimaryContainer": {"Image": IMAGE}}


@pytest.fixture
def strict_endpoint(make_settings: Any) -> Iterator[str]:
    with running_server(make_settings(strict_auth=True, access_keys=account_map(), secret_keys=secret_map())) as url:
        yield url


def arn(name: str, region: str = "us-east-1", account: str = ALICE_ACCOUNT) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:model/{name}"


def mismatch_message(canonical: str, string_to_sign: str) -> str:
    return (
        f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign}'\n"
    )


def assert_error(response: Any, code: str, message: str) -> None:
    assert (response.status_code, response.json()) == (400, {"__type": code, "message": message})
    assert response.headers["x-amzn-errortype"] == code
    assert response.headers["content-type"] == "application/x-amz-json-1.1"


def assert_nothing_stored(endpoint: str, name: str = "signed") -> None:
    client = signed_client(endpoint, region="us-east-1", key_id=ALICE, secret=ALICE_SECRET)
    with pytest.raises(ClientError) as raised:
        client.describe_model(ModelName=name)
    assert raised.value.response["Error"]["Message"] == f'Could not find model "{arn(name)}".'


# --- accepted: three SDKs that sign differently -------------------------------------------------------------------


def test_boto3_signed_requests_are_accepted_and_scoped_to_the_keys_account(strict_endpoint: str) -> None:
    client = signed_client(strict_endpoint, region="eu-west-1", key_id=ALICE, secret=ALICE_SECRET)
    assert client.create_model(**CREATE)["ModelArn"] == arn("signed", "eu-west-1")
    assert client.describe_model(ModelName="signed")["ModelArn"] == arn("signed", "eu-west-1")


def test_boto3_with_a_session_token_is_accepted(strict_endpoint: str) -> None:
    # The token is a signed header like any other; the emulator has no STS to check it against.
    client = signed_client(
        strict_endpoint, region="us-east-1", key_id=ALICE, secret=ALICE_SECRET, aws_session_token="FwoGZXIvYXdzE"
    )
    assert client.create_model(**CREATE)["ModelArn"] == arn("signed")


def test_boto3_with_the_wrong_secret_gets_invalid_signature(strict_endpoint: str) -> None:
    client = signed_client(strict_endpoint, region="us-east-1", key_id=ALICE, secret="not-" + ALICE_SECRET)
    with pytest.raises(ClientError) as raised:
        client.create_model(**CREATE)
    error = raised.value.response
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["Error"]["Message"].startswith(MISMATCH + "\n\nThe Canonical String for this request should have been")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert_nothing_stored(strict_endpoint)


def aws_cli(endpoint: str, *args: str, key_id: str, secret: str, region: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_MAX_ATTEMPTS": "1",
    }
    aws = [sys.executable, "-m", "awscli"]
    cmd = [*aws, "sagemaker", *args, "--endpoint-url", endpoint, "--output", "json"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_aws_cli_signed_requests_are_accepted(strict_endpoint: str) -> None:
    created = aws_cli(
        strict_endpoint,
        "create-model",
        "--model-name",
        "cli-model",
        "--primary-container",
        json.dumps({"Image": IMAGE}),
        key_id=ALICE,
        secret=ALICE_SECRET,
        region="ap-northeast-1",
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout) == {"ModelArn": arn("cli-model", "ap-northeast-1")}
    described = aws_cli(
        strict_endpoint,
        "describe-model",
        "--model-name",
        "cli-model",
        key_id=ALICE,
        secret=ALICE_SECRET,
        region="ap-northeast-1",
    )
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["ModelArn"] == arn("cli-model", "ap-northeast-1")


def test_aws_cli_with_an_unknown_key_gets_unrecognized_client(strict_endpoint: str) -> None:
    result = aws_cli(
        strict_endpoint, "describe-model", "--model-name", "x", key_id="AKIAUNKNOWN", secret="s", region="us-east-1"
    )
    assert result.returncode != 0
    assert (
        "An error occurred (UnrecognizedClientException) when calling the DescribeModel operation:"
        " The security token included in the request is invalid." in result.stderr
    )


def node_sdk(endpoint: str, operation: str, request: dict[str, Any], *, key_id: str, secret: str) -> Any:
    locked_node_modules(JS_DIR)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    result = subprocess.run(
        ["node", "call.mjs", endpoint, "eu-central-1", operation, json.dumps(request)],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_js_sdk_v3_signed_requests_are_accepted(strict_endpoint: str) -> None:
    created = node_sdk(
        strict_endpoint, "CreateModel", {**CREATE, "ModelName": "js-model"}, key_id=ALICE, secret=ALICE_SECRET
    )
    assert created == {"ok": {"ModelArn": arn("js-model", "eu-central-1")}}
    described = node_sdk(strict_endpoint, "DescribeModel", {"ModelName": "js-model"}, key_id=ALICE, secret=ALICE_SECRET)
    assert described["ok"]["ModelArn"] == arn("js-model", "eu-central-1")
    assert described["ok"]["PrimaryContainer"] == as_described({"Image": IMAGE})


def test_js_sdk_v3_with_the_wrong_secret_gets_invalid_signature(strict_endpoint: str) -> None:
    result = node_sdk(strict_endpoint, "DescribeModel", {"ModelName": "x"}, key_id=ALICE, secret="wrong")
    assert result["error"]["name"] == "InvalidSignatureException"
    assert result["error"]["status"] == 400
    assert result["error"]["message"].startswith(MISMATCH)


# --- accepted: raw requests signed by botocore's signer, in the shapes clients send ------------------------------


def test_host_with_or_without_the_port_as_the_client_signed_it(strict_endpoint: str) -> None:
    with_port = sign(
        strict_endpoint, "CreateModel", {**CREATE, "ModelName": "with-port"}, key_id=ALICE, secret=ALICE_SECRET
    )
    assert with_port.send().status_code == 200
    host = strict_endpoint.removeprefix("http://").split(":")[0]
    without = sign(
        strict_endpoint,
        "CreateModel",
        {**CREATE, "ModelName": "without-port"},
        key_id=ALICE,
        secret=ALICE_SECRET,
        headers={"Host": host},
    )
    assert "host" in without.headers["Authorization"]
    response = without.send()
    assert (response.status_code, response.json()) == (200, {"ModelArn": arn("without-port")})


def test_query_string_and_extra_signed_headers_are_part_of_the_signature(strict_endpoint: str) -> None:
    signed = sign(
        strict_endpoint,
        "CreateModel",
        CREATE,
        key_id=ALICE,
        secret=ALICE_SECRET,
        path="/?b=2&a=x%20y&a=w",
        headers={"X-Custom": "spaced    value", "Amz-Sdk-Request": "attempt=1; max=1"},
    )
    assert signed.send().status_code == 200


def test_a_date_header_instead_of_x_amz_date_is_accepted(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET, headers={"Date": "x"})
    assert "X-Amz-Date" not in signed.headers
    assert signed.headers["Date"].endswith(" -0000")
    response = signed.send()
    assert (response.status_code, response.json()) == (200, {"ModelArn": arn("signed")})


def test_a_date_within_fifteen_minutes_is_accepted(strict_endpoint: str) -> None:
    for minutes in (-14, 14):
        when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
        name = f"skew{minutes + 20}"
        signed = sign(
            strict_endpoint, "CreateModel", {**CREATE, "ModelName": name}, key_id=ALICE, secret=ALICE_SECRET, when=when
        )
        assert signed.send().status_code == 200


# --- rejected -------------------------------------------------------------------------------------------------------


def test_missing_authorization(strict_endpoint: str) -> None:
    assert_error(
        aws_post(strict_endpoint, "CreateModel", CREATE),
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
    assert_nothing_stored(strict_endpoint)


@pytest.mark.parametrize("authorization", ["Bearer abc", "AWS AKIAALICE:c2lnbmF0dXJl", ""])
def test_authorization_of_another_scheme_is_missing_authentication(strict_endpoint: str, authorization: str) -> None:
    assert_error(
        aws_post(strict_endpoint, "CreateModel", CREATE, Authorization=authorization),
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_unknown_access_key(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id="AKIAUNKNOWN000000000", secret=ALICE_SECRET)
    assert_error(signed.send(), "UnrecognizedClientException", "The security token included in the request is invalid.")
    assert_nothing_stored(strict_endpoint)


def test_wrong_secret(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret="wrong-secret")
    assert_error(signed.send(), "InvalidSignatureException", mismatch_message(*signed.canonical()))
    assert_nothing_stored(strict_endpoint)


def test_another_accounts_secret(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=KEYS[BOB][1])
    assert_error(signed.send(), "InvalidSignatureException", mismatch_message(*signed.canonical()))


def test_tampered_body(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET)
    tampered = json.dumps({**CREATE, "ModelName": "tampered"}).encode()
    assert_error(
        signed.send(body=tampered), "InvalidSignatureException", mismatch_message(*signed.canonical(body=tampered))
    )
    assert_nothing_stored(strict_endpoint, "tampered")
    assert_nothing_stored(strict_endpoint, "signed")


@pytest.mark.parametrize(
    "header, value",
    [
        ("X-Amz-Target", "SageMaker.DescribeModel"),  # another operation
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Custom", "changed"),
    ],
)
def test_tampered_signed_header(strict_endpoint: str, header: str, value: str) -> None:
    signed = sign(
        strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET, headers={"X-Custom": "original"}
    )
    changed = {**signed.headers, header: value}
    assert_error(
        signed.send(headers={header: value}),
        "InvalidSignatureException",
        mismatch_message(*signed.canonical(headers=changed)),
    )
    assert_nothing_stored(strict_endpoint)


def test_tampered_host(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET)
    host = "localhost:" + strict_endpoint.rsplit(":", 1)[1]
    response = signed.send(headers={"Host": host})
    assert_error(
        response,
        "InvalidSignatureException",
        mismatch_message(*signed.canonical(headers={**signed.headers, "Host": host})),
    )


def test_an_unsigned_header_may_change(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET)
    assert signed.send(headers={"User-Agent": "changed/1.0", "X-Unsigned": "x"}).status_code == 200


def skew_message(kind: str, stamp: str, message: str, before: datetime.datetime, after: datetime.datetime) -> None:
    """The exact AWS text around the server's clock, which the test can only bracket."""
    if kind == "expired":
        pattern = (
            rf"Signature expired: {stamp} is now earlier than (\d{{8}}T\d{{6}}Z) \((\d{{8}}T\d{{6}}Z) - 15 min\.\)"
        )
    else:
        pattern = rf"Signature not yet current: {stamp} is still later than (\d{{8}}T\d{{6}}Z) \((\d{{8}}T\d{{6}}Z) \+ 15 min\.\)"
    found = re.fullmatch(pattern, message)
    assert found, message
    bound, now = (datetime.datetime.strptime(g, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC) for g in found.groups())
    assert before.replace(microsecond=0) <= now <= after
    assert bound == now + datetime.timedelta(minutes=15 if kind == "future" else -15)


@pytest.mark.parametrize("kind, minutes", [("expired", -16), ("expired", -60 * 24 * 3), ("future", 16)])
def test_stale_or_future_dates(strict_endpoint: str, kind: str, minutes: int) -> None:
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET, when=when)
    before = datetime.datetime.now(datetime.UTC)
    response = signed.send()
    after = datetime.datetime.now(datetime.UTC)
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidSignatureException"
    skew_message(kind, signed.timestamp, response.json()["message"], before, after)
    assert_nothing_stored(strict_endpoint)


def test_wrong_service_in_the_credential_scope(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET, service="s3")
    assert_error(
        signed.send(), "InvalidSignatureException", "Credential should be scoped to correct service: 'sagemaker'. "
    )


def test_an_invalid_region_in_the_credential_scope(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET, region="Mars_1")
    assert_error(signed.send(), "InvalidSignatureException", "Credential should be scoped to a valid region. ")


def hand_signed(signed: Signed, authorization: str, **headers: str) -> Any:
    return signed.send(headers={"Authorization": authorization, **headers})


def test_malformed_authorization_headers(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET)
    stamp = signed.timestamp
    cred = f"Credential={ALICE}/{stamp[:8]}/us-east-1/sagemaker/aws4_request"
    sig = "Signature=" + "0" * 64
    cases = [
        (
            "AWS4-HMAC-SHA256 " + sig,
            {},
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders'"
            f" parameter. Authorization=AWS4-HMAC-SHA256 {sig}",
        ),
        (
            f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host",
            {"X-Amz-Date": "yesterday"},
            "IncompleteSignatureException",
            f"Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 {cred},"
            " SignedHeaders=host",
        ),
        (
            f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host, {sig}",
            {"X-Amz-Date": ""},
            "IncompleteSignatureException",
            "Date must be in ISO-8601 'basic format'. Got ''. See http://en.wikipedia.org/wiki/ISO_8601",
        ),
        (
            f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;x-amz-date, {sig}",
            {"X-Amz-Date": "2026-01-01T00:00:00Z"},
            "IncompleteSignatureException",
            "Date must be in ISO-8601 'basic format'. Got '2026-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
        ),
        (
            f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=content-type;x-amz-date, {sig}",
            {},
            "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            f"AWS4-HMAC-SHA512 {cred}, SignedHeaders=host;x-amz-date, {sig}",
            {},
            "IncompleteSignatureException",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={ALICE}/{stamp[:8]}/us-east-1/sagemaker, SignedHeaders=host, {sig}",
            {},
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
            f" got '{ALICE}/{stamp[:8]}/us-east-1/sagemaker'",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={ALICE}/20200101/us-east-1/sagemaker/aws4_reqest, SignedHeaders=host, {sig}",
            {},
            "InvalidSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'. Date in Credential"
            f" scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20200101' != '{stamp[:8]}',"
            f" from '{stamp}'.",
        ),
    ]
    for authorization, headers, code, message in cases:
        assert_error(hand_signed(signed, authorization, **headers), code, message)
    assert_nothing_stored(strict_endpoint)


def test_a_missing_date_is_an_incomplete_signature(strict_endpoint: str) -> None:
    signed = sign(strict_endpoint, "CreateModel", CREATE, key_id=ALICE, secret=ALICE_SECRET)
    headers = {k: v for k, v in signed.headers.items() if k != "X-Amz-Date"}
    response = aws_post(strict_endpoint, "CreateModel", signed.body, **headers)
    auth = signed.headers["Authorization"]
    assert_error(
        response,
        "IncompleteSignatureException",
        f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={auth}",
    )


def test_target_and_body_are_checked_before_authentication(strict_endpoint: str) -> None:
    # The order of AWS's JSON services: an unknown operation or a body that is not JSON says so even unsigned.
    response = aws_post(strict_endpoint, "NoSuchOperation", CREATE)
    assert (response.status_code, response.json()["__type"]) == (400, "UnknownOperationException")
    response = aws_post(strict_endpoint, "CreateModel", b"{")
    assert (response.status_code, response.json()) == (400, {"__type": "SerializationException"})
    # ...while validation waits for a valid signature.
    assert_error(
        aws_post(strict_endpoint, "CreateModel", {"ModelName": "bad name!"}),
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
