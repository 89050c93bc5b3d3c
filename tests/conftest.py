from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.settings import Settings
from tests.support import running_server, sagemaker_client


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh, empty database for one test."""
    return f"sqlite:///{tmp_path / 'emulator.db'}"


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
