"""Health, readiness, version and settings under /_emulator, and that the prefix is never an AWS request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import pytest
from sqlalchemy.engine import make_url

from emulator import __version__
from emulator.admin.info import settings_in_force
from emulator.operations import HANDLERS
from emulator.operations.context import Deps
from emulator.settings import Limits, Settings
from emulator.store.database import make_engine
from tests.support import aws_post, http, running_server


def test_ready_once_the_database_answers(endpoint: str) -> None:
    response = http().get(f"{endpoint}/_emulator/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_not_ready_when_the_database_lost_its_schema(make_settings: Any, database_url: str) -> None:
    with running_server(make_settings()) as endpoint:
        engine = make_engine(database_url)
        with engine.begin() as db:
            db.exec_driver_sql("DROP TABLE resource_counts")
        engine.dispose()
        response = http().get(f"{endpoint}/_emulator/ready")
        health = http().get(f"{endpoint}/_emulator/health")
    error = "OperationalError" if database_url.startswith("sqlite") else "UndefinedTable"
    assert (response.status_code, response.json()) == (
        503,
        {"__type": "ServiceUnavailable", "message": f"The database is not available: {error}."},
    )
    assert health.status_code == 200  # alive, just not ready


def test_version(endpoint: str) -> None:
    assert http().get(f"{endpoint}/_emulator/version").json() == {
        "version": __version__,
        # The pinned botocore's (tests/test_generated.py holds the generated model to it), so an upgrade needs no edit.
        "api_model": f"botocore {botocore.__version__}, sagemaker 2017-07-24",
        "operations": sorted(HANDLERS),
        "runtime_operations": ["InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"],
        "snapshot_version": 2,
    }


def test_settings_in_force(make_settings: Any, database_url: str, tmp_path: Path) -> None:
    limits = tmp_path / "limits.toml"
    limits.write_text("max_models = 7\n")
    with running_server(
        make_settings(
            limits_file=limits, region="eu-west-1", token_secret="tok-s3cret", secret_keys={"AKID": "key-s3cret"}
        )
    ) as endpoint:
        response = http().get(f"{endpoint}/_emulator/settings")
    shown = response.json()
    assert set(shown) == set(Settings.model_fields) | {"limits"}
    expected = {
        "host": "127.0.0.1",
        "port": 8787,
        "database_url": make_url(database_url).render_as_string(hide_password=True),
        "region": "eu-west-1",
        "account_id": "123456789012",
        "log_level": "info",
        "log_format": "text",
        "admin_access": "loopback",
        "admin_token": None,
        "limits_file": str(limits),
        "max_models": None,
        "max_containers_per_model": None,
        "max_environment_bytes": None,
        # Every limit, each kind's included: the file's, and the others' defaults.
        "limits": {**Limits().model_dump(), "max_models": 7},
        "token_secret": "***",
        "secret_keys": "***",
    }
    assert {k: shown[k] for k in expected} == expected
    assert "s3cret" not in response.text


def test_settings_never_show_a_database_password() -> None:
    settings = Settings(database_url="postgresql+psycopg://emulator:s3cret@db:5432/emulator")
    shown = settings_in_force(settings, Deps(store=None, shared=None, limits=Limits()), admin_mode="off")  # type: ignore[arg-type]
    assert shown["database_url"] == "postgresql+psycopg://emulator:***@db:5432/emulator"
    assert "s3cret" not in str(shown)


def test_unknown_admin_paths_are_a_plain_404(endpoint: str) -> None:
    # Not an AWS answer: nothing under /_emulator is an AWS operation, so no SDK parses these.
    response = http().get(f"{endpoint}/_emulator/nothing-here")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    wrong_method = http().delete(f"{endpoint}/_emulator/state")
    assert (wrong_method.status_code, wrong_method.json()) == (405, {"detail": "Method Not Allowed"})


def test_the_admin_api_publishes_its_openapi_schema(endpoint: str) -> None:
    schema = http().get(f"{endpoint}/_emulator/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/_emulator/health",
        "/_emulator/ready",
        "/_emulator/state",
        "/_emulator/reset",
        "/_emulator/faults",
    } <= set(paths)
    assert set(paths["/_emulator/state"]) == {"get", "put"}
    assert all(path.startswith("/_emulator/") for path in paths)  # the AWS path is not a FastAPI route


def test_no_admin_page_needs_the_network(endpoint: str) -> None:
    """Swagger UI's page at /_emulator/docs loaded its scripts from a CDN: blank offline, so it is not served."""
    docs = http().get(f"{endpoint}/_emulator/docs")
    assert (docs.status_code, docs.json()) == (404, {"detail": "Not Found"})


def test_a_bad_admin_request_is_one_line_without_internals(endpoint: str) -> None:
    response = http().put(f"{endpoint}/_emulator/faults", json={"rules": [{"action": "explode"}]})
    assert response.status_code == 400
    body = response.json()
    assert body["__type"] == "ValidationException"
    assert body["message"].startswith("rules.0.action: Input should be ")
    assert ".py" not in response.text and "pydantic" not in response.text


def test_an_aws_target_cannot_reach_the_admin_prefix(endpoint: str) -> None:
    # POST / with any target is an AWS request; even a target naming an admin route is just unknown.
    response = aws_post(endpoint, None, {}, **{"X-Amz-Target": "SageMaker._emulator/reset"})
    assert (response.status_code, response.json()["__type"]) == (400, "UnknownOperationException")
    assert response.json()["message"].startswith("sagemaker-emulator 0.1.0 does not serve SageMaker._emulator/reset;")


# Every admin PUT with the body `curl -d` sends: labelled application/x-www-form-urlencoded, JSON all the same.
FORM_LABELLED_PUTS = [
    ("/_emulator/faults", {"rules": [{"action": "throttle", "times": 1}]}, "/_emulator/faults"),
    ("/_emulator/answers", {"endpoint_name": "e", "answers": [{"body": "a"}]}, "/_emulator/answers"),
    ("/_emulator/modelservers", {"img": "http://127.0.0.1:9"}, "/_emulator/modelservers"),
    ("/_emulator/modelcommands", {"img": "serve --port {port}"}, "/_emulator/modelcommands"),
    ("/_emulator/state", {"format": "sagemaker-emulator-snapshot", "version": 1}, "/_emulator/state"),
]


@pytest.mark.parametrize(("path", "body", "read_back"), FORM_LABELLED_PUTS, ids=[p for p, _, _ in FORM_LABELLED_PUTS])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_admin_puts_take_json_whatever_its_content_type(
    endpoint: str, path: str, body: dict[str, Any], read_back: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = http().put(endpoint + path, content=json.dumps(body), headers=headers)
    assert response.status_code == 200, response.text
    stored = http().get(endpoint + read_back).json()
    if path == "/_emulator/faults":
        assert stored["rules"][0]["action"] == "throttle"
    elif path == "/_emulator/answers":
        assert [(a["endpoint_name"], a["remaining"]) for a in stored] == [("e", 1)]
    elif path in ("/_emulator/modelservers", "/_emulator/modelcommands"):
        assert stored == body
    else:
        assert stored["format"] == "sagemaker-emulator-snapshot"


BAD_BODIES = [
    ("not-json", b'{"rules": [', "The body is not valid JSON: Expecting value."),
    ("empty", b"", "This request needs a JSON body."),
]


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_an_admin_body_that_is_not_json_says_so(endpoint: str, body: bytes, message: str, content_type: str) -> None:
    response = http().put(f"{endpoint}/_emulator/faults", content=body, headers={"Content-Type": content_type})
    assert (response.status_code, response.json()) == (400, {"__type": "ValidationException", "message": message})
    assert http().get(f"{endpoint}/_emulator/faults").json() == {"rules": [], "counters": []}
