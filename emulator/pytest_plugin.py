"""pytest fixtures for code that calls SageMaker, loaded by pytest through the package's `pytest11` entry point.

    def test_my_code(sagemaker_client):
        sagemaker_client.create_model(ModelName="m", PrimaryContainer={"Image": "..."})

`sagemaker_emulator_endpoint` (session): the emulator in a background thread on a free 127.0.0.1 port, with a
fresh SQLite file; its URL. `sagemaker_client` (function): a boto3 SageMaker client for it, on a state reset
before the test. Other settings come from the SAGEMAKER_EMULATOR_* env vars (limits, region, account). Its
admin API answers clients on this machine, or, when SAGEMAKER_EMULATOR_ADMIN_TOKEN is set, requests that carry
that token (`sagemaker_emulator_admin_token`); the reset passes it.

The fixtures need pytest and boto3, which the package alone does not install: `pip install
'sagemaker-emulator[pytest]'` brings them. Nothing heavy is imported until a fixture is used: every pytest session of a project with the package installed
loads this module.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

# The extra that brings what the fixtures need (pytest, boto3); named in the errors of a fixture that lacks one.
INSTALL_HINT = "pip install 'sagemaker-emulator[pytest]' (the same [pytest] extra from a git URL, path or wheel)"


@pytest.fixture(scope="session")
def sagemaker_emulator_admin_token() -> str | None:
    """The token the session's emulator requires on its admin API: SAGEMAKER_EMULATOR_ADMIN_TOKEN, or None."""
    from emulator.settings import Settings

    configured = Settings().admin_token
    return configured.get_secret_value() if configured is not None else None


@pytest.fixture(scope="session")
def sagemaker_emulator_endpoint(
    tmp_path_factory: pytest.TempPathFactory, sagemaker_emulator_admin_token: str | None
) -> Iterator[str]:
    """The endpoint URL of an emulator that runs for the whole session."""
    from emulator.server import running_emulator
    from emulator.settings import Settings

    database = tmp_path_factory.mktemp("sagemaker-emulator") / "emulator.db"
    # A loopback listener: its own machine's clients only, also under strict_auth from the env (which alone would
    # switch the admin API off), unless a token is configured.
    settings = Settings(
        host="127.0.0.1",
        port=0,
        database_url=f"sqlite:///{database}",
        admin_access="loopback" if sagemaker_emulator_admin_token is None else "token",
    )
    with running_emulator(settings) as endpoint:
        yield endpoint


def reset_emulator(endpoint: str, *, admin_token: str | None = None) -> None:
    """Deletes every resource (models, endpoint configs, endpoints) on the emulator at `endpoint`; admin_token: the
    token its admin API requires."""
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token is not None else {}
    request = urllib.request.Request(f"{endpoint}/_emulator/reset", method="POST", data=b"", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture
def sagemaker_client(sagemaker_emulator_endpoint: str, sagemaker_emulator_admin_token: str | None) -> Any:
    """A boto3 SageMaker client for the session's emulator, which holds no resources when the test starts."""
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError as exc:  # the package's own dependencies leave boto3 out: say how to get it
        pytest.fail(f"the sagemaker_client fixture needs boto3 ({exc}): {INSTALL_HINT}", pytrace=False)

    from emulator.settings import Settings

    reset_emulator(sagemaker_emulator_endpoint, admin_token=sagemaker_emulator_admin_token)
    return boto3.client(
        "sagemaker",
        endpoint_url=sagemaker_emulator_endpoint,
        region_name=Settings().region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
