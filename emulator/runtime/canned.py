"""Canned answers for InvokeEndpoint, set per endpoint (and optionally per variant) through the admin API or the
pytest plugin: a queue, each answer given once in order, or one fixed answer given every time. Never a cache: what
answers is only ever what a test set.

The answers live in the store (emulator/store/runtime_config.py), shared by every process on the database, and each
is taken there: a queued answer is given once, whichever worker or replica the invocation reaches. CannedStore is
this process's index of which endpoints have answers, kept current by emulator/runtime/runtime_sync.py, so an
invocation asks the store only for an endpoint that has some, and reads `active` alone while none has.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from emulator.regions import valid_region

# SageMaker's EndpointName and VariantName: a name no invocation can carry would never be answered.
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"


class CannedAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str | None = Field(default=None, description="the answer's body as text (UTF-8)")
    body_base64: str | None = Field(default=None, description="or as base64, for bytes that are not text")
    content_type: str = Field(default="application/json", description="the answer's Content-Type")
    status: int = Field(default=200, ge=200, le=599, description="the model's status; non-2xx answers ModelError")
    custom_attributes: str | None = Field(default=None, description="X-Amzn-SageMaker-Custom-Attributes")

    @model_validator(mode="after")
    def _one_body(self) -> CannedAnswer:
        if self.body is not None and self.body_base64 is not None:
            raise ValueError("give body or body_base64, not both")
        if self.body_base64 is not None:
            base64.b64decode(self.body_base64, validate=True)
        return self

    def payload(self) -> bytes:
        if self.body_base64 is not None:
            return base64.b64decode(self.body_base64)
        return (self.body or "").encode()


class CannedAnswers(BaseModel):
    """PUT /_emulator/answers: replaces the answers of one endpoint (of one variant, when named)."""

    model_config = ConfigDict(extra="forbid")

    endpoint_name: str = Field(min_length=1, max_length=63, pattern=NAME_PATTERN)
    variant_name: str | None = Field(
        default=None, max_length=63, pattern=NAME_PATTERN, description="only invocations routed to this variant"
    )
    account_id: str | None = Field(default=None, pattern=r"^[0-9]{12}$", description="default: the server's account")
    region: str | None = Field(default=None, description="default: the server's region")
    mode: Literal["queue", "fixed"] = Field(
        default="queue", description="queue: each answer once, in order; fixed: the one answer every time"
    )
    answers: list[CannedAnswer] = Field(min_length=1)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not valid_region(value):
            raise ValueError("must be a region name such as us-east-1")
        return value

    @model_validator(mode="after")
    def _fixed_is_one(self) -> CannedAnswers:
        if self.mode == "fixed" and len(self.answers) != 1:
            raise ValueError("a fixed answer is one answer")
        return self


# account, region, endpoint name, variant name ('' for the endpoint's answers of any variant), as the store keys them.
Key = tuple[str, str, str, str]
ANY_VARIANT = ""


@dataclass(slots=True)
class CannedStore:
    """Which endpoints and variants have canned answers. `active` is one attribute read on the invocation path when
    none has."""

    default_account: str = "123456789012"
    default_region: str = "us-east-1"
    active: bool = False
    # (account, region, endpoint name) -> the variant names with answers ('' among them: any variant).
    _variants: dict[tuple[str, str, str], frozenset[str]] = field(default_factory=dict)

    def key(self, canned: CannedAnswers) -> Key:
        """Where a PUT's answers are kept: its account and region, or the server's."""
        return (
            canned.account_id or self.default_account,
            canned.region or self.default_region,
            canned.endpoint_name,
            canned.variant_name or ANY_VARIANT,
        )

    def index(self, keys: Iterable[Key]) -> None:
        """Replaces the index with these keys, the ones the store holds answers for."""
        variants: dict[tuple[str, str, str], set[str]] = {}
        for account, region, endpoint, variant in keys:
            variants.setdefault((account, region, endpoint), set()).add(variant)
        # Built aside, then set in two attribute writes: an invocation sees the old index or the new one.
        self._variants = {endpoint: frozenset(names) for endpoint, names in variants.items()}
        self.active = bool(variants)

    def candidates(self, *, account_id: str, region: str, endpoint_name: str, variant: str) -> list[Key]:
        """The keys an invocation routed to `variant` takes an answer from, in order: the variant's own answers,
        then the endpoint's; none (no store read) for an endpoint without answers."""
        names = self._variants.get((account_id, region, endpoint_name))
        if not names:
            return []
        return [(account_id, region, endpoint_name, name) for name in (variant, ANY_VARIANT) if name in names]
