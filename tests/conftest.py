from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.settings import Settings
from tests.databases import BACKENDS, fresh_database
from tests.moto_s3 import moto_s3_server
from tests.support import running_server, sagemaker_client

# Every server the tests start, in this process or as a child (which inherits the environment), checks each answer
# against the API model's output shape: a wrong member name is an InternalFailure naming it, not a member boto3 drops.
os.environ.setdefault("SAGEMAKER_EMULATOR_CHECK_ANSWERS", "true")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test: every test runs on SQLite, and on PostgreSQL when configured."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def make_settings(database_url: str) -> Any:
    def make(**overrides: Any) -> Settings:
        return Settings(database_url=database_url, **overrides)

    return make


@pytest.fixture
def endpoint(make_settings: Any) -> Iterator[str]:
    with running_server(make_settings()) as url:
        yield url


@pytest.fixture
def sm(endpoint: str) -> Any:
    return sagemaker_client(endpoint)


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """A moto S3 server for the module's tests (its `s3` fixture empties it for each)."""
    with moto_s3_server() as url:
        yield url
