"""The store holds every SageMaker kind: kinds and names as long as the API model allows are stored and read back on
both databases (PostgreSQL refuses a VARCHAR overflow that SQLite accepts), and a database of the previous release
upgrades in place with its rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from sqlalchemy import text

from emulator.app import create_app
from emulator.operations import KINDS
from emulator.resources.kind import ResourceKind
from emulator.server import serving
from emulator.settings import Settings
from emulator.shapes.generated import OPERATIONS, SHAPES
from emulator.shapes.validate import RequestValidator
from emulator.store.database import make_engine
from emulator.store.migrate import HEAD, current_revision, upgrade
from emulator.store.tables import KIND_LENGTH, NAME_LENGTH, metadata, resource_counts, resources
from tests.databases import BACKENDS, fresh_database
from tests.support import aws_post, http, running_server, sagemaker_client

SERVICE = botocore.session.get_session().get_service_model("sagemaker")


def name_members() -> dict[str, int]:
    """Each Create<X> operation's <X>Name (or Name) member: the longest name its resource may have."""
    found: dict[str, int] = {}
    for operation in SERVICE.operation_names:
        if not operation.startswith("Create"):
            continue
        members = SERVICE.operation_model(operation).input_shape.members
        member = members.get(f"{operation.removeprefix('Create')}Name")
        if member is not None and "max" in member.metadata:
            found[operation] = member.metadata["max"]
    return found


def arn_resource_types() -> set[str]:
    """The resource types the API model's ARN patterns spell out (not all do: the issue names a longer one)."""
    types: set[str] = set()
    for name in SERVICE.shape_names:
        pattern = SERVICE.shape_for(name).metadata.get("pattern", "")
        if ":sagemaker:" in pattern:
            types.update(re.findall(r"\d\{12\}:([a-z][a-z0-9-]*)/", pattern))
    return types


def test_every_kind_of_the_api_model_fits_the_store() -> None:
    names = name_members()
    assert names["CreatePipeline"] == 256  # the longest, as docs/decisions.md says
    assert max(names.values()) <= NAME_LENGTH
    for column in (resources.c.name, resources.c.name_lower):
        assert column.type.length == NAME_LENGTH  # type: ignore[attr-defined]
    longest = max([*arn_resource_types(), "model-explainability-job-definition"], key=len)
    assert len(longest) <= KIND_LENGTH
    for column in (resources.c.kind, resource_counts.c.kind):
        assert column.type.length == KIND_LENGTH  # type: ignore[attr-defined]


# A kind declared here whose ARN resource type and names are as long as the store allows.
LONG_TYPE = ("a-kind-with-the-longest-arn-resource-type-" + "x" * KIND_LENGTH)[:KIND_LENGTH]
LONG = ResourceKind(
    arn_type=LONG_TYPE,
    noun="LongThing",
    plural="LongThings",
    label="long thing",
    definition_members=("Color",),
)
LONG_SHAPES: dict[str, dict[str, Any]] = {
    # The API model's longest resource name.
    "PipelineName": {"type": "string", **SERVICE.shape_for("PipelineName").metadata},
    "CreateLongThingInput": {
        "type": "structure",
        "required": ["LongThingName"],
        "members": {
            "LongThingName": {"shape": "PipelineName"},
            "Color": {"shape": "String"},
            "Tags": {"shape": "TagList"},
        },
    },
    "DescribeLongThingInput": {
        "type": "structure",
        "required": ["LongThingName"],
        "members": {"LongThingName": {"shape": "PipelineName"}},
    },
    "DeleteLongThingInput": {
        "type": "structure",
        "required": ["LongThingName"],
        "members": {"LongThingName": {"shape": "PipelineName"}},
    },
    "ListLongThingsInput": SHAPES["ListModelsInput"],
    # The answers' shapes: the test suite checks every answer against its operation's output shape.
    "LongThingArn": {"type": "string", "min": 1, "max": 2048},
    "CreateLongThingOutput": {
        "type": "structure",
        "required": ["LongThingArn"],
        "members": {"LongThingArn": {"shape": "LongThingArn"}},
    },
    "DescribeLongThingOutput": {
        "type": "structure",
        "required": ["LongThingName", "LongThingArn", "CreationTime"],
        "members": {
            "LongThingName": {"shape": "PipelineName"},
            "LongThingArn": {"shape": "LongThingArn"},
            "Color": {"shape": "String"},
            "CreationTime": {"shape": "Timestamp"},
        },
    },
    "ListLongThingsOutput": {
        "type": "structure",
        "required": ["LongThings"],
        "members": {"LongThings": {"shape": "LongThingSummaryList"}, "NextToken": {"shape": "PaginationToken"}},
    },
    "LongThingSummaryList": {"type": "list", "member": {"shape": "LongThingSummary"}},
    "LongThingSummary": {
        "type": "structure",
        "required": ["LongThingName", "LongThingArn", "CreationTime"],
        "members": {
            "LongThingName": {"shape": "PipelineName"},
            "LongThingArn": {"shape": "LongThingArn"},
            "CreationTime": {"shape": "Timestamp"},
        },
    },
}
LONG_OPERATIONS: dict[str, dict[str, str]] = {
    "CreateLongThing": {"input": "CreateLongThingInput", "output": "CreateLongThingOutput"},
    "DescribeLongThing": {"input": "DescribeLongThingInput", "output": "DescribeLongThingOutput"},
    "ListLongThings": {"input": "ListLongThingsInput", "output": "ListLongThingsOutput"},
    "DeleteLongThing": {"input": "DeleteLongThingInput"},
}


@pytest.fixture
def long_endpoint(make_settings: Any) -> Iterator[str]:
    validator = RequestValidator({**SHAPES, **LONG_SHAPES}, {**OPERATIONS, **LONG_OPERATIONS})
    app = create_app(make_settings(), kinds=(*KINDS, LONG), validator=validator)
    with serving(app, make_settings(host="127.0.0.1", port=0)) as url:
        yield url


def test_the_longest_kind_and_name_are_stored_and_read_back(long_endpoint: str) -> None:
    name = "Long-" + "n" * (NAME_LENGTH - 5)
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:{LONG_TYPE}/{name.lower()}"
    created = aws_post(
        long_endpoint, "CreateLongThing", {"LongThingName": name, "Color": "blue", "Tags": [{"Key": "k", "Value": "v"}]}
    )
    assert (created.status_code, created.json()) == (200, {"LongThingArn": arn})
    described = aws_post(long_endpoint, "DescribeLongThing", {"LongThingName": name.upper()}).json()
    assert (described["LongThingName"], described["LongThingArn"], described["Color"]) == (name, arn, "blue")
    listed = aws_post(long_endpoint, "ListLongThings", {}).json()["LongThings"]
    assert [(t["LongThingName"], t["LongThingArn"]) for t in listed] == [(name, arn)]
    # A name one longer is the API model's ValidationException, never a database error.
    too_long = aws_post(long_endpoint, "CreateLongThing", {"LongThingName": name + "x", "Color": "c"})
    assert (too_long.status_code, too_long.json()["__type"]) == (400, "ValidationException")
    assert "Member must have length less than or equal to 256" in too_long.json()["message"]
    snapshot = http().get(f"{long_endpoint}/_emulator/state").json()
    # Tags by ARN stop at ResourceArn's 256 characters, as on AWS; the snapshot shows them.
    assert [(t[f"{LONG.snake}_name"], t["tags"]) for t in snapshot[f"{LONG.snake}s"]] == [
        (name, [{"Key": "k", "Value": "v"}])
    ]
    assert http().post(f"{long_endpoint}/_emulator/reset").json()[f"deleted_{LONG.snake}s"] == 1
    assert http().put(f"{long_endpoint}/_emulator/state", json=snapshot).json()[f"imported_{LONG.snake}s"] == 1
    assert aws_post(long_endpoint, "DescribeLongThing", {"LongThingName": name}).json()["LongThingArn"] == arn


def copy_rows(source: str, target: str) -> None:
    """Every row of every table, ids included; PostgreSQL's id sequence then moved past the copied ids."""
    src, dst = make_engine(source), make_engine(target)
    with src.connect() as read, dst.begin() as write:
        for table in metadata.sorted_tables:
            rows = [row._asdict() for row in read.execute(table.select())]
            if rows:
                write.execute(table.insert(), rows)
        if write.dialect.name == "postgresql":
            write.execute(
                text("SELECT setval(pg_get_serial_sequence('resources', 'id'), (SELECT MAX(id) FROM resources))")
            )
    src.dispose()
    dst.dispose()


def everything(sm: Any) -> dict[str, Any]:
    """What the SDK reads of every resource: Describe and ListTags of each kind, and the lists."""
    seen: dict[str, Any] = {
        "models": sm.list_models()["Models"],
        "configs": sm.list_endpoint_configs()["EndpointConfigs"],
        "endpoints": sm.list_endpoints()["Endpoints"],
    }
    for model in seen["models"]:
        seen[model["ModelArn"]] = (
            sm.describe_model(ModelName=model["ModelName"]),
            sm.list_tags(ResourceArn=model["ModelArn"])["Tags"],
        )
    for config in seen["configs"]:
        seen[config["EndpointConfigArn"]] = sm.describe_endpoint_config(EndpointConfigName=config["EndpointConfigName"])
    for endpoint in seen["endpoints"]:
        seen[endpoint["EndpointArn"]] = sm.describe_endpoint(EndpointName=endpoint["EndpointName"])
    for value in seen.values():
        if isinstance(value, dict):
            value.pop("ResponseMetadata", None)
        elif isinstance(value, tuple):
            value[0].pop("ResponseMetadata", None)
    return seen


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_of_the_previous_release_upgrades_in_place_with_its_rows(backend: str, tmp_path: Path) -> None:
    """Rows the server wrote, put into a database the previous release's scripts (0006) built: the server upgrades it
    at start-up, every resource reads back the same, and names longer than 63 then fit."""
    (tmp_path / "written").mkdir()
    (tmp_path / "previous").mkdir()
    with (
        fresh_database(backend, tmp_path / "written") as written,
        fresh_database(backend, tmp_path / "previous") as previous,
    ):
        with running_server(Settings(database_url=written, max_models=3)) as endpoint:
            sm = sagemaker_client(endpoint)
            for name, tags in (
                ("Model-A", [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "prod"}]),
                ("b", []),
            ):
                sm.create_model(ModelName=name, PrimaryContainer={"Image": "i"}, **({"Tags": tags} if tags else {}))
            variant = {
                "VariantName": "v",
                "ModelName": "Model-A",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
            sm.create_endpoint_config(EndpointConfigName="config", ProductionVariants=[variant])
            sm.create_endpoint(EndpointName="endpoint", EndpointConfigName="config")
            sm.describe_endpoint(EndpointName="endpoint")  # InService from here on
            before = everything(sm)
        assert before["endpoints"][0]["EndpointStatus"] == "InService"
        engine = make_engine(previous)
        upgrade(engine, "0006")
        engine.dispose()
        copy_rows(written, previous)

        with running_server(Settings(database_url=previous, max_models=3)) as endpoint:
            sm = sagemaker_client(endpoint)
            assert everything(sm) == before
            # The counts came along: a limit of 3 models leaves one more.
            sm.create_model(ModelName="c", PrimaryContainer={"Image": "i"}, Tags=[{"Key": "new", "Value": "1"}])
            with pytest.raises(sm.exceptions.ClientError) as raised:
                sm.create_model(ModelName="d", PrimaryContainer={"Image": "i"})
            assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"
            sm.delete_model(ModelName="Model-A")
        engine = make_engine(previous)
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            # The tags of the deleted model went with it (the foreign key survived the copy); the others stayed.
            tags = conn.execute(text('SELECT r.name, t."key" FROM tags t JOIN resources r ON r.id = t.resource_id'))
            assert sorted(tuple(t) for t in tags) == [("c", "new")]
            long_kind = "k" * KIND_LENGTH
            conn.execute(
                text(
                    "INSERT INTO resources (kind, account_id, region, name, name_lower, creation_ms, definition)"
                    " VALUES (:kind, '123456789012', 'us-east-1', :name, :name, 0, '{}')"
                ),
                {"kind": long_kind, "name": "n" * NAME_LENGTH},
            )
            stored = conn.execute(text("SELECT kind, name FROM resources WHERE kind = :kind"), {"kind": long_kind})
            assert [tuple(r) for r in stored] == [(long_kind, "n" * NAME_LENGTH)]
            conn.rollback()
        engine.dispose()
