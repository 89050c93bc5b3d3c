"""A database that is down at start-up or goes away later: the server starts, answers AWS's 503
ServiceUnavailable (which SDKs retry), and serves again, schema created, once the database is back."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from sqlalchemy.engine import make_url

from emulator.settings import Settings
from tests.databases import POSTGRES_URL, postgres_schema
from tests.support import aws_post, running_server, sagemaker_client
from tests.tcp_proxy import TcpProxy

UNAVAILABLE = {
    "__type": "ServiceUnavailable",
    "message": "The service is unavailable because its database cannot be reached. Please try again.",
}


def create(endpoint: str, name: str) -> Any:
    return aws_post(endpoint, "CreateModel", {"ModelName": name, "PrimaryContainer": {"Image": "i"}})


def assert_unavailable(response: Any) -> None:
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert response.headers["x-amzn-errortype"] == "ServiceUnavailable"


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_postgresql_down_at_start_then_back_then_gone_then_back() -> None:
    with postgres_schema() as url:
        parsed = make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        through_proxy = parsed.set(port=proxy.port).render_as_string(hide_password=False)
        with running_server(Settings(database_url=through_proxy)) as endpoint:
            assert_unavailable(create(endpoint, "early"))
            assert_unavailable(aws_post(endpoint, "DescribeModel", {"ModelName": "early"}))

            proxy.start()  # the database comes up: the schema is created on the next request
            assert create(endpoint, "first").status_code == 200
            assert sagemaker_client(endpoint).describe_model(ModelName="first")["ModelName"] == "first"

            proxy.stop()  # and goes away under a running server with pooled connections
            assert_unavailable(create(endpoint, "during"))

            proxy.start()
            assert create(endpoint, "second").status_code == 200
            sm = sagemaker_client(endpoint)
            assert [sm.describe_model(ModelName=n)["ModelName"] for n in ("first", "second")] == ["first", "second"]
            assert create(endpoint, "during").status_code == 200  # the failed create stored nothing
            proxy.stop()


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_boto3_retries_a_503_until_the_database_is_back() -> None:
    with postgres_schema() as url:
        parsed = make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        with running_server(Settings(database_url=parsed.set(port=proxy.port).render_as_string(False))) as endpoint:
            sm = boto3.client(
                "sagemaker",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret",
                config=Config(retries={"max_attempts": 10, "mode": "standard"}),
            )
            threading.Timer(0.5, proxy.start).start()
            created = sm.create_model(ModelName="patient", PrimaryContainer={"Image": "i"})
            assert created["ModelArn"] == "arn:aws:sagemaker:us-east-1:123456789012:model/patient"
            assert created["ResponseMetadata"]["RetryAttempts"] >= 1
            proxy.stop()


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_a_request_on_a_frozen_path_answers_503_within_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path to the database hangs with a pooled connection open: 503 after the deadline, not a wait for the path.

    A proxy in the path keeps TCP alive (the kernel acknowledges what the proxy holds), so only the store's deadline can
    end this; the driver's own bounds (store/database.py) are for paths that drop packets."""
    monkeypatch.setattr("emulator.store.postgres_store.DATABASE_DEADLINE_SECONDS", 1.0)  # 45 s in service
    with postgres_schema() as url:
        parsed = make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        proxy.start()
        with running_server(Settings(database_url=parsed.set(port=proxy.port).render_as_string(False))) as endpoint:
            assert create(endpoint, "first").status_code == 200  # a pooled connection is open now
            proxy.freeze()
            # Before the deadline existed the request waited for the path to come back, then answered 200.
            thaw = threading.Timer(10, proxy.thaw)
            thaw.start()
            started = time.monotonic()
            response = aws_post(endpoint, "DescribeModel", {"ModelName": "first"})
            waited = time.monotonic() - started
            thaw.cancel()
            proxy.thaw()
            assert_unavailable(response)
            assert 1.0 <= waited < 3.0
            assert sagemaker_client(endpoint).describe_model(ModelName="first")["ModelName"] == "first"
        proxy.stop()


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_every_postgresql_connection_carries_the_driver_bounds() -> None:
    from emulator.store import database

    with postgres_schema() as url:
        pg = database.make_engine(url)
        try:
            with pg.connect() as conn:
                shown = [conn.exec_driver_sql(f"SHOW {name}").scalar() for name in ("statement_timeout", "search_path")]
                params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        finally:
            pg.dispose()
    # The URL's own options (the test schema's search_path) are kept beside ours.
    assert shown == ["10s", make_url(url).query["options"].removeprefix("-csearch_path=")]
    assert {k: params[k] for k in ("connect_timeout", "keepalives", "keepalives_idle", "tcp_user_timeout")} == {
        "connect_timeout": str(database.PG_CONNECT_TIMEOUT_SECONDS),
        "keepalives": "1",
        "keepalives_idle": str(database.PG_KEEPALIVES_IDLE_SECONDS),
        "tcp_user_timeout": str(database.PG_TCP_USER_TIMEOUT_MS),
    }
