"""pytest fixtures for code that calls SageMaker, loaded by pytest through the package's `pytest11` entry point.

    def test_my_code(sagemaker_client):
        sagemaker_client.create_model(ModelName="m", PrimaryContainer={"Image": "..."})

`sagemaker_emulator_endpoint` (session): the emulator in a background thread on a free 127.0.0.1 port, with a
fresh SQLite file; its URL. `sagemaker_client` (function): a boto3 SageMaker client for it, on a state reset
before the test. `sagemaker_runtime_client` (function): a boto3 SageMaker Runtime client for it.
`sagemaker_canned_answers` (function): `set(endpoint_name, *answers, mode="queue", variant_name=None)` makes the
endpoint answer these (dicts: body, content_type, status, custom_attributes), cleared after the test. Other settings
come from the SAGEMAKER_EMULATOR_* env vars (limits, region, account). Its admin API answers clients on this machine,
or, when SAGEMAKER_EMULATOR_ADMIN_TOKEN is set, requests that carry that token (`sagemaker_emulator_admin_token`);
the fixtures pass it.

The fixtures need pytest and boto3 (the package itself installs boto3, to read model data; the extra keeps
naming it): `pip install 'sagemaker-emulator[pytest]'` brings them. Nothing heavy is imported until a fixture is used: every pytest session of a project with the package installed
loads this module.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
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
    _admin(endpoint, "POST", "/reset", admin_token=admin_token)


@pytest.fixture
def sagemaker_client(sagemaker_emulator_endpoint: str, sagemaker_emulator_admin_token: str | None) -> Any:
    """A boto3 SageMaker client for the session's emulator, which holds no resources when the test starts."""
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError as exc:  # the package's own dependencies leave boto3 out: say how to get it
        pytest.fail(f"the sagemaker_client fixture needs boto3 ({exc}): {INSTALL_HINT}", pytrace=False)

    reset_emulator(sagemaker_emulator_endpoint, admin_token=sagemaker_emulator_admin_token)
    return _client(boto3, "sagemaker", sagemaker_emulator_endpoint)


def _client(boto3: Any, service: str, endpoint: str) -> Any:
    """A boto3 client of `service` for the emulator at `endpoint`, in the settings' region, with test keys."""
    from emulator.settings import Settings

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=Settings().region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _admin(endpoint: str, method: str, path: str, body: Any = None, *, admin_token: str | None) -> Any:
    """One admin API call, with the token when the emulator requires one; its JSON answer."""
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"}
    if admin_token is not None:
        headers["Authorization"] = f"Bearer {admin_token}"
    request = urllib.request.Request(f"{endpoint}/_emulator{path}", method=method, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def sagemaker_runtime_client(sagemaker_emulator_endpoint: str) -> Any:
    """A boto3 SageMaker Runtime client for the session's emulator (InvokeEndpoint, ...WithResponseStream)."""
    try:
        import boto3
    except ImportError as exc:
        pytest.fail(f"the sagemaker_runtime_client fixture needs boto3 ({exc}): {INSTALL_HINT}", pytrace=False)

    return _client(boto3, "sagemaker-runtime", sagemaker_emulator_endpoint)


@pytest.fixture
def sagemaker_canned_answers(
    sagemaker_emulator_endpoint: str, sagemaker_emulator_admin_token: str | None
) -> Iterator[Callable[..., None]]:
    """set(endpoint_name, *answers, mode="queue", variant_name=None): what the endpoint answers next (queue: each
    answer once, in order; fixed: one answer every time). Every canned answer is cleared after the test."""

    def set_answers(
        endpoint_name: str, *answers: dict[str, Any], mode: str = "queue", variant_name: str | None = None
    ) -> None:
        body = {"endpoint_name": endpoint_name, "mode": mode, "answers": list(answers)}
        if variant_name is not None:
            body["variant_name"] = variant_name
        _admin(sagemaker_emulator_endpoint, "PUT", "/answers", body, admin_token=sagemaker_emulator_admin_token)

    yield set_answers
    _admin(sagemaker_emulator_endpoint, "DELETE", "/answers", admin_token=sagemaker_emulator_admin_token)
