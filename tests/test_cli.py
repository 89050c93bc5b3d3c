"""The real `sagemaker-emulator` command: version, help, one-line errors, and the per-request log line."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator import __version__
from tests.support import aws_post, free_port, sagemaker_client, wait_ready

CLI = str(Path(sys.executable).parent / "sagemaker-emulator")
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/secret-image:1"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_version(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"sagemaker-emulator {__version__}\n", "")


def test_serve_help_names_every_flag(tmp_path: Path) -> None:
    result = run_cli("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for flag in (
        "--host",
        "--port",
        "--database-url",
        "--region",
        "--account-id",
        "--limits-file",
        "--max-models",
        "--log-level",
        "--log-format",
        "--admin-writes",
    ):
        assert flag in result.stdout
    assert "SAGEMAKER_EMULATOR_" in result.stdout


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
        "sagemaker-emulator: invalid setting log_level: Value error, log level must be one of critical, error,"
        " warning, info, debug\n",
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
