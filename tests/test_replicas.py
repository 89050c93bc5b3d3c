"""Several server processes on one database: 3 replicas on PostgreSQL, 3 --workers on one SQLite file. Concurrent
creates with many name collisions and a model limit store no duplicate, hold the limit exactly, and every model
answered 200 is readable from every replica."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from tests.databases import POSTGRES_URL, postgres_schema, sqlite_url
from tests.support import as_described, free_port, sagemaker_client, stop_server, wait_ready

LIMIT = 40
DISTINCT_NAMES = 60
CREATES = 300
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model/"


@contextmanager
def servers(count: int, *args: str) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """`count` server processes, all started before any is waited on, so they migrate concurrently."""
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for _ in range(count):
            port = free_port()
            cmd = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--log-level", "warning", *args]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            procs.append((f"http://127.0.0.1:{port}", proc))
        for url, proc in procs:
            wait_ready(url, proc, timeout=60)
        yield procs
    finally:
        for _, proc in procs:
            proc.send_signal(signal.SIGTERM)  # all at once, so they shut down side by side
        for _, proc in procs:
            stop_server(proc, timeout=20)


def listening_pids(endpoint: str) -> set[int]:
    """The processes that hold the endpoint's listening socket (the supervisor and its workers)."""
    port = endpoint.rsplit(":", 1)[1]
    listing = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    return {int(pid) for pid in re.findall(r"pid=(\d+)", listing)}


def requested_names() -> list[str]:
    """300 creates of 60 names, each name 5 times in random letter case (names collide case-insensitively)."""
    rng = random.Random(5)
    names = []
    for i in range(DISTINCT_NAMES):
        for _ in range(CREATES // DISTINCT_NAMES):
            names.append("".join(c.upper() if rng.random() < 0.5 else c for c in f"model-{i}"))
    rng.shuffle(names)
    return names


def create_concurrently(endpoints: list[str]) -> list[tuple[str, str]]:
    """(name, "OK" or error code) of every create, spread round-robin over the endpoints, 24 at a time."""
    clients = [sagemaker_client(url) for url in endpoints]
    expected_limit = (
        f"The account-level service limit 'Number of models' is {LIMIT} Models, with current utilization of {LIMIT}"
        " Models and a request delta of 1 Models. Please contact AWS support to request an increase for this limit."
    )

    def create(job: tuple[int, str]) -> tuple[str, str]:
        i, name = job
        try:
            clients[i % len(clients)].create_model(ModelName=name, PrimaryContainer={"Image": f"image-{name}"})
            return name, "OK"
        except ClientError as exc:
            error = exc.response["Error"]
            if error["Code"] == "ValidationException":
                assert error["Message"] == f'Cannot create already existing model "{ARN}{name.lower()}".'
            elif error["Code"] == "ResourceLimitExceeded":
                assert error["Message"] == expected_limit
            return name, error["Code"]

    with ThreadPoolExecutor(24) as pool:
        return list(pool.map(create, enumerate(requested_names())))


def check_outcome(results: list[tuple[str, str]], endpoints: list[str], database_url: str) -> None:
    outcomes = Counter(code for _, code in results)
    assert set(outcomes) == {"OK", "ValidationException", "ResourceLimitExceeded"}, outcomes
    created = [name for name, code in results if code == "OK"]
    assert len(created) == LIMIT
    assert len({name.lower() for name in created}) == LIMIT

    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT name FROM resources")).scalars().all()
        count = conn.execute(text("SELECT count FROM resource_counts")).scalars().all()
    engine.dispose()
    assert sorted(stored) == sorted(created)
    assert count == [LIMIT]

    for url in endpoints:
        client = sagemaker_client(url)
        for name in created:
            described = client.describe_model(ModelName=name.lower())
            assert (described["ModelName"], described["PrimaryContainer"]) == (
                name,
                as_described({"Image": f"image-{name}"}),
            )


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_three_replicas_on_one_postgresql() -> None:
    with postgres_schema() as url, servers(3, "--database-url", url, "--max-models", str(LIMIT)) as procs:
        endpoints = [endpoint for endpoint, _ in procs]
        check_outcome(create_concurrently(endpoints), endpoints, url)


def test_three_workers_on_one_sqlite_file(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with servers(1, "--database-url", url, "--max-models", str(LIMIT), "--workers", "3") as procs:
        [(endpoint, supervisor)] = procs
        assert len(listening_pids(endpoint) - {supervisor.pid}) == 3
        endpoints = [endpoint]
        results = create_concurrently(endpoints)
        # One port, three processes: each fresh client connection is accepted by whichever worker is free.
        check_outcome(results, endpoints * 3, url)


VERSIONS = 50


def register_concurrently(endpoints: list[str]) -> list[str]:
    """50 CreateModelPackage calls into one group, all at once, spread round-robin over the endpoints."""
    clients = [sagemaker_client(url) for url in endpoints]
    clients[0].create_model_package_group(ModelPackageGroupName="Race")

    def register(i: int) -> str:
        arn: str = clients[i % len(clients)].create_model_package(ModelPackageGroupName="Race")["ModelPackageArn"]
        return arn

    with ThreadPoolExecutor(VERSIONS) as pool:
        return list(pool.map(register, range(VERSIONS)))


def check_versions(arns: list[str], endpoints: list[str]) -> None:
    """Versions 1..50, each answered once, no gap, and every replica lists them all."""
    prefix = "arn:aws:sagemaker:us-east-1:123456789012:model-package/race/"
    assert sorted(int(arn.removeprefix(prefix)) for arn in arns) == list(range(1, VERSIONS + 1))
    for url in endpoints:
        pages = sagemaker_client(url).get_paginator("list_model_packages").paginate(ModelPackageGroupName="race")
        listed = [s["ModelPackageVersion"] for page in pages for s in page["ModelPackageSummaryList"]]
        assert sorted(listed) == list(range(1, VERSIONS + 1))


@pytest.mark.skipif(not POSTGRES_URL, reason="SAGEMAKER_EMULATOR_TEST_POSTGRES_URL is not set")
def test_two_replicas_number_50_concurrent_versions_without_gap_or_duplicate() -> None:
    with postgres_schema() as url, servers(2, "--database-url", url) as procs:
        endpoints = [endpoint for endpoint, _ in procs]
        check_versions(register_concurrently(endpoints), endpoints)


def test_three_workers_number_50_concurrent_versions_without_gap_or_duplicate(tmp_path: Path) -> None:
    with servers(1, "--database-url", sqlite_url(tmp_path), "--workers", "3") as procs:
        endpoints = [endpoint for endpoint, _ in procs]
        check_versions(register_concurrently(endpoints * 3), endpoints)
