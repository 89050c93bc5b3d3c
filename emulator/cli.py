"""`sagemaker-emulator serve ...`: flags override env vars (SAGEMAKER_EMULATOR_*), which override defaults."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator import __version__

if TYPE_CHECKING:
    from emulator.settings import Settings

# pydantic looks for plugins among the entry points of every installed distribution when it builds its first
# model: a tenth of a second of start-up in a virtual environment of a hundred packages. The emulator's settings
# use none. An explicit PYDANTIC_DISABLE_PLUGINS (empty: load them all) is left as the user set it.
NO_PYDANTIC_PLUGINS = ("PYDANTIC_DISABLE_PLUGINS", "__all__")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sagemaker-emulator",
        description="A local server that answers Amazon SageMaker's model APIs as AWS does.",
    )
    parser.add_argument("--version", action="version", version=f"sagemaker-emulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="start the server",
        description="Start the server. Every flag can also be set as an env var SAGEMAKER_EMULATOR_<FLAG>.",
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on, 0 for any free port (default 8787)")
    serve.add_argument(
        "--database-url",
        help="sqlite:///path or postgresql+psycopg://... (default: sagemaker-emulator.db in the working directory)",
    )
    serve.add_argument("--region", help="region when a request carries no SigV4 credential scope (default us-east-1)")
    serve.add_argument(
        "--account-id", help="account of requests whose access key is not mapped to one (default 123456789012)"
    )
    serve.add_argument(
        "--strict-auth",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="require a valid SigV4 signature made with a configured secret key (default: off)",
    )
    serve.add_argument(
        "--credentials-file",
        type=Path,
        help="TOML or JSON file mapping access keys to accounts and secret keys (see README)",
    )
    serve.add_argument(
        "--limits-file",
        type=Path,
        help="TOML or JSON file with max_models, max_containers_per_model, max_environment_bytes",
    )
    serve.add_argument("--faults-file", type=Path, help="TOML or JSON file with fault-injection rules (README)")
    serve.add_argument("--max-models", type=int, help="models per account and region (default: no limit)")
    serve.add_argument("--log-level", help="critical, error, warning, info or debug (default info)")
    serve.add_argument("--workers", type=int, help="server processes sharing the port and the database (default 1)")
    migrate = commands.add_parser(
        "migrate",
        help="create or upgrade the database schema, then exit",
        description="Create or upgrade the schema (serve does this at start-up too). Safe while servers run.",
    )
    migrate.add_argument("--database-url", help="as for serve")
    serve.add_argument(
        "--log-format", choices=["text", "json"], help="one line per request as text or as JSON (default text)"
    )
    serve.add_argument(
        "--admin-writes",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="allow reset and import under /_emulator (default: only when --host is a loopback address)",
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    from emulator.settings import Settings

    overrides: dict[str, Any] = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    return Settings(**overrides)


def first_line(exc: BaseException) -> str:
    # Driver errors append a "(Background on this error ...)" paragraph: one line is what a terminal user needs.
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault(*NO_PYDANTIC_PLUGINS)  # before pydantic is imported; workers inherit it
    from pydantic import ValidationError

    from emulator.credentials import CredentialsError
    from emulator.faults import FaultsFileError
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
        print(
            f"sagemaker-emulator: invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr
        )
    except (LimitsFileError, CredentialsError, FaultsFileError, DatabaseError) as exc:
        print(f"sagemaker-emulator: {first_line(exc)}", file=sys.stderr)
    except OSError as exc:
        print(f"sagemaker-emulator: {exc.strerror or first_line(exc)}", file=sys.stderr)
    logging.shutdown()
    return 2
