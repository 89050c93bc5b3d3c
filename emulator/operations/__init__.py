"""One typed coroutine per AWS operation: validated input in, output out, no HTTP types.

The operation table is derived: each kind of resource (emulator/resources/) brings its Create, Describe, List and
Delete, written once in emulator/operations/resources.py; the tag operations serve every kind. Every handler is a
coroutine and every store method too, so where database work runs is the store's decision, never the table's.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from emulator.operations import endpoints, resources, tags
from emulator.resources import KINDS
from emulator.resources.kind import ResourceKind

Handler = Callable[..., Awaitable[Any]]

_GENERIC = {
    "create": resources.create,
    "describe": resources.describe,
    "list": resources.list_page,
    "delete": resources.delete,
}
# Kinds with a lifecycle write their own handlers for the operations that change it, and keep the generic rest.
OWN_HANDLERS: dict[str, dict[str, Handler]] = {"endpoint": endpoints.HANDLERS}
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
        table.update(OWN_HANDLERS.get(kind.arn_type, {}))
    return {**table, **TAG_OPERATIONS}


# Every operation served on the wire.
HANDLERS = handlers_for(KINDS)
