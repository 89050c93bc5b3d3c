"""Canned answers for InvokeEndpoint, set per endpoint (and optionally per variant) through the admin API or the
pytest plugin: a queue, each answer given once in order, or one fixed answer given every time. Never a cache: what
answers is only ever what a test set. Kept in the process (a server's, not the database's)."""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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

    endpoint_name: str = Field(min_length=1, max_length=63)
    variant_name: str | None = Field(default=None, description="only invocations routed to this variant")
    account_id: str | None = Field(default=None, description="default: the server's account")
    region: str | None = Field(default=None, description="default: the server's region")
    mode: Literal["queue", "fixed"] = Field(
        default="queue", description="queue: each answer once, in order; fixed: the one answer every time"
    )
    answers: list[CannedAnswer] = Field(min_length=1)

    @model_validator(mode="after")
    def _fixed_is_one(self) -> CannedAnswers:
        if self.mode == "fixed" and len(self.answers) != 1:
            raise ValueError("a fixed answer is one answer")
        return self


Key = tuple[str, str, str, str | None]  # account, region, endpoint name, variant (None: any)


@dataclass(slots=True)
class _Entry:
    mode: str
    answers: deque[CannedAnswer]
    given: int = 0


@dataclass(slots=True)
class CannedStore:
    """The answers in force. `active` is one attribute read on the invocation path when none are set."""

    default_account: str = "123456789012"
    default_region: str = "us-east-1"
    active: bool = False
    _entries: dict[Key, _Entry] = field(default_factory=dict)

    def put(self, canned: CannedAnswers) -> None:
        key = (
            canned.account_id or self.default_account,
            canned.region or self.default_region,
            canned.endpoint_name,
            canned.variant_name,
        )
        self._entries[key] = _Entry(mode=canned.mode, answers=deque(canned.answers))
        self.active = True

    def clear(self, endpoint_name: str | None = None) -> None:
        for key in [k for k in self._entries if endpoint_name is None or k[2] == endpoint_name]:
            del self._entries[key]
        self.active = bool(self._entries)

    def clear_scope(self, *, account_id: str | None, region: str | None) -> None:
        """Clears the answers of one account and/or region (None matches every one), as a reset does."""
        for key in [
            k
            for k in self._entries
            if (account_id is None or k[0] == account_id) and (region is None or k[1] == region)
        ]:
            del self._entries[key]
        self.active = bool(self._entries)

    def take(self, *, account_id: str, region: str, endpoint_name: str, variant: str) -> CannedAnswer | None:
        """The next answer for an invocation routed to `variant` (a variant's own answers first), or None."""
        for key in ((account_id, region, endpoint_name, variant), (account_id, region, endpoint_name, None)):
            entry = self._entries.get(key)
            if entry is None or not entry.answers:
                continue
            entry.given += 1
            return entry.answers[0] if entry.mode == "fixed" else entry.answers.popleft()
        return None

    def listed(self) -> list[dict[str, object]]:
        return [
            {
                "account_id": account,
                "region": region,
                "endpoint_name": name,
                "variant_name": variant,
                "mode": entry.mode,
                "remaining": len(entry.answers),
                "given": entry.given,
            }
            for (account, region, name, variant), entry in self._entries.items()
        ]
