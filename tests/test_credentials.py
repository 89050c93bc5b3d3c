"""Configuring access keys (file, env vars, CLI), and secrets that never show: not in repr, logs, errors, responses."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.credentials import CredentialsError
from emulator.protocol.auth import make_caller_resolver
from emulator.settings import Settings
from tests.scopes import IMAGE, signed_client
from tests.signing import sign
from tests.support import running_server, server_process

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
OTHER_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
CREATE = {"ModelName": "m", "PrimaryContainer": {"Image": IMAGE}}

TOML_FILE = f"""
strict_auth = true

[access_keys.AKIAFILEDIRECT000001]
account_id = "111111111111"
secret_access_key = "{SECRET}"

[access_keys.AKIAFILEENV000000002]
account_id = "222222222222"
secret_access_key_env = "TEAM_B_SECRET"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_file_holds_secrets_or_names_env_vars(
    tmp_path: Path, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_B_SECRET", OTHER_SECRET)
    credentials = make_settings(credentials_file=write(tmp_path, "keys.toml", TOML_FILE)).credentials()
    assert credentials.strict is True
    assert credentials.accounts == {"AKIAFILEDIRECT000001": "111111111111", "AKIAFILEENV000000002": "222222222222"}
    assert {k: v.get_secret_value() for k, v in credentials.secrets.items()} == {
        "AKIAFILEDIRECT000001": SECRET,
        "AKIAFILEENV000000002": OTHER_SECRET,
    }


def test_a_json_file_works_the_same(tmp_path: Path, make_settings: Any) -> None:
    data = {"access_keys": {"AKIAJSON000000000001": {"account_id": "333333333333", "secret_access_key": SECRET}}}
    credentials = make_settings(credentials_file=write(tmp_path, "keys.json", json.dumps(data))).credentials()
    assert credentials.strict is False  # the file does not say
    assert credentials.accounts == {"AKIAJSON000000000001": "333333333333"}
    assert credentials.secrets["AKIAJSON000000000001"].get_secret_value() == SECRET


def test_env_vars_configure_keys_and_override_the_file_key_by_key(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_B_SECRET", OTHER_SECRET)
    monkeypatch.setenv("SAGEMAKER_EMULATOR_CREDENTIALS_FILE", str(write(tmp_path, "keys.toml", TOML_FILE)))
    monkeypatch.setenv("SAGEMAKER_EMULATOR_STRICT_AUTH", "false")
    monkeypatch.setenv("SAGEMAKER_EMULATOR_ACCESS_KEYS", json.dumps({"AKIAFILEDIRECT000001": "999999999999"}))
    monkeypatch.setenv("SAGEMAKER_EMULATOR_SECRET_KEYS", json.dumps({"AKIAENVONLY000000003": "env-secret"}))
    credentials = Settings(database_url=database_url).credentials()
    assert credentials.strict is False
    assert credentials.accounts == {"AKIAFILEDIRECT000001": "999999999999", "AKIAFILEENV000000002": "222222222222"}
    assert sorted(credentials.secrets) == ["AKIAENVONLY000000003", "AKIAFILEDIRECT000001", "AKIAFILEENV000000002"]


def test_a_key_with_a_secret_and_no_account_is_the_default_account(make_settings: Any) -> None:
    settings = make_settings(strict_auth=True, secret_keys={"AKIANOACCOUNT0000001": SECRET}, account_id="444444444444")
    with running_server(settings) as url:
        client = signed_client(url, region="us-west-2", key_id="AKIANOACCOUNT0000001", secret=SECRET)
        assert client.create_model(**CREATE)["ModelArn"] == "arn:aws:sagemaker:us-west-2:444444444444:model/m"


@pytest.mark.parametrize(
    "text, suffix, expected",
    [
        (
            '[access_keys.AK1]\nsecret_access_key_env = "NOT_SET_ANYWHERE"\n',
            ".toml",
            "access key AK1: environment variable NOT_SET_ANYWHERE is not set",
        ),
        (
            f'[access_keys.AK1]\nsecret_access_key = "{SECRET}"\nsecret_access_key_env = "X"\n',
            ".toml",
            "bad credentials file {path}: access_keys.AK1: Value error, give secret_access_key or"
            " secret_access_key_env, not both",
        ),
        (
            f'[access_keys.AK1]\naccount_id = "12345"\nsecret_access_key = "{SECRET}"\n',
            ".toml",
            "bad credentials file {path}: access_keys.AK1.account_id: String should match pattern '^[0-9]{{12}}$'",
        ),
        (
            "[access_keys.AK1]\nsecret_access_key = 98765432109876\n",
            ".toml",
            "bad credentials file {path}: access_keys.AK1.secret_access_key: Input should be a valid string",
        ),
        (
            f'[access_keys.AK1]\nsecret_key = "{SECRET}"\n',
            ".toml",
            "bad credentials file {path}: access_keys.AK1.secret_key: Extra inputs are not permitted",
        ),
        (
            '[access_keys.AK1]\nsecret_access_key = ""\n',
            ".toml",
            "access key AK1: the secret access key is empty",
        ),
        (
            f'[access_keys."AK/1"]\nsecret_access_key = "{SECRET}"\n',
            ".toml",
            "access key id 'AK/1' is not valid: 1-128 characters, no '/', ',', '='",
        ),
        (
            f'strict_auth = true\n[access_keys.AK1]\naccount_id = "111111111111"\n[access_keys.AK2]\nsecret_access_key = "{SECRET}"\n',
            ".toml",
            "strict auth: access key AK1 has an account but no secret access key",
        ),
        (
            'strict_auth = true\n[access_keys.AK1]\naccount_id = "111111111111"\n',
            ".toml",
            "strict auth needs at least one access key with a secret access key",
        ),
        (
            f'secret_access_key = "{SECRET}',
            ".toml",
            "bad credentials file {path}: Unterminated string (at end of document)",
        ),
        (
            f'{{"access_keys": {{"AK1": "{SECRET}"}}}}',
            ".json",
            "bad credentials file {path}: access_keys.AK1: Input should be a valid dictionary or instance of AccessKey",
        ),
        ("", ".json", "bad credentials file {path}: Expecting value: line 1 column 1 (char 0)"),
    ],
)
def test_bad_credentials_are_refused_at_start_up_without_showing_a_secret(
    tmp_path: Path, make_settings: Any, text: str, suffix: str, expected: str
) -> None:
    path = write(tmp_path, "keys" + suffix, text)
    with pytest.raises(CredentialsError) as raised:
        make_settings(credentials_file=path).credentials()
    assert str(raised.value) == expected.format(path=path)
    assert SECRET not in str(raised.value)
    assert "98765432109876" not in str(raised.value)


def test_a_missing_credentials_file_is_refused(tmp_path: Path, make_settings: Any) -> None:
    with pytest.raises(CredentialsError) as raised:
        make_settings(credentials_file=tmp_path / "nope.toml").credentials()
    assert str(raised.value) == f"cannot read credentials file {tmp_path / 'nope.toml'}: No such file or directory"


def test_strict_mode_without_keys_is_refused(make_settings: Any) -> None:
    with pytest.raises(CredentialsError) as raised:
        make_settings(strict_auth=True).credentials()
    assert str(raised.value) == "strict auth needs at least one access key with a secret access key"


def test_secrets_never_show_in_settings_or_resolvers(make_settings: Any) -> None:
    settings = make_settings(strict_auth=True, secret_keys={"AKIA1": SECRET}, access_keys={"AKIA1": "111111111111"})
    credentials = settings.credentials()
    resolver = make_caller_resolver(
        credentials, default_account="123456789012", default_region="us-east-1", clock=lambda: 0.0
    )
    for shown in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        json.dumps(settings.model_dump(mode="json")),
        repr(credentials),
        repr(resolver),
    ):
        assert SECRET not in shown
    assert "AKIA1" in repr(resolver)


def test_secrets_never_reach_logs_or_responses(make_settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(strict_auth=True, secret_keys={"AKIA1": SECRET}, access_keys={"AKIA1": "111111111111"})
    caplog.set_level(logging.DEBUG)
    bodies = []
    with running_server(settings) as url:
        for key_id, secret in (("AKIA1", SECRET), ("AKIA1", OTHER_SECRET), ("AKIAOTHER", SECRET)):
            for operation, body in (("CreateModel", CREATE), ("DescribeModel", {"ModelName": "m"})):
                response = sign(url, operation, body, key_id=key_id, secret=secret).send()
                bodies.append(response.text + repr(response.headers))
        response = sign(url, "CreateModel", CREATE, key_id="AKIA1", secret=SECRET).send(body=b'{"ModelName": 1}')
        bodies.append(response.text)
    assert '"ModelArn"' in bodies[0]
    assert any("InvalidSignatureException" in b for b in bodies)
    assert any("UnrecognizedClientException" in b for b in bodies)
    assert all(SECRET not in b and OTHER_SECRET not in b for b in bodies)
    # botocore's signer logs on the client side; the server side must not add the secret anywhere.
    server_records = [r for r in caplog.records if not r.name.startswith(("botocore", "urllib3", "httpx", "httpcore"))]
    assert all(SECRET not in r.getMessage() for r in server_records)


def test_the_cli_serves_strict_mode_from_a_credentials_file_with_an_env_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "keys.toml", TOML_FILE)
    env = {**os.environ, "TEAM_B_SECRET": OTHER_SECRET}
    env = {k: v for k, v in env.items() if not k.startswith("SAGEMAKER_EMULATOR_")}
    with server_process(
        "--credentials-file",
        str(path),
        "--database-url",
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        "--log-level",
        "debug",
        env=env,
    ) as (url, proc):
        team_b = signed_client(url, region="us-east-1", key_id="AKIAFILEENV000000002", secret=OTHER_SECRET)
        assert team_b.create_model(**CREATE)["ModelArn"] == "arn:aws:sagemaker:us-east-1:222222222222:model/m"
        wrong = signed_client(url, region="us-east-1", key_id="AKIAFILEENV000000002", secret=SECRET)
        with pytest.raises(ClientError) as raised:
            wrong.describe_model(ModelName="m")
        assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    assert SECRET not in output and OTHER_SECRET not in output


def test_no_strict_auth_flag_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "keys.toml", TOML_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_EMULATOR_")}
    env["TEAM_B_SECRET"] = OTHER_SECRET
    with server_process(
        "--credentials-file", str(path), "--no-strict-auth", "--database-url", f"sqlite:///{tmp_path / 'db'}", env=env
    ) as (url, _):
        # Permissive: any secret passes, the key still picks the account.
        client = signed_client(url, region="us-east-1", key_id="AKIAFILEDIRECT000001", secret="anything")
        assert client.create_model(**CREATE)["ModelArn"] == "arn:aws:sagemaker:us-east-1:111111111111:model/m"


def test_the_cli_refuses_bad_credentials_naming_the_problem_not_the_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "keys.toml", TOML_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_EMULATOR_") and k != "TEAM_B_SECRET"}
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--credentials-file", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "sagemaker-emulator: access key AKIAFILEENV000000002: environment variable TEAM_B_SECRET is not set\n"
    )
