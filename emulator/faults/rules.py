"""Failure on purpose: rules that make chosen requests throttle, fail or slow down, the way AWS sometimes does.

Off by default. The wire app asks `injector.active` (one attribute read) before anything else here runs, so the hot
path pays nothing when no rule is set. Injected errors are our AwsError classes, serialized in the one place.

Rules are matched in order; the first rule that fires decides. "Fires" means: the rule matches the request
(operation, account, model-name or endpoint-name prefix), then its every-Nth counter or its probability draw says yes, and it has
injections left. Every matching request counts towards every-Nth, so `every = 3` fails the 3rd, 6th, ... match.
A seed makes the probability draws repeatable: the same requests in the same order get the same faults.

Rules live in the store once a process has published or adopted them (emulator/faults/fault_sync.py): then every
worker and replica applies the same rules, and every-Nth and `times` count across all of them, one store write
per matching request (only while rules are set). Probability draws stay each process's own.
"""

from __future__ import annotations

import json
import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from emulator.errors import (
    AwsError,
    InternalFailure,
    ModelNotReadyException,
    RuntimeThrottlingException,
    ServiceUnavailable,
    ThrottlingException,
)
from emulator.runtime.runtime_shapes import OPERATIONS as RUNTIME_OPERATIONS
from emulator.shapes.generated import OPERATIONS as SAGEMAKER_OPERATIONS

# fail-endpoint is no error of the request: the CreateEndpoint or UpdateEndpoint it matches succeeds, and the
# endpoint it starts ends Failed (emulator/operations/endpoints.py asks for it with `endpoint_failure`).
# model-not-ready is SageMaker Runtime's ModelNotReadyException, which only InvokeEndpoint declares [M].
Action = Literal["throttle", "internal-error", "unavailable", "latency", "fail-endpoint", "model-not-ready"]

# Every operation a rule can name: SageMaker's served ones and the runtime's.
OPERATIONS = frozenset(SAGEMAKER_OPERATIONS) | frozenset(RUNTIME_OPERATIONS)
MODEL_NOT_READY_OPERATIONS = frozenset({"InvokeEndpoint"})

# AWS's texts: "Rate exceeded" is what SageMaker sends with ThrottlingException; the runtime sends its throttling
# with no text at all (see docs/decisions.md).
DEFAULT_MESSAGES: dict[str, str | None] = {
    "throttle": "Rate exceeded",
    "internal-error": "We encountered an internal error. Please try again.",
    "unavailable": "Service Unavailable",
    # The API model's description of the error [M]: AWS's own text was not found.
    "model-not-ready": "Either a serverless endpoint variant's resources are still being provisioned, or a"
    " multi-model endpoint is still downloading or loading the target model. Wait and try your request again.",
}
RUNTIME_MESSAGES: dict[str, str | None] = {**DEFAULT_MESSAGES, "throttle": None}
_ERRORS: dict[str, type[AwsError]] = {
    "throttle": ThrottlingException,
    "internal-error": InternalFailure,
    "unavailable": ServiceUnavailable,
    "model-not-ready": ModelNotReadyException,
}
# The runtime's own shapes (botocore's sagemaker-runtime service-2.json); only throttling differs on the wire.
_RUNTIME_ERRORS: dict[str, type[AwsError]] = {**_ERRORS, "throttle": RuntimeThrottlingException}


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
        if self.operations is not None:
            # A name the emulator does not serve would be accepted and never match: a typo passes silently.
            unknown = [name for name in self.operations if name not in OPERATIONS]
            if unknown:
                raise ValueError(
                    f"operations has names the emulator does not serve: {', '.join(unknown)} (served:"
                    f" {', '.join(sorted(OPERATIONS))})"
                )
            if self.action == "model-not-ready" and not set(self.operations) <= MODEL_NOT_READY_OPERATIONS:
                raise ValueError(
                    "a model-not-ready rule applies to InvokeEndpoint only, the one operation with that error"
                )
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


class SharedCounters(Protocol):
    """Counters of the stored rules, shared by every process (the Store implements this)."""

    async def count_fault(self, *, version: int, position: int, decide: Callable[[int, int], bool]) -> bool | None:
        """Counts a match; whether it fires, as decide(matched, injected) says. None: that version is gone."""
        ...


def fires(rule: FaultRule, *, drawn: bool, matched: int, injected: int) -> bool:
    """Whether a rule fires on its `matched`th match (this one counted), `injected` injections so far."""
    if rule.times is not None and injected >= rule.times:
        return False
    return drawn and (rule.every is None or matched % rule.every == 0)


@dataclass(slots=True)
class FaultInjector:
    """The live rules. Replaced as a whole by `configure`, so a change takes effect on the next request.

    version: the stored rules' version these are (0: not stored, counted here); shared: where stored rules count."""

    config: FaultConfig = field(default_factory=FaultConfig)
    active: bool = False
    version: int = 0
    shared: SharedCounters | None = None
    _states: list[_RuleState] = field(default_factory=list)
    _random: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.configure(self.config)

    def configure(self, config: FaultConfig, *, version: int = 0) -> None:
        """Replace every rule; counters and the random sequence start afresh (from the seed, if one is set)."""
        self.config = config
        self._random = random.Random(config.seed)
        self._states = [_RuleState(rule=r, operations=_operations_of(r)) for r in config.rules]
        self.version = version
        self.active = bool(self._states)

    def counters(self) -> list[dict[str, int]]:
        """This process's own counters (of rules not stored)."""
        return [{"matched": s.matched, "injected": s.injected} for s in self._states]

    @staticmethod
    def _matches(state: _RuleState, operation: str, account_id: str, request: dict[str, Any]) -> bool:
        """Whether a rule is about this request: its operation, account, model or endpoint name."""
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
        return True

    async def _fires(self, position: int, state: _RuleState, version: int) -> bool | None:
        """Counts a match and says whether the rule fires on it: in the store for stored rules (None when they
        changed meanwhile), else here."""
        rule = state.rule
        drawn = rule.probability is None or self._random.random() < rule.probability
        if version and self.shared is not None:

            def decide(matched: int, injected: int) -> bool:
                return fires(rule, drawn=drawn, matched=matched, injected=injected)

            return await self.shared.count_fault(version=version, position=position, decide=decide)
        state.matched += 1
        fired = fires(rule, drawn=drawn, matched=state.matched, injected=state.injected)
        if fired:
            state.injected += 1
        return fired

    async def endpoint_failure(self, *, operation: str, account_id: str, endpoint_name: str) -> FaultRule | None:
        """The fail-endpoint rule that fires for this CreateEndpoint or UpdateEndpoint, or None."""
        request = {"EndpointName": endpoint_name}
        version, states = self.version, self._states
        for position, state in enumerate(states):
            if state.rule.action != "fail-endpoint" or not self._matches(state, operation, account_id, request):
                continue
            if await self._fires(position, state, version):
                return state.rule
        return None

    async def pick(self, *, operation: str, account_id: str, request: dict[str, Any]) -> float:
        """Raise the injected error (the runtime's shape for a runtime operation), or return the delay in seconds to
        add (0.0 for none)."""
        version, states = self.version, self._states  # one set of rules for the whole pick
        for position, state in enumerate(states):
            rule = state.rule
            if rule.action == "fail-endpoint":  # decided by the endpoint operations, not here
                continue
            if not self._matches(state, operation, account_id, request):
                continue
            fired = await self._fires(position, state, version)
            if fired is None:
                return 0.0  # the rules changed while this request was matched: it gets none of either
            if not fired:
                continue
            if rule.action == "latency":
                return rule.latency_ms / 1000
            runtime = operation in RUNTIME_OPERATIONS
            errors, texts = (_RUNTIME_ERRORS, RUNTIME_MESSAGES) if runtime else (_ERRORS, DEFAULT_MESSAGES)
            raise errors[rule.action](rule.message if rule.message is not None else texts[rule.action])
        return 0.0


def _operations_of(rule: FaultRule) -> frozenset[str] | None:
    """The operations a rule matches; None: every one. A model-not-ready rule matches only where that error exists."""
    if rule.action == "model-not-ready":
        return frozenset(rule.operations) if rule.operations is not None else MODEL_NOT_READY_OPERATIONS
    return frozenset(rule.operations) if rule.operations is not None else None
