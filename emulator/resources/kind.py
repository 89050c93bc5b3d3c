"""What a kind of SageMaker resource is: the declaration the generic operations (emulator/operations/resources.py)
and the admin snapshot read. A new kind is one module with one of these (docs/adding-a-resource.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from emulator.settings import Limits


def no_rules(request: dict[str, Any], limits: Limits) -> None:
    """A kind whose API model constraints are all its rules."""


def as_stored(definition: dict[str, Any]) -> dict[str, Any]:
    """A kind whose Describe returns the definition exactly as sent."""
    return definition


def no_references(request: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """A kind whose create names no other resource."""
    return ()


@dataclass(frozen=True, slots=True)
class ResourceKind:
    # The ARN's resource type (arn:aws:sagemaker:<region>:<account>:<arn_type>/<name>), also the store's kind.
    arn_type: str
    # Operation and member names: Create<noun>, Describe<noun>, Delete<noun>, List<plural>; <noun>Name, <noun>Arn.
    noun: str
    plural: str
    # How AWS's texts name it: 'Could not find <label> "<arn>".'
    label: str
    # The create request's members that Describe returns as sent (not the name, not Tags).
    definition_members: tuple[str, ...]
    # AWS's rules beyond the API model's constraints: raise the AWS error for a request that breaks one.
    rules: Callable[[dict[str, Any], Limits], None] = no_rules
    # The Limits field that caps how many a scope may hold (None: no cap), and how AWS's limit text names it.
    limit_field: str | None = None
    limit_name: str = ""
    # The other resources a create request names, as (their kind's arn_type, name): the generic create checks each
    # exists before it inserts, and answers that kind's 'Could not find ...' for the first missing one.
    references: Callable[[dict[str, Any]], Iterable[tuple[str, str]]] = no_references
    # For kinds with a lifecycle: the member List and Describe carry the stored status in (EndpointStatus); List
    # summaries then also carry LastModifiedTime.
    status_member: str | None = None
    # For kinds with a lifecycle: a snapshot's (status, state) checked and returned as the stored state JSON; raises
    # ValidationException for anything this kind did not export.
    check_state: Callable[[Any, Any], str] | None = None
    # What AWS's Describe adds to the stored definition (defaults it fills in); the store keeps what was sent.
    described: Callable[[dict[str, Any]], dict[str, Any]] = as_stored

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
        return {
            f"Create{self.noun}": "create",
            f"Describe{self.noun}": "describe",
            f"List{self.plural}": "list",
            f"Delete{self.noun}": "delete",
        }

    def arn(self, *, account_id: str, region: str, name: str) -> str:
        # AWS lower-cases the name in the ARN; the name member keeps the caller's case.
        return f"arn:aws:sagemaker:{region}:{account_id}:{self.arn_type}/{name.lower()}"

    def exists_message(self, arn: str) -> str:
        return f'Cannot create already existing {self.label} "{arn}".'

    def missing_message(self, arn: str) -> str:
        return f'Could not find {self.label} "{arn}".'

    def limit(self, limits: Limits) -> int | None:
        return None if self.limit_field is None else getattr(limits, self.limit_field)


def limit_message(name: str, *, limit: int, current: int, delta: int, unit: str) -> str:
    """AWS's text for a resource limit, the same template for every kind and quota."""
    return (
        f"The account-level service limit '{name}' is {limit} {unit}, with current utilization of {current} {unit}"
        f" and a request delta of {delta} {unit}. Please contact AWS support to request an increase for this limit."
    )
