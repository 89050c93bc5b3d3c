"""PLACEHOLDER until the model-commands branch lands (same interface)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

PLACEHOLDERS = ("port", "model_dir", "image", "env_file")
EVERY_IMAGE = "*"


def argv(template: str, *, port: int, model_dir: str, image: str, env_file: str) -> list[str]:
    values = {"port": str(port), "model_dir": model_dir, "image": image, "env_file": env_file}
    return [word.format(**values) for word in shlex.split(template)]


class ModelCommands:
    def __init__(self, table: Mapping[str, str] | None = None) -> None:
        self.table: dict[str, str] = dict(table or {})

    def configure(self, table: Mapping[str, str]) -> None:
        self.table = dict(table)

    def command_for(self, image: str) -> str | None:
        return self.table.get(image) or self.table.get(EVERY_IMAGE)
