"""What every operation receives besides its input: who is calling, where, and the services it may use."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator.containers.commands import ModelCommands
from emulator.containers.directory import ContainerDirectory
from emulator.faults.rules import FaultInjector
from emulator.model_data.s3 import S3Reader
from emulator.operations.tokens import PageTokens
from emulator.resources.kind import ResourceKind
from emulator.runtime.canned import CannedStore
from emulator.runtime.model_servers import ModelServers
from emulator.settings import EndpointTiming, Limits
from emulator.store.records import Scope
from emulator.store.resource_store import ResourceStore
from emulator.store.shared_config import SharedConfig
from emulator.transform.wakeup import Wakeup

if TYPE_CHECKING:  # imported by build_emulator only when the checks are on: start-up is measured
    from emulator.model_data.checks import ModelDataChecks


@dataclass(frozen=True, slots=True)
class RequestContext:
    account_id: str
    region: str
    request_id: str

    def scope(self, kind: ResourceKind) -> Scope:
        return Scope(kind=kind.arn_type, account_id=self.account_id, region=self.region)

    def arn(self, kind: ResourceKind, name: str) -> str:
        return kind.arn(account_id=self.account_id, region=self.region, name=name)


@dataclass(frozen=True, slots=True)
class Deps:
    # The resources (emulator/store/resource_store.py).
    store: ResourceStore
    # What every process applies alike: fault rules, the runtime's tables (emulator/store/shared_config.py).
    shared: SharedConfig
    limits: Limits
    clock: Callable[[], float] = field(default=time.time)
    # create_app passes the key from settings; the default only serves Deps built by hand.
    tokens: PageTokens = field(default_factory=lambda: PageTokens(b""))
    faults: FaultInjector = field(default_factory=FaultInjector)
    # The kinds served, by ARN resource type: the tag operations find a resource's kind from its ARN.
    kinds: Mapping[str, ResourceKind] = field(default_factory=dict)
    # How long an endpoint's Creating, Updating and Deleting last (emulator/resources/endpoint.py).
    endpoint_timing: EndpointTiming = field(default_factory=EndpointTiming)
    # Who answers InvokeEndpoint for each image (emulator/runtime/model_servers.py); empty: the echo.
    model_servers: ModelServers = field(default_factory=ModelServers)
    # The command that runs a model's container, per image (emulator/containers/commands.py); empty: none is run.
    model_commands: ModelCommands = field(default_factory=ModelCommands)
    # Canned InvokeEndpoint answers set by tests (emulator/runtime/canned.py); checked before any model server.
    canned: CannedStore = field(default_factory=CannedStore)
    # Where run containers answer, as this process knows it (emulator/containers/directory.py).
    containers: ContainerDirectory = field(default_factory=ContainerDirectory)
    # CreateModel's model data checks (emulator/model_data/checks.py); None: off, as by default.
    model_data: ModelDataChecks | None = None
    # S3, as transform jobs read and write it (emulator/model_data/s3.py); None: no S3 (a Deps built by hand).
    s3: S3Reader | None = None
    # Tells this process's transform runner to look at the store now (emulator/transform/wakeup.py).
    job_wakeup: Wakeup = field(default_factory=Wakeup)
