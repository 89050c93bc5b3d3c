"""Driving a server with wrk (a separate process, C + LuaJIT) and reading its result line."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.servers import descendants

LUA = Path(__file__).resolve().parent / "load.lua"
WRK_MISSING = (
    "wrk is not installed. Install it with `sudo apt-get install wrk` (Debian, Ubuntu), `brew install wrk` (macOS),"
    " or build it from https://github.com/wg/wrk; then run the bench again."
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    requests: int
    duration_s: float
    rps: float
    non_2xx: int
    socket_errors: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float  # user + system CPU of the server process tree during the run
    server_cpu_us_per_request: float  # the figure least disturbed by other load on the machine
    server_cpu_util: float  # server CPU / wall time: near 1.0 means the server, not wrk, is the limit
    wrk_cpu_s: float
    flows: int = 0  # register_deploy, image_deploy: flows completed (DescribeEndpoint answered InService)
    flows_broken: int = 0  # flows given up at an answer that was not a 200, or an endpoint that did not serve
    flows_per_s: float = 0.0
    flow_mean_ms: float = 0.0  # one flow's wall time on a connection: connections / flows_per_s (Little's law)

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def wrk_path() -> str | None:
    return shutil.which("wrk")


def cpu_seconds(pid: int) -> float:
    total = 0
    for each in descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def run_wrk(
    url: str,
    args: list[str],
    *,
    duration: int,
    server_pid: int,
    connections: int = 8,
    threads: int = 2,
    timeout_s: int = 10,
) -> LoadResult:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError(WRK_MISSING)
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(LUA),
        url + "/",
        "--",
        *args,
    ]
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server_pid)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout_s + 30, check=False)
    server_cpu = cpu_seconds(server_pid) - server_before
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after_children.ru_utime - before_children.ru_utime) + (
        after_children.ru_stime - before_children.ru_stime
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(line.removeprefix("BENCH-RESULT "))
    errors, latency = raw["errors"], raw["latency_us"]
    seconds = raw["duration_us"] / 1e6
    requests = int(raw["requests"])
    flows = int(raw.get("flows", 0))
    return LoadResult(
        requests=requests,
        duration_s=round(seconds, 3),
        rps=round(requests / seconds, 1) if seconds else 0.0,
        non_2xx=int(errors["status"]),
        socket_errors=int(errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]),
        mean_ms=round(latency["mean"] / 1000, 3),
        p50_ms=round(latency["p50"] / 1000, 3),
        p90_ms=round(latency["p90"] / 1000, 3),
        p99_ms=round(latency["p99"] / 1000, 3),
        max_ms=round(latency["max"] / 1000, 3),
        server_cpu_s=round(server_cpu, 3),
        server_cpu_us_per_request=round(server_cpu / requests * 1e6, 1) if requests else 0.0,
        server_cpu_util=round(server_cpu / seconds, 2) if seconds else 0.0,
        wrk_cpu_s=round(wrk_cpu, 3),
        flows=flows,
        flows_broken=int(raw.get("flows_broken", 0)),
        flows_per_s=round(flows / seconds, 2) if seconds else 0.0,
        flow_mean_ms=round(connections / (flows / seconds) * 1000, 3) if flows and seconds else 0.0,
    )
