"""Issue 16: canned answers and the model server table set at run time reach every worker and replica on the
database (they live in the store, as fault rules do). A queue set through one process is given exactly once across
all of them, each answer to one invocation; a table set through one is used by the others. Issue 27: by the time the
admin call returns (it was within a poll), and a table stored by a server that stopped is not adopted by a later
plain `serve` on the database. Through boto3's sagemaker-runtime client, against server processes."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from emulator.admin.poller import POLL_SECONDS
from emulator.app import create_app
from emulator.server import serving
from tests.model_server import model_server
from tests.support import http, record_calls, sagemaker_client, server_process
from tests.test_fault_sharing import servers
from tests.test_runtime import IMAGE, deploy, runtime_client

PREDICTED = b'{"predictions": [5]}'  # the toy model server's answer to INSTANCES
INSTANCES = json.dumps({"instances": [2]}).encode()


def answers(endpoint: str) -> Any:
    return http().get(f"{endpoint}/_emulator/answers").json()


def put(endpoint: str, path: str, body: Any) -> Any:
    answer = http().put(f"{endpoint}/_emulator/{path}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def body_of(runtime: Any, endpoint_name: str, body: bytes = b"in") -> bytes:
    return runtime.invoke_endpoint(EndpointName=endpoint_name, Body=body)["Body"].read()  # type: ignore[no-any-return]


def test_canned_answers_set_through_one_replica_are_given_once_across_both(database_url: str) -> None:
    with servers(database_url, count=2) as [first, second]:
        deploy(sagemaker_client(first), "shared")
        runtime = [runtime_client(first), runtime_client(second)]
        queue = [{"body": f"a{i}"} for i in range(6)]
        put(first, "answers", {"endpoint_name": "shared", "answers": queue})
        # One after another, alternating: the queue in order, then the echo.
        given = [body_of(runtime[i % 2], "shared") for i in range(8)]
        assert given == [b"a0", b"a1", b"a2", b"a3", b"a4", b"a5", b"in", b"in"]
        listed = {"account_id": "123456789012", "region": "us-east-1", "endpoint_name": "shared", "variant_name": None}
        assert answers(first) == answers(second) == [{**listed, "mode": "queue", "remaining": 0, "given": 6}]

        # 40 at once, 20 through each: each of the 20 answers exactly once, the echo for the other 20.
        queue = [{"body": f"b{i}"} for i in range(20)]
        put(second, "answers", {"endpoint_name": "shared", "answers": queue})
        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(lambda i: body_of(runtime[i % 2], "shared"), range(40)))
        assert Counter(bodies) == Counter({b"in": 20, **{f"b{i}".encode(): 1 for i in range(20)}})
        assert [(e["remaining"], e["given"]) for e in answers(first)] == [(0, 20)]

        # A fixed answer, every time, counted across both; cleared through one, gone from both.
        put(first, "answers", {"endpoint_name": "shared", "mode": "fixed", "answers": [{"body": "always"}]})
        assert [body_of(runtime[i % 2], "shared") for i in range(4)] == [b"always"] * 4
        assert [(e["mode"], e["remaining"], e["given"]) for e in answers(second)] == [("fixed", 1, 4)]
        assert http().delete(f"{second}/_emulator/answers").json() == []
        assert [body_of(runtime[i % 2], "shared") for i in range(2)] == [b"in", b"in"]

        # A reset of one region through one replica clears that region's answers for both, and only those.
        put(first, "answers", {"endpoint_name": "shared", "mode": "fixed", "answers": [{"body": "canned"}]})
        put(first, "answers", {"endpoint_name": "other", "region": "eu-west-1", "answers": [{"body": "x"}]})
        assert http().post(f"{second}/_emulator/reset", params={"region": "us-east-1"}).status_code == 200
        assert [e["region"] for e in answers(first)] == ["eu-west-1"]


def test_canned_answers_set_or_cleared_through_one_replica_are_in_force_in_the_other_when_the_call_returns(
    database_url: str,
) -> None:
    with servers(database_url, count=2) as [first, second]:
        deploy(sagemaker_client(first), "switch")
        runtime = runtime_client(second)
        assert body_of(runtime, "switch") == b"in"  # its connection is open: the next call goes out at once
        for i in range(5):
            put(first, "answers", {"endpoint_name": "switch", "mode": "fixed", "answers": [{"body": f"c{i}"}]})
            assert body_of(runtime, "switch") == f"c{i}".encode()
            assert http().delete(f"{first}/_emulator/answers").json() == []
            assert body_of(runtime, "switch") == b"in"


def test_a_model_server_table_set_through_one_replica_is_used_by_the_other_when_the_call_returns(
    database_url: str,
) -> None:
    with model_server() as (url, _), servers(database_url, count=2) as [first, second]:
        deploy(sagemaker_client(first), "switch")
        runtime = runtime_client(second)
        for _ in range(3):
            assert body_of(runtime, "switch", INSTANCES) == INSTANCES  # the echo
            assert put(first, "modelservers", {IMAGE: url}) == {IMAGE: url}
            assert body_of(runtime, "switch", INSTANCES) == PREDICTED
            assert http().get(f"{second}/_emulator/modelservers").json() == {IMAGE: url}
            assert put(first, "modelservers", {}) == {}


def test_start_up_model_servers_are_stored_and_a_server_without_adopts_them(database_url: str) -> None:
    with model_server() as (url, _), servers(database_url, "--model-server", f"{IMAGE}={url}") as [flagged]:
        deploy(sagemaker_client(flagged), "adopted")
        with servers(database_url) as [plain]:
            assert body_of(runtime_client(plain), "adopted", INSTANCES) == PREDICTED
            # A change through the one started without flags reaches the one started with them.
            assert put(plain, "modelservers", {}) == {}
            assert body_of(runtime_client(flagged), "adopted", INSTANCES) == INSTANCES


def test_a_table_left_by_a_server_that_stopped_is_not_used_by_a_later_plain_serve(tmp_path: Path) -> None:
    """The README's quick start, in a directory where `serve --model-server` ran before: the stored table used to
    outlive that server (and POST /reset), so the plain server's endpoint failed its ping health check against the
    model server that was gone, and nothing in the log said why."""
    env = {**os.environ, "SAGEMAKER_EMULATOR_LOG_LEVEL": "info"}
    with model_server() as (url, _):
        with server_process("--model-server", f"{IMAGE}={url}", env=env, cwd=str(tmp_path)) as (flagged, _):
            deploy(sagemaker_client(flagged), "earlier")
            assert body_of(runtime_client(flagged), "earlier", INSTANCES) == PREDICTED
            assert http().post(f"{flagged}/_emulator/reset").status_code == 200
    # The model server is gone too, as after the earlier session's end.
    with server_process(env=env, cwd=str(tmp_path)) as (plain, proc):
        sm = sagemaker_client(plain)
        deploy(sm, "quick", describe=False)
        sm.get_waiter("endpoint_in_service").wait(EndpointName="quick", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        assert body_of(runtime_client(plain), "quick", INSTANCES) == INSTANCES  # the echo
        assert http().get(f"{plain}/_emulator/modelservers").json() == {}
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        logged = proc.stdout.read().decode()
    assert (
        f"model servers: none; the table {{'{IMAGE}': '{url}'}} stored by a server no longer running is dropped"
        in logged
    ), logged


def test_invocations_never_read_canned_answers_of_endpoints_without_any(make_settings: Any) -> None:
    """Without canned answers an invocation reads `canned.active` only; with some, only an invocation of an endpoint
    that has answers asks the store. The version is read by the poller alone, at most once per POLL_SECONDS."""
    settings = make_settings()
    app = create_app(settings)
    calls = record_calls(
        app.service.deps.store, ("runtime_version", "runtime_view", "take_canned", "canned_listed")
    )  # (thread, method)
    with serving(app, settings.model_copy(update={"port": 0})) as endpoint:
        deploy(sagemaker_client(endpoint), "plain")
        deploy(sagemaker_client(endpoint), "canned")
        runtime = runtime_client(endpoint)
        calls.clear()
        started = time.monotonic()
        assert {body_of(runtime, "plain") for _ in range(200)} == {b"in"}
        elapsed = time.monotonic() - started
        assert {thread for thread, _ in calls} == {"emulator-sync"}  # no invocation asked the store
        assert [name for _, name in calls].count("runtime_version") <= elapsed / POLL_SECONDS + 2

        put(endpoint, "answers", {"endpoint_name": "canned", "mode": "fixed", "answers": [{"body": "c"}]})
        calls.clear()
        assert {body_of(runtime, "plain") for _ in range(50)} == {b"in"}
        assert [name for _, name in calls if name == "take_canned"] == []
        assert [body_of(runtime, "canned") for _ in range(3)] == [b"c"] * 3  # at once: no poll to wait for
        assert [name for _, name in calls if name == "take_canned"] == ["take_canned"] * 3
