"""The run_container scenario (issue 25): an endpoint whose container the emulator runs from a model command, against
the same command run by hand, in one run.

- **Start-up**: from CreateEndpoint to the DescribeEndpoint that answers InService (the emulator starts the command,
  pings it until its first 200, then the endpoint's change ends), against the time the same argv, started directly,
  takes to answer its first 200 from /ping (polled every PING_POLL seconds). The pairs alternate, RUNS times, so both
  sides see the same machine; the medians and their ratio are reported.
- **Invocations**: wrk's same POST to the container's /invocations (at the URL the emulator recorded for it) and to
  the emulator's /endpoints/<name>/invocations, as the invoke scenario does (bench/invoke.py): the same process
  answers both.

The command is the example model server (the one the README gives users), the model deployed without model data, so
nothing is downloaded and no S3 is needed: what is timed is the emulator's part (starting, pinging, recording,
ending the change) and the container's own start.
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.invoke import Side, compare, preflight
from bench.seed import post
from bench.servers import MODEL_SERVER, Server, free_port, start, stop_process
from bench.workload import CONFIG_REQUEST
from emulator.containers.commands import argv

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bench-model:1"
MODEL = "bench-run-container"
ENDPOINT = "bench-run-container"
# The example model server as every image's container; the placeholders are filled per container.
COMMAND = (
    f"{shlex.quote(sys.executable)} {shlex.quote(str(MODEL_SERVER))} serve --port {{port}} --model-dir {{model_dir}}"
)
# How often the direct side pings: finer than the emulator's 50 ms, so the baseline is the container's own time.
PING_POLL = 0.002
RUNS = 5
DEADLINE = 60.0


def ping(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/ping")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def first_ping(model_dir: Path, workdir: Path) -> float:
    """Seconds from spawning the command (the argv the emulator would build) to its first 200 from /ping."""
    port = free_port()
    env_file = workdir / "direct.env"
    env_file.write_text("")
    command = argv(COMMAND, port=port, model_dir=str(model_dir), image=IMAGE, env_file=str(env_file))
    env = {**os.environ, "SAGEMAKER_BIND_TO_PORT": str(port)}
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not ping(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode} before answering /ping")
            if time.perf_counter() - started > DEADLINE:
                raise RuntimeError(f"{command} did not answer /ping within {DEADLINE} s")
            time.sleep(PING_POLL)
        return time.perf_counter() - started
    finally:
        stop_process(proc)


def call(conn: http.client.HTTPConnection, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    status, answer = post(conn, operation, json.dumps(request).encode())
    if status != 200:
        raise RuntimeError(f"{operation} answered {status}: {answer[:300]!r}")
    return json.loads(answer) if answer else {}


def in_service(conn: http.client.HTTPConnection, name: str) -> float:
    """Seconds from sending CreateEndpoint to the DescribeEndpoint that answers InService (a describe that finds the
    container starting waits for it: container_describe_wait)."""
    started = time.perf_counter()
    call(conn, "CreateEndpoint", {"EndpointName": name, "EndpointConfigName": MODEL})
    while True:
        described = call(conn, "DescribeEndpoint", {"EndpointName": name})
        if described["EndpointStatus"] == "InService":
            return time.perf_counter() - started
        if described["EndpointStatus"] != "Creating":
            raise RuntimeError(f"endpoint {name} is {described['EndpointStatus']}: {described.get('FailureReason')}")
        if time.perf_counter() - started > DEADLINE:
            raise RuntimeError(f"endpoint {name} not InService within {DEADLINE} s")


def container_of(emulator: Server, name: str) -> tuple[int, int]:
    """(port, pid) of the endpoint's container: its URL as the emulator recorded it, its process as it answers."""
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        conn.request("GET", "/_emulator/containers")
        listed = json.loads(conn.getresponse().read())["containers"]
    finally:
        conn.close()
    [url] = [c["url"] for c in listed if c["endpoint_name"] == name and c["status"] == "Healthy"]
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/invocations", body=b'{"pid": true}', headers={"Content-Type": "application/json"})
        pid = int(json.loads(conn.getresponse().read())["pid"])
    finally:
        conn.close()
    return port, pid


def startup(emulator: Server, *, runs: int, workdir: Path) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=DEADLINE + 10)
    model_dir = workdir / "run-container-model"
    model_dir.mkdir(exist_ok=True)
    direct: list[float] = []
    emulated: list[float] = []
    try:
        call(conn, "CreateModel", {"ModelName": MODEL, "PrimaryContainer": {"Image": IMAGE}})
        variant = {**CONFIG_REQUEST["ProductionVariants"][0], "ModelName": MODEL}
        call(conn, "CreateEndpointConfig", {"EndpointConfigName": MODEL, "ProductionVariants": [variant]})
        for run in range(runs):
            direct.append(first_ping(model_dir, workdir))
            name = f"{ENDPOINT}-{run}"
            emulated.append(in_service(conn, name))
            call(conn, "DeleteEndpoint", {"EndpointName": name})  # its container stops after the drain
            print(
                f"  start-up {run + 1}/{runs}: command to first ping {direct[-1] * 1000:7.1f} ms,"
                f" CreateEndpoint to InService {emulated[-1] * 1000:7.1f} ms",
                flush=True,
            )
        in_service(conn, ENDPOINT)  # the endpoint the invocations go to
    finally:
        conn.close()
    direct_median, emulated_median = statistics.median(direct), statistics.median(emulated)
    return {
        "runs": runs,
        "direct_s": [round(x, 4) for x in direct],
        "emulator_s": [round(x, 4) for x in emulated],
        "direct_median_s": round(direct_median, 4),
        "emulator_median_s": round(emulated_median, 4),
        "ratio": round(emulated_median / direct_median, 3),
        "added_ms": round((emulated_median - direct_median) * 1000, 1),
    }


def measure(
    *, duration: int, warmup: int, connections: int, threads: int, runs: int, workdir: Path, stack: ExitStack
) -> dict[str, Any]:
    """Start-up (RUNS pairs) and invocations (four wrk runs) on an emulator whose every image runs COMMAND;
    {"error": ...} when the endpoint does not come up or does not answer as its container does."""
    emulator = start(
        "emulator",
        workdir=workdir,
        database=workdir / "emulator-run-container.db",
        environment={"SAGEMAKER_EMULATOR_MODEL_COMMANDS": json.dumps({"*": COMMAND})},
    )
    stack.callback(stop_process, emulator.proc)
    try:
        try:
            started = startup(emulator, runs=runs, workdir=workdir)
            port, pid = container_of(emulator, ENDPOINT)
        except (RuntimeError, OSError, ValueError) as exc:
            print(f"  run_container skipped: {exc}", flush=True)
            return {"error": str(exc)}
        direct = Side(name="direct", port=port, pid=pid, path="/invocations", signed=False)
        proxied = Side(
            name="emulator",
            port=emulator.port,
            pid=emulator.pid,
            path=f"/endpoints/{ENDPOINT}/invocations",
            signed=True,
        )
        problem = preflight(direct, proxied)
        if problem is not None:
            print(f"  run_container skipped: {problem}", flush=True)
            return {"error": problem, "startup": started}
        invoked = compare(
            direct,
            proxied,
            duration=duration,
            warmup=warmup,
            connections=connections,
            threads=threads,
            label="run_container",
        )
        for run in ("emulator", "emulator_one_connection"):
            # The container is the emulator's child, so the emulator's process tree's CPU includes its answers.
            result = invoked[run]
            own = result["server_cpu_us_per_request"] - result.get("model_cpu_us_per_request", 0)
            result["emulator_own_cpu_us_per_request"] = round(own, 1)
        return {"startup": started, "invoke": invoked}
    finally:
        stop_process(emulator.proc)
