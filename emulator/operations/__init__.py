"""One typed function per AWS operation: validated input in, output out, no HTTP types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.operations import models, tags

Handler = Callable[..., Any]

# Operation name -> function(*, request, ctx, deps). Every operation here is served on the wire.
HANDLERS: dict[str, Handler] = {
    "CreateModel": models.create_model,
    "DescribeModel": models.describe_model,
    "ListModels": models.list_models,
    "DeleteModel": models.delete_model,
    "AddTags": tags.add_tags,
    "ListTags": tags.list_tags,
    "DeleteTags": tags.delete_tags,
}

# Operations that write: on SQLite they run off the event loop, so their commits can be grouped (store/transactions).
WRITES = frozenset({"CreateModel", "DeleteModel", "AddTags", "DeleteTags"})
