"""Hypothesis strategies generated from the API model (emulator.shapes.generated.SHAPES), as the validator is.

`valid(shape)` draws values that satisfy every constraint of the model (small ones, so requests stay quick);
`fuzzy(shape)` draws the same but, at any depth, swaps in a wrong JSON type, a null, a constraint violation, an
unknown member, a missing required member, a huge string or a deeply nested value. Model names come from a small
pool so that creates collide (duplicates) and the store stays small enough to snapshot whole after every request.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

from emulator.shapes.generated import SHAPES
from emulator.shapes.javaregex import compile_java

NAME_POOL = [f"model-{i}" for i in range(200)] + ["M", "Mixed-Case-Model", "a" * 63]
ACCOUNT, REGION = "123456789012", "us-east-1"

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
HUGE_STRING = st.integers(5_000, 200_000).map(lambda n: "x" * n)


def nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


DEEP = st.integers(1, 80).map(nested)


def _pattern_strings(shape: dict[str, Any], lo: int, hi: int) -> st.SearchStrategy[str]:
    java = compile_java(shape["pattern"]) if "pattern" in shape else None

    def ok(value: str) -> bool:
        return lo <= len(value) <= hi and (java is None or java.fullmatch(value) is not None)

    pattern = shape.get("pattern")
    if pattern is not None and "\\p{" not in pattern and "(?<" not in pattern:
        try:
            return st.from_regex(re.compile(pattern), fullmatch=True).filter(ok)
        except re.error:
            pass
    alphabet = st.sampled_from("abcXYZ019-_.:/=+@ é值")
    return st.text(alphabet, min_size=lo, max_size=hi).filter(ok)


class ModelStrategies:
    def __init__(self, shapes: dict[str, dict[str, Any]] = SHAPES) -> None:
        self.shapes = shapes
        self._valid: dict[str, st.SearchStrategy[Any]] = {}
        self._fuzzy: dict[str, st.SearchStrategy[Any]] = {}

    # --- values that satisfy the model -------------------------------------------------------------------
    def valid(self, name: str) -> st.SearchStrategy[Any]:
        if name not in self._valid:
            self._valid[name] = st.deferred(lambda: self._build_valid(name))
        return self._valid[name]

    def _build_valid(self, name: str) -> st.SearchStrategy[Any]:
        shape = self.shapes[name]
        kind = shape["type"]
        if name == "ModelName":
            return st.sampled_from(NAME_POOL)
        if name == "ResourceArn":
            return st.sampled_from(NAME_POOL).map(lambda n: f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{n.lower()}")
        if kind == "string":
            if "enum" in shape:
                return st.sampled_from(shape["enum"])
            lo = shape.get("min", 0)
            return _pattern_strings(shape, lo, min(shape.get("max", 40), max(lo, 40)))
        if kind == "boolean":
            return st.booleans()
        if kind in ("integer", "long"):
            return st.integers(shape.get("min", -(2**31)), shape.get("max", 2**31 - 1))
        if kind == "timestamp":
            return st.integers(0, 4_000_000_000) | st.floats(0, 4_000_000_000)
        if kind in ("float", "double"):
            return st.floats(shape.get("min", -1e9), shape.get("max", 1e9))
        if kind == "list":
            lo = shape.get("min", 0)
            return st.lists(
                self.valid(shape["member"]["shape"]), min_size=lo, max_size=min(shape.get("max", 3), lo + 3)
            )
        if kind == "map":
            lo = shape.get("min", 0)
            keys, values = self.valid(shape["key"]["shape"]), self.valid(shape["value"]["shape"])
            return st.dictionaries(keys, values, min_size=lo, max_size=min(shape.get("max", 3), lo + 3))
        if kind == "structure":
            required = set(shape.get("required", ()))
            members = shape["members"]
            return st.fixed_dictionaries(
                {m: self.valid(s["shape"]) for m, s in members.items() if m in required},
                optional={m: self.valid(s["shape"]) for m, s in members.items() if m not in required},
            )
        raise ValueError(f"shape {name}: unsupported type {kind}")

    # --- values with violations at any depth ---------------------------------------------------------------
    def fuzzy(self, name: str) -> st.SearchStrategy[Any]:
        """Mostly valid, sometimes broken, at this level or below."""
        if name not in self._fuzzy:
            self._fuzzy[name] = st.deferred(lambda: self._build_fuzzy(name))
        return self._fuzzy[name]

    def request(self, input_shape: str) -> st.SearchStrategy[Any]:
        """A request body: an object, valid two times in three, else broken somewhere inside (the raw-bytes test
        covers bodies that are not objects)."""
        valid = self.valid(input_shape)
        return st.one_of(valid, valid, self._members(input_shape))

    def _members(self, name: str) -> st.SearchStrategy[dict[str, Any]]:
        shape = self.shapes[name]
        required = set(shape.get("required", ()))
        members = shape["members"]
        return st.fixed_dictionaries(
            {m: self.fuzzy(s["shape"]) for m, s in members.items() if m in required},
            optional={
                **{m: self.fuzzy(s["shape"]) for m, s in members.items() if m not in required},
                "UnknownMember": ANY_JSON,
                "modelName": JSON_SCALARS,  # a known name in the wrong case is unknown
            },
        )

    def _build_fuzzy(self, name: str) -> st.SearchStrategy[Any]:
        shape = self.shapes[name]
        kind = shape["type"]
        broken = st.one_of(ANY_JSON, self._violations(name), HUGE_STRING, DEEP)
        if kind == "structure":
            body = self._members(name)
            return st.one_of(body, body, body, broken)
        if kind == "list":
            lo = shape.get("min", 0)
            items = st.lists(self.fuzzy(shape["member"]["shape"]), min_size=lo, max_size=lo + 3)
            return st.one_of(items, items, items, broken)
        if kind == "map":
            keys = self.valid(shape["key"]["shape"]) | st.text(max_size=5)
            entries = st.dictionaries(keys, self.fuzzy(shape["value"]["shape"]), max_size=4)
            return st.one_of(entries, entries, entries, broken)
        valid = self.valid(name)
        return st.one_of(valid, valid, valid, broken)

    def _violations(self, name: str) -> st.SearchStrategy[Any]:
        shape = self.shapes[name]
        kind = shape["type"]
        out: list[st.SearchStrategy[Any]] = [st.none()]
        if kind == "string":
            hi, lo = shape.get("max"), shape.get("min", 0)
            if hi is not None:
                # Hypothesis draws at most a few thousand characters: build longer ones from a repeated piece.
                out.append(
                    st.builds(
                        lambda piece, n: (piece * (hi + 1))[: hi + 1 + n],
                        st.text(min_size=1, max_size=3),
                        st.integers(0, 4),
                    )
                )
            if lo > 0:
                out.append(st.text(max_size=lo - 1))
            out.append(st.text(max_size=20))  # pattern or enum, most likely
        elif kind in ("integer", "long"):
            if "max" in shape:
                out.append(st.integers(shape["max"] + 1, 2**63))
            if "min" in shape:
                out.append(st.integers(-(2**63), shape["min"] - 1))
            out.append(st.floats(allow_nan=False, allow_infinity=False))
        elif kind in ("float", "double"):
            if "max" in shape:
                out.append(st.floats(min_value=shape["max"], exclude_min=True, allow_infinity=False))
            if "min" in shape:
                out.append(st.floats(max_value=shape["min"], exclude_max=True, allow_infinity=False))
            out.append(st.text(max_size=5))
        elif kind == "list":
            member = self.valid(shape["member"]["shape"])
            if "max" in shape:
                out.append(st.lists(member, min_size=shape["max"] + 1, max_size=shape["max"] + 2))
            out.append(st.lists(st.none(), min_size=1, max_size=2))
        elif kind == "map":
            out.append(st.dictionaries(st.text(max_size=5), st.text(max_size=5), min_size=1, max_size=3))
            if "max" in shape:
                out.append(
                    st.integers(shape["max"] + 1, shape["max"] + 3).map(lambda n: {f"K{i}": "v" for i in range(n)})
                )
        elif kind == "structure":
            out.append(st.just({}))  # every required member missing
        return st.one_of(out)
