"""Issue 27: the README's quick starts, taken from README.md itself and run as they are (the endpoint's port aside)
on a clean machine: a fresh server, a fresh directory, no AWS credentials or configuration anywhere (HOME is an
empty directory), only what the README's first command installs, and `aws`/`node` where their sections say so."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from emulator.settings import Settings
from tests.model_server import model_server
from tests.node_sdk import locked_node_modules
from tests.profiles import full_only
from tests.support import running_server, sagemaker_client

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
README_URL = "http://127.0.0.1:8787"  # what every snippet names; the test's server listens on a port the OS picks
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"


def section(title: str, level: str = "##") -> str:
    return README.split(f"\n{level} {title}\n", 1)[1].split(f"\n{level} ", 1)[0]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def the_block(text: str, language: str, containing: str) -> str:
    blocks = [b for b in code_blocks(text, language) if containing in b]
    assert len(blocks) == 1, f"one {language} block with {containing!r}, found {len(blocks)}"
    return blocks[0]


QUICK_STARTS = section("Quick starts: point an SDK at it")
# The boto3 quick start is its two blocks, the second going on from the first.
BOTO3 = "\n".join(code_blocks(section("boto3", "###"), "python"))
AWS_CLI = the_block(section("AWS CLI", "###"), "sh", "aws sagemaker")
JAVASCRIPT = the_block(section("JavaScript (AWS SDK v3)", "###"), "js", "client-sagemaker")
RUNTIME = section("SageMaker Runtime: invoking endpoints")
RUNTIME_BOTO3 = the_block(RUNTIME, "python", "sagemaker-runtime")
RUNTIME_CLI = the_block(RUNTIME, "sh", "aws sagemaker-runtime")
RUNTIME_JAVASCRIPT = the_block(RUNTIME, "js", "SageMakerRuntimeClient")
EXPORT_IMPORT = the_block(section("Admin API"), "sh", "/_emulator/state")


def clean_environment(home: Path) -> dict[str, str]:
    """A new user's shell with the README's venv activated: its bin first on PATH (python, aws), node where the
    machine has it, and nothing of AWS. AWS_EC2_METADATA_DISABLED only spares the instance-metadata timeouts an SDK
    waits out before it reports missing credentials; it supplies none."""
    path = [str(Path(sys.executable).parent)]
    node = shutil.which("node")
    if node is not None:
        path.append(str(Path(node).parent))
    path += ["/usr/local/bin", "/usr/bin", "/bin"]
    return {"PATH": os.pathsep.join(path), "HOME": str(home), "LANG": "C.UTF-8", "AWS_EC2_METADATA_DISABLED": "true"}


class CleanMachine:
    """A fresh directory and an empty HOME, where a snippet runs as its reader would run it."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.work = root / "work"
        self.home.mkdir()
        self.work.mkdir()

    def run(self, snippet: str, language: str, endpoint: str) -> subprocess.CompletedProcess[str]:
        assert README_URL in snippet, "the snippet no longer names the README's endpoint"
        source = snippet.replace(README_URL, endpoint)
        if language == "python":
            command = [sys.executable, "quick_start.py"]
            (self.work / "quick_start.py").write_text(source)
        elif language == "sh":
            command = ["sh", "-e", "quick_start.sh"]  # -e: a failing line fails the run, not just the last one
            (self.work / "quick_start.sh").write_text(source)
        else:
            modules = locked_node_modules(ROOT / "tests" / "sdk" / "js") / "node_modules"
            if not (self.work / "node_modules").exists():
                (self.work / "node_modules").symlink_to(modules.resolve())  # as `npm install` would have put it
            command = ["node", "quick_start.mjs"]
            (self.work / "quick_start.mjs").write_text(source)
        return subprocess.run(
            command, cwd=self.work, env=clean_environment(self.home), capture_output=True, text=True, timeout=180
        )


@pytest.fixture
def machine(tmp_path: Path) -> CleanMachine:
    return CleanMachine(tmp_path)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with running_server(Settings(database_url=f"sqlite:///{tmp_path / 'emulator.db'}")) as url:
        yield url


def nothing_left(endpoint: str) -> None:
    sm = sagemaker_client(endpoint)
    assert sm.list_models()["Models"] == []
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []
    assert sm.list_endpoints()["Endpoints"] == []


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_the_first_command_installs_what_the_python_quick_starts_import() -> None:
    """The server's command is the one a reader has run; the boto3 quick starts need boto3 in the same venv."""
    first = code_blocks(section("The two commands"), "sh")[0]
    assert first.rstrip().endswith("sagemaker-emulator serve")
    installed = re.search(r"pip install -e (?:\.|'\.\[([a-z0-9,]+)\]')(?: |$)", first)
    assert installed is not None, f"the first command does not install the package: {first}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = installed.group(1).split(",") if installed.group(1) else []
    requirements = project["dependencies"] + [r for extra in extras for r in project["optional-dependencies"][extra]]
    names = {re.split(r"[<>=\[; ]", r, maxsplit=1)[0] for r in requirements}
    assert "boto3" in names, requirements
    for snippet in (BOTO3, RUNTIME_BOTO3):
        imported = set(re.findall(r"^(?:import|from) ([a-z0-9_]+)", snippet, flags=re.MULTILINE))
        assert imported <= names | {"botocore"}, imported - names  # botocore comes with boto3


def test_the_boto3_quick_start(server: str, machine: CleanMachine) -> None:
    succeeded(machine.run(BOTO3, "python", server))
    nothing_left(server)


@full_only
def test_the_aws_cli_quick_start(server: str, machine: CleanMachine) -> None:
    """Fifteen seconds of AWS CLI start-ups: test_the_quick_starts_one_after_another runs the same commands in this
    process."""
    assert '\n"InService"\n' in succeeded(machine.run(AWS_CLI, "sh", server))
    nothing_left(server)


def aws_cli_in_process(
    snippet: str, endpoint: str, *, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """The AWS CLI quick start's lines as its shell would run them, each `aws` command by the CLI's own driver in
    this process (the CLI's start-up is most of its run time): its `export`s set the environment, nothing else does
    (no AWS variable of this process, HOME empty). Returns what the commands printed."""
    from awscli.clidriver import create_clidriver

    # AWS_DATA_PATH is the CLI's own, set when awscli is imported (where its cli.json is), as in the real command.
    for name in [n for n in os.environ if n.startswith("AWS_") and n != "AWS_DATA_PATH"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # as clean_environment
    capsys.readouterr()
    driver = None  # one for the commands between two exports: a driver loads the API model once (a second each)
    for line in snippet.replace(README_URL, endpoint).replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                monkeypatch.setenv(name, value)
            driver = None
        else:
            assert words[0] == "aws", f"a line this runner does not know: {line}"
            driver = driver or create_clidriver()
            assert driver.main(words[1:]) == 0, f"{line}: {capsys.readouterr().err}"
    return capsys.readouterr().out


def test_the_javascript_quick_start(server: str, machine: CleanMachine) -> None:
    arn = succeeded(machine.run(JAVASCRIPT, "js", server))
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:model/my-model\n"
    nothing_left(server)


def test_the_quick_starts_one_after_another(
    server: str, machine: CleanMachine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On one server, in the README's order: none trips on what another made (the CLI's create-model found the
    boto3 quick start's my-model, and its waiter an endpoint nothing had made)."""
    succeeded(machine.run(BOTO3, "python", server))
    printed = aws_cli_in_process(AWS_CLI, server, home=machine.home, monkeypatch=monkeypatch, capsys=capsys)
    assert '\n"InService"\n' in printed
    succeeded(machine.run(JAVASCRIPT, "js", server))
    nothing_left(server)


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[str]:
    """What the runtime section says its snippets invoke: my-endpoint, deployed as the boto3 quick start does, on a
    server whose images the toy model server answers (the section's first command)."""
    with model_server() as (url, _):
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'emulator.db'}", model_servers={"*": url})
        with running_server(settings) as endpoint:
            sm = sagemaker_client(endpoint)
            sm.create_model(ModelName="my-model", PrimaryContainer={"Image": IMAGE})
            variant = {"VariantName": "AllTraffic", "ModelName": "my-model", "InitialInstanceCount": 1}
            sm.create_endpoint_config(
                EndpointConfigName="my-config", ProductionVariants=[{**variant, "InstanceType": "ml.m5.large"}]
            )
            sm.create_endpoint(EndpointName="my-endpoint", EndpointConfigName="my-config")
            sm.get_waiter("endpoint_in_service").wait(EndpointName="my-endpoint")
            yield endpoint


def test_the_runtime_boto3_snippet(deployed: str, machine: CleanMachine) -> None:
    lines = succeeded(machine.run(RUNTIME_BOTO3, "python", deployed)).splitlines()
    assert lines[0] == """b'{"predictions": [3, 6]}'"""  # the toy model, as the snippet's comment says
    assert [json.loads(ast.literal_eval(line))["part"] for line in lines[1:]] == [0, 1, 2]  # one line per part


def test_the_runtime_aws_cli_snippet(deployed: str, machine: CleanMachine) -> None:
    output: dict[str, Any] = json.loads(succeeded(machine.run(RUNTIME_CLI, "sh", deployed)))
    assert output == {"ContentType": "application/json", "InvokedProductionVariant": "AllTraffic"}
    assert json.loads((machine.work / "out.json").read_text()) == {"predictions": [3]}


def test_the_runtime_javascript_snippet(deployed: str, machine: CleanMachine) -> None:
    assert json.loads(succeeded(machine.run(RUNTIME_JAVASCRIPT, "js", deployed))) == {"predictions": [3]}


def test_the_export_and_import_commands_work_with_compose_s_token(tmp_path: Path, machine: CleanMachine) -> None:
    """compose.yaml gives the admin API a token: the README's curl commands must send it, and a refusal must fail
    them, where `curl -s` wrote the 403's body into snapshot.json and exited 0."""
    token = re.search(r"SAGEMAKER_EMULATOR_ADMIN_TOKEN:-([\w-]+)", (ROOT / "compose.yaml").read_text())
    assert token is not None
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'emulator.db'}", admin_token=token.group(1))
    with running_server(settings) as endpoint:
        sagemaker_client(endpoint).create_model(ModelName="churn", PrimaryContainer={"Image": IMAGE})
        succeeded(machine.run(EXPORT_IMPORT, "sh", endpoint))
        snapshot = json.loads((machine.work / "snapshot.json").read_text())
        assert [m["model_name"] for m in snapshot["models"]] == ["churn"]
        assert sagemaker_client(endpoint).describe_model(ModelName="churn")["ModelName"] == "churn"
    (machine.work / "snapshot.json").unlink()
    with running_server(settings.model_copy(update={"admin_token": SecretStr("another-token")})) as endpoint:
        refused = machine.run(EXPORT_IMPORT, "sh", endpoint)
    assert refused.returncode == 22  # curl -f: the server's answer was an error
    assert not (machine.work / "snapshot.json").exists()


def test_the_export_and_import_commands_work_on_a_local_server(server: str, machine: CleanMachine) -> None:
    """Loopback mode, the default of a local server: the token the commands send is not asked for, and harmless."""
    succeeded(machine.run(EXPORT_IMPORT, "sh", server))
    assert json.loads((machine.work / "snapshot.json").read_text())["format"] == "sagemaker-emulator-snapshot"
