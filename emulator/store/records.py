"""What the store takes and returns, and the refusals it raises: plain values, importable without SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.store.transactions import CleanFailure


@dataclass(frozen=True, slots=True)
class NewModel:
    """A model to insert: its scope, name, creation time (ms), definition JSON and tags in order."""

    account_id: str
    region: str
    name: str
    creation_ms: int
    definition: str
    tags: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class StoredModel:
    name: str
    creation_ms: int
    definition: str


@dataclass(frozen=True, slots=True)
class ModelQuery:
    """A ListModels page: keys are (name, id) or (creation_ms, id), walked by index. before_ms is exclusive,
    from_ms inclusive; `after` is the key of the last row of the previous page."""

    account_id: str
    region: str
    by_name: bool
    descending: bool
    name_contains: str | None
    before_ms: int | None
    from_ms: int | None
    after: tuple[str | int, int] | None
    limit: int


@dataclass(frozen=True, slots=True)
class TagQuery:
    """A ListTags page: the tags of one model after a position (None: from the first), in the order added."""

    account_id: str
    region: str
    name: str
    after_position: int | None
    limit: int


@dataclass(frozen=True, slots=True)
class ListedModel:
    id: int
    name: str
    creation_ms: int


@dataclass(frozen=True, slots=True)
class StoredTag:
    key: str
    value: str
    position: int


class ModelExists(CleanFailure):
    pass


class ModelLimitReached(CleanFailure):
    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class ModelMissing(Exception):
    pass


class TagLimitReached(Exception):
    def __init__(self, current: int, added: int) -> None:
        super().__init__(current, added)
        self.current = current
        self.added = added
