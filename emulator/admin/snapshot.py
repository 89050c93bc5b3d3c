"""The snapshot document: the whole state as JSON, versioned so a file written by one release imports into later ones,
and refused, never partly read, by a release that cannot hold all of it.

Version 2:
    {"format": "sagemaker-emulator-snapshot", "version": 2, "emulator_version": "0.1.0",
     "kinds": ["model", "endpoint-config", "endpoint"],
     "models": [{"account_id": "123456789012", "region": "us-east-1", "model_name": "m",
                 "creation_time": 1763918257.123, "definition": {<CreateModel members but ModelName and Tags>},
                 "tags": [{"Key": "k", "Value": "v"}]}],
     "endpoint_configs": [...], "endpoints": [...]}

`kinds` names, by ARN resource type, every kind the document has a list for; each list is named for its kind
(`models`, `endpoint_configs`, ...) and its entries name their resource with `<kind>_name` (`model_name`, ...). An
import refuses a document holding resources of a kind this release does not serve, and a member that is neither
in the header nor the list of a kind `kinds` names, so nothing is ever dropped unseen (docs/decisions.md). On
import, account_id, region, creation_time and tags may be left out (the listener's account and region, now, no
tags), so a seed file is short to write. Each entry must be a valid create request of its kind: it is checked with
the same validator and rules as the wire, so a seeded resource is one AWS could have stored.

Version 1 had no `kinds`: its lists were those of the kinds of its day (V1_KINDS), and other members were ignored.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from emulator import __version__
from emulator.errors import AwsError, ValidationException
from emulator.operations.context import Deps
from emulator.operations.tags import distinct_tags
from emulator.regions import valid_region
from emulator.resources.kind import ResourceKind, limit_message
from emulator.shapes.validate import RequestValidator
from emulator.store.records import NewResource, Scope

FORMAT = "sagemaker-emulator-snapshot"
VERSION = 2
# The members of a document besides the kinds' lists.
HEADER = ("format", "version", "emulator_version", "kinds")
# The kinds version 1 had lists for: a fact of that format, not the kinds served (emulator.resources.KINDS).
V1_KINDS = ("model", "endpoint-config", "endpoint")
# An ARN resource type as `kinds` names it: what could be a kind, so a refusal's message stays one short line.
_KIND = re.compile(r"[a-z][a-z0-9-]{0,63}")


def list_key(arn_type: str) -> str:
    """The member that lists a kind's resources: `models`, `endpoint_configs` (ResourceKind.snake, plural)."""
    return f"{arn_type.replace('-', '_')}s"


def _from_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 listed no kinds: its lists are those of V1_KINDS it has; other members were ignored, and still are."""
    kinds = [kind for kind in V1_KINDS if list_key(kind) in document]
    return {
        **{k: document[k] for k in ("format", "emulator_version") if k in document},
        "version": 2,
        "kinds": kinds,
        **{list_key(kind): document[list_key(kind)] for kind in kinds},
    }


# Upgrades of older documents, each from version N to N+1; add one whenever VERSION grows.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1}

# ASCII digits, matched whole: `\d` takes other scripts' digits and `$` a trailing newline, and no request can
# reach an account or region spelt so.
_ACCOUNT = re.compile(r"[0-9]{12}")
# The last second of year 9999: SDKs parse CreationTime into a date, which later years break (and BIGINT ms overflow).
MAX_CREATION_TIME = 253402300799.999


def to_document(resources: list[NewResource], *, kinds: Mapping[str, ResourceKind]) -> dict[str, Any]:
    """Every resource, or ValidationException if some are of kinds not in `kinds` (a newer release stored them):
    this release could not write them as that release would read them, and leaving them out would lose them."""
    unserved = Counter(r.scope.kind for r in resources if r.scope.kind not in kinds)
    if unserved:
        raise ValidationException(unserved_message("export", unserved))
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "emulator_version": __version__,
        "kinds": [kind.arn_type for kind in kinds.values()],
    }
    for kind in kinds.values():
        document[list_key(kind.arn_type)] = [_entry(kind, r) for r in resources if r.scope.kind == kind.arn_type]
    return document


def _counted(counts: Mapping[str, int]) -> str:
    """pipeline (2), trial (1): kinds in name order, each with how many."""
    return ", ".join(f"{kind} ({n})" for kind, n in sorted(counts.items()))


def unserved_message(action: str, counts: Mapping[str, int]) -> str:
    """Why an export, reset or replace of a store holding kinds a newer release wrote is refused."""
    return (
        f"The database holds resources of kinds this emulator ({__version__}) does not serve: {_counted(counts)}."
        f" Nothing was changed: {action} it with a release that serves them."
    )


def _entry(kind: ResourceKind, r: NewResource) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "account_id": r.scope.account_id,
        "region": r.scope.region,
        f"{kind.snake}_name": r.name,
        "creation_time": r.creation_ms / 1000,
        "definition": json.loads(r.definition),
        "tags": [{"Key": k, "Value": v} for k, v in r.tags],
    }
    if kind.check_state is not None or kind.status_from is not None:  # changed after its creation: since when
        entry["last_modified_time"] = (r.modified_ms if r.modified_ms is not None else r.creation_ms) / 1000
    if kind.check_state is not None:  # a lifecycle: where it stands, so an import resumes it
        entry["status"] = r.status
        entry["state"] = json.loads(r.state) if r.state is not None else None
    return entry


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


def check_kinds(document: dict[str, Any], *, served: Mapping[str, ResourceKind]) -> None:
    """A current document holds only what this release can import: ValidationException for a malformed `kinds`, a
    member that is no listed kind's, or resources of a kind not served. A kind not served with an empty list (a newer
    release's export without any) loses nothing and passes."""
    kinds = document.get("kinds")
    if (
        not isinstance(kinds, list)
        or not all(isinstance(k, str) and _KIND.fullmatch(k) for k in kinds)
        or len(set(kinds)) != len(kinds)
    ):
        raise ValidationException(
            'A snapshot needs "kinds", the distinct ARN resource types of the kinds it lists, such as ["model"].'
        )
    stray = sorted(set(document) - set(HEADER) - {list_key(k) for k in kinds})
    if stray:
        raise ValidationException(
            f'Snapshot members {", ".join(stray)} are neither header members nor lists of kinds "kinds" names.'
        )
    unserved: dict[str, int] = {}
    for kind in kinds:
        key = list_key(kind)
        entries = document.get(key, [])
        if not isinstance(entries, list):
            raise ValidationException(f'"{key}" must be a list.')
        if kind not in served and entries:
            unserved[kind] = len(entries)
    if unserved:
        raise ValidationException(
            f"The snapshot holds resources of kinds this emulator ({__version__}) does not serve: {_counted(unserved)}."
        )


def from_document(
    document: Any, *, deps: Deps, validator: RequestValidator, default_account: str, default_region: str, now: float
) -> list[NewResource]:
    """The resources of a snapshot, each checked as its create operation would check it; ValidationException names
    the first bad one."""
    document = upgrade(document)
    check_kinds(document, served=deps.kinds)
    parsed: list[NewResource] = []
    for kind in deps.kinds.values():
        key = list_key(kind.arn_type)
        entries = document.get(key, [])
        if not isinstance(entries, list):
            raise ValidationException(f'"{key}" must be a list.')
        seen: set[tuple[str, str, str]] = set()
        per_scope: dict[tuple[str, str], int] = {}
        limit = kind.limit(deps.limits)
        for i, entry in enumerate(entries):
            try:
                resource = _resource(
                    kind,
                    entry,
                    deps=deps,
                    validator=validator,
                    default_account=default_account,
                    default_region=default_region,
                    now=now,
                )
            except AwsError as error:
                raise ValidationException(f"{key}[{i}]: {error.message or error.code}") from None
            scope = resource.scope
            if (scope.account_id, scope.region, resource.name.lower()) in seen:
                raise ValidationException(
                    f'{key}[{i}]: {kind.label} "{resource.name}" appears twice in account {scope.account_id},'
                    f" region {scope.region}."
                )
            seen.add((scope.account_id, scope.region, resource.name.lower()))
            # The same limit as the API: a snapshot cannot hold what creates could not have made.
            held = per_scope.get((scope.account_id, scope.region), 0)
            if limit is not None and held >= limit:
                message = limit_message(kind.limit_name, limit=limit, current=held, delta=1, unit=kind.plural)
                raise ValidationException(f"{key}[{i}]: {message}")
            per_scope[(scope.account_id, scope.region)] = held + 1
            parsed.append(resource)
    return parsed


def _resource(
    kind: ResourceKind,
    entry: Any,
    *,
    deps: Deps,
    validator: RequestValidator,
    default_account: str,
    default_region: str,
    now: float,
) -> NewResource:
    if not isinstance(entry, dict):
        raise ValidationException(f"each {kind.label} must be a JSON object.")
    account_id = entry.get("account_id", default_account)
    region = entry.get("region", default_region)
    creation_time = entry.get("creation_time", now)
    definition = entry.get("definition", {})
    if not isinstance(account_id, str) or not _ACCOUNT.fullmatch(account_id):
        raise ValidationException("account_id must be 12 digits.")
    # Exactly the regions a request's credential scope can name (emulator/regions.py).
    if not isinstance(region, str) or not valid_region(region):
        raise ValidationException("region must be a region name such as us-east-1.")
    if type(creation_time) not in (int, float) or not 0 <= creation_time <= MAX_CREATION_TIME:
        raise ValidationException(
            f"creation_time must be a number of seconds since the epoch from 0 to {MAX_CREATION_TIME:.3f}."
        )
    if not isinstance(definition, dict):
        raise ValidationException("definition must be a JSON object.")
    extra = sorted(set(definition) - set(kind.definition_members))
    if extra:
        create = next(op for op, action in kind.operations().items() if action == "create")
        raise ValidationException(f"definition has members {create} does not store: {', '.join(extra)}.")
    name: Any = entry.get(f"{kind.snake}_name")
    request = kind.create_request(kind, name, definition)
    if "tags" in entry:
        request["Tags"] = entry["tags"]
    # The same checks as the wire, in the same order: types and constraints, then the kind's own rules.
    validator.validate(f"Create{kind.noun}", request)
    kind.rules(request, deps.limits)
    kept = {k: request[k] for k in kind.definition_members if k in request}
    # Members another operation of the kind sets (UpdateModelPackage's ApprovalDescription), which the create request
    # does not take: the kind's create_request checked them.
    kept.update((k, v) for k, v in definition.items() if k not in kept and v is not None)
    status: str | None = None
    state: str | None = None
    modified_ms: int | None = None
    if kind.status_from is not None:
        status = kind.status_from(kept)
    if kind.check_state is not None:
        state = kind.check_state(entry.get("status"), entry.get("state"))
        status = entry["status"]
    if kind.check_state is not None or kind.status_from is not None:
        modified: Any = entry.get("last_modified_time", creation_time)
        if type(modified) not in (int, float) or modified < 0:
            raise ValidationException("last_modified_time must be a non-negative number of seconds since the epoch.")
        modified_ms = round(modified * 1000)
    return NewResource(
        scope=Scope(kind=kind.arn_type, account_id=account_id, region=region),
        name=name,
        creation_ms=round(creation_time * 1000),
        definition=json.dumps(kept, separators=(",", ":"), ensure_ascii=False),
        # CreateModel's rules for tags: reserved `aws:` keys refused, a repeated key kept once with its last value.
        tags=distinct_tags(request.get("Tags") or []),
        status=status,
        modified_ms=modified_ms,
        state=state,
    )
