"""The JSONPath subset batch transform's DataProcessing filters take (AWS's "Associate Prediction Results with Input
Records" page): `$`, `.<name>`, `*` (`.*` or `[*]`), `['<name>'(,'<name>')*]`, `[<number>(,<number>)*]` and
`[<start>:<end>]`, an index list mixing numbers and slices (`$[0,5:]`). A CSV row is a JSON array.

A path is a list of steps applied in turn. A step that names one member or index gives that value; one that names
several gives them together, an object of the named members (`$['id','SageMakerOutput']`) or an array of the
indexed elements (`$[1:]`), as AWS's examples show. An index or member that is not there is an error, as AWS
documents for indexes outside the dataset's dimension."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_QUOTED = re.compile(r"'([^']*)'")
_INDEX = re.compile(r"(-?\d+)?(:)?(-?\d+)?$")


class JsonPathError(ValueError):
    """A path outside the subset, or one that selects what the data does not have."""


@dataclass(frozen=True, slots=True)
class Step:
    """One step: names (members), or indexes (each an int, or a (start, end) slice with None for an open end), or
    the wildcard. `many`: the step selects several values (a list of names or indexes, a slice, the wildcard)."""

    names: tuple[str, ...] = ()
    indexes: tuple[int | tuple[int | None, int | None], ...] = ()
    wildcard: bool = False
    many: bool = False


def parse_path(path: str) -> list[Step]:
    """The steps of a path; JsonPathError for one outside the subset."""
    if not path.startswith("$"):
        raise JsonPathError("a path starts with $")
    steps: list[Step] = []
    at = 1
    while at < len(path):
        if path.startswith(".*", at) or path.startswith("[*]", at):
            steps.append(Step(wildcard=True, many=True))
            at += 2 if path[at] == "." else 3
        elif path[at] == ".":
            if path.startswith(".[", at):  # $.field1.['a','b'] is AWS's own example of the bracket form
                at += 1
                continue
            match = _NAME.match(path, at + 1)
            if match is None:
                raise JsonPathError(f"a name is expected at position {at + 1}")
            steps.append(Step(names=(match.group(),)))
            at = match.end()
        elif path[at] == "[":
            end = path.find("]", at)
            if end < 0:
                raise JsonPathError("a bracket is not closed")
            steps.append(_bracket(path[at + 1 : end]))
            at = end + 1
        else:
            raise JsonPathError(f"unexpected {path[at]!r} at position {at}")
    return steps


def _bracket(inside: str) -> Step:
    parts = [part.strip() for part in inside.split(",")]
    if not inside.strip() or any(not part for part in parts):
        raise JsonPathError("an empty selection in brackets")
    if all(part.startswith("'") for part in parts):
        names = []
        for part in parts:
            match = _QUOTED.fullmatch(part)
            if match is None:
                raise JsonPathError(f"a quoted name is expected, not {part}")
            names.append(match.group(1))
        return Step(names=tuple(names), many=len(names) > 1)
    indexes: list[int | tuple[int | None, int | None]] = []
    for part in parts:
        match = _INDEX.match(part)
        if match is None:
            raise JsonPathError(f"an index or a slice is expected, not {part}")
        start, colon, stop = match.groups()
        if colon:
            indexes.append((None if start is None else int(start), None if stop is None else int(stop)))
        elif start is not None and stop is None:
            indexes.append(int(start))
        else:
            raise JsonPathError(f"an index or a slice is expected, not {part}")
    many = len(indexes) > 1 or any(type(i) is tuple for i in indexes)
    return Step(indexes=tuple(indexes), many=many)


def select(value: Any, steps: list[Step]) -> Any:
    """What the path selects of a value; JsonPathError when the value has no such member or index."""
    for step in steps:
        value = _apply(value, step)
    return value


def _apply(value: Any, step: Step) -> Any:
    if step.wildcard:
        if isinstance(value, dict):
            return list(value.values())
        if isinstance(value, list):
            return list(value)
        raise JsonPathError("* needs an object or an array")
    if step.names:
        if not isinstance(value, dict):
            raise JsonPathError(f"{step.names[0]!r} needs an object")
        missing = [name for name in step.names if name not in value]
        if missing:
            raise JsonPathError(f"the record has no member {missing[0]!r}")
        if not step.many:
            return value[step.names[0]]
        return {name: value[name] for name in step.names}
    if not isinstance(value, list):
        raise JsonPathError("an index needs an array")
    picked: list[Any] = []
    for index in step.indexes:
        if isinstance(index, tuple):
            picked.extend(value[index[0] : index[1]])
        else:
            if not -len(value) <= index < len(value):
                raise JsonPathError(f"index {index} is outside the record's {len(value)} columns")
            picked.append(value[index])
    return picked if step.many else picked[0]
