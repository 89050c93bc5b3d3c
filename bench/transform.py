"""The transform scenario (issue 26): a batch transform job through the emulator against the same model server called
directly with the same mini-batches, in one run.

An S3-protocol server (moto's server mode: `pip install 'moto[server]'`; the scenario is skipped, with a line saying
so, without it), the example model server, and an emulator started with `--s3-endpoint-url` and `--model-server
*=<its URL>` on a fresh store. The input is OBJECTS CSV objects under one prefix, one number a line (the toy model's
cost is per line), put into S3 before anything is timed.

- **Through the emulator**: from sending CreateTransformJob (MultiRecord, Line split, MaxPayloadInMB PAYLOAD_MB,
  MaxConcurrentTransforms CONCURRENCY, AssembleWith Line) to the DescribeTransformJob (polled every POLL seconds)
  that answers Completed: the job reads each object from S3, cuts it, posts the mini-batches, assembles and writes
  the output objects.
- **Directly**: the same mini-batches (cut beforehand by the emulator's own batching code, not timed), posted to the
  model server's /invocations object after object, CONCURRENCY in flight on kept-alive connections, as the job does.

A job of one line runs first, unmeasured (the emulator's first job loads its S3 client). The pairs alternate `runs`
times so both sides see the same machine; MB/s is the input's size over the time, the
ratio the medians'. Every job's output objects are checked byte for byte against the direct answers, assembled as
AssembleWith Line does; a job whose output differs, or that does not complete, skips the scenario with why.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import queue
import statistics
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.load import cpu_seconds
from bench.seed import post
from bench.servers import start, stop_process
from emulator.transform.batching import MB, assembled, line_batches

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bench-transform:1"
MODEL = "bench-transform"
BUCKET = "bench-transform"
OBJECTS = 4
PAYLOAD_MB = 1
CONCURRENCY = 4
POLL = 0.01
DEADLINE = 600.0
LINE = b"%031d\n"  # 32 bytes a record, as the 100 MB test has them
# moto takes any key; the emulator finds them through the standard credential chain (its environment).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
MOTO_MISSING = "moto's server mode is not installed (pip install 'moto[server]')"


def moto_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("moto", "flask", "werkzeug"))


def inputs(size_mb: float) -> dict[str, bytes]:
    """OBJECTS objects of CSV lines adding up to size_mb, keyed by their key under in/."""
    lines = int(size_mb * MB) // len(LINE % 0)
    per_object = -(-lines // OBJECTS)
    return {
        f"in/part-{index}.csv": b"".join(
            LINE % n for n in range(index * per_object, min(lines, (index + 1) * per_object))
        )
        for index in range(OBJECTS)
    }


def s3_client(url: str) -> Any:
    import boto3  # type: ignore[import-untyped]  # the emulator's dependency, loaded only when the scenario runs

    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def call(conn: http.client.HTTPConnection, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    status, answer = post(conn, operation, json.dumps(request).encode())
    if status != 200:
        raise RuntimeError(f"{operation} answered {status}: {answer[:300]!r}")
    return json.loads(answer) if answer else {}


def through_emulator(port: int, name: str, *, prefix: str = "in/") -> dict[str, Any]:
    """Seconds from sending CreateTransformJob to the describe that answers Completed, and the job's own times. A
    connection of its own: the emulator closes one idle for 5 s (uvicorn's keep-alive), as while the direct side runs.
    """
    request = {
        "TransformJobName": name,
        "ModelName": MODEL,
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": PAYLOAD_MB,
        "MaxConcurrentTransforms": CONCURRENCY,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{prefix}"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/out/{name}", "AssembleWith": "Line", "Accept": "text/csv"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.connect()
        started = time.perf_counter()
        call(conn, "CreateTransformJob", request)
        while True:
            described = call(conn, "DescribeTransformJob", {"TransformJobName": name})
            status = described["TransformJobStatus"]
            if status == "Completed":
                return {
                    "seconds": time.perf_counter() - started,
                    "job_seconds": described["TransformEndTime"] - described["TransformStartTime"],
                }
            if status != "InProgress":
                raise RuntimeError(f"transform job {name} is {status}: {described.get('FailureReason')}")
            if time.perf_counter() - started > DEADLINE:
                raise RuntimeError(f"transform job {name} not Completed within {DEADLINE} s")
            time.sleep(POLL)
    finally:
        conn.close()


def answer(conn: http.client.HTTPConnection, body: bytes) -> bytes:
    conn.request("POST", "/invocations", body=body, headers={"Content-Type": "text/csv", "Accept": "text/csv"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"the model server answered {response.status}: {data[:200]!r}")
    return data


def posted(batches: list[bytes], connections: list[http.client.HTTPConnection]) -> list[bytes]:
    """One object's mini-batches, one in flight per connection, as the job's workers take them; answers in order."""
    answers = [b""] * len(batches)
    waiting: queue.SimpleQueue[int] = queue.SimpleQueue()
    for at in range(len(batches)):
        waiting.put(at)
    failures: list[Exception] = []

    def worker(conn: http.client.HTTPConnection) -> None:
        while not failures:
            try:
                at = waiting.get_nowait()
            except queue.Empty:
                return
            try:
                answers[at] = answer(conn, batches[at])
            except (RuntimeError, OSError) as exc:
                failures.append(exc)

    threads = [threading.Thread(target=worker, args=(conn,)) for conn in connections[: len(batches)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(str(failures[0]))
    return answers


def directly(cut: list[list[bytes]], connections: list[http.client.HTTPConnection]) -> dict[str, Any]:
    """Seconds to post every object's mini-batches, an object after another (as the job takes them), and each
    object's answers."""
    started = time.perf_counter()
    answers = [posted(batches, connections) for batches in cut]
    return {"seconds": time.perf_counter() - started, "answers": answers}


def measure(*, size_mb: float, runs: int, workdir: Path, stack: ExitStack) -> dict[str, Any]:
    """`runs` alternating pairs (directly, then through the emulator) over size_mb of input; medians, MB/s and their
    ratio. {"error": ...} when moto is missing or a job does not give the direct answers."""
    if not moto_installed():
        print(f"  transform skipped: {MOTO_MISSING}", flush=True)
        return {"error": MOTO_MISSING}
    s3_server = start("s3", workdir=workdir)
    stack.callback(stop_process, s3_server.proc)
    model = start("model", workdir=workdir)
    stack.callback(stop_process, model.proc)
    emulator = start(
        "emulator",
        workdir=workdir,
        database=workdir / "emulator-transform.db",
        model_server=model.url,
        environment={**CREDENTIALS, "SAGEMAKER_EMULATOR_S3_ENDPOINT_URL": s3_server.url},
    )
    stack.callback(stop_process, emulator.proc)
    connections = [http.client.HTTPConnection("127.0.0.1", model.port, timeout=DEADLINE) for _ in range(CONCURRENCY)]
    try:
        s3 = s3_client(s3_server.url)
        s3.create_bucket(Bucket=BUCKET)
        objects = inputs(size_mb)
        for key, body in objects.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        total = sum(len(body) for body in objects.values())
        # What the job sends: each object's MultiRecord mini-batches of its Line split, in key order.
        cut = [[b.body for b in line_batches(objects[key], max_bytes=PAYLOAD_MB * MB)] for key in sorted(objects)]
        conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=DEADLINE)
        try:
            call(conn, "CreateModel", {"ModelName": MODEL, "PrimaryContainer": {"Image": IMAGE}})
        finally:
            conn.close()
        # A job of one line first, not measured: the emulator's first job loads its S3 client and opens its
        # connections (half a second here), which is no part of a job's throughput.
        s3.put_object(Bucket=BUCKET, Key="warm/one.csv", Body=LINE % 0)
        first = through_emulator(emulator.port, "bench-transform-warm-up", prefix="warm/")
        direct_s: list[float] = []
        emulated_s: list[float] = []
        job_s: list[float] = []
        # CPU seconds per run, of each process that works for it: the figures least disturbed by other load.
        cpu: dict[str, list[float]] = {"model_direct": [], "model_job": [], "emulator": [], "s3": []}
        processes = {"model": model.pid, "emulator": emulator.pid, "s3": s3_server.pid}
        for run in range(runs):
            before = {kind: cpu_seconds(pid) for kind, pid in processes.items()}
            direct = directly(cut, connections)
            between = {kind: cpu_seconds(pid) for kind, pid in processes.items()}
            expected = {key: assembled(a, "Line") for key, a in zip(sorted(objects), direct["answers"], strict=True)}
            name = f"bench-transform-{run}"
            job = through_emulator(emulator.port, name)
            after = {kind: cpu_seconds(pid) for kind, pid in processes.items()}
            cpu["model_direct"].append(between["model"] - before["model"])
            for kind, used in (("model_job", "model"), ("emulator", "emulator"), ("s3", "s3")):
                cpu[kind].append(after[used] - between[used])
            for key, output in expected.items():
                written = s3.get_object(Bucket=BUCKET, Key=f"out/{name}/{key.removeprefix('in/')}.out")["Body"].read()
                if written != output:
                    raise RuntimeError(f"{name}'s output of {key} differs from the model server's direct answers")
            direct_s.append(direct["seconds"])
            emulated_s.append(job["seconds"])
            job_s.append(job["job_seconds"])
            print(
                f"  run {run + 1}/{runs}: {total / MB:.1f} MB directly {total / MB / direct_s[-1]:6.2f} MB/s,"
                f" through the emulator {total / MB / emulated_s[-1]:6.2f} MB/s"
                f" (the job's own start to end {total / MB / job_s[-1]:6.2f} MB/s)",
                flush=True,
            )
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        print(f"  transform skipped: {exc}", flush=True)
        return {"error": str(exc)}
    finally:
        for each in connections:
            each.close()
        for server in (emulator, model, s3_server):
            stop_process(server.proc)
    direct_median, emulated_median, job_median = (statistics.median(x) for x in (direct_s, emulated_s, job_s))
    return {
        "runs": runs,
        "first_job_s": round(first["seconds"], 4),
        "input_mb": round(total / MB, 3),
        "objects": len(objects),
        "mini_batches": sum(len(batches) for batches in cut),
        "max_payload_mb": PAYLOAD_MB,
        "concurrency": CONCURRENCY,
        "direct_s": [round(x, 4) for x in direct_s],
        "emulator_s": [round(x, 4) for x in emulated_s],
        "job_s": [round(x, 4) for x in job_s],
        "direct_mb_per_s": round(total / MB / direct_median, 3),
        "emulator_mb_per_s": round(total / MB / emulated_median, 3),
        "job_mb_per_s": round(total / MB / job_median, 3),
        "ratio": round(direct_median / emulated_median, 4),
        # Median CPU ms per MB of input: the model server's for each side, the emulator's and the S3 server's for
        # the job (the emulator's includes answering the bench's DescribeTransformJob every POLL seconds).
        "cpu_ms_per_mb": {kind: round(statistics.median(used) * 1000 / (total / MB), 1) for kind, used in cpu.items()},
    }
