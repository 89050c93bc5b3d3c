"""The operator's model command table: per container image (`*` for any other), the command that runs a model's
container as a local process. A command is an argv template: split once as a POSIX shell would split it, never run
by a shell, each word's placeholders filled in per container. It comes from the operator's configuration only
(settings, the admin API), never from a request.

`{port}` is the port the container must answer on, `{model_dir}` its model directory (SageMaker's /opt/ml/model),
`{image}` the container's Image, `{env_file}` a file of its environment as VAR=VALUE lines (the format of
`docker run --env-file`). `{{` and `}}` are literal braces. A value is never split again: a model directory with a
space in its path stays one word.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

PLACEHOLDERS = ("port", "model_dir", "image", "env_file")
# Any image not named in the table.
EVERY_IMAGE = "*"
# A literal brace (doubled), a placeholder (no brace inside), or a brace alone.
_PIECE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_KNOWN = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)

# One word of a command: literal text, each piece followed by the placeholder after it ('' after the last).
Word = list[tuple[str, str]]


def checked_commands(table: Mapping[str, str]) -> dict[str, str]:
    """The image -> command table as given; ValueError naming the image of the first command that cannot be run:
    one that does not split as a shell would split it, splits into no word or starts with an empty one, holds a NUL
    (no argument can), or holds a placeholder that is not one of PLACEHOLDERS or a brace alone."""
    for image, command in table.items():
        _words(command, image=image)
    return dict(table)


def argv(template: str, *, port: int, model_dir: str, image: str, env_file: str) -> list[str]:
    """The command's words with their placeholders filled in: what is executed, without a shell. ValueError as
    checked_commands says for a template it would refuse."""
    values = {"": "", "port": str(port), "model_dir": model_dir, "image": image, "env_file": env_file}
    return ["".join(text + values[name] for text, name in word) for word in _words(template, image=image)]


def _words(command: str, *, image: str) -> list[Word]:
    if "\0" in command:
        raise ValueError(f"the model command of {image} holds a NUL character, which no argument can hold")
    try:
        words = shlex.split(command, posix=True)
    except ValueError as exc:  # "No closing quotation", "No escaped character"
        reason = str(exc).lower()
        raise ValueError(f"the model command of {image} does not split as a shell would split it: {reason}") from None
    if not words:
        raise ValueError(f"the model command of {image} is empty")
    if not words[0]:
        raise ValueError(f"the model command of {image} starts with an empty word, which names no program")
    return [_word(word, image=image) for word in words]


def _word(word: str, *, image: str) -> Word:
    pieces: Word = []
    text, at = "", 0
    for match in _PIECE.finditer(word):
        text += word[at : match.start()]
        at = match.end()
        found = match.group()
        if found in ("{{", "}}"):
            text += found[0]
        elif found in ("{", "}"):
            raise ValueError(
                f"the model command of {image} has a single {found} in {word!r} (write {found * 2} for a literal brace)"
            )
        elif match.group(1) in PLACEHOLDERS:
            pieces.append((text, match.group(1)))
            text = ""
        else:
            raise ValueError(f"the model command of {image} uses {found}, which is not one of {_KNOWN}")
    pieces.append((text + word[at:], ""))
    return pieces


class ModelCommands:
    """The table in force in this process; replaced as a whole at run time (emulator/runtime/runtime_sync.py)."""

    def __init__(self, table: Mapping[str, str] | None = None) -> None:
        self.table: dict[str, str] = dict(table or {})

    def configure(self, table: Mapping[str, str]) -> None:
        """Replaces the whole table (image -> command, `*` for every other image); the next container started uses
        it."""
        self.table = dict(table)

    def command_for(self, image: str) -> str | None:
        """The command for an image, the `*` one for any other, or None (no command runs a container of it)."""
        return self.table.get(image) or self.table.get(EVERY_IMAGE)
