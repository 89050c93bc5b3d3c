"""The kinds of SageMaker resource the emulator serves, by ARN resource type."""

from __future__ import annotations

from emulator.resources.endpoint import ENDPOINT
from emulator.resources.endpoint_config import ENDPOINT_CONFIG
from emulator.resources.kind import ResourceKind
from emulator.resources.model import MODEL

KINDS: tuple[ResourceKind, ...] = (MODEL, ENDPOINT_CONFIG, ENDPOINT)
