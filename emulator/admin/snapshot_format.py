"""The snapshot document: the whole state as JSON, versioned so a file written by one release imports into later ones.

Version 1:
    {"format": "sagemaker-emulator-snapshot", "version": 1, "emulator_version": "0.1.0",
     "models": [{"account_id": "123456789012", "region": "us-east-1", "model_name": "m",
                 "creation_time": 1763918257.123, "definition": {<CreateModel members but ModelName and Tags>},
                 "tags": [{"Key": "k", "Value": "v"}]}]}

On import, account_id, region, creation_time and tags may be left out (the listener's account and region, now, no
tags), so a seed file is short to write. Each model must be a valid CreateModel request: it is checked with the
same validator and rules as the wire, so a seeded model is one AWS could have stored.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from emulator import __version__
from emulator.errors import AwsError, ValidationException
from emulator.operations.context import Deps
from emulator.operations.models import DEFINITION_MEMBERS, check_definition
from emulator.shapes.validate import RequestValidator
from emulator.store.snapshot import SnapshotModel

FORMAT = "sagemaker-emulator-snapshot"
VERSION = 1
# Upgrades of older documents, each from version N to N+1; add one whenever VERSION grows.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@functools.cache
def _validator() -> RequestValidator:
    # Built on the first import only: start-up (which the pytest fixture pays) does not need it.
    return RequestValidator()


def to_document(models: list[SnapshotModel]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "emulator_version": __version__,
        "models": [
            {
                "account_id": m.account_id,
                "region": m.region,
                "model_name": m.name,
                "creation_time": m.creation_ms / 1000,
                "definition": json.loads(m.definition),
                "tags": [{"Key": k, "Value": v} for k, v in m.tags],
            }
            for m in models
        ],
    }


def upgrade(document: Any) -> dict[str, Any]:
    """The document in the current version, or ValidationException."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationException(f'A snapshot is a JSON object with "format": "{FORMAT}".')
    version = document.get("version")
    if type(version) is not int or version < 1:
        raise ValidationException('A snapshot needs "version", a positive integer.')
    if version > VERSION:
        raise ValidationException(
            f"Snapshot version {version} is newer than this emulator ({__version__}) reads; it reads up to {VERSION}."
        )
    current: dict[str, Any] = document
    while version < VERSION:
        current = UPGRADES[version](current)
        version += 1
    return current


def from_document(
    document: Any, *, deps: Deps, default_account: str, default_region: str, now: float
) -> list[SnapshotModel]:
    """The models of a snapshot, each checked as CreateModel would check it; ValidationException names the first bad one."""
    document = upgrade(document)
    models = document.get("models", [])
    if not isinstance(models, list):
        raise ValidationException('"models" must be a list.')
    parsed: list[SnapshotModel] = []
    seen: set[tuple[str, str, str]] = set()
    for i, entry in enumerate(models):
        try:
            model = _model(entry, deps=deps, default_account=default_account, default_region=default_region, now=now)
        except AwsError as error:
            raise ValidationException(f"models[{i}]: {error.message or error.code}") from None
        key = (model.account_id, model.region, model.name.lower())
        if key in seen:
            raise ValidationException(
                f'models[{i}]: model "{model.name}" appears twice in account {model.account_id}, region {model.region}.'
            )
        seen.add(key)
        parsed.append(model)
    return parsed


def _model(entry: Any, *, deps: Deps, default_account: str, default_region: str, now: float) -> SnapshotModel:
    if not isinstance(entry, dict):
        raise ValidationException("each model must be a JSON object.")
    account_id = entry.get("account_id", default_account)
    region = entry.get("region", default_region)
    creation_time = entry.get("creation_time", now)
    definition = entry.get("definition", {})
    if not isinstance(account_id, str) or not _ACCOUNT.match(account_id):
        raise ValidationException("account_id must be 12 digits.")
    if not isinstance(region, str) or not _REGION.match(region):
        raise ValidationException("region must be a region name such as us-east-1.")
    if type(creation_time) not in (int, float) or creation_time < 0:
        raise ValidationException("creation_time must be a non-negative number of seconds since the epoch.")
    if not isinstance(definition, dict):
        raise ValidationException("definition must be a JSON object.")
    extra = sorted(set(definition) - set(DEFINITION_MEMBERS))
    if extra:
        raise ValidationException(f"definition has members CreateModel does not store: {', '.join(extra)}.")
    request: dict[str, Any] = {"ModelName": entry.get("model_name"), **definition}
    if "tags" in entry:
        request["Tags"] = entry["tags"]
    # The same checks as the wire, in the same order: types and constraints, then CreateModel's own rules.
    _validator().validate("CreateModel", request)
    check_definition(request, deps)  # type: ignore[arg-type]
    kept = {k: request[k] for k in DEFINITION_MEMBERS if k in request}
    return SnapshotModel(
        account_id=account_id,
        region=region,
        name=request["ModelName"],
        creation_ms=round(creation_time * 1000),
        definition=json.dumps(kept, separators=(",", ":"), ensure_ascii=False),
        tags=[(t["Key"], t["Value"]) for t in request.get("Tags", [])],
    )
