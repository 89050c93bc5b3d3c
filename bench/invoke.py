"""The invoke scenario (issue 16): InvokeEndpoint through the emulator against the same model server called directly,
in one run, with the same body and content type.

One model server process (the shipped example, examples/model_server/server.py), one emulator started with
`--model-server *=<its URL>` on a fresh store, an endpoint created and described over HTTP until InService. Then wrk
sends the same POST to the model server's /invocations and to the emulator's /endpoints/<name>/invocations: first
with the bench's connections (throughput, and p50 under that load), then with one connection (the time the proxy
adds to one call, with no queue in front of it). Each pair runs seconds apart, so both sides see the same machine.
"""

from __future__ import annotations

import http.client
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import cpu_seconds, run_wrk
from bench.seed import AUTHORIZATION, create_invoke_endpoint
from bench.servers import start, stop_process
from bench.workload import (
    INVOKE_CONTENT_TYPE,
    INVOKE_DIRECT_PATH,
    INVOKE_ENDPOINT,
    INVOKE_PROXIED_PATH,
    INVOKE_REQUEST,
    compact,
)

BODY = compact(INVOKE_REQUEST)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: where the POST goes, and the process whose CPU it costs."""

    name: str
    port: int
    pid: int
    path: str
    signed: bool

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def call(side: Side) -> tuple[int, bytes]:
    headers = {"Content-Type": INVOKE_CONTENT_TYPE}
    if side.signed:
        headers |= {"Authorization": AUTHORIZATION, "X-Amz-Date": "20250101T000000Z"}
    conn = http.client.HTTPConnection("127.0.0.1", side.port, timeout=60)
    try:
        conn.request("POST", side.path, body=BODY.encode(), headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def preflight(direct: Side, proxied: Side) -> str | None:
    """One call each way, checked by hand: None if both answer 200 with the same body, else why not."""
    direct_answer, proxied_answer = call(direct), call(proxied)
    if direct_answer[0] != 200:
        return f"the model server answered {direct_answer[0]}: {direct_answer[1][:200].decode(errors='replace')}"
    if proxied_answer[0] != 200:
        return f"the emulator answered {proxied_answer[0]}: {proxied_answer[1][:200].decode(errors='replace')}"
    if proxied_answer[1] != direct_answer[1]:
        return f"the emulator answered {proxied_answer[1][:100]!r}, the model server {direct_answer[1][:100]!r}"
    return None


def compare(
    direct: Side, proxied: Side, *, duration: int, warmup: int, connections: int, threads: int, label: str = "invoke"
) -> dict[str, Any]:
    """The four wrk runs, direct and through the emulator, with the bench's connections (warm-up first), then with
    one; each pair seconds apart. Returns them with their ratio and the p50 each adds (summarize)."""
    runs: dict[str, dict[str, Any]] = {}
    for suffix, conns, wrk_threads in (("", connections, threads), ("_one_connection", 1, 1)):
        for side in (direct, proxied):
            args = ["invoke", "i", side.path, INVOKE_CONTENT_TYPE, BODY, "1" if side.signed else "0"]
            common = {"server_pid": side.pid, "connections": conns, "threads": wrk_threads}
            if warmup and not suffix:
                run_wrk(side.url, args, duration=warmup, **common)
            model_cpu = cpu_seconds(direct.pid)
            result = run_wrk(side.url, args, duration=duration, **common).as_dict()
            if side is proxied and result["requests"]:
                # The model server works for the emulator's requests too: its share, to read the CPU figures.
                per_request = (cpu_seconds(direct.pid) - model_cpu) / int(result["requests"])
                result["model_cpu_us_per_request"] = round(per_request * 1e6, 1)
            runs[side.name + suffix] = result
            print(
                f"  {side.name:8} {label}{suffix or ' (' + str(conns) + ' connections)'}  {result['rps']:9.1f} req/s"
                f"  p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  {result['non_2xx']} non-2xx",
                flush=True,
            )
    return summarize(runs, connections=connections)


def measure(
    *, duration: int, warmup: int, connections: int, threads: int, workdir: Path, stack: ExitStack
) -> dict[str, Any]:
    """The four runs (direct and through the emulator; the bench's connections, then one), their ratio and the p50
    each adds; {"error": ...} when the endpoint does not answer as the model server does."""
    model = start("model", workdir=workdir)
    stack.callback(stop_process, model.proc)
    emulator = start("emulator", workdir=workdir, database=workdir / "emulator-invoke.db", model_server=model.url)
    stack.callback(stop_process, emulator.proc)
    try:
        create_invoke_endpoint(emulator.url, INVOKE_ENDPOINT)
        direct = Side(name="direct", port=model.port, pid=model.pid, path=INVOKE_DIRECT_PATH, signed=False)
        proxied = Side(name="emulator", port=emulator.port, pid=emulator.pid, path=INVOKE_PROXIED_PATH, signed=True)
        problem = preflight(direct, proxied)
        if problem is not None:
            print(f"  invoke skipped: {problem}", flush=True)
            return {"error": problem}
        return compare(direct, proxied, duration=duration, warmup=warmup, connections=connections, threads=threads)
    finally:
        stop_process(emulator.proc)
        stop_process(model.proc)


def summarize(runs: dict[str, dict[str, Any]], *, connections: int) -> dict[str, Any]:
    direct, proxied = runs["direct"], runs["emulator"]
    one_direct, one_proxied = runs["direct_one_connection"], runs["emulator_one_connection"]
    return {
        **runs,
        "connections": connections,
        "ratio": round(proxied["rps"] / direct["rps"], 4) if direct["rps"] else None,
        "p50_added_ms": round(proxied["p50_ms"] - direct["p50_ms"], 3),
        "p50_added_one_connection_ms": round(one_proxied["p50_ms"] - one_direct["p50_ms"], 3),
    }
