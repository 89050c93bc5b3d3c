"""Isolation of ListModels, DeleteModel and the tag operations across accounts and regions.

Each test skips until its operations are registered (they come with issue 3); the scopes are those of
test_isolation.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.operations import HANDLERS
from tests.scopes import Scope, account_map, create, four_scopes
from tests.support import running_server


def needs(*operations: str) -> pytest.MarkDecorator:
    missing = [op for op in operations if op not in HANDLERS]
    return pytest.mark.skipif(bool(missing), reason="needs issue3 operations")


@pytest.fixture
def scopes(make_settings: Any) -> Iterator[list[Scope]]:
    with running_server(make_settings(access_keys=account_map())) as url:
        yield four_scopes(url)


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def listed(scope: Scope) -> list[tuple[str, str]]:
    models = scope.client.list_models(SortBy="Name", SortOrder="Ascending")["Models"]
    return [(m["ModelName"], m["ModelArn"]) for m in models]


def tags_of(scope: Scope, name: str) -> list[dict[str, str]]:
    return list(scope.client.list_tags(ResourceArn=scope.arn(name))["Tags"])


def others(scopes: list[Scope], owner: int) -> list[Scope]:
    return [scope for i, scope in enumerate(scopes) if i != owner]


def foreign_arn_error(caller: Scope, owner: Scope) -> tuple[str, str]:
    """What a caller gets for an ARN of another scope: the region is checked first, then the account."""
    if owner.region != caller.region:
        return "ValidationException", f"ARN should be scoped to correct region: {caller.region}"
    return "ValidationException", f"ARN should be scoped to correct account: {caller.account}"


@needs("ListModels")
def test_each_scope_lists_only_its_own_models(scopes: list[Scope]) -> None:
    for i, scope in enumerate(scopes):
        create(scope, "shared")
        create(scope, f"own-{i}")
    for i, scope in enumerate(scopes):
        assert listed(scope) == [(f"own-{i}", scope.arn(f"own-{i}")), ("shared", scope.arn("shared"))]


@needs("ListModels", "DeleteModel")
@pytest.mark.parametrize("owner", range(4))
def test_delete_removes_only_the_callers_model(scopes: list[Scope], owner: int) -> None:
    for scope in scopes:
        create(scope, "shared")
    scopes[owner].client.delete_model(ModelName="shared")
    assert listed(scopes[owner]) == []
    for scope in others(scopes, owner):
        assert listed(scope) == [("shared", scope.arn("shared"))]


@needs("DeleteModel")
@pytest.mark.parametrize("owner", range(4))
def test_a_model_of_another_scope_cannot_be_deleted(scopes: list[Scope], owner: int) -> None:
    create(scopes[owner], "only-here")
    for scope in others(scopes, owner):
        assert error_of(scope.client.delete_model, ModelName="only-here") == (
            "ValidationException",
            f'Could not find model "{scope.arn("only-here")}".',
        )
    assert scopes[owner].client.describe_model(ModelName="only-here")["ModelArn"] == scopes[owner].arn("only-here")


@needs("AddTags", "ListTags")
def test_the_same_name_in_every_scope_has_its_own_tags(scopes: list[Scope]) -> None:
    for scope in scopes:
        create(scope, "shared", Tags=[{"Key": "scope", "Value": str(scope)}])
        scope.client.add_tags(ResourceArn=scope.arn("shared"), Tags=[{"Key": "added", "Value": str(scope)}])
    for scope in scopes:
        assert tags_of(scope, "shared") == [
            {"Key": "scope", "Value": str(scope)},
            {"Key": "added", "Value": str(scope)},
        ]


@needs("AddTags", "ListTags", "DeleteTags", "DeleteModel")
@pytest.mark.parametrize("owner", range(4))
@pytest.mark.parametrize("operation", ["add_tags", "list_tags", "delete_tags"])
def test_tag_operations_refuse_an_arn_of_another_scope(scopes: list[Scope], owner: int, operation: str) -> None:
    create(scopes[owner], "tagged", Tags=[{"Key": "k", "Value": "v"}])
    arguments: dict[str, Any] = {
        "add_tags": {"Tags": [{"Key": "k", "Value": "overwritten"}]},
        "list_tags": {},
        "delete_tags": {"TagKeys": ["k"]},
    }[operation]
    for caller in others(scopes, owner):
        # The same name in the caller's scope must not be touched either.
        create(caller, "tagged", Tags=[{"Key": "k", "Value": str(caller)}])
        call = getattr(caller.client, operation)
        assert error_of(call, ResourceArn=scopes[owner].arn("tagged"), **arguments) == foreign_arn_error(
            caller, scopes[owner]
        )
        assert tags_of(caller, "tagged") == [{"Key": "k", "Value": str(caller)}]
        caller.client.delete_model(ModelName="tagged")
    assert tags_of(scopes[owner], "tagged") == [{"Key": "k", "Value": "v"}]
