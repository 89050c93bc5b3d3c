"""`serve --workers N`: every worker gets the settings as given, secrets included (they used to arrive masked)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from emulator.server import worker_settings_json
from emulator.settings import Settings
from tests.scopes import IMAGE, KEYS, account_map, secret_map, signed_client
from tests.support import sagemaker_client, server_process

ALICE = "AKIAALICE00000000001"


def test_worker_settings_keep_their_secrets() -> None:
    settings = Settings(
        token_secret="tok-s3cret",
        secret_keys={"AKID": "key-s3cret"},
        access_keys={"AKID": "1" * 12},
        admin_token="admin-s3cret",
    )
    read_back = Settings.model_validate_json(worker_settings_json(settings))
    assert read_back.token_key() == b"tok-s3cret"
    assert read_back.admin_token is not None and read_back.admin_token.get_secret_value() == "admin-s3cret"
    assert read_back.secret_keys["AKID"].get_secret_value() == "key-s3cret"
    assert read_back == settings


def test_two_workers_check_signatures_and_tokens_with_the_real_secrets(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SAGEMAKER_EMULATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "SAGEMAKER_EMULATOR_STRICT_AUTH": "true",
        "SAGEMAKER_EMULATOR_ACCESS_KEYS": json.dumps(account_map()),
        "SAGEMAKER_EMULATOR_SECRET_KEYS": json.dumps(secret_map()),
        "SAGEMAKER_EMULATOR_TOKEN_SECRET": "tok-s3cret",
        "SAGEMAKER_EMULATOR_LOG_LEVEL": "warning",
    }
    # A NextToken issued by one process with the token secret must be accepted by every worker.
    with server_process(env=env) as (single, _proc):
        alice = signed_client(single, region="us-east-1", key_id=ALICE, secret=KEYS[ALICE][1])
        for i in range(3):
            alice.create_model(ModelName=f"m{i}", PrimaryContainer={"Image": IMAGE})
        token = alice.list_models(MaxResults=1)["NextToken"]
    with server_process("--workers", "2", env=env) as (endpoint, _proc):
        alice = signed_client(endpoint, region="us-east-1", key_id=ALICE, secret=KEYS[ALICE][1])
        # Fresh connections, so the kernel spreads them over both workers.
        for i in range(8):
            client = signed_client(endpoint, region="us-east-1", key_id=ALICE, secret=KEYS[ALICE][1])
            assert client.describe_model(ModelName=f"m{i % 3}")["ModelName"] == f"m{i % 3}"
            page = client.list_models(MaxResults=1, NextToken=token)
            assert len(page["Models"]) == 1
        with pytest.raises(ClientError) as refused:
            sagemaker_client(endpoint).describe_model(ModelName="m0")  # signed with a key it does not know
        assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert alice.describe_model(ModelName="m0")["ModelName"] == "m0"
