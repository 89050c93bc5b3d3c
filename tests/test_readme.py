"""What the README tells a newcomer, tried: the admin table's requests, the seed file, the PostgreSQL test URL and
what is not emulated; and its tables of kinds and limits, held to emulator.resources.KINDS and the Limits class, so
adding a kind or a limit without them fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.operations import KINDS
from emulator.settings import Limits, Settings
from tests.support import as_described, counted, http, running_server, sagemaker_client

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


SEED = json.loads(re.findall(r"```json\n(.*?)```", section("Admin API"), flags=re.DOTALL)[0])
ADMIN_ROWS = re.findall(r"^\| `(GET|PUT|POST|DELETE) (/_emulator/[a-z]+)[^`]*` \|", section("Admin API"), re.M)
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/_emulator/state"): SEED,
    ("PUT", "/_emulator/faults"): {"rules": []},
    ("PUT", "/_emulator/answers"): {"endpoint_name": "e", "answers": [{"body": "a"}]},
    ("PUT", "/_emulator/modelservers"): {},
    ("PUT", "/_emulator/modelcommands"): {"*": "python serve.py {port} {model_dir}"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("readme") / "emulator.db"
    with running_server(Settings(database_url=f"sqlite:///{database}")) as url:
        yield url


def test_the_admin_table_lists_the_fault_routes() -> None:
    assert {r for r in ADMIN_ROWS if r[1] == "/_emulator/faults"} == {
        ("GET", "/_emulator/faults"),
        ("PUT", "/_emulator/faults"),
        ("DELETE", "/_emulator/faults"),
    }


@pytest.mark.parametrize(("method", "path"), ADMIN_ROWS, ids=[f"{m} {p}" for m, p in ADMIN_ROWS])
def test_every_request_of_the_admin_table_is_served(server: str, method: str, path: str) -> None:
    body = BODIES.get((method, path))
    response = http().request(method, server + path, json=body)
    assert response.status_code == 200, response.text


def test_the_seed_file_of_the_readme_imports(server: str) -> None:
    response = http().put(f"{server}/_emulator/state", content=json.dumps(SEED))
    assert response.status_code == 200, response.text
    model = sagemaker_client(server).describe_model(ModelName="churn")
    assert model["PrimaryContainer"] == as_described(SEED["models"][0]["definition"]["PrimaryContainer"])
    assert model["ModelArn"] == "arn:aws:sagemaker:us-east-1:123456789012:model/churn"


def test_the_seed_file_needs_format_and_version(server: str) -> None:
    seed = {k: v for k, v in SEED.items() if k != "version"}
    response = http().put(f"{server}/_emulator/state", content=json.dumps(seed))
    assert (response.status_code, response.json()) == (
        400,
        {"__type": "ValidationException", "message": 'A snapshot needs "version", a positive integer.'},
    )


def test_the_postgres_test_url_is_the_one_ci_uses() -> None:
    ci_default = re.search(r"SAGEMAKER_EMULATOR_TEST_POSTGRES_URL:-([^}]+)\}", (ROOT / ".ci" / "run").read_text())
    assert ci_default is not None
    assert f"SAGEMAKER_EMULATOR_TEST_POSTGRES_URL={ci_default.group(1)} python -m pytest -q" in section("Testing")


def test_images_roles_and_model_data_are_not_checked_as_the_readme_says(server: str) -> None:
    """'What is not emulated': an image, role and S3 object that exist nowhere (the bucket in another region) are
    accepted."""
    assert "any `Image` is accepted" in section("What is not emulated")
    sm = sagemaker_client(server)
    sm.create_model(
        ModelName="nothing-exists",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/no-such-role",
        PrimaryContainer={
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/no-such-image:never",
            "ModelDataUrl": "s3://no-such-bucket-in-eu-west-3/model.tar.gz",
        },
    )
    assert sm.describe_model(ModelName="nothing-exists")["ExecutionRoleArn"].endswith("role/no-such-role")


def table(text: str, header: str) -> list[list[str]]:
    """The cells of each row of the Markdown table whose header row starts with `header`."""
    lines = text.split(f"\n{header}", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def admin_row(request: str) -> str:
    return next(line for line in section("Admin API").splitlines() if line.startswith(f"| `{request}"))


def test_the_reset_row_shows_a_count_for_every_kind() -> None:
    shown = json.loads(re.findall(r"`(\{.*?\})`", admin_row("POST /_emulator/reset"))[0].replace("N", "0"))
    assert list(shown) == list(counted("deleted"))
    example = re.findall(r"`\{(.*?), \.\.\.\}`", admin_row("PUT /_emulator/state"))[0]
    assert set(json.loads(f"{{{example.replace('N', '0')}}}")) <= set(counted("imported"))


def test_the_snapshot_table_lists_every_kind(server: str) -> None:
    lifecycle = "`status`, `last_modified_time`, `state`"
    rows = table(section("Admin API"), "| kind (in `kinds`) |")
    assert [row[:3] for row in rows] == [
        [f"`{kind.arn_type}`", f"`{kind.snake}s`", f"`{kind.snake}_name`"] for kind in KINDS
    ]
    assert [row[3].startswith(lifecycle) for row in rows] == [kind.check_state is not None for kind in KINDS]
    # And as a server exports them: the header names the same kinds, each with its list.
    exported = http().get(f"{server}/_emulator/state").json()
    assert [f"`{kind}`" for kind in exported["kinds"]] == [row[0] for row in rows]
    assert [f"`{key}`" for key in exported if key.endswith("s") and key != "kinds"] == [row[1] for row in rows]


def shown_default(value: object) -> str:
    return "no limit" if value is None else f"`{value}`"


def test_the_configuration_table_shows_every_limit_with_its_default_and_meaning() -> None:
    rows = {row[0]: row[1:] for row in table(section("Configuration"), "| setting |")}
    for name, field in Limits.model_fields.items():
        assert f"`{name}`" in rows, f"the Configuration table has no row for the limit {name}"
        default, meaning = rows[f"`{name}`"]
        assert default == shown_default(field.default), name
        assert field.description is not None and meaning.startswith(field.description), name
    # Each kind's cap is one of them.
    assert {kind.limit_field for kind in KINDS if kind.limit_field is not None} <= set(Limits.model_fields)
