"""What the store takes and returns, and the refusals it raises: plain values, importable without SQLAlchemy.

Every value names its kind (the ARN's resource type: model, endpoint-config, ...) and its scope (account, region):
the store is the same for every kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str
    account_id: str
    region: str


@dataclass(frozen=True, slots=True)
class NewResource:
    """A resource to insert, or one exported with everything a snapshot keeps: its scope, name, creation time (ms),
    definition JSON and tags in order."""

    scope: Scope
    name: str
    creation_ms: int
    definition: str
    tags: list[tuple[str, str]]
    # Kinds with a lifecycle: the first status and the state it is worked out from (JSON).
    status: str | None = None
    state: str | None = None
    # When the status last changed (None: at creation); kept by a snapshot's import.
    modified_ms: int | None = None


@dataclass(frozen=True, slots=True)
class StoredResource:
    name: str
    creation_ms: int
    definition: str
    status: str | None
    modified_ms: int | None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class LifecycleChange:
    """A compare-and-set of a resource's lifecycle: applies only if its status and state are still the expected
    ones, so of racing changes the database lets exactly one through."""

    scope: Scope
    name: str
    expect_status: str | None
    expect_state: str | None
    status: str
    state: str
    modified_ms: int


# The columns a List page may be sorted by: SortBy Name, CreationTime, Status.
SortKey = Literal["name", "creation_ms", "status"]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A List page: keys are (sort column, id), walked by index. The *_before_ms bounds are exclusive, the *_from_ms
    ones inclusive; `after` is the key of the last row of the previous page."""

    scope: Scope
    sort: SortKey
    descending: bool
    name_contains: str | None
    before_ms: int | None
    from_ms: int | None
    after: tuple[str | int, int] | None
    limit: int
    modified_before_ms: int | None = None
    modified_from_ms: int | None = None
    status: str | None = None
    # Read each row's definition too, for summaries that carry members of it (in the same read).
    with_definition: bool = False
    # Read each row's state too, for summaries that carry what a lifecycle stored there (a job's end time).
    with_state: bool = False
    # Only names that start with this (case-insensitively): a group's versions, '<group>/'.
    name_prefix: str | None = None
    # Only names with a '/' (True: versions in a group), only names without (False), or both (None).
    nested: bool | None = None
    # Names may be '<group>/<version>', whose name is the group's: name_contains matches before the '/', never the
    # version (AWS's NameContains matches a package's name, which for a version is its group's).
    contains_before_slash: bool = False


@dataclass(frozen=True, slots=True)
class ListedResource:
    id: int
    name: str
    creation_ms: int
    status: str | None = None
    modified_ms: int | None = None
    # The definition JSON, when the query asked for it.
    definition: str | None = None
    # The state JSON, when the query asked for it.
    state: str | None = None


@dataclass(frozen=True, slots=True)
class LiveResource:
    """A resource found by its status across scopes (Store.live): where it is, its status and state."""

    scope: Scope
    name: str
    status: str
    state: str | None
    modified_ms: int | None


@dataclass(frozen=True, slots=True)
class TagQuery:
    """A ListTags page: the tags of one resource after a position (None: from the first), in the order added."""

    scope: Scope
    name: str
    after_position: int | None
    limit: int


@dataclass(frozen=True, slots=True)
class StoredTag:
    key: str
    value: str
    position: int


class CleanFailure(Exception):
    """A refusal raised by a write after undoing its own writes (or before making any): the transaction it ran in
    may still commit the writes of others. Any other exception from a write may leave writes behind, so the
    transaction around it is rolled back (emulator/store/transactions.py)."""


class ResourceExists(CleanFailure):
    pass


class ResourceMissing(CleanFailure):
    pass


class ResourceInUse(CleanFailure):
    """A delete refused because the resource still holds others (a group its versions)."""


@dataclass(frozen=True, slots=True)
class DefinitionChange:
    """A compare-and-set of a resource's definition (and the status kept beside it): applies only if the definition
    is still the one the caller read, so of racing updates the database lets exactly one through."""

    scope: Scope
    name: str
    expect_definition: str
    definition: str
    status: str | None
    modified_ms: int


class LimitReached(CleanFailure):
    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class TagLimitReached(CleanFailure):
    def __init__(self, current: int, added: int) -> None:
        super().__init__(current, added)
        self.current = current
        self.added = added


class UnservedKinds(CleanFailure):
    """The rows a reset or replace would delete include kinds the caller does not serve (a newer release wrote
    them): how many of each, by kind."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__(counts)
        self.counts = counts
