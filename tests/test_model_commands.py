"""Issue 25: the operator's model command table, the argv template that runs a model's container per image. Every
refused command with its one line; the words a template gives, as a shell would split it but with no shell; the
table from flags and env, and through the admin API, shared by every process on the database as the model server
table is."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from emulator.app import create_app
from emulator.cli import FlagError, parse_args, settings_from_args
from emulator.containers.commands import PLACEHOLDERS, ModelCommands, argv, checked_commands
from emulator.server import serving
from emulator.settings import Settings
from emulator.store.database import make_engine
from tests.support import http, running_server, server_process
from tests.test_cli import run_cli
from tests.test_fault_sharing import servers
from tests.test_runtime_sharing import put

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1"
# The README's template for running the real image with Docker.
DOCKER = "docker run --rm -p 127.0.0.1:{port}:8080 --env-file {env_file} -v {model_dir}:/opt/ml/model:ro {image} serve"
README = (Path(__file__).parent.parent / "README.md").read_text()
KNOWN = "{port}, {model_dir}, {image}, {env_file}"

# (case, command) -> the one line that refuses it.
REFUSED = [
    ("empty", "", "the model command of IMG is empty"),
    ("blank", " \t\n ", "the model command of IMG is empty"),
    ("only quotes", "''", "the model command of IMG starts with an empty word, which names no program"),
    ("an empty program", "'' serve", "the model command of IMG starts with an empty word, which names no program"),
    ("a program from a placeholder", "{env_file} serve", None),  # the value names it
    (
        "a quote left open",
        "python 'serve.py --port {port}",
        "the model command of IMG does not split as a shell would split it: no closing quotation",
    ),
    (
        "a double quote left open",
        'python "serve.py',
        "the model command of IMG does not split as a shell would split it: no closing quotation",
    ),
    (
        "a backslash at the end",
        "python serve.py \\",
        "the model command of IMG does not split as a shell would split it: no escaped character",
    ),
    (
        "an unknown placeholder",
        "serve --port {prot}",
        f"the model command of IMG uses {{prot}}, which is not one of {KNOWN}",
    ),
    ("an empty placeholder", "serve {}", f"the model command of IMG uses {{}}, which is not one of {KNOWN}"),
    ("a positional placeholder", "serve {0}", f"the model command of IMG uses {{0}}, which is not one of {KNOWN}"),
    ("a conversion", "serve {port!r}", f"the model command of IMG uses {{port!r}}, which is not one of {KNOWN}"),
    ("a format spec", "serve {port:05}", f"the model command of IMG uses {{port:05}}, which is not one of {KNOWN}"),
    (
        "an attribute",
        "serve {image.name}",
        f"the model command of IMG uses {{image.name}}, which is not one of {KNOWN}",
    ),
    ("a shell variable", "serve ${port}", None),  # no shell: `$` is a literal character, then the placeholder
    (
        "a brace left open",
        "serve --port {port",
        "the model command of IMG has a single { in '{port' (write {{ for a literal brace)",
    ),
    (
        "a brace closing nothing",
        "serve --json port}",
        "the model command of IMG has a single } in 'port}' (write }} for a literal brace)",
    ),
    (
        "a placeholder inside braces",
        "serve {a{port}}",
        "the model command of IMG has a single { in '{a{port}}' (write {{ for a literal brace)",
    ),
    (
        "a NUL",
        "serve\0 --port {port}",
        "the model command of IMG holds a NUL character, which no argument can hold",
    ),
]


@pytest.mark.parametrize(("command", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_command_that_cannot_run_is_refused_with_one_line(command: str, message: str | None) -> None:
    table = {"other": "python serve.py --port {port}", "IMG": command}
    if message is None:
        assert checked_commands(table) == table
        return
    with pytest.raises(ValueError) as refused:
        checked_commands(table)
    assert str(refused.value) == message
    # argv refuses the same template with the same line, naming the container's image.
    with pytest.raises(ValueError) as refused:
        argv(command, port=1, model_dir="/m", image="IMG", env_file="/e")
    assert str(refused.value) == message


def test_every_placeholder_is_accepted() -> None:
    assert PLACEHOLDERS == ("port", "model_dir", "image", "env_file")
    table = {"*": DOCKER, IMAGE: "serve {port}{model_dir}{image}{env_file} {{}}"}
    assert checked_commands(table) == table
    assert checked_commands({}) == {}


def filled(template: str, **values: Any) -> list[str]:
    given: dict[str, Any] = {"port": 8080, "model_dir": "/models/m", "image": IMAGE, "env_file": "/run/m.env"} | values
    return argv(template, **given)


def test_the_docker_template_gives_docker_run_words() -> None:
    section = README.split("\n## Running a model's containers\n", 1)[1].split("\n## ", 1)[0]
    assert f"sagemaker-emulator serve --model-command '*={DOCKER}'" in section
    assert filled(DOCKER, port=49152, model_dir="/var/cache/model data/abc", env_file="/tmp/e 1.env") == [
        "docker",
        "run",
        "--rm",
        "-p",
        "127.0.0.1:49152:8080",
        "--env-file",
        "/tmp/e 1.env",
        "-v",
        "/var/cache/model data/abc:/opt/ml/model:ro",
        IMAGE,
        "serve",
    ]


# (case, template, values) -> the words executed.
FILLED = [
    (
        "a value with spaces stays one word",
        "serve --dir {model_dir}",
        {"model_dir": "/a b/c  d"},
        ["serve", "--dir", "/a b/c  d"],
    ),
    ("a quoted word with a placeholder", "sh -c 'serve --port {port}'", {}, ["sh", "-c", "serve --port 8080"]),
    ("a placeholder within a word", "--bind=127.0.0.1:{port}", {"port": 7}, ["--bind=127.0.0.1:7"]),
    ("placeholders side by side", "{image}@{port}{port}", {"image": "i", "port": 1}, ["i@11"]),
    ("literal braces", "echo '{{\"port\": {port}}}'", {"port": 9}, ["echo", '{"port": 9}']),
    ("literal braces around a placeholder", "{{{port}}}", {"port": 9}, ["{9}"]),
    ("a doubled brace is never a placeholder", "{{port}}", {}, ["{port}"]),
    ("a value is never filled again", "{model_dir}", {"model_dir": "/m/{port}/{{x}}"}, ["/m/{port}/{{x}}"]),
    ("a value is never split again", "{model_dir}", {"model_dir": "a 'b c"}, ["a 'b c"]),
    (
        "shell operators are plain words",
        "serve | tee log && $HOME; #x",
        {},
        ["serve", "|", "tee", "log", "&&", "$HOME;", "#x"],
    ),
    ("escapes and quotes as a shell reads them", r'a\ b "c\"d" e\\f', {}, ["a b", 'c"d', "e\\f"]),
    ("an empty quoted word stays a word", "serve '' {port}", {}, ["serve", "", "8080"]),
    ("newlines separate words", "serve\n--port\n{port}", {}, ["serve", "--port", "8080"]),
]


@pytest.mark.parametrize(("template", "values", "words"), [c[1:] for c in FILLED], ids=[c[0] for c in FILLED])
def test_the_words_of_a_template(template: str, values: dict[str, Any], words: list[str]) -> None:
    assert filled(template, **values) == words


def test_the_command_for_an_image_is_its_own_else_the_any_image_one() -> None:
    commands = ModelCommands()
    assert (commands.table, commands.command_for(IMAGE)) == ({}, None)
    commands = ModelCommands({IMAGE: "serve-toy {port}", "*": "serve {port}"})
    assert commands.command_for(IMAGE) == "serve-toy {port}"
    assert commands.command_for("other:1") == "serve {port}"
    commands.configure({IMAGE: "only {port}"})
    assert commands.table == {IMAGE: "only {port}"}
    assert (commands.command_for(IMAGE), commands.command_for("other:1")) == ("only {port}", None)
    given = {"*": "serve {port}"}
    commands = ModelCommands(given)
    given["*"] = "changed"  # the table is a copy of what was given
    assert commands.command_for("x") == "serve {port}"


# The table as configured: flags, env and start-up errors.


def test_model_commands_from_flags_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    args = parse_args(
        ["serve", "--model-command", f"{IMAGE}=serve-toy --port {{port}}", "--model-command", f"*={DOCKER}"]
    )
    assert settings_from_args(args).model_commands == {IMAGE: "serve-toy --port {port}", "*": DOCKER}
    # An `=` in the command is the command's: the image ends at the first one.
    args = parse_args(["serve", "--model-command", "*=env A=1 serve {port}"])
    assert settings_from_args(args).model_commands == {"*": "env A=1 serve {port}"}
    # The pairs add to the JSON flag's table, the later pair for an image winning.
    args = parse_args(
        ["serve", "--model-commands", json.dumps({"a": "x {port}", "b": "y"}), "--model-command", "b=z {image}"]
    )
    assert settings_from_args(args).model_commands == {"a": "x {port}", "b": "z {image}"}
    monkeypatch.setenv("SAGEMAKER_EMULATOR_MODEL_COMMANDS", json.dumps({"*": "serve {port} {model_dir}"}))
    assert settings_from_args(parse_args(["serve"])).model_commands == {"*": "serve {port} {model_dir}"}
    with pytest.raises(FlagError) as refused:
        settings_from_args(parse_args(["serve", "--model-command", "serve {port}"]))
    assert str(refused.value) == "--model-command takes IMAGE=COMMAND, not 'serve {port}'"
    assert Settings().model_servers == {}  # the model server table is its own
    monkeypatch.setenv("SAGEMAKER_EMULATOR_MODEL_COMMANDS", json.dumps({"*": ""}))
    with pytest.raises(ValidationError) as invalid:
        Settings()
    assert invalid.value.errors()[0]["msg"] == "Value error, the model command of * is empty"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SAGEMAKER_EMULATOR_MODEL_COMMANDS": json.dumps({IMAGE: "serve {port} {modeldir}"})},
            f"the model command of {IMAGE} uses {{modeldir}}, which is not one of {KNOWN}",
        ),
        ({"SAGEMAKER_EMULATOR_MODEL_COMMANDS": '["serve"]'}, "Input should be a valid dictionary"),
    ],
)
def test_a_bad_table_in_the_env_stops_the_server_with_one_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_cli("serve", "--port", "0", cwd=tmp_path, env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"sagemaker-emulator: invalid setting model_commands: {message}\n"
    assert not list(tmp_path.glob("*.db"))


# The admin API, and the table shared by every process on the database.

CMD = "python serve.py --port {port} --model-dir {model_dir}"


def stored_row(database_url: str) -> tuple[Any, ...]:
    """The runtime configuration's row as the database holds it: version, model servers, model commands."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT version, model_servers, model_commands FROM runtime_config")).one()
    finally:
        engine.dispose()
    return tuple(row)


# (case, table) -> the line the admin API answers with 400.
BAD_TABLES = [
    ("an empty command", {"*": ""}, "the model command of * is empty"),
    (
        "a quote left open",
        {IMAGE: "serve 'x"},
        f"the model command of {IMAGE} does not split as a shell would split it: no closing quotation",
    ),
    (
        "an unknown placeholder",
        {"*": CMD, "b": "x {dir}"},
        f"the model command of b uses {{dir}}, which is not one of {KNOWN}",
    ),
    ("a brace alone", {"*": "x {"}, "the model command of * has a single { in '{' (write {{ for a literal brace)"),
]


@pytest.mark.parametrize(("table", "message"), [c[1:] for c in BAD_TABLES], ids=[c[0] for c in BAD_TABLES])
def test_a_bad_table_is_a_400_and_nothing_is_stored(
    make_settings: Any, database_url: str, table: dict[str, str], message: str
) -> None:
    with running_server(make_settings(model_commands={"*": CMD})) as server:
        refused = http().put(f"{server}/_emulator/modelcommands", json=table)
        assert (refused.status_code, refused.json()) == (
            400,
            {"__type": "ValidationException", "message": f"Value error, {message}"},
        )
        assert http().get(f"{server}/_emulator/modelcommands").json() == {"*": CMD}
        assert stored_row(database_url) == (1, None, json.dumps({"*": CMD}))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["serve"], "Input should be a valid dictionary"),
        ({"*": 1}, "*: Input should be a valid string"),
    ],
)
def test_a_table_that_is_not_image_to_command_is_a_400(endpoint: str, body: Any, message: str) -> None:
    refused = http().put(f"{endpoint}/_emulator/modelcommands", json=body)
    assert (refused.status_code, refused.json()) == (400, {"__type": "ValidationException", "message": message})
    assert http().get(f"{endpoint}/_emulator/modelcommands").json() == {}


def test_the_table_changes_at_run_time_beside_the_model_server_table_and_outlives_a_reset(
    make_settings: Any, database_url: str
) -> None:
    with running_server(make_settings(model_servers={"*": "http://127.0.0.1:9"})) as server:
        assert http().get(f"{server}/_emulator/modelcommands").json() == {}
        assert put(server, "modelcommands", {IMAGE: CMD, "*": DOCKER}) == {IMAGE: CMD, "*": DOCKER}
        assert http().get(f"{server}/_emulator/modelcommands").json() == {IMAGE: CMD, "*": DOCKER}
        assert http().get(f"{server}/_emulator/modelservers").json() == {"*": "http://127.0.0.1:9"}
        # Stored in one change after the start-up one (which stored the model server table).
        servers = json.dumps({"*": "http://127.0.0.1:9"})
        assert stored_row(database_url) == (2, servers, json.dumps({IMAGE: CMD, "*": DOCKER}))
        assert put(server, "modelservers", {}) == {}  # one table's change leaves the other
        assert http().get(f"{server}/_emulator/modelcommands").json() == {IMAGE: CMD, "*": DOCKER}
        # The servers' wiring, not state: a reset leaves it and a snapshot does not hold it.
        assert http().post(f"{server}/_emulator/reset").status_code == 200
        assert http().get(f"{server}/_emulator/modelcommands").json() == {IMAGE: CMD, "*": DOCKER}
        snapshot = http().get(f"{server}/_emulator/state").json()
        assert "modelcommands" not in json.dumps(snapshot) and CMD not in json.dumps(snapshot)
        assert http().put(f"{server}/_emulator/state", json=snapshot).status_code == 200
        assert http().get(f"{server}/_emulator/modelcommands").json() == {IMAGE: CMD, "*": DOCKER}
        assert put(server, "modelcommands", {}) == {}
        assert stored_row(database_url) == (4, json.dumps({}), json.dumps({}))


def test_a_table_set_through_one_process_is_in_force_in_the_other_when_the_call_returns(
    make_settings: Any, database_url: str
) -> None:
    """One server process and one in this process on the database: the other's Deps, which starts containers, holds
    the table as soon as the admin call returns, whichever process took it."""
    settings = make_settings()
    app = create_app(settings)
    with (
        serving(app, settings.model_copy(update={"port": 0})) as here,
        servers(database_url) as [there],
    ):
        commands = app.service.deps.model_commands
        for i in range(3):
            table = {IMAGE: f"serve-{i} {{port}}", "*": CMD}
            assert put(there, "modelcommands", table) == table
            assert commands.table == table
            assert commands.command_for(IMAGE) == f"serve-{i} {{port}}"
            assert commands.command_for("other:1") == CMD
            assert put(here, "modelcommands", {"*": DOCKER}) == {"*": DOCKER}
            assert http().get(f"{there}/_emulator/modelcommands").json() == {"*": DOCKER}
        assert put(there, "modelcommands", {}) == {}
        assert (commands.table, commands.command_for(IMAGE)) == ({}, None)


def test_a_start_up_table_is_stored_and_a_server_without_adopts_it(make_settings: Any, database_url: str) -> None:
    with servers(database_url, "--model-command", f"*={CMD}", "--model-server", "*=http://127.0.0.1:9") as [flagged]:
        # Both tables stored in the one start-up change.
        assert stored_row(database_url) == (1, json.dumps({"*": "http://127.0.0.1:9"}), json.dumps({"*": CMD}))
        settings = make_settings()
        app = create_app(settings)
        with serving(app, settings.model_copy(update={"port": 0})) as plain:
            assert app.service.deps.model_commands.table == {"*": CMD}  # adopted at start-up
            assert http().get(f"{plain}/_emulator/modelcommands").json() == {"*": CMD}
            # A change through the one started without the flag reaches the one started with it.
            assert put(plain, "modelcommands", {IMAGE: DOCKER}) == {IMAGE: DOCKER}
            assert http().get(f"{flagged}/_emulator/modelcommands").json() == {IMAGE: DOCKER}


def test_a_table_left_by_a_server_that_stopped_is_dropped_by_a_later_plain_serve(
    database_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "SAGEMAKER_EMULATOR_DATABASE_URL": database_url, "SAGEMAKER_EMULATOR_LOG_LEVEL": "info"}

    def run(*args: str) -> tuple[Any, str]:
        """Starts a server, reads its table, stops it; the table and what it logged."""
        with server_process(*args, env=env, cwd=str(tmp_path)) as (url, proc):
            table = http().get(f"{url}/_emulator/modelcommands").json()
            proc.terminate()
            proc.wait(timeout=10)
            assert proc.stdout is not None
            return table, proc.stdout.read().decode()

    table, logged = run("--model-command", f"*={CMD}")
    assert table == {"*": CMD}
    assert f"model commands: {{'*': '{CMD}'}}, from this server's settings (stored for every process)" in logged
    assert stored_row(database_url) == (1, None, json.dumps({"*": CMD}))
    # The same table again: nothing to store.
    table, logged = run("--model-command", f"*={CMD}")
    assert table == {"*": CMD}
    assert f"model commands: {{'*': '{CMD}'}}, from this server's settings (as stored)" in logged
    assert stored_row(database_url) == (1, None, json.dumps({"*": CMD}))
    # Without: the stopped server's table would run containers nobody configured here.
    table, logged = run()
    assert table == {}
    assert (
        f"model commands: none; the table {{'*': '{CMD}'}} stored by a server no longer running is dropped (set one"
        " with --model-command or PUT /_emulator/modelcommands)"
    ) in logged
    assert stored_row(database_url) == (2, None, None)


def test_a_table_dropped_from_the_store_leaves_each_process_its_settings_table(
    make_settings: Any, database_url: str
) -> None:
    """Stored as none (what a start-up that found no server serving does): a process that had adopted the table goes
    back to its settings' (none), one started with a table keeps its own; for both tables alike."""
    with servers(database_url, "--model-command", f"*={CMD}", "--model-server", "*=http://127.0.0.1:9") as [flagged]:
        settings = make_settings()
        app = create_app(settings)
        with serving(app, settings.model_copy(update={"port": 0})) as plain:
            assert http().get(f"{plain}/_emulator/modelcommands").json() == {"*": CMD}  # adopted
            engine = make_engine(database_url)
            with engine.begin() as conn:
                conn.execute(
                    text("UPDATE runtime_config SET version = version + 1, model_servers = NULL, model_commands = NULL")
                )
            engine.dispose()
            assert http().get(f"{plain}/_emulator/modelcommands").json() == {}
            assert http().get(f"{plain}/_emulator/modelservers").json() == {}
            assert app.service.deps.model_commands.command_for(IMAGE) is None
            assert http().get(f"{flagged}/_emulator/modelcommands").json() == {"*": CMD}
            assert http().get(f"{flagged}/_emulator/modelservers").json() == {"*": "http://127.0.0.1:9"}
