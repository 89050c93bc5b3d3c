"""Issue 25: the operator's model command table, the argv template that runs a model's container per image. Every
refused command with its one line; the words a template gives, as a shell would split it but with no shell."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.containers.commands import PLACEHOLDERS, ModelCommands, argv, checked_commands

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/toy:1"
# The README's template for running the real image with Docker.
DOCKER = "docker run --rm -p 127.0.0.1:{port}:8080 --env-file {env_file} -v {model_dir}:/opt/ml/model:ro {image} serve"
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
    given = {"port": 8080, "model_dir": "/models/m", "image": IMAGE, "env_file": "/run/m.env"} | values
    return argv(template, **given)


def test_the_docker_template_gives_docker_run_words() -> None:
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
