"""What a kind of SageMaker resource is: the declaration the generic operations (emulator/operations/resources.py)
and the admin snapshot read. A new kind is one module with one of these (docs/adding-a-resource.md).

The wire is derived from the API model wherever the model says it (the List answer's member, the summary's members,
the sort keys, which inputs take an ARN); the declaration says, once, what the model does not (AWS's texts, defaults
it fills in, the default sort order)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from emulator.errors import AwsError, ValidationException
from emulator.settings import Limits
from emulator.shapes.generated import OPERATIONS, SHAPES
from emulator.store.records import SortKey

# A kind's own handler of an operation: handler(*, request, ctx, deps) -> output (emulator/operations/).
Handler = Callable[..., Awaitable[Any]]
# A create's checks that need I/O (S3, say): check(*, request, ctx, deps) raises the AWS error, or returns.
Check = Callable[..., Awaitable[None]]
# SortBy values of the API model's List operations -> the store's column each sorts by.
SORT_COLUMNS: dict[str, SortKey] = {
    "Name": "name",
    "CreationTime": "creation_ms",
    "Status": "status",
}


def no_rules(request: dict[str, Any], limits: Limits) -> None:
    """A kind whose API model constraints are all its rules."""


async def no_checks(*, request: dict[str, Any], ctx: Any, deps: Any) -> None:
    """A kind whose create needs no I/O beyond the store's."""


def as_stored(definition: dict[str, Any]) -> dict[str, Any]:
    """A kind whose Describe returns the definition exactly as sent."""
    return definition


def no_references(request: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """A kind whose create names no other resource."""
    return ()


def named_request(kind: ResourceKind, name: Any, definition: dict[str, Any]) -> dict[str, Any]:
    """The create request of a stored resource: its name member and its definition."""
    return {kind.name_member: name, **definition}


def always_referable(name: str, status: str | None, arn: str) -> str | None:
    """A kind any existing resource of which another may name."""
    return None


def as_summarized(summary: dict[str, Any], name: str) -> dict[str, Any]:
    """A kind whose List summary is the generic one."""
    return summary


@dataclass(frozen=True, slots=True)
class ApiModel:
    """The shapes and operations a kind's wire is read from: the generated API model, or a test's own."""

    shapes: Mapping[str, dict[str, Any]]
    operations: Mapping[str, Mapping[str, str]]

    def member_shape(self, operation: str, io: str, member: str) -> dict[str, Any] | None:
        shape_name = self.operations.get(operation, {}).get(io)
        if shape_name is None:
            return None
        spec = self.shapes[shape_name].get("members", {}).get(member)
        return None if spec is None else self.shapes[spec["shape"]]


GENERATED = ApiModel(shapes=SHAPES, operations=OPERATIONS)


@dataclass(frozen=True, slots=True)
class ListWire:
    """What a kind's List answers, read from the API model: the member holding the summaries, the members a summary
    has, and the SortBy values the input accepts."""

    member: str
    summary_members: frozenset[str]
    sort_keys: tuple[str, ...]


# eq=False: a kind is itself (hashed by identity), and its cached wire needs an instance __dict__, so no slots.
@dataclass(frozen=True, eq=False)
class ResourceKind:
    # The ARN's resource type (arn:aws:sagemaker:<region>:<account>:<arn_type>/<name>), also the store's kind.
    arn_type: str
    # Operation and member names: Create<noun>, Describe<noun>, Delete<noun>, List<plural>; <noun>Name, <noun>Arn.
    noun: str
    plural: str
    # How AWS's texts name it ('Could not find <label> "<arn>".') and its limit's unit.
    label: str
    # The create request's members that Describe returns as sent (not the name, not Tags).
    definition_members: tuple[str, ...]
    # AWS's texts for a missing and a duplicate resource: templates of {arn}, {name} and {label}.
    missing_text: str = 'Could not find {label} "{arn}".'
    exists_text: str = 'Cannot create already existing {label} "{arn}".'
    # The error a duplicate name is (a job's is ResourceInUse, as the API model has it).
    exists_error: type[AwsError] = ValidationException
    # Whether the API has a Delete<noun> (a transform job's metadata is kept for ever: it has none).
    deletable: bool = True
    # List's SortOrder when the request gives none (the API model documents it, in words only).
    default_sort_order: Literal["Ascending", "Descending"] = "Descending"
    # AWS's rules beyond the API model's constraints: raise the AWS error for a request that breaks one.
    rules: Callable[[dict[str, Any], Limits], None] = no_rules
    # AWS's checks that need I/O, awaited by the generic create after the rules and references, before the insert.
    checks: Check = no_checks
    # The Limits field that caps how many a scope may hold (None: no cap), and how AWS's limit text names it.
    limit_field: str | None = None
    limit_name: str = ""
    # The other resources a create request names, as (their kind's arn_type, name or ARN): the generic create checks
    # each exists in the caller's account and region before it inserts, and answers that kind's missing text for the
    # first missing one (with the ARN as sent, for an ARN of another account, region or kind).
    references: Callable[[dict[str, Any]], Iterable[tuple[str, str]]] = no_references
    # Whether a resource of this kind that exists may be named by another's create: (name, stored status, ARN) -> the
    # AWS text refusing it, or None (a model package not approved for deployment).
    referable: Callable[[str, str | None, str], str | None] = always_referable
    # The kind (arn_type) whose resources this one holds, named '<this one's name>/<n>' (a group's versions): Delete
    # refuses with ConflictException and in_use_text while any is left, decided in the delete's transaction.
    member_kind: str | None = None
    in_use_text: str = 'Cannot delete {label} "{arn}": it still holds resources.'
    # For kinds whose status is a member of their definition (a package's ModelApprovalStatus): definition -> the
    # status stored beside it, so List filters by it on an index.
    status_from: Callable[[dict[str, Any]], str | None] | None = None
    # The create request a stored resource (a snapshot's entry: name, definition) was made by, which import checks
    # as the wire would: (kind, name, definition) -> request.
    create_request: Callable[[ResourceKind, Any, dict[str, Any]], dict[str, Any]] = named_request
    # A List summary as the kind answers it: (the generic summary, the stored name) -> the summary.
    summarized: Callable[[dict[str, Any], str], dict[str, Any]] = as_summarized
    # For kinds with a lifecycle whose List summaries carry what the state holds (a job's end time and failure): the
    # stored state -> those members; List then reads each row's state with the page.
    state_summary: Callable[[str | None], dict[str, Any]] | None = None
    # For kinds with a lifecycle: the member List and Describe carry the stored status in (EndpointStatus); List
    # summaries then also carry LastModifiedTime.
    status_member: str | None = None
    # For kinds with a lifecycle: a snapshot's (status, state) checked and returned as the stored state JSON; raises
    # ValidationException for anything this kind did not export.
    check_state: Callable[[Any, Any], str] | None = None
    # What AWS's Describe adds to the stored definition (defaults it fills in); the store keeps what was sent.
    described: Callable[[dict[str, Any]], dict[str, Any]] = as_stored
    # Members AWS answers with a fixed value, in Describe and in List summaries wherever the output shape has them
    # (a status of a kind whose creation is done at once).
    fixed_members: Mapping[str, Any] = field(default_factory=dict)
    # Operations the kind answers itself (a lifecycle): operation name -> handler; they replace the generic ones.
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    # The API model the wire is read from.
    api: ApiModel = GENERATED

    @property
    def name_member(self) -> str:
        return f"{self.noun}Name"

    @property
    def arn_member(self) -> str:
        return f"{self.noun}Arn"

    @property
    def snake(self) -> str:
        """model, endpoint_config: the snapshot's names for the kind."""
        return self.arn_type.replace("-", "_")

    def operations(self) -> dict[str, str]:
        """Operation name -> what it does (create, describe, list, delete)."""
        served = {
            f"Create{self.noun}": "create",
            f"Describe{self.noun}": "describe",
            f"List{self.plural}": "list",
        }
        if self.deletable:
            served[f"Delete{self.noun}"] = "delete"
        return served

    @cached_property
    def list_wire(self) -> ListWire:
        """The List answer's member and summary members, and the input's sort keys, as the API model has them. A kind
        served without an output shape (a test's) answers under its plural with the generic summary."""
        operation = f"List{self.plural}"
        shapes, names = self.api.shapes, self.api.operations.get(operation, {})
        member, summary = self.plural, frozenset({self.name_member, self.arn_member, "CreationTime"})
        if "output" in names:
            output = shapes[names["output"]]["members"]
            member = next(m for m, spec in output.items() if shapes[spec["shape"]]["type"] == "list")
            item = shapes[shapes[output[member]["shape"]]["member"]["shape"]]
            summary = frozenset(item["members"])
        sort_by = self.api.member_shape(operation, "input", "SortBy")
        sort_keys = tuple(sort_by["enum"]) if sort_by is not None else ("CreationTime",)
        return ListWire(member=member, summary_members=summary, sort_keys=sort_keys)

    @cached_property
    def takes_arn(self) -> frozenset[str]:
        """The operations whose name member also takes an ARN (an ArnOrName in the API model), by name."""
        found = set()
        for operation in (f"Describe{self.noun}", f"Delete{self.noun}"):
            shape = self.api.member_shape(operation, "input", self.name_member)
            if shape is not None and str(shape.get("pattern", "")).startswith("(arn:"):
                found.add(operation)
        return frozenset(found)

    def arn(self, *, account_id: str, region: str, name: str) -> str:
        # AWS lower-cases the name in the ARN; the name member keeps the caller's case.
        return f"arn:aws:sagemaker:{region}:{account_id}:{self.arn_type}/{name.lower()}"

    def exists_message(self, arn: str) -> str:
        return self.exists_text.format(label=self.label, arn=arn, name=arn.rsplit("/", 1)[-1])

    def missing_message(self, arn: str) -> str:
        return self.missing_text.format(label=self.label, arn=arn, name=arn.rsplit("/", 1)[-1])

    def in_use_message(self, arn: str) -> str:
        return self.in_use_text.format(label=self.label, arn=arn, name=arn.rsplit("/", 1)[-1])

    def name_in(self, arn: str, *, account_id: str, region: str) -> str | None:
        """The name an ARN of this kind in this account and region names ('<group>/<n>' for a version), else None."""
        head, slash, name = arn.partition("/")
        if not slash or f"{head}/".lower() != self.arn(account_id=account_id, region=region, name=""):
            return None
        return name

    def limit(self, limits: Limits) -> int | None:
        return None if self.limit_field is None else getattr(limits, self.limit_field)


def limit_message(name: str, *, limit: int, current: int, delta: int, unit: str) -> str:
    """AWS's text for a resource limit, the same template for every kind and quota."""
    return (
        f"The account-level service limit '{name}' is {limit} {unit}, with current utilization of {current} {unit}"
        f" and a request delta of {delta} {unit}. Please contact AWS support to request an increase for this limit."
    )
