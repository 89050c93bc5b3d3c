"""Validation of decoded JSON requests against the API model, with AWS's semantics and texts.

Validation also normalizes the request in place: unknown members and null members are dropped, as AWS
ignores them.

Two stages, as in AWS: deserialization rejects the first member of a wrong JSON type with a
SerializationException; then every violated constraint is collected into one ValidationException, in the API
model's member order, with lowerCamelCase paths and `.N.member` for items of structure lists.

Each shape is compiled once, at start-up, into a closure `check(value, path, errors)`.

Answers can be checked too (RequestValidator.check_answer, on with the check_answers setting, as in the tests): an
answer that breaks its operation's output shape (a member the shape lacks, a wrong type, a required member missing,
a value outside its enum) is our bug, which an SDK would hide (boto3 drops unknown members), so it becomes an
InternalFailure naming the operation, the member's path and the problem.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from emulator.errors import InternalFailure, SerializationException, ValidationException
from emulator.shapes.generated import OPERATIONS, SHAPES
from emulator.shapes.javaregex import compile_java

Check = Callable[[Any, str, list[str]], None]

_JAVA_TYPE_NAMES = {
    "string": "a String",
    "boolean": "a Boolean",
    "integer": "an Integer",
    "long": "a Long",
    "float": "a Float",
    "double": "a Double",
    "timestamp": "a Timestamp",
}


# AWS lists at most 10 violations and counts only those: "10 validation errors detected: ..." for a request with
# hundreds (captures from Kinesis and DynamoDB in kinesalite's and dynalite's tests, and real Bedrock errors).
MAX_VIOLATIONS = 10
# A value is printed whole up to this many characters, the longest any string member allows (NextToken, 8192);
# beyond it, cut with "...". AWS prints whole values, but a 7 MB list printed twice made a 14.6 MB error body.
MAX_SHOWN_CHARS = 8192
# Integer and Long members take JSON integers in Java's range; anything else cannot be converted.
_INTEGRAL_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _java_pieces(value: Any) -> Iterator[str]:
    if value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, list):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ", "
            yield from _java_pieces(item)
        yield "]"
    elif isinstance(value, dict):
        yield "{"
        for i, (k, v) in enumerate(value.items()):
            yield f", {k}=" if i else f"{k}="
            yield from _java_pieces(v)
        yield "}"
    else:
        yield str(value)


def java_str(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value printed the way AWS's Java validators print it, cut after `limit` characters (and no more work)."""
    if type(value) is str:
        return value if len(value) <= limit else value[:limit] + "..."
    pieces: list[str] = []
    size = 0
    for piece in _java_pieces(value):
        pieces.append(piece)
        size += len(piece)
        if size > limit:
            return "".join(pieces)[:limit] + "..."
    return "".join(pieces)


def violation(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{java_str(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def add(errors: list[str], value: Any, path: str, constraint: str) -> None:
    """Records a violation; past MAX_VIOLATIONS it is not even formatted, as AWS would not list it."""
    if len(errors) < MAX_VIOLATIONS:
        errors.append(violation(value, path, constraint))


def json_token(value: Any) -> str:
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, int | float):
        return "NUMBER_VALUE"
    return "NULL_VALUE"


def type_error(kind: str, value: Any) -> SerializationException:
    """The deserializer's text for a member of the wrong JSON type (texts measured on AWS JSON services)."""
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected")
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if kind == "structure":
        return SerializationException("Expected null")
    if kind == "map":
        return SerializationException("Expected map or null")
    if kind == "list":
        return SerializationException("Expected list or null")
    if kind == "timestamp":
        return SerializationException(f"{json_token(value)} can not be converted to milliseconds since epoch")
    return SerializationException(f"{json_token(value)} can not be converted to {_JAVA_TYPE_NAMES[kind]}")


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _length_phrases(shape: dict[str, Any], noun: str) -> list[tuple[str, int]]:
    """(phrase, bound) pairs, in AWS's order: the upper bound before the lower one."""
    out = []
    if "max" in shape:
        out.append((f"Member must have {noun} less than or equal to {shape['max']}", shape["max"]))
    if "min" in shape:
        out.append((f"Member must have {noun} greater than or equal to {shape['min']}", shape["min"]))
    return out


def check_size(value: list[Any] | dict[str, Any], path: str, bounds: list[tuple[str, int]], errors: list[str]) -> None:
    """The length constraints of a list or map (from _length_phrases)."""
    n = len(value)
    for phrase, bound in bounds:
        if (n > bound) if "less" in phrase else (n < bound):
            add(errors, value, path, phrase)


def scalar_constraints(shape: dict[str, Any]) -> list[str]:
    """Every constraint of a scalar shape as phrases: what AWS lists inside `[...]` for map keys and values."""
    noun = "length" if shape["type"] == "string" else "value"
    phrases = [p for p, _ in _length_phrases(shape, noun)]
    if "pattern" in shape:
        phrases.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
    if "enum" in shape:
        phrases.append(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
    return phrases


class Compiler:
    def __init__(self, shapes: dict[str, dict[str, Any]]) -> None:
        self.shapes = shapes
        self.checks: dict[str, Check] = {}
        # Scalar checks that report violations instead of appending messages (for map keys and values).
        self.tests: dict[str, Callable[[Any], bool]] = {}

    def check(self, name: str) -> Check:
        if name not in self.checks:
            # Placeholder first, so recursive shapes resolve lazily.
            self.checks[name] = lambda v, p, e: self.checks[name](v, p, e)
            kind = self.shapes[name]["type"]
            build = {"structure": self._structure, "list": self._list, "map": self._map}.get(kind, self._scalar)
            self.checks[name] = build(name)
        return self.checks[name]

    def _structure(self, name: str) -> Check:
        shape = self.shapes[name]
        required = set(shape.get("required", ()))
        members = [
            (m, lower_camel(m), self.check(spec["shape"]), m in required) for m, spec in shape["members"].items()
        ]
        known = frozenset(shape["members"])

        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is not dict:
                raise type_error("structure", value)
            if not known.issuperset(value):
                # AWS ignores unknown members; dropping them here keeps them out of what is stored.
                for extra in [k for k in value if k not in known]:
                    del value[extra]
            prefix = path + "." if path else ""
            for member, lname, child, is_required in members:
                item = value.get(member)
                if item is None:
                    if member in value:
                        del value[member]  # null is absent
                    if is_required:
                        add(errors, None, prefix + lname, "Member must not be null")
                    continue
                child(item, prefix + lname, errors)

        return check

    def _list(self, name: str) -> Check:
        shape = self.shapes[name]
        member_name = shape["member"]["shape"]
        member_shape = self.shapes[member_name]
        item_check = self.check(member_name)
        bounds = _length_phrases(shape, "length")
        scalar_items = member_shape["type"] not in ("structure", "list", "map")
        item_test = self.scalar_test(member_name) if scalar_items else None
        item_phrases = scalar_constraints(member_shape) if scalar_items else []

        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is not list:
                raise type_error("list", value)
            check_size(value, path, bounds, errors)
            if item_test is not None:
                # AWS reports scalar items at the list: "Member must satisfy constraint: [...]".
                bad = False
                for i, item in enumerate(value, 1):
                    if item is None:
                        add(errors, None, f"{path}.{i}.member", "Member must not be null")
                    elif not item_test(item):
                        bad = True
                if bad:
                    add(errors, value, path, f"Member must satisfy constraint: [{', '.join(item_phrases)}]")
                return
            for i, item in enumerate(value, 1):
                item_path = f"{path}.{i}.member"
                if item is None:
                    add(errors, None, item_path, "Member must not be null")
                else:
                    item_check(item, item_path, errors)

        return check

    def _map(self, name: str) -> Check:
        shape = self.shapes[name]
        key_name, value_name = shape["key"]["shape"], shape["value"]["shape"]
        value_kind = self.shapes[value_name]["type"]
        key_test, value_test = self.scalar_test(key_name), self.scalar_test(value_name)
        key_phrases = ", ".join(scalar_constraints(self.shapes[key_name]))
        value_phrases = ", ".join(scalar_constraints(self.shapes[value_name]))
        bounds = _length_phrases(shape, "length")

        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is not dict:
                raise type_error("map", value)
            check_size(value, path, bounds, errors)
            bad_keys = bad_values = False
            for k, v in value.items():
                if not key_test(k):
                    bad_keys = True
                if v is None:
                    # A null map value is malformed (Smithy's RestJsonBodyMalformedMapNullValue; real SQS rejects it
                    # too): the deserializer's text for a null token where the value's type is expected.
                    raise type_error(value_kind, None)
                if not value_test(v):
                    bad_values = True
            if bad_keys:
                add(errors, value, path, f"Map keys must satisfy constraint: [{key_phrases}]")
            if bad_values:
                add(errors, value, path, f"Map value must satisfy constraint: [{value_phrases}]")

        return check

    def scalar_test(self, name: str) -> Callable[[Any], bool]:
        """A predicate: does the value pass every constraint? (type errors still raise)"""
        if name not in self.tests:
            scalar = self.check(name)

            def test(value: Any) -> bool:
                errors: list[str] = []
                scalar(value, "", errors)
                return not errors

            self.tests[name] = test
        return self.tests[name]

    def _scalar(self, name: str) -> Check:
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "string":
            return self._string_check(shape)
        if kind == "boolean":

            def check_bool(value: Any, path: str, errors: list[str]) -> None:
                if type(value) is not bool:
                    raise type_error(kind, value)

            return check_bool
        if kind in ("integer", "long"):
            return self._number_check(shape, integral=True)
        if kind in ("float", "double", "timestamp"):
            return self._number_check(shape, integral=False)
        raise ValueError(f"shape {name}: unsupported type {kind}")

    def _string_check(self, shape: dict[str, Any]) -> Check:
        hi, lo = shape.get("max"), shape.get("min")
        pattern = compile_java(shape["pattern"]) if "pattern" in shape else None
        pattern_phrase = f"Member must satisfy regular expression pattern: {shape.get('pattern')}"
        enum = frozenset(shape.get("enum", ()))
        enum_phrase = f"Member must satisfy enum value set: [{', '.join(shape.get('enum', ()))}]"

        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is not str:
                raise type_error("string", value)
            n = len(value)
            if hi is not None and n > hi:
                add(errors, value, path, f"Member must have length less than or equal to {hi}")
            if lo is not None and n < lo:
                add(errors, value, path, f"Member must have length greater than or equal to {lo}")
            if pattern is not None and pattern.fullmatch(value) is None:
                add(errors, value, path, pattern_phrase)
            if enum and value not in enum:
                add(errors, value, path, enum_phrase)

        return check

    def _number_check(self, shape: dict[str, Any], *, integral: bool) -> Check:
        hi, lo = shape.get("max"), shape.get("min")
        kind = shape["type"]
        least, most = _INTEGRAL_RANGE.get(kind, (0, 0))

        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is bool or not isinstance(value, int | float):
                raise type_error(kind, value)
            # A Java int or long takes neither a JSON number with a fraction or exponent (10.0, 1e2) nor one out of its
            # range: both are malformed, as in Smithy's MalformedInteger tests (orjson makes integers past 2**64 floats).
            if integral and (type(value) is float or not least <= value <= most):
                raise type_error(kind, value)
            if hi is not None and value > hi:
                add(errors, value, path, f"Member must have value less than or equal to {hi}")
            if lo is not None and value < lo:
                add(errors, value, path, f"Member must have value greater than or equal to {lo}")

        return check


# What an answer's scalar must be in Python (as orjson writes it): timestamps are epoch seconds, as AWS sends them.
_ANSWER_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float),
    "blob": (bytes, str),
}
# Problems listed in one answer's InternalFailure at most: the first few say what is wrong.
MAX_ANSWER_PROBLEMS = 5


class AnswerCompiler:
    """Output shapes compiled into closures `check(value, path, problems)`; problems are "<path>: <what>" lines."""

    def __init__(self, shapes: dict[str, dict[str, Any]]) -> None:
        self.shapes = shapes
        self.checks: dict[str, Check] = {}

    def check(self, name: str) -> Check:
        if name not in self.checks:
            self.checks[name] = lambda v, p, e: self.checks[name](v, p, e)  # recursive shapes resolve lazily
            shape = self.shapes[name]
            build = {"structure": self._structure, "list": self._list, "map": self._map}.get(shape["type"])
            self.checks[name] = build(name) if build is not None else self._scalar(name)
        return self.checks[name]

    def _structure(self, name: str) -> Check:
        shape = self.shapes[name]
        members = {m: self.check(spec["shape"]) for m, spec in shape["members"].items()}
        required = tuple(shape.get("required", ()))

        def check(value: Any, path: str, problems: list[str]) -> None:
            if type(value) is not dict:
                problems.append(f"{path or '(answer)'}: {type(value).__name__} where {name} wants a structure")
                return
            prefix = path + "." if path else ""
            for member in required:
                if value.get(member) is None:
                    problems.append(f"{prefix}{member}: required by {name}, missing")
            for member, item in value.items():
                child = members.get(member)
                if child is None:
                    problems.append(f"{prefix}{member}: not a member of {name}")
                elif item is not None:
                    child(item, prefix + member, problems)

        return check

    def _list(self, name: str) -> Check:
        item_check = self.check(self.shapes[name]["member"]["shape"])

        def check(value: Any, path: str, problems: list[str]) -> None:
            if type(value) is not list:
                problems.append(f"{path}: {type(value).__name__} where {name} wants a list")
                return
            for i, item in enumerate(value):
                item_check(item, f"{path}[{i}]", problems)

        return check

    def _map(self, name: str) -> Check:
        shape = self.shapes[name]
        key_check, value_check = self.check(shape["key"]["shape"]), self.check(shape["value"]["shape"])

        def check(value: Any, path: str, problems: list[str]) -> None:
            if type(value) is not dict:
                problems.append(f"{path}: {type(value).__name__} where {name} wants a map")
                return
            for k, v in value.items():
                key_check(k, f"{path}{{key}}", problems)
                value_check(v, f"{path}[{k!r}]", problems)

        return check

    def _scalar(self, name: str) -> Check:
        shape = self.shapes[name]
        kind = shape["type"]
        wanted = _ANSWER_TYPES[kind]
        enum = frozenset(shape.get("enum", ()))

        def check(value: Any, path: str, problems: list[str]) -> None:
            # bool is an int to Python, never an Integer or Double to AWS.
            if not isinstance(value, wanted) or (type(value) is bool and kind != "boolean"):
                problems.append(f"{path}: {type(value).__name__} {value!r} where {name} wants a {kind}")
            elif enum and value not in enum:
                problems.append(f"{path}: {value!r} is not in {name}'s enum")

        return check


def format_errors(errors: list[str]) -> str:
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(errors)


class RequestValidator:
    """Validates the body of each served operation; built once per application. Each operation's check is compiled
    on its first request: compiling them all (dozens of patterns) was a fifth of a server's start-up."""

    def __init__(
        self, shapes: dict[str, dict[str, Any]] = SHAPES, operations: dict[str, dict[str, str]] = OPERATIONS
    ) -> None:
        self._compiler = Compiler(shapes)
        self._inputs = {op: io["input"] for op, io in operations.items() if "input" in io}
        self._outputs = {op: io.get("output") for op, io in operations.items()}
        self._checks: dict[str, Check] = {}
        self._answers = AnswerCompiler(shapes)
        self._answer_checks: dict[str, Check] = {}
        # Large bodies are validated on threads: one compiles at a time (the compiler's recursion placeholders are
        # not for sharing half-built).
        self._compiling = threading.Lock()

    def validate(self, operation: str, body: Any) -> None:
        check = self._checks.get(operation)
        if check is None:
            with self._compiling:
                check = self._checks.get(operation) or self._compiler.check(self._inputs[operation])
                self._checks[operation] = check
        errors: list[str] = []
        check(body, "", errors)
        if errors:
            raise ValidationException(format_errors(errors))

    def check_answer(self, operation: str, answer: Any) -> None:
        """Raises InternalFailure when `answer` breaks the operation's output shape; an operation with none must
        answer nothing (None or {})."""
        output = self._outputs.get(operation)
        problems: list[str] = []
        if output is None:
            if answer:
                problems.append(f"(answer): {java_str(answer, 200)} where {operation} has no output shape")
        else:
            check = self._answer_checks.get(operation)
            if check is None:
                with self._compiling:
                    check = self._answer_checks.get(operation) or self._answers.check(output)
                    self._answer_checks[operation] = check
            check({} if answer is None else answer, "", problems)
        if problems:
            shown = "; ".join(problems[:MAX_ANSWER_PROBLEMS])
            more = f" (and {len(problems) - MAX_ANSWER_PROBLEMS} more)" if len(problems) > MAX_ANSWER_PROBLEMS else ""
            raise InternalFailure(
                f"The answer of {operation} breaks its output shape {output or '(none)'}: {shown}{more}"
            )
