"""One typed coroutine per AWS operation: validated input in, output out, no HTTP types.

KINDS registers the kinds of resource served: each brings its Create, Describe, List and Delete, written once in
emulator/operations/resources.py, and the handlers it declares of its own (a lifecycle) in their place; the tag
operations serve every kind. Every handler is a coroutine and every store method too, so where database work runs
is the store's decision, never the table's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from emulator.operations import resources, tags
from emulator.operations.endpoints import ENDPOINT
from emulator.operations.model_packages import MODEL_PACKAGE
from emulator.operations.transform_jobs import TRANSFORM_JOB
from emulator.resources.endpoint_config import ENDPOINT_CONFIG
from emulator.resources.kind import Handler, ResourceKind
from emulator.resources.model import MODEL
from emulator.resources.model_package_group import MODEL_PACKAGE_GROUP

# The kinds served: adding a kind here is all it takes to serve it (docs/adding-a-resource.md).
KINDS: tuple[ResourceKind, ...] = (
    MODEL,
    ENDPOINT_CONFIG,
    ENDPOINT,
    MODEL_PACKAGE_GROUP,
    MODEL_PACKAGE,
    TRANSFORM_JOB,
)

_GENERIC = {
    "create": resources.create,
    "describe": resources.describe,
    "list": resources.list_page,
    "delete": resources.delete,
}
TAG_OPERATIONS: dict[str, Handler] = {
    "AddTags": tags.add_tags,
    "ListTags": tags.list_tags,
    "DeleteTags": tags.delete_tags,
}


def handlers_for(kinds: Iterable[ResourceKind]) -> dict[str, Handler]:
    """Operation name -> handler(*, request, ctx, deps) for these kinds and the tag operations."""
    table: dict[str, Handler] = {}
    for kind in kinds:
        for operation, action in kind.operations().items():
            table[operation] = functools.partial(_GENERIC[action], kind)
        table.update(kind.handlers)
    return {**table, **TAG_OPERATIONS}


# Every operation served on the wire.
HANDLERS = handlers_for(KINDS)
