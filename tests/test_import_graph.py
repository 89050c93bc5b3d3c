"""The code's one direction of imports: protocol and admin -> operations -> resources -> store, with settings, errors
and the other bottom modules below them all; and no import cycle, lazy imports inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emulator"
# A layer may import only layers after it in this list (and the modules that belong to no layer).
LAYERS = ["protocol", "admin", "operations", "resources", "store"]
# Feature folders hold modules of several layers: each module's layer, as if it lived in that layer's folder.
FEATURE_LAYERS = {
    "emulator.runtime.rest_json": "protocol",
    "emulator.runtime.eventstream": "protocol",
    "emulator.runtime.runtime_api": "admin",
    "emulator.runtime.runtime_sync": "admin",
    "emulator.runtime.invoke": "operations",
    "emulator.runtime.async_invoke": "operations",
    "emulator.runtime.async_worker": "admin",
    "emulator.runtime.health": "operations",
    "emulator.faults.fault_api": "admin",
    "emulator.faults.fault_sync": "admin",
    "emulator.transform.job_run": "operations",
    "emulator.containers.supervisor": "admin",
    "emulator.containers.containers_api": "admin",
    "emulator.containers.readiness": "resources",
    "emulator.containers.directory": "resources",
}
# Feature folders' modules that any layer may use.
FEATURE_BOTTOM = {
    "emulator.runtime.model_servers",
    "emulator.runtime.http_client",
    "emulator.runtime.canned",
    "emulator.runtime.runtime_shapes",
    "emulator.faults.rules",
    "emulator.transform.batching",
    "emulator.transform.joining",
    "emulator.transform.jsonpath",
    "emulator.transform.wakeup",
    "emulator.containers.commands",
    "emulator.containers.specs",
    "emulator.containers.local",
}
TOP = {
    "emulator.app",
    "emulator.entry",
    "emulator.server",
    "emulator.cli",
    "emulator.pytest_plugin",
    "emulator.__main__",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Module -> the emulator modules it imports anywhere in its body."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def layer(module: str) -> int | None:
    parts = module.split(".")
    if module in FEATURE_LAYERS:
        return LAYERS.index(FEATURE_LAYERS[module])
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_imports_go_one_way() -> None:
    wrong = []
    for module, targets in imports().items():
        for target in targets:
            if target in TOP and module not in TOP:
                wrong.append(f"{module} -> {target}")
            here, there = layer(module), layer(target)
            below_every_layer = here is None and module not in TOP
            if there is not None and (below_every_layer or (here is not None and there < here)):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = imports()

    def related(a: str, b: str) -> bool:  # a package and its own submodule are one unit
        return a.startswith(b + ".") or b.startswith(a + ".")

    cycles: list[list[str]] = []

    def walk(node: str, stack: list[str]) -> None:
        for target in graph[node]:
            if target in stack:
                cycle = stack[stack.index(target) :]
                if not any(related(a, b) for a in cycle for b in cycle if a != b):
                    cycles.append([*cycle, target])
            elif len(stack) < 30:
                walk(target, [*stack, target])

    for module in graph:
        walk(module, [module])
    assert cycles == []


def test_every_module_of_a_feature_folder_has_its_layer() -> None:
    features = {
        m
        for m in imports()
        if m.split(".")[1:2] in (["runtime"], ["faults"], ["transform"], ["containers"]) and m.count(".") == 2
    }
    assert features == set(FEATURE_LAYERS) | FEATURE_BOTTOM


def test_no_two_modules_share_a_file_name() -> None:
    names = [path.name for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"]
    assert sorted({name for name in names if names.count(name) > 1}) == []
