"""Move the API model to the newest botocore in one command, and say what changed in the operations we serve.

1. Picks the newest boto3 on the package index and the botocore of the same version (boto3 X requires botocore X),
   and the newest awscli pip can install beside them (awscli 1.45 pinned one botocore; since 1.46 it carries its own).
2. Reads both botocore versions' sagemaker and sagemaker-runtime models straight from their wheels and prints, per
   served operation, what the new model changes: members added or removed, required members, enum values, and
   constraints (type, min, max, pattern), each at its path from the operation's input or output.
3. Writes the pins into pyproject.toml, installs them into this Python's environment, regenerates
   emulator/shapes/generated.py, and runs the tests that hold the checked-in model to the pinned one.

Run:  python scripts/update_api_model.py                   (upgrade to the newest)
      python scripts/update_api_model.py --dry-run         (only print the changes; nothing is written or installed)
      python scripts/update_api_model.py --version 1.44.5  (that botocore/boto3 version instead of the newest)
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

from generate_shapes import SERVED_OPERATIONS

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
MODELS = {"sagemaker": "sagemaker/2017-07-24", "sagemaker-runtime": "sagemaker-runtime/2017-05-13"}
SERVED = {
    "sagemaker": SERVED_OPERATIONS,
    "sagemaker-runtime": ("InvokeEndpoint", "InvokeEndpointWithResponseStream"),
}
COMPARED = ("type", "min", "max", "pattern")
# The tests that fail when the checked-in model (generated or hand-copied) is not the pinned botocore's.
CHECKS = ("tests/test_generated.py", "tests/test_runtime_shapes.py", "tests/test_javaregex.py")

Flat = dict[str, dict[str, Any]]


def pip(*args: str, capture: bool = True) -> str:
    result = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=capture, text=True)
    if result.returncode != 0:
        raise SystemExit(f"pip {' '.join(args)} failed:\n{result.stderr if capture else ''}")
    return result.stdout if capture else ""


def newest_version(package: str) -> str:
    """The newest release on the package index, as `pip index versions` reports it first."""
    out = pip("index", "versions", package)
    match = re.search(rf"^{re.escape(package)} \(([^)]+)\)", out, re.MULTILINE)
    if match is None:
        raise SystemExit(f"cannot read the newest {package} from pip's answer:\n{out}")
    return match.group(1)


def resolve_awscli(version: str) -> str:
    """The newest awscli pip would install beside botocore and boto3 `version` (pip's resolver decides)."""
    out = pip(
        "install", "--dry-run", "--quiet", "--ignore-installed", "--report", "-",
        f"botocore=={version}", f"boto3=={version}", "awscli",
    )  # fmt: skip
    report = json.loads(out)
    for item in report["install"]:
        if item["metadata"]["name"].lower() == "awscli":
            return str(item["metadata"]["version"])
    raise SystemExit("pip's resolution holds no awscli")


def wheel_models(version: str, directory: pathlib.Path) -> dict[str, dict[str, Any]]:
    """Both served services' service-2.json from the botocore `version` wheel (downloaded, not installed)."""
    pip("download", "--quiet", "--no-deps", "--only-binary", ":all:", "-d", str(directory), f"botocore=={version}")
    (wheel,) = directory.glob(f"botocore-{version}-*.whl")
    models = {}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for service, path in MODELS.items():
            base = f"botocore/data/{path}/service-2.json"
            if base in names:
                models[service] = json.loads(archive.read(base))
            else:
                models[service] = json.load(io.TextIOWrapper(gzip.open(archive.open(base + ".gz")), "utf-8"))
    return models


def flatten(model: dict[str, Any], operation: str) -> Flat:
    """Every place an operation's input and output reach, by path ("input.ProductionVariants[].InstanceType"), with
    the constraints of the shape found there; a shape met again on its own path (recursion) is not entered twice."""
    shapes = model["shapes"]
    out: Flat = {}

    def walk(name: str, path: str, seen: tuple[str, ...], required: bool) -> None:
        raw = shapes[name]
        entry = {k: raw[k] for k in COMPARED if k in raw}
        entry["enum"] = tuple(raw.get("enum", ()))
        entry["required"] = required
        entry["shape"] = name
        out[path] = entry
        if name in seen:
            return
        seen = (*seen, name)
        wanted = set(raw.get("required", ()))
        for member, spec in raw.get("members", {}).items():
            walk(spec["shape"], f"{path}.{member}", seen, member in wanted)
        if "member" in raw:
            walk(raw["member"]["shape"], f"{path}[]", seen, False)
        if "value" in raw:
            walk(raw["value"]["shape"], f"{path}{{}}", seen, False)

    definition = model["operations"].get(operation)
    if definition is None:
        return out
    for io_name in ("input", "output"):
        if io_name in definition:
            walk(definition[io_name]["shape"], io_name, (), True)
    return out


def _values(values: tuple[str, ...]) -> str:
    shown = ", ".join(values[:6])
    return shown + (f", ... ({len(values)} in all)" if len(values) > 6 else "")


def parent(path: str) -> str:
    return path[:-2] if path.endswith(("[]", "{}")) else path.rpartition(".")[0]


def changes(old: Flat, new: Flat) -> Iterator[str]:
    """One line per difference, paths in the new model's order (removed ones after)."""
    for path, entry in new.items():
        before = old.get(path)
        if before is None:
            if parent(path) in new and parent(path) not in old:
                continue  # inside a member that is new itself: its line says it
            required = " (required)" if entry["required"] and path.count(".") else ""
            yield f"+ {path}: {entry['shape']} {entry['type']}{required}"
            continue
        if before["required"] != entry["required"]:
            yield f"~ {path}: {'now required' if entry['required'] else 'no longer required'}"
        added = tuple(v for v in entry["enum"] if v not in before["enum"])
        removed = tuple(v for v in before["enum"] if v not in entry["enum"])
        if added:
            yield f"~ {path}: enum + {_values(added)}"
        if removed:
            yield f"~ {path}: enum - {_values(removed)}"
        for key in COMPARED:
            if before.get(key) != entry.get(key):
                yield f"~ {path}: {key} {before.get(key)!r} -> {entry.get(key)!r}"
    for path in old:
        if path not in new:
            if parent(path) in old and parent(path) not in new:
                continue
            yield f"- {path}"


def report(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    """The changes of every served operation, operation by operation; empty when none of them changed."""
    lines = []
    for service, operations in SERVED.items():
        for operation in operations:
            found = list(changes(flatten(old[service], operation), flatten(new[service], operation)))
            if found:
                lines.append(f"{service} {operation}:")
                lines += [f"  {line}" for line in found]
    return lines


def pinned(package: str) -> str:
    match = re.search(rf'"{package}==([^"]+)"', PYPROJECT.read_text())
    if match is None:
        raise SystemExit(f"pyproject.toml pins no {package}")
    return match.group(1)


def write_pins(pins: dict[str, str]) -> None:
    text = PYPROJECT.read_text()
    for package, version in pins.items():
        text = re.sub(rf'"{package}==[^"]+"', f'"{package}=={version}"', text)
    PYPROJECT.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", help="the botocore and boto3 version to move to (default: the newest boto3's)")
    parser.add_argument("--dry-run", action="store_true", help="print what changes; write and install nothing")
    args = parser.parse_args()
    current = pinned("botocore")
    version = args.version or newest_version("boto3")
    awscli = resolve_awscli(version)
    print(
        f"botocore {current} -> {version}, boto3 {pinned('boto3')} -> {version}, awscli {pinned('awscli')} -> {awscli}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        old = wheel_models(current, pathlib.Path(tmp, "old"))
        new = wheel_models(version, pathlib.Path(tmp, "new"))
    lines = report(old, new)
    print("\n".join(lines) if lines else "The served operations are unchanged.")
    runtime_changed = any(line.startswith("sagemaker-runtime ") for line in lines)
    if runtime_changed:
        print(
            "\nThe runtime's checked-in shapes (emulator/runtime/runtime_shapes.py) are copied by hand: bring them to the new"
            " model (tests/test_runtime_shapes.py says where they differ), and the headers in emulator/runtime/rest_json.py."
        )
    if args.dry_run:
        return 0
    pins = {"botocore": version, "boto3": version, "awscli": awscli}
    write_pins(pins)
    pip("install", "--quiet", *(f"{p}=={v}" for p, v in pins.items()), capture=False)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_shapes.py")], check=True)
    print(f"\npyproject.toml pins and emulator/shapes/generated.py updated; running {' '.join(CHECKS)}")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *CHECKS], cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main())
