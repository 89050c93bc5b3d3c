"""`sagemaker-emulator serve ...`: flags override env vars (SAGEMAKER_EMULATOR_*), which override defaults."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator import __version__

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

    from emulator.settings import Settings

# pydantic looks for plugins among the entry points of every installed distribution when it builds its first
# model: a tenth of a second of start-up in a virtual environment of a hundred packages. The emulator's settings
# use none. An explicit PYDANTIC_DISABLE_PLUGINS (empty: load them all) is left as the user set it.
NO_PYDANTIC_PLUGINS = ("PYDANTIC_DISABLE_PLUGINS", "__all__")


# The repeatable IMAGE=VALUE flags, each adding to a JSON setting's table: its dest, the setting, its form, its help.
TABLE_FLAGS = {
    "--model-server": (
        "model_server_pairs",
        "model_servers",
        "IMAGE=URL",
        "the model server answering invocations of endpoints of this image (* for every other); repeatable, added"
        " to --model-servers",
    ),
    "--model-command": (
        "model_command_pairs",
        "model_commands",
        "IMAGE=COMMAND",
        "the command that runs the container of a model of this image (* for every other): an argv template with"
        " {port}, {model_dir}, {image} and {env_file}, never run by a shell; repeatable, added to --model-commands",
    ),
}


def secret_fields(settings_class: type[Settings]) -> set[str]:
    """Fields that hold a SecretStr: env only, since a command-line flag shows in `ps`."""
    from pydantic import SecretStr

    def holds_secret(annotation: Any) -> bool:
        return annotation is SecretStr or any(holds_secret(arg) for arg in typing.get_args(annotation))

    return {name for name, field in settings_class.model_fields.items() if holds_secret(field.annotation)}


def add_setting_flag(parser: argparse.ArgumentParser, *, name: str, field: FieldInfo) -> None:
    """`--kebab-name` for one Settings field; its value stays None unless given, so env vars and defaults apply."""
    kind = field.annotation
    if typing.get_origin(kind) in (typing.Union, types.UnionType):  # X | None: None is the flag left out
        kind = next(t for t in typing.get_args(kind) if t is not type(None))
    options: dict[str, Any] = {"dest": name, "default": None, "help": field.description}
    if kind is bool:
        options["action"] = argparse.BooleanOptionalAction
    elif typing.get_origin(kind) is typing.Literal:
        options["choices"] = list(typing.get_args(kind))
    elif kind in (int, float, Path):
        options["type"] = kind
    elif kind is not str:  # the JSON-valued settings, which the Settings class decodes itself
        options["metavar"] = "JSON"
    if field.default is not None and not field.default_factory and "(default" not in (field.description or ""):
        options["help"] = f"{field.description} (default {field.default})"
    parser.add_argument(f"--{name.replace('_', '-')}", **options)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser and its subcommands' parsers; serve has a flag for every setting that is not a secret."""
    from emulator.settings import Settings

    parser = argparse.ArgumentParser(
        prog="sagemaker-emulator",
        description="A local server that answers Amazon SageMaker's model APIs as AWS does.",
    )
    parser.add_argument("--version", action="version", version=f"sagemaker-emulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    secrets = secret_fields(Settings)
    serve = commands.add_parser(
        "serve",
        help="start the server",
        description="Start the server. Every flag can also be set as an env var SAGEMAKER_EMULATOR_<FLAG>; "
        f"{', '.join(f'SAGEMAKER_EMULATOR_{n.upper()}' for n in sorted(secrets))} are env only (a flag shows in ps).",
    )
    for name, field in Settings.model_fields.items():
        if name not in secrets:
            add_setting_flag(serve, name=name, field=field)
    for flag, (dest, _, form, help_text) in TABLE_FLAGS.items():
        serve.add_argument(flag, dest=dest, action="append", metavar=form, help=help_text)
    migrate = commands.add_parser(
        "migrate",
        help="create or upgrade the database schema, then exit",
        description="Create or upgrade the schema (serve does this at start-up too). Safe while servers run.",
    )
    add_setting_flag(migrate, name="database_url", field=Settings.model_fields["database_url"])
    return parser, {"serve": serve, "migrate": migrate}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser, commands = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would blame the top level and print its usage; the subcommand's is the useful one
        commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


class FlagError(ValueError):
    """A flag the settings class does not check itself (--model-server's IMAGE=URL form): exit status 2, as for a
    bad setting."""


def settings_from_args(args: argparse.Namespace) -> Settings:
    from emulator.settings import Settings

    given = vars(args)
    pair_dests = {dest for dest, _, _, _ in TABLE_FLAGS.values()}
    overrides: dict[str, Any] = {k: v for k, v in given.items() if k != "command" and k not in pair_dests}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    for flag, (dest, setting, form, _) in TABLE_FLAGS.items():
        pairs = given.get(dest) or []
        if not pairs:
            continue
        # The JSON flag's table (--model-servers) if given, checked as the setting is, the pairs over it: flags
        # replace the env var's table, as any flag does.
        table = dict(getattr(Settings.model_validate({setting: overrides.get(setting, "{}")}), setting))
        for pair in pairs:
            image, equals, value = pair.partition("=")
            if not equals or not image:
                raise FlagError(f"{flag} takes {form}, not {pair!r}")
            table[image] = value
        overrides[setting] = table
    return Settings(**overrides)


def first_line(exc: BaseException) -> str:
    # Driver errors append a "(Background on this error ...)" paragraph: one line is what a terminal user needs.
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault(*NO_PYDANTIC_PLUGINS)  # before pydantic is imported (the flags come from Settings)
    args = parse_args(argv)
    from pydantic import ValidationError

    from emulator.credentials import CredentialsError
    from emulator.faults.rules import FaultsFileError
    from emulator.settings import LimitsFileError
    from emulator.store.database import DatabaseError

    try:
        settings = settings_from_args(args)
        if args.command == "migrate":
            from emulator.store.migrate import migrate_command

            return migrate_command(settings.database_url)
        from emulator.server import serve

        return serve(settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")  # pydantic's wrapping of a validator's own message
        where = ".".join(map(str, first["loc"]))  # empty for a rule across settings, which names them itself
        print(f"sagemaker-emulator: invalid setting {where + ': ' if where else ''}{message}", file=sys.stderr)
    except (FlagError, LimitsFileError, CredentialsError, FaultsFileError, DatabaseError) as exc:
        print(f"sagemaker-emulator: {first_line(exc)}", file=sys.stderr)
    except OSError as exc:
        print(f"sagemaker-emulator: {exc.strerror or first_line(exc)}", file=sys.stderr)
    logging.shutdown()
    return 2
