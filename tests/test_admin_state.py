"""Reset, export and import under /_emulator, read back through boto3 against a live server."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from emulator.operations import KINDS
from emulator.settings import Settings
from tests.support import as_described, counted, http, running_server, sagemaker_client

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"
SEED = Path(__file__).parent / "data" / "snapshot-v1.json"


def create(sm: Any, name: str, **extra: Any) -> None:
    sm.create_model(ModelName=name, PrimaryContainer={"Image": IMAGE}, **extra)


def exported(endpoint: str) -> dict[str, Any]:
    response = http().get(f"{endpoint}/_emulator/state")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def put_state(endpoint: str, document: Any) -> httpx.Response:
    content = document if isinstance(document, bytes) else json.dumps(document, ensure_ascii=False).encode()
    return http().put(f"{endpoint}/_emulator/state", content=content)


def names(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(m["account_id"], m["region"], m["model_name"]) for m in document["models"]]


def assert_not_found(sm: Any, name: str, region: str = "us-east-1", account: str = "123456789012") -> None:
    with pytest.raises(ClientError) as error:
        sm.describe_model(ModelName=name)
    assert error.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f'Could not find model "arn:aws:sagemaker:{region}:{account}:model/{name.lower()}".',
    }


def test_export_lists_every_model_with_definition_time_and_tags(endpoint: str, sm: Any) -> None:
    create(sm, "b-model", Tags=[{"Key": "k2", "Value": "v2"}, {"Key": "k1", "Value": "v1"}])
    create(sagemaker_client(endpoint, region="eu-west-1"), "a-model", EnableNetworkIsolation=True)
    document = exported(endpoint)
    described = sm.describe_model(ModelName="b-model")
    assert document["format"] == "sagemaker-emulator-snapshot"
    assert document["version"] == 2
    # The header names every kind served, and the document has a list for each (empty or not) and nothing else.
    assert document["kinds"] == [kind.arn_type for kind in KINDS]
    assert set(document) == {"format", "version", "emulator_version", "kinds", *(f"{k.snake}s" for k in KINDS)}
    assert document["models"] == [
        {
            "account_id": "123456789012",
            "region": "eu-west-1",
            "model_name": "a-model",
            "creation_time": document["models"][0]["creation_time"],
            "definition": {"PrimaryContainer": {"Image": IMAGE}, "EnableNetworkIsolation": True},
            "tags": [],
        },
        {
            "account_id": "123456789012",
            "region": "us-east-1",
            "model_name": "b-model",
            "creation_time": described["CreationTime"].timestamp(),
            "definition": {"PrimaryContainer": {"Image": IMAGE}},
            "tags": [{"Key": "k2", "Value": "v2"}, {"Key": "k1", "Value": "v1"}],
        },
    ]


def test_reset_of_everything_then_the_same_names_can_be_created_again(endpoint: str, sm: Any) -> None:
    create(sm, "one")
    create(sm, "two")
    response = http().post(f"{endpoint}/_emulator/reset")
    assert (response.status_code, response.json()) == (200, counted("deleted", models=2))
    assert_not_found(sm, "one")
    assert exported(endpoint)["models"] == []
    create(sm, "one")
    assert sm.describe_model(ModelName="one")["ModelName"] == "one"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"account_id": "12"}, "query.account_id: String should match pattern '^[0-9]{12}$'"),
        ({"region": "a\x00"}, "query.region: String should match pattern '^[a-z0-9]+(?:-[a-z0-9]+)*$'"),
        ({"region": "a" * 51}, "query.region: String should have at most 50 characters"),
    ],
)
def test_a_reset_of_a_scope_no_request_can_have_is_a_400(endpoint: str, params: dict[str, str], message: str) -> None:
    response = http().post(f"{endpoint}/_emulator/reset", params=params)
    assert (response.status_code, response.json()) == (400, {"__type": "ValidationException", "message": message})


def test_reset_of_one_region_or_one_account_keeps_the_rest(make_settings: Any) -> None:
    with running_server(make_settings()) as endpoint:
        document = json.loads(SEED.read_text())
        document["models"].append({"model_name": "default-scope", "definition": {"PrimaryContainer": {"Image": IMAGE}}})
        assert put_state(endpoint, document).json() == counted("imported", models=3)
        create(sagemaker_client(endpoint, region="eu-west-1"), "eu-model")

        reset = http().post(f"{endpoint}/_emulator/reset", params={"region": "eu-west-1", "account_id": "123456789012"})
        assert reset.json() == counted("deleted", models=1)
        assert names(exported(endpoint)) == [
            ("111111111111", "eu-west-1", "pipeline"),
            ("123456789012", "us-east-1", "Seeded-Model"),
            ("123456789012", "us-east-1", "default-scope"),
        ]
        reset = http().post(f"{endpoint}/_emulator/reset", params={"account_id": "111111111111"})
        assert reset.json() == counted("deleted", models=1)
        assert names(exported(endpoint)) == [
            ("123456789012", "us-east-1", "Seeded-Model"),
            ("123456789012", "us-east-1", "default-scope"),
        ]


def test_export_then_import_into_a_fresh_server_restores_everything(make_settings: Any, tmp_path: Path) -> None:
    tags = [{"Key": "team", "Value": "ml"}]
    with running_server(make_settings()) as first:
        sm = sagemaker_client(first)
        create(sm, "Kept-Model", Tags=tags, ExecutionRoleArn="arn:aws:iam::123456789012:role/r")
        original = sm.describe_model(ModelName="Kept-Model")
        snapshot = exported(first)
    other = Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}")
    with running_server(other) as second:
        assert put_state(second, snapshot).json() == counted("imported", models=1)
        restored = sagemaker_client(second).describe_model(ModelName="Kept-Model")
        assert exported(second) == snapshot
    original.pop("ResponseMetadata")
    restored.pop("ResponseMetadata")
    assert restored == original


def test_a_version_1_snapshot_still_imports(make_settings: Any) -> None:
    """The checked-in file is the upgrade guarantee: every later release must import it unchanged."""
    with running_server(make_settings(account_id="111111111111")) as endpoint:
        assert put_state(endpoint, SEED.read_bytes()).json() == counted("imported", models=2)
        described = sagemaker_client(endpoint, region="eu-west-1").describe_model(ModelName="pipeline")
        assert described["Containers"][1] == as_described(
            {"ContainerHostname": "second", "Image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/b:1"}
        )
        assert described["InferenceExecutionConfig"] == {"Mode": "Direct"}
        assert described["CreationTime"] == datetime.datetime(2025, 11, 23, 17, 18, 20, tzinfo=datetime.UTC)
        assert described["ModelArn"] == "arn:aws:sagemaker:eu-west-1:111111111111:model/pipeline"
        assert exported(endpoint)["models"] == json.loads(SEED.read_text())["models"]


def test_import_replaces_the_state_and_keeps_the_model_limit_counting(make_settings: Any) -> None:
    with running_server(make_settings(max_models=2)) as endpoint:
        sm = sagemaker_client(endpoint)
        create(sm, "before-import")
        seed = {
            "format": "sagemaker-emulator-snapshot",
            "version": 1,
            "models": [{"model_name": n, "definition": {"PrimaryContainer": {"Image": IMAGE}}} for n in ("s1", "s2")],
        }
        assert put_state(endpoint, seed).json() == counted("imported", models=2)
        assert_not_found(sm, "before-import")
        with pytest.raises(ClientError) as error:
            create(sm, "third")
        assert error.value.response["Error"]["Code"] == "ResourceLimitExceeded"
        assert "current utilization of 2 Models" in error.value.response["Error"]["Message"]
        http().post(f"{endpoint}/_emulator/reset", params={"region": "us-east-1"})
        create(sm, "after-reset-1")
        create(sm, "after-reset-2")
        with pytest.raises(ClientError) as error:
            create(sm, "after-reset-3")
        assert "current utilization of 2 Models" in error.value.response["Error"]["Message"]


def model(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"model_name": "m", "definition": {"PrimaryContainer": {"Image": IMAGE}}}
    entry.update(overrides)
    return entry


def doc(*models: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"format": "sagemaker-emulator-snapshot", "version": 1, "models": list(models), **top}


def doc2(*models: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A version 2 document listing models (and what `top` adds or overrides)."""
    return {"format": "sagemaker-emulator-snapshot", "version": 2, "kinds": ["model"], "models": list(models), **top}


BAD_KINDS = 'A snapshot needs "kinds", the distinct ARN resource types of the kinds it lists, such as ["model"].'
BAD_TIME = "creation_time must be a number of seconds since the epoch from 0 to 253402300799.999."
BAD_SNAPSHOTS = [
    ("not-json", b"{", "The snapshot is not valid JSON."),
    (
        "no-format",
        {"version": 1, "models": []},
        'A snapshot is a JSON object with "format": "sagemaker-emulator-snapshot".',
    ),
    ("list", [], 'A snapshot is a JSON object with "format": "sagemaker-emulator-snapshot".'),
    ("no-version", doc(version=None), 'A snapshot needs "version", a positive integer.'),
    (
        "newer-version",
        doc(version=3),
        "Snapshot version 3 is newer than this emulator (0.1.0) reads; it reads up to 2.",
    ),
    ("v2-no-kinds", doc(version=2), BAD_KINDS),
    ("v2-kinds-not-list", doc2(kinds="model"), BAD_KINDS),
    ("v2-kinds-repeated", doc2(kinds=["model", "model"]), BAD_KINDS),
    ("v2-kind-not-a-kind", doc2(kinds=["model", "pipeline\n"]), BAD_KINDS),
    ("v2-kind-not-a-string", doc2(kinds=["model", 1]), BAD_KINDS),
    (
        "v2-list-of-a-kind-not-named",
        doc2(kinds=["model"], endpoints=[]),
        'Snapshot members endpoints are neither header members nor lists of kinds "kinds" names.',
    ),
    (
        "v2-unknown-members",
        doc2(pipelines=[{"pipeline_name": "p"}], x=1),
        'Snapshot members pipelines, x are neither header members nor lists of kinds "kinds" names.',
    ),
    (
        "v2-kinds-not-served",
        doc2(
            kinds=["model", "trial", "pipeline"],
            pipelines=[{"pipeline_name": "p"}, {"pipeline_name": "q"}],
            trials=[{"trial_name": "t"}],
        ),
        "The snapshot holds resources of kinds this emulator (0.1.0) does not serve: pipeline (2), trial (1).",
    ),
    ("v2-kind-not-served-not-a-list", doc2(kinds=["model", "pipeline"], pipelines={}), '"pipelines" must be a list.'),
    ("v2-models-not-list", doc2(models={}), '"models" must be a list.'),
    ("models-not-list", doc(models={}), '"models" must be a list.'),
    ("model-not-object", doc("m"), "models[0]: each model must be a JSON object."),
    ("bad-account", doc(model(account_id="12")), "models[0]: account_id must be 12 digits."),
    ("bad-region", doc(model(region="Mars")), "models[0]: region must be a region name such as us-east-1."),
    (
        "bad-time",
        doc(model(creation_time="yesterday")),
        f"models[0]: {BAD_TIME}",
    ),
    ("time-1e16", doc(model(creation_time=1e16)), f"models[0]: {BAD_TIME}"),
    ("time-negative", doc(model(creation_time=-1)), f"models[0]: {BAD_TIME}"),
    ("time-true", doc(model(creation_time=True)), f"models[0]: {BAD_TIME}"),
    ("account-newline", doc(model(account_id="123456789012\n")), "models[0]: account_id must be 12 digits."),
    ("account-arabic-digits", doc(model(account_id="١٢٣٤٥٦٧٨٩٠١٢")), "models[0]: account_id must be 12 digits."),
    (
        "region-newline",
        doc(model(region="us-east-1\n")),
        "models[0]: region must be a region name such as us-east-1.",
    ),
    (
        "reserved-tag",
        doc(model(), model(model_name="n", tags=[{"Key": "AWS:team", "Value": "v"}])),
        "models[1]: Tag keys starting with 'aws:' are reserved for AWS use.",
    ),
    (
        "null-environment-value",
        doc(model(definition={"PrimaryContainer": {"Image": IMAGE, "Environment": {"A": None}}})),
        "models[0]: NULL_VALUE can not be converted to a String",
    ),
    (
        "name-in-definition",
        doc(model(definition={"ModelName": "x", "PrimaryContainer": {"Image": IMAGE}})),
        "models[0]: definition has members CreateModel does not store: ModelName.",
    ),
    (
        "bad-name",
        doc(model(), model(model_name="bad name")),
        "models[1]: 1 validation error detected: Value 'bad name' at 'modelName' failed to satisfy constraint:"
        " Member must satisfy regular expression pattern: [a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?",
    ),
    (
        "wrong-type",
        doc(model(definition={"PrimaryContainer": {"Image": 5}})),
        "models[0]: NUMBER_VALUE can not be converted to a String",
    ),
    (
        "both-container-kinds",
        doc(model(definition={"PrimaryContainer": {"Image": IMAGE}, "Containers": [{"Image": IMAGE}]})),
        "models[0]: Only one of PrimaryContainer or Containers can be specified, not both.",
    ),
    (
        "duplicate-name",
        doc(model(model_name="Same"), model(model_name="same")),
        'models[1]: model "same" appears twice in account 123456789012, region us-east-1.',
    ),
]


@pytest.mark.parametrize(("document", "message"), [c[1:] for c in BAD_SNAPSHOTS], ids=[c[0] for c in BAD_SNAPSHOTS])
def test_a_bad_snapshot_is_refused_and_nothing_changes(endpoint: str, sm: Any, document: Any, message: str) -> None:
    create(sm, "existing")
    before = exported(endpoint)
    response = put_state(endpoint, document)
    assert (response.status_code, response.json()) == (400, {"__type": "ValidationException", "message": message})
    assert exported(endpoint) == before


def test_a_kind_not_served_with_no_resources_imports_as_nothing_is_lost(endpoint: str, sm: Any) -> None:
    """A newer release's export holding none of its new kinds imports into this one."""
    document = doc2(model(), kinds=["model", "pipeline"], pipelines=[])
    response = put_state(endpoint, document)
    assert (response.status_code, response.json()) == (200, counted("imported", models=1))
    assert sm.describe_model(ModelName="m")["ModelName"] == "m"


def test_a_version_1_snapshot_keeps_ignoring_members_that_are_no_list_of_its_kinds(endpoint: str, sm: Any) -> None:
    response = put_state(endpoint, doc(model(), pipelines=[{"pipeline_name": "p"}], note="seed for CI"))
    assert (response.status_code, response.json()) == (200, counted("imported", models=1))


def test_an_import_keeps_the_model_limit(make_settings: Any) -> None:
    with running_server(make_settings(max_models=3)) as endpoint:
        sm = sagemaker_client(endpoint)
        create(sm, "existing")
        before = exported(endpoint)
        too_many = doc(*[model(model_name=f"m{i}") for i in range(10)])
        response = put_state(endpoint, too_many)
        assert (response.status_code, response.json()) == (
            400,
            {
                "__type": "ValidationException",
                "message": "models[3]: The account-level service limit 'Number of models' is 3 Models, with current"
                " utilization of 3 Models and a request delta of 1 Models. Please contact AWS support to request an"
                " increase for this limit.",
            },
        )
        assert exported(endpoint) == before
        # Per account and region, as the API counts: three in each of two scopes is fine.
        other = [model(model_name=f"e{i}", region="eu-west-1") for i in range(3)]
        fits = doc(*[model(model_name=f"m{i}") for i in range(3)], *other)
        assert put_state(endpoint, fits).json() == counted("imported", models=6)


def test_a_repeated_tag_key_is_one_tag_as_in_create_model(endpoint: str, sm: Any) -> None:
    tags = [{"Key": "k", "Value": "first"}, {"Key": "other", "Value": "o"}, {"Key": "k", "Value": "last"}]
    response = put_state(endpoint, doc(model(tags=tags)))
    assert (response.status_code, response.json()) == (200, counted("imported", models=1))
    assert exported(endpoint)["models"][0]["tags"] == [{"Key": "k", "Value": "last"}, {"Key": "other", "Value": "o"}]


def test_the_latest_creation_time_imports_and_reads_back(endpoint: str, sm: Any) -> None:
    assert put_state(endpoint, doc(model(creation_time=253402300799.999))).status_code == 200
    described = sm.describe_model(ModelName="m")
    assert described["CreationTime"].year == 9999


@pytest.mark.parametrize("account", ["123456789012\n", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_settings_and_access_keys_take_ascii_account_ids_only(account: str) -> None:
    from pydantic import ValidationError

    from emulator.credentials import CredentialsError, resolve_credentials
    from emulator.regions import valid_region

    with pytest.raises(ValidationError):
        Settings(account_id=account)
    with pytest.raises(CredentialsError):
        resolve_credentials(file=None, strict=None, access_keys={"AKID": account}, secret_keys={}, environ={})
    assert not valid_region("us-east-1\n")
