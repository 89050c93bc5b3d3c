"""py-spy under load: where a request's CPU goes, by layer. Optional (pip install py-spy); used by --profile.

Summarize a raw profile again: python -m bench.profile bench/profiles/describe.txt
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "profiles"

# First match wins, on the text of a frame ("function (file:line)" or a native "symbol (library)").
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fsync", ("fsync", "fdatasync")),
    ("sqlite (C)", ("libsqlite3", "sqlite3Vdbe", "sqlite3_", "pysqlite", "_sqlite3")),
    ("sqlite3 module", ("sqlite3/", "pysqlite")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("validation", ("emulator/shapes/",)),
    ("wire", ("emulator/protocol/",)),
    ("handlers", ("emulator/operations/",)),
    ("store", ("emulator/store/",)),
    ("JSON", ("orjson", "json/", "json.")),
    ("uuid", ("uuid",)),
    ("regex", ("regex", "/re/", "re.py", "sre_")),
    ("h11", ("h11/",)),
    ("httptools", ("httptools",)),
    ("uvicorn", ("uvicorn/",)),
    ("asyncio/uvloop", ("asyncio/", "uvloop", "selectors.py")),
    ("socket I/O (C)", ("sock_", "__libc_send", "__libc_recv", "epoll", "send (", "recv (")),
)


def layer(frame: str) -> str:
    for name, needles in LAYERS:
        if any(needle in frame for needle in needles):
            return name
    return "other"


def summarize(raw: Path, *, top: int = 25) -> dict[str, Any]:
    """Self time by layer (the leaf frame's layer), inclusive time by layer, and the hottest leaf frames."""
    self_by_layer: Counter[str] = Counter()
    incl_by_layer: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        self_by_layer[layer(leaf)] += count
        leaves[leaf] += count
        for name in {layer(f) for f in frames[2:]}:  # skip the process and thread pseudo-frames
            incl_by_layer[name] += count

    def share(counter: Counter[str]) -> dict[str, float]:
        return {k: round(100 * v / total, 1) for k, v in counter.most_common()} if total else {}

    return {
        "samples": total,
        "self_percent_by_layer": share(self_by_layer),
        "inclusive_percent_by_layer": share(incl_by_layer),
        "top_self_frames_percent": {k: round(100 * v / total, 1) for k, v in leaves.most_common(top)} if total else {},
    }


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, workdir: Path, name: str, duration: int, drive: Callable[[], object]) -> dict[str, str]:
    """Attach py-spy to pid for `duration` s while drive() loads the server; write raw stacks and a summary."""
    tool = py_spy()
    if tool is None:
        print("  profile skipped: py-spy not found (pip install py-spy)")
        return {}
    OUT.mkdir(exist_ok=True)
    raw = OUT / f"{name}.txt"
    log = workdir / f"py-spy-{name}.log"
    cmd = [tool, "record", "--pid", str(pid), "--duration", str(duration), "--rate", "250", "--format", "raw"]
    cmd += ["--native", "--output", str(raw)]
    with log.open("wb") as out:
        spy = subprocess.Popen(cmd, stdout=out, stderr=out)
        time.sleep(0.3)  # let it attach before the load starts
        drive()
        try:
            spy.wait(timeout=duration + 30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
    if not raw.exists():
        print(f"  profile {name} failed: {log.read_text(errors='replace')[-500:]}")
        return {}
    summary = OUT / f"{name}.summary.txt"
    summary.write_text(render(summarize(raw)))
    print(f"  profile {name}: {raw} and {summary}")
    return {"raw": str(raw), "summary": str(summary)}


def render(summary: dict[str, Any]) -> str:
    lines = [f"samples: {summary['samples']}", "", "self % by layer:"]
    lines += [f"  {v:5.1f}  {k}" for k, v in summary["self_percent_by_layer"].items()]
    lines += ["", "inclusive % by layer:"]
    lines += [f"  {v:5.1f}  {k}" for k, v in summary["inclusive_percent_by_layer"].items()]
    lines += ["", "hottest leaf frames (self %):"]
    lines += [f"  {v:5.1f}  {k}" for k, v in summary["top_self_frames_percent"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(render(summarize(Path(path))))
