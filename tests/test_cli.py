"""The real `sagemaker-emulator` command: version, help, one-line errors, and the per-request log line."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import BaseModel

from emulator import __version__
from emulator.cli import parse_args, settings_from_args
from emulator.settings import Settings
from tests.support import aws_post, free_port, sagemaker_client, wait_ready

CLI = str(Path(sys.executable).parent / "sagemaker-emulator")
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/secret-image:1"


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command; `env` is added to this process's environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_EMULATOR_")} | (env or {})
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=environ)


def test_version(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"sagemaker-emulator {__version__}\n", "")


SECRETS = {"token_secret", "secret_keys", "admin_token"}


def test_every_setting_has_a_description() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_serve_has_a_flag_for_every_setting_but_the_secrets(tmp_path: Path) -> None:
    result = run_cli("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", result.stdout)) - {"--help"}
    expected = {f"--{name.replace('_', '-')}" for name in Settings.model_fields if name not in SECRETS}
    booleans = {
        f"--no-{f[2:]}"
        for f in expected
        if Settings.model_fields[f[2:].replace("-", "_")].annotation in (bool, bool | None)
    }
    # --model-server IMAGE=URL and --model-command IMAGE=COMMAND (repeatable) add to --model-servers and
    # --model-commands JSON.
    assert flags == expected | booleans | {"--model-server", "--model-command"}
    assert booleans == {"--no-strict-auth", "--no-check-answers", "--no-check-model-data"}
    # Each flag's help is its field's description.
    assert "containers in one model (default: 15)" in result.stdout
    assert (
        "SAGEMAKER_EMULATOR_ADMIN_TOKEN, SAGEMAKER_EMULATOR_SECRET_KEYS, SAGEMAKER_EMULATOR_TOKEN_SECRET are env only"
        in " ".join(result.stdout.split())
    )


def test_every_flag_reaches_its_setting() -> None:
    """Each generated flag sets its own field, typed as the field is; a flag left out leaves env and defaults."""
    args = parse_args(
        [
            "serve",
            "--max-containers-per-model=3",
            "--database-pool-size=7",
            "--max-request-bytes=4096",
            "--max-json-depth=9",
            "--fault-seed=11",
            "--request-body-timeout=2.5",
            "--admin-access=off",
            "--log-format=json",
            "--limits-file=l.toml",
            '--access-keys={"AKIDEXAMPLE": "111122223333"}',
            '--faults={"rules": [{"action": "throttle"}]}',
            "--no-check-answers",  # over the env var the tests set (tests/conftest.py)
        ]
    )
    settings = settings_from_args(args)
    assert (settings.max_containers_per_model, settings.database_pool_size, settings.max_request_bytes) == (3, 7, 4096)
    assert (settings.max_json_depth, settings.fault_seed, settings.request_body_timeout) == (9, 11, 2.5)
    assert (settings.admin_access, settings.log_format, settings.limits_file) == ("off", "json", Path("l.toml"))
    assert settings.access_keys == {"AKIDEXAMPLE": "111122223333"}
    assert settings.faults is not None and [r.action for r in settings.faults.rules] == ["throttle"]
    assert settings.check_answers is False
    assert settings_from_args(parse_args(["serve"])) == Settings()


def test_the_readme_lists_every_setting() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert [name for name in Settings.model_fields if f"| `{name}` |" not in readme] == []


def test_an_unknown_serve_flag_shows_the_usage_of_serve(tmp_path: Path) -> None:
    result = run_cli("serve", "--bogus", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("usage: sagemaker-emulator serve [-h] [--host HOST]")
    assert result.stderr.endswith("\nsagemaker-emulator serve: error: unrecognized arguments: --bogus\n")


JSON_SETTINGS = ["access_keys", "secret_keys", "faults", "model_servers", "model_commands"]


def test_the_json_settings_are_these() -> None:
    """Every setting whose value is JSON (an object: a dict or a model) is covered by the bad-JSON test below."""

    def is_object(annotation: object) -> bool:
        if typing.get_origin(annotation) is dict:
            return True
        if isinstance(annotation, type):
            return issubclass(annotation, BaseModel)
        return any(is_object(arg) for arg in typing.get_args(annotation))  # X | None

    assert [name for name, field in Settings.model_fields.items() if is_object(field.annotation)] == JSON_SETTINGS


@pytest.mark.parametrize("value", ["not json", "{bad"])
@pytest.mark.parametrize("name", JSON_SETTINGS)
def test_a_json_setting_that_is_not_json_is_one_line(tmp_path: Path, name: str, value: str) -> None:
    result = run_cli("serve", "--port", "0", cwd=tmp_path, env={f"SAGEMAKER_EMULATOR_{name.upper()}": value})
    reason = {
        "not json": "Expecting value: line 1 column 1 (char 0)",
        "{bad": "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    }[value]
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"sagemaker-emulator: invalid setting {name}: not valid JSON: {reason}\n"
    assert not list(tmp_path.glob("*.db"))


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use_is_one_line(tmp_path: Path, busy_port: int) -> None:
    result = run_cli("serve", "--port", str(busy_port), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"sagemaker-emulator: port {busy_port} on 127.0.0.1 is already in use\n"


ERRORS = [
    (
        "missing-directory",
        ["--database-url", "sqlite:///no/such/dir/e.db"],
        "sagemaker-emulator: cannot open database no/such/dir/e.db: directory {tmp}/no/such/dir does not exist\n",
    ),
    (
        # /proc refuses new files even to root, so this holds whoever runs the tests.
        "unwritable-directory",
        ["--database-url", "sqlite:////proc/e.db"],
        "sagemaker-emulator: cannot open database sqlite:////proc/e.db: (sqlite3.OperationalError) unable to open"
        " database file\n",
    ),
    (
        "limits-file-missing",
        ["--limits-file", "nope.toml"],
        "sagemaker-emulator: bad limits file nope.toml: [Errno 2] No such file or directory: 'nope.toml'\n",
    ),
    (
        "limits-file-not-toml",
        ["--limits-file", "bad.toml"],
        "sagemaker-emulator: bad limits file bad.toml: Expected '=' after a key in a key/value pair (at line 1,"
        " column 5)\n",
    ),
    (
        "limits-file-unknown-key",
        ["--limits-file", "unknown.json"],
        "sagemaker-emulator: bad limits file unknown.json: max_modelz: Extra inputs are not permitted\n",
    ),
    (
        "limits-file-bad-value",
        ["--limits-file", "negative.toml"],
        "sagemaker-emulator: bad limits file negative.toml: max_models: Input should be greater than or equal to 0\n",
    ),
    (
        "bad-log-level",
        ["--log-level", "loud"],
        "sagemaker-emulator: invalid setting log_level: log level must be one of critical, error, warning, info,"
        " debug\n",
    ),
    (
        "faults-flag-not-json",
        ["--faults", "{bad"],
        "sagemaker-emulator: invalid setting faults: not valid JSON: Expecting property name enclosed in double"
        " quotes: line 1 column 2 (char 1)\n",
    ),
    (
        "model-server-without-url",
        ["--model-server", "BAD"],
        "sagemaker-emulator: --model-server takes IMAGE=URL, not 'BAD'\n",
    ),
    (
        "model-server-without-image",
        ["--model-server", "=http://127.0.0.1:8080"],
        "sagemaker-emulator: --model-server takes IMAGE=URL, not '=http://127.0.0.1:8080'\n",
    ),
    (
        "model-command-without-command",
        ["--model-command", "BAD"],
        "sagemaker-emulator: --model-command takes IMAGE=COMMAND, not 'BAD'\n",
    ),
    (
        "model-command-without-image",
        ["--model-command", "=serve --port {port}"],
        "sagemaker-emulator: --model-command takes IMAGE=COMMAND, not '=serve --port {{port}}'\n",
    ),
    (
        "model-command-that-does-not-split",
        ["--model-command", "*=serve 'x"],
        "sagemaker-emulator: invalid setting model_commands: the model command of * does not split as a shell would"
        " split it: no closing quotation\n",
    ),
    (
        "model-command-with-an-unknown-placeholder",
        ["--model-command", "toy=serve --port {prot}"],
        "sagemaker-emulator: invalid setting model_commands: the model command of toy uses {{prot}}, which is not one"
        " of {{port}}, {{model_dir}}, {{image}}, {{env_file}}\n",
    ),
    (
        "access-keys-flag-not-an-object",
        ["--access-keys", "[1]"],
        "sagemaker-emulator: invalid setting access_keys: Input should be a valid dictionary\n",
    ),
]


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_start_up_errors_are_one_line_without_traceback(tmp_path: Path, args: list[str], expected: str) -> None:
    (tmp_path / "bad.toml").write_text("max models = 3\n")
    (tmp_path / "unknown.json").write_text('{"max_modelz": 3}')
    (tmp_path / "negative.toml").write_text("max_models = -1\n")
    result = run_cli("serve", "--port", "0", *args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == expected.format(tmp=tmp_path)
    assert not list(tmp_path.glob("*.db"))


@contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[tuple[str, Path]]:
    """The CLI serving on a free port; yields (endpoint, file with its stderr, complete once the block ends)."""
    port = free_port()
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen([CLI, "serve", "--port", str(port), *args], cwd=tmp_path, stderr=err)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc)
            yield url, log
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def exchange(endpoint: str) -> str:
    """One success and one failure; returns the request id of the failure."""
    sagemaker_client(endpoint, region="eu-west-1").create_model(ModelName="m", PrimaryContainer={"Image": IMAGE})
    failed = aws_post(endpoint, "DescribeModel", {"ModelName": "absent"})
    assert failed.status_code == 400
    return failed.headers["x-amzn-requestid"]


def test_json_log_has_one_line_per_request_with_its_fields(tmp_path: Path) -> None:
    with serving(tmp_path, "--log-format", "json") as (endpoint, log):
        failed_id = exchange(endpoint)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    requests = [line for line in lines if line["logger"] == "emulator.request"]
    assert [(r["operation"], r["status"], r["error"], r["account_id"], r["region"]) for r in requests] == [
        ("CreateModel", 200, "-", "123456789012", "eu-west-1"),
        ("DescribeModel", 400, "ValidationException", "123456789012", "us-east-1"),
    ]
    assert requests[1]["request_id"] == failed_id
    assert all(r["level"] == "INFO" and r["latency_ms"] > 0 for r in requests)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # the server's own lines are JSON too
    assert "secret-image" not in log.read_text()  # no payloads at INFO


def test_text_log_is_the_default(tmp_path: Path) -> None:
    with serving(tmp_path) as (endpoint, log):
        failed_id = exchange(endpoint)
    requests = [line for line in log.read_text().splitlines() if " emulator.request " in line]
    assert len(requests) == 2
    assert re.fullmatch(
        rf"\S+ \S+ INFO emulator\.request request_id={failed_id} operation=DescribeModel status=400"
        r" error=ValidationException latency_ms=\d+\.\d{3} account_id=123456789012 region=us-east-1",
        requests[1],
    )
    assert "secret-image" not in log.read_text()


def test_the_start_up_log_names_the_database_file(tmp_path: Path) -> None:
    with serving(tmp_path, "--database-url", "sqlite:///data.db") as (_, log):
        pass
    assert f" INFO emulator using database sqlite:///{tmp_path}/data.db\n" in log.read_text()


def test_naming_a_plain_sqlite_file_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    """Such a server never imports SQLAlchemy (a third of its start-up): the log line must not either."""
    script = (
        "import logging, sys\n"
        "from emulator.cli import parse_args, settings_from_args\n"
        "from emulator.server import log_database\n"
        "logging.basicConfig(level='INFO', format='%(name)s %(message)s')\n"
        "log_database(settings_from_args(parse_args(['serve', '--database-url', 'sqlite:///d.db'])))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (result.stdout, result.stderr) == ("[]\n", f"emulator using database sqlite:///{tmp_path}/d.db\n")


def test_the_start_up_log_hides_a_database_password(tmp_path: Path) -> None:
    # An unreachable PostgreSQL is fine: the server starts and answers 503 until the database is back.
    port = free_port()
    with serving(tmp_path, "--database-url", f"postgresql+psycopg://alice:s3cret@127.0.0.1:{port}/test") as (_, log):
        pass
    lines = log.read_text()
    assert f" INFO emulator using database postgresql+psycopg://alice:***@127.0.0.1:{port}/test\n" in lines
    assert "s3cret" not in lines


def test_log_level_warning_silences_request_lines(tmp_path: Path) -> None:
    with serving(tmp_path, "--log-level", "warning") as (endpoint, log):
        exchange(endpoint)
    assert log.read_text() == ""


@pytest.mark.parametrize(("given", "in_force"), [(None, "__all__"), ("", ""), ("some_plugin", "some_plugin")])
def test_pydantic_plugins_are_off_unless_the_user_says_otherwise(
    tmp_path: Path, given: str | None, in_force: str
) -> None:
    """The CLI turns pydantic's plugin search off before pydantic is imported, without overriding a user's choice."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    script = (
        "import os, sys\n"
        "from emulator.cli import main\n"
        "assert 'pydantic' not in sys.modules\n"
        f"code = main(['migrate', '--database-url', 'sqlite:///{tmp_path / 'm.db'}'])\n"
        "print(code, repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert result.stdout.splitlines()[-1] == f"0 {in_force!r}", result.stderr


ADMIN_OFF = (
    "admin API off: {why} and SAGEMAKER_EMULATOR_ADMIN_TOKEN is not set, so /_emulator answers health, readiness and"
    " version only; set the token to reset, seed or inspect this server (or admin_access, see the README)"
)
ADMIN_LINES = [
    ({"host": "0.0.0.0"}, False, "WARNING", ADMIN_OFF.format(why="this server listens on 0.0.0.0")),
    ({"host": "::"}, False, "WARNING", ADMIN_OFF.format(why="this server listens on ::")),
    ({}, True, "WARNING", ADMIN_OFF.format(why="strict_auth is on")),
    (
        {"host": "0.0.0.0", "admin_access": "off"},
        False,
        "INFO",
        "admin API off (admin_access off): /_emulator answers health, readiness and version only",
    ),
    ({}, False, "INFO", "admin API open to clients on this machine (admin_access loopback)"),
    (
        {"host": "0.0.0.0", "admin_token": "t"},
        False,
        "INFO",
        "admin API open to requests with the admin token (admin_access token)",
    ),
]


@pytest.mark.parametrize(("overrides", "strict", "level", "line"), ADMIN_LINES)
def test_the_start_up_log_says_who_may_use_the_admin_api(
    overrides: dict[str, str], strict: bool, level: str, line: str
) -> None:
    from emulator.server import admin_access_line

    settings = Settings(**overrides)
    assert admin_access_line(settings, settings.admin_mode(strict_auth=strict)) == (getattr(logging, level), line)


def test_a_server_whose_admin_api_is_off_says_so_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wildcard listener without a token does (the table above); served for real, on loopback, strict mode does."""
    monkeypatch.setenv("SAGEMAKER_EMULATOR_SECRET_KEYS", '{"AKIDEXAMPLE": "secret"}')
    with serving(tmp_path, "--strict-auth", "--access-keys", '{"AKIDEXAMPLE": "111122223333"}') as (_, log):
        pass
    assert f" WARNING emulator {ADMIN_OFF.format(why='strict_auth is on')}\n" in log.read_text()
    with serving(tmp_path) as (_, log):
        pass
    assert " INFO emulator admin API open to clients on this machine (admin_access loopback)\n" in log.read_text()
