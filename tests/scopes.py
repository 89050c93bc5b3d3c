"""Two accounts and two regions side by side: the four scopes isolation tests run every operation in."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# Access key id -> (account id, secret access key).
KEYS = {
    "AKIAALICE00000000001": ("111111111111", "alice/secret+key=1"),
    "AKIABOB0000000000002": ("222222222222", "bob-secret-key-2"),
}
REGIONS = ("us-east-1", "eu-west-1")
DEFAULT_ACCOUNT = "123456789012"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"


def account_map() -> dict[str, str]:
    return {key_id: account for key_id, (account, _) in KEYS.items()}


def secret_map() -> dict[str, str]:
    return {key_id: secret for key_id, (_, secret) in KEYS.items()}


@dataclass(frozen=True)
class Scope:
    key_id: str
    account: str
    region: str
    client: Any

    def arn(self, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:model/{name.lower()}"

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"


def signed_client(endpoint: str, *, region: str, key_id: str, secret: str, **kwargs: Any) -> Any:
    """A boto3 SageMaker client with these credentials; no retries, no client-side validation."""
    return boto3.client(
        "sagemaker",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"}),
        **kwargs,
    )


def four_scopes(endpoint: str) -> list[Scope]:
    """One boto3 client per (account, region), each signing with its account's key."""
    scopes = []
    for (key_id, (account, secret)), region in itertools.product(KEYS.items(), REGIONS):
        client = signed_client(endpoint, region=region, key_id=key_id, secret=secret)
        scopes.append(Scope(key_id=key_id, account=account, region=region, client=client))
    return scopes


def create(scope: Scope, name: str, **extra: Any) -> None:
    """A model whose Environment records the scope it was created in, so a leak would show in Describe."""
    scope.client.create_model(
        ModelName=name, PrimaryContainer={"Image": IMAGE, "Environment": {"SCOPE": str(scope)}}, **extra
    )
