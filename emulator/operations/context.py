"""What every operation receives besides its input: who is calling, where, and the services it may use."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.faults import FaultInjector
from emulator.operations.tokens import PageTokens
from emulator.settings import Limits
from emulator.store.repository import Store


@dataclass(frozen=True, slots=True)
class RequestContext:
    account_id: str
    region: str
    request_id: str


@dataclass(frozen=True, slots=True)
class Deps:
    store: Store
    limits: Limits
    clock: Callable[[], float] = field(default=time.time)
    # create_app passes the key from settings; the default only serves Deps built by hand.
    tokens: PageTokens = field(default_factory=lambda: PageTokens(b""))
    faults: FaultInjector = field(default_factory=FaultInjector)


def model_arn(ctx: RequestContext, name: str) -> str:
    # AWS lower-cases the name in the ARN; ModelName keeps the caller's case.
    return f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:model/{name.lower()}"
