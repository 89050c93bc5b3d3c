"""Issue 17: fault rules set at run time apply in every worker and replica, and every-Nth and `times` count across
all of them (rules live in the store). They used to reach one worker only: 6 of 40 calls throttled with 4 workers.
Issue 27: a change is in force in every process when its call returns (it was within a poll: 17 of 40 calls made at
once throttled with 2 workers), so no test waits after setting rules."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx

from emulator.admin.poller import POLL_SECONDS
from emulator.app import create_app
from emulator.server import serving
from tests.profiles import full_only
from tests.support import http, record_calls, server_process

HEADERS = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.DescribeModel"}


def describe(endpoint: str) -> str:
    """One DescribeModel on a connection of its own, so the kernel spreads calls over the workers; its error code."""
    with httpx.Client(timeout=30) as client:
        response = client.post(endpoint + "/", json={"ModelName": "absent"}, headers=HEADERS)
    return str(response.json()["__type"])


def faults_seen(endpoint: str) -> dict[str, Any]:
    with httpx.Client(timeout=30) as client:
        return client.get(endpoint + "/_emulator/faults").json()  # type: ignore[no-any-return]


@contextmanager
def servers(database_url: str, *args: str, count: int = 1) -> Iterator[list[str]]:
    env = {**os.environ, "SAGEMAKER_EMULATOR_DATABASE_URL": database_url, "SAGEMAKER_EMULATOR_LOG_LEVEL": "warning"}
    with ExitStack() as stack:
        yield [stack.enter_context(server_process(*args, env=env))[0] for _ in range(count)]


@full_only
def test_rules_set_in_one_worker_apply_in_all_and_count_together(database_url: str) -> None:
    with servers(database_url, "--workers", "4") as [endpoint]:
        rule = {"action": "throttle", "operations": ["DescribeModel"], "every": 2}
        assert http().put(endpoint + "/_emulator/faults", json={"rules": [rule]}).status_code == 200
        codes = [describe(endpoint) for _ in range(40)]
        assert codes.count("ThrottlingException") == 20
        assert codes[1::2] == ["ThrottlingException"] * 20  # every second call across all workers
        for _ in range(8):  # whichever worker answers shows the same rules and counters
            seen = faults_seen(endpoint)
            assert (seen["rules"][0]["every"], seen["counters"]) == (2, [{"matched": 40, "injected": 20}])

        assert http().put(endpoint + "/_emulator/faults", json={"rules": [{"action": "throttle", "times": 3}]})
        codes = [describe(endpoint) for _ in range(20)]
        assert codes == ["ThrottlingException"] * 3 + ["ValidationException"] * 17

        assert http().delete(endpoint + "/_emulator/faults").json() == {"rules": [], "counters": []}
        assert {describe(endpoint) for _ in range(12)} == {"ValidationException"}


def test_replicas_on_one_database_share_the_rules(database_url: str) -> None:
    with servers(database_url, count=2) as [first, second]:
        rule = {"action": "unavailable", "operations": ["DescribeModel"], "times": 2}
        assert http().put(first + "/_emulator/faults", json={"rules": [rule]}).status_code == 200
        assert [describe(second), describe(first), describe(second)] == [
            "ServiceUnavailable",
            "ServiceUnavailable",
            "ValidationException",
        ]
        assert faults_seen(first)["counters"] == faults_seen(second)["counters"] == [{"matched": 3, "injected": 2}]


def describe_on(client: httpx.Client, endpoint: str) -> str:
    """One DescribeModel on the client's open connection: sent within a millisecond, not after a new connection's
    set-up; its error code."""
    response = client.post(endpoint + "/", json={"ModelName": "absent"}, headers=HEADERS)
    return str(response.json()["__type"])


def test_a_change_is_in_force_in_every_worker_when_its_call_returns(database_url: str) -> None:
    with ExitStack() as stack:
        [endpoint] = stack.enter_context(servers(database_url, "--workers", "2"))
        pool = stack.enter_context(ThreadPoolExecutor(8))
        # Connections opened together, so the kernel spreads them over both workers; kept open.
        clients = [stack.enter_context(httpx.Client(timeout=30)) for _ in range(16)]
        list(pool.map(lambda client: client.get(endpoint + "/_emulator/health"), clients))
        admin = stack.enter_context(httpx.Client(timeout=30))
        rule = {"action": "throttle", "operations": ["DescribeModel"]}
        for _ in range(3):
            assert admin.put(endpoint + "/_emulator/faults", json={"rules": [rule]}).status_code == 200
            codes = list(pool.map(lambda client: describe_on(client, endpoint), clients))
            assert codes == ["ThrottlingException"] * 16
            assert admin.delete(endpoint + "/_emulator/faults").status_code == 200
            codes = list(pool.map(lambda client: describe_on(client, endpoint), clients))
            assert codes == ["ValidationException"] * 16


def test_a_change_through_one_replica_is_in_force_in_the_other_when_its_call_returns(database_url: str) -> None:
    with servers(database_url, count=2) as [first, second], httpx.Client(timeout=30) as client:
        rule = {"action": "throttle", "operations": ["DescribeModel"]}
        for _ in range(5):
            assert client.put(first + "/_emulator/faults", json={"rules": [rule]}).status_code == 200
            assert describe_on(client, second) == "ThrottlingException"
            assert client.delete(first + "/_emulator/faults").status_code == 200
            assert describe_on(client, second) == "ValidationException"


def test_start_up_rules_are_shared_and_a_restart_adopts_the_stored_ones(database_url: str) -> None:
    rules = '{"rules": [{"action": "throttle", "operations": ["DescribeModel"], "every": 3}]}'
    with servers(database_url, "--workers", "2", "--faults", rules) as [endpoint]:
        codes = [describe(endpoint) for _ in range(9)]
        assert codes.count("ThrottlingException") == 3
        assert faults_seen(endpoint)["counters"] == [{"matched": 9, "injected": 3}]
    # A server started without rules takes those stored; the same rules at start-up keep the counters.
    with servers(database_url) as [endpoint]:
        assert faults_seen(endpoint)["counters"] == [{"matched": 9, "injected": 3}]
        assert [describe(endpoint) for _ in range(3)] == ["ValidationException"] * 2 + ["ThrottlingException"]


def test_one_process_applies_a_change_at_once(database_url: str) -> None:
    with servers(database_url) as [endpoint]:
        rule = {"action": "throttle", "operations": ["DescribeModel"]}
        http().put(endpoint + "/_emulator/faults", json={"rules": [rule]})
        assert describe(endpoint) == "ThrottlingException"  # no poll to wait for


def test_requests_never_read_the_rules_from_the_database(make_settings: Any) -> None:
    """Without rules a request reads `injector.active` only; the rules' version is read by the poller alone, at
    most once per POLL_SECONDS, however many requests arrive."""
    settings = make_settings()
    app = create_app(settings)
    calls = record_calls(app.service.deps.store, ("fault_version", "fault_rules", "count_fault"))  # (thread, method)
    with serving(app, settings.model_copy(update={"port": 0})) as endpoint:
        started = time.monotonic()
        with httpx.Client(timeout=30) as client:
            for _ in range(300):
                client.post(endpoint + "/", json={"ModelName": "absent"}, headers=HEADERS)
        elapsed = time.monotonic() - started
    assert {thread for thread, _ in calls} == {"emulator-sync"}  # no request asked the store for rules
    assert [name for _, name in calls].count("fault_version") <= elapsed / POLL_SECONDS + 2
