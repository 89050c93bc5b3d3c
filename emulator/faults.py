"""Failure on purpose: rules that make chosen requests throttle, fail or slow down, the way AWS sometimes does.

Off by default. The wire app asks `injector.active` (one attribute read) before anything else here runs, so the hot
path pays nothing when no rule is set. Injected errors are our AwsError classes, serialized in the one place.

Rules are matched in order; the first rule that fires decides. "Fires" means: the rule matches the request
(operation, account, model-name or endpoint-name prefix), then its every-Nth counter or its probability draw says yes, and it has
injections left. Every matching request counts towards every-Nth, so `every = 3` fails the 3rd, 6th, ... match.
A seed makes the probability draws repeatable: the same requests in the same order get the same faults.
"""

from __future__ import annotations

import json
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from emulator.errors import AwsError, InternalFailure, ServiceUnavailable, ThrottlingException

# fail-endpoint is no error of the request: the CreateEndpoint or UpdateEndpoint it matches succeeds, and the
# endpoint it starts ends Failed (emulator/operations/endpoints.py asks for it with `endpoint_failure`).
Action = Literal["throttle", "internal-error", "unavailable", "latency", "fail-endpoint"]

# AWS's texts: "Rate exceeded" is what SageMaker sends with ThrottlingException (see docs/decisions.md).
DEFAULT_MESSAGES: dict[str, str] = {
    "throttle": "Rate exceeded",
    "internal-error": "We encountered an internal error. Please try again.",
    "unavailable": "Service Unavailable",
}
_ERRORS: dict[str, type[AwsError]] = {
    "throttle": ThrottlingException,
    "internal-error": InternalFailure,
    "unavailable": ServiceUnavailable,
}


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    operations: list[str] | None = Field(default=None, description="operation names; none means every operation")
    probability: float | None = Field(default=None, ge=0, le=1, description="chance per matching request")
    every: int | None = Field(default=None, ge=1, description="fire on every Nth matching request")
    times: int | None = Field(default=None, ge=0, description="stop after this many injections")
    latency_ms: int = Field(default=0, ge=0, le=600_000, description="added delay for action latency")
    message: str | None = Field(default=None, description="error text instead of AWS's default")
    accounts: list[str] | None = Field(default=None, description="only requests of these account ids")
    model_name_prefixes: list[str] | None = Field(
        default=None, description="only requests whose ModelName (or model ARN) starts with one of these"
    )
    endpoint_name_prefixes: list[str] | None = Field(
        default=None, description="only requests whose EndpointName starts with one of these"
    )

    @model_validator(mode="after")
    def _one_trigger(self) -> FaultRule:
        if self.probability is not None and self.every is not None:
            raise ValueError("a rule takes probability or every, not both")
        if self.action == "latency" and self.latency_ms == 0:
            raise ValueError("a latency rule needs latency_ms > 0")
        return self


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int | None = None
    rules: list[FaultRule] = Field(default_factory=list)


class FaultsFileError(ValueError):
    pass


def load_faults_file(path: Path) -> FaultConfig:
    """A TOML (`seed = 1` and `[[rules]]` tables) or JSON file holding a FaultConfig."""
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        return FaultConfig.model_validate(data)
    except (OSError, ValueError, TypeError, ValidationError) as exc:
        raise FaultsFileError(f"bad faults file {path}: {exc}".splitlines()[0]) from exc


def model_name_of(request: dict[str, Any]) -> str | None:
    """The model a request is about: ModelName, or the name in a model ARN (tag operations)."""
    name = request.get("ModelName")
    if isinstance(name, str):
        return name
    arn = request.get("ResourceArn")
    if isinstance(arn, str) and ":model/" in arn:
        return arn.rsplit(":model/", 1)[1]
    return None


@dataclass(slots=True)
class _RuleState:
    rule: FaultRule
    operations: frozenset[str] | None
    matched: int = 0
    injected: int = 0


@dataclass(slots=True)
class FaultInjector:
    """The live rules. Replaced as a whole by `configure`, so a change takes effect on the next request."""

    config: FaultConfig = field(default_factory=FaultConfig)
    active: bool = False
    _states: list[_RuleState] = field(default_factory=list)
    _random: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.configure(self.config)

    def configure(self, config: FaultConfig) -> None:
        """Replace every rule; counters and the random sequence start afresh (from the seed, if one is set)."""
        self.config = config
        self._random = random.Random(config.seed)
        self._states = [
            _RuleState(rule=r, operations=frozenset(r.operations) if r.operations is not None else None)
            for r in config.rules
        ]
        self.active = bool(self._states)

    def counters(self) -> list[dict[str, int]]:
        return [{"matched": s.matched, "injected": s.injected} for s in self._states]

    def endpoint_failure(self, *, operation: str, account_id: str, endpoint_name: str) -> FaultRule | None:
        """The fail-endpoint rule that fires for this CreateEndpoint or UpdateEndpoint, or None."""
        request = {"EndpointName": endpoint_name}
        for state in self._states:
            if state.rule.action == "fail-endpoint" and self._fires(
                state, operation=operation, account_id=account_id, request=request
            ):
                return state.rule
        return None

    def _fires(self, state: _RuleState, *, operation: str, account_id: str, request: dict[str, Any]) -> bool:
        """Whether one rule matches the request and then fires; counts it as pick does."""
        rule = state.rule
        if state.operations is not None and operation not in state.operations:
            return False
        if rule.accounts is not None and account_id not in rule.accounts:
            return False
        if rule.model_name_prefixes is not None:
            name = model_name_of(request)
            if name is None or not name.startswith(tuple(rule.model_name_prefixes)):
                return False
        if rule.endpoint_name_prefixes is not None:
            endpoint = request.get("EndpointName")
            if not isinstance(endpoint, str) or not endpoint.startswith(tuple(rule.endpoint_name_prefixes)):
                return False
        state.matched += 1
        if rule.times is not None and state.injected >= rule.times:
            return False
        if rule.every is not None:
            fires = state.matched % rule.every == 0
        elif rule.probability is not None:
            fires = self._random.random() < rule.probability
        else:
            fires = True
        if fires:
            state.injected += 1
        return fires

    def pick(self, *, operation: str, account_id: str, request: dict[str, Any]) -> float:
        """Raise the injected error, or return the delay in seconds to add (0.0 for none)."""
        for state in self._states:
            rule = state.rule
            if rule.action == "fail-endpoint":  # decided by the endpoint operations, not here
                continue
            if not self._fires(state, operation=operation, account_id=account_id, request=request):
                continue
            if rule.action == "latency":
                return rule.latency_ms / 1000
            raise _ERRORS[rule.action](rule.message if rule.message is not None else DEFAULT_MESSAGES[rule.action])
        return 0.0
