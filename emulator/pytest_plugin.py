"""pytest fixtures for code that calls SageMaker, loaded by pytest through the package's `pytest11` entry point.

    def test_my_code(sagemaker_client):
        sagemaker_client.create_model(ModelName="m", PrimaryContainer={"Image": "..."})

`sagemaker_emulator_endpoint` (session): the emulator in a background thread on a free 127.0.0.1 port, with a
fresh SQLite file; its URL. `sagemaker_client` (function): a boto3 SageMaker client for it, on a state reset
before the test. `sagemaker_runtime_client` (function): a boto3 SageMaker Runtime client for it.
`sagemaker_canned_answers` (function): `set(endpoint_name, *answers, mode="queue", variant_name=None)` makes the
endpoint answer these (dicts: body, content_type, status, custom_attributes), cleared after the test. Other settings come from the SAGEMAKER_EMULATOR_* env vars (limits, region, account).

The fixtures need pytest and boto3, which the package alone does not install: `pip install
'sagemaker-emulator[pytest]'` brings them. Nothing heavy is imported until a fixture is used: every pytest session of a project with the package installed
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
def sagemaker_emulator_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of an emulator that runs for the whole session."""
    from emulator.embedded import running_emulator
    from emulator.settings import Settings

    database = tmp_path_factory.mktemp("sagemaker-emulator") / "emulator.db"
    settings = Settings(host="127.0.0.1", port=0, database_url=f"sqlite:///{database}", admin_writes=True)
    with running_emulator(settings) as endpoint:
        yield endpoint


def reset_emulator(endpoint: str) -> None:
    """Deletes every resource (models, endpoint configs, endpoints) on the emulator at `endpoint`."""
    request = urllib.request.Request(f"{endpoint}/_emulator/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture
def sagemaker_client(sagemaker_emulator_endpoint: str) -> Any:
    """A boto3 SageMaker client for the session's emulator, which holds no resources when the test starts."""
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError as exc:  # the package's own dependencies leave boto3 out: say how to get it
        pytest.fail(f"the sagemaker_client fixture needs boto3 ({exc}): {INSTALL_HINT}", pytrace=False)

    reset_emulator(sagemaker_emulator_endpoint)
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


def _admin(endpoint: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(
        f"{endpoint}/_emulator{path}", method=method, data=data, headers={"Content-Type": "application/json"}
    )
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
def sagemaker_canned_answers(sagemaker_emulator_endpoint: str) -> Iterator[Callable[..., None]]:
    """set(endpoint_name, *answers, mode="queue", variant_name=None): what the endpoint answers next (queue: each
    answer once, in order; fixed: one answer every time). Every canned answer is cleared after the test."""

    def set_answers(
        endpoint_name: str, *answers: dict[str, Any], mode: str = "queue", variant_name: str | None = None
    ) -> None:
        body = {"endpoint_name": endpoint_name, "mode": mode, "answers": list(answers)}
        if variant_name is not None:
            body["variant_name"] = variant_name
        _admin(sagemaker_emulator_endpoint, "PUT", "/answers", body)

    yield set_answers
    _admin(sagemaker_emulator_endpoint, "DELETE", "/answers")
