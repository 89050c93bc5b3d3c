"""Fuzzing every served operation against a live server, with strategies generated from the API model.

Properties, for every request: no status >= 500; an error body is exactly {"__type", "message"} (message may be
absent for SerializationException) with a code AWS uses for that operation; a
rejected request, and any read, leaves every table unchanged; an accepted CreateModel reads back exactly.
The admin API's bodies too (snapshot imports and fault rules): no 5xx, a refusal is a 400 ValidationException
with a message and changes nothing, an accepted import exports what it imported.

Examples in all, split over the operations and the raw request test, derandomized and without an example
database: 600 by default (about twenty seconds, so the README's test command stays short), 10,000 in the full
profile that CI runs (SAGEMAKER_EMULATOR_TEST_PROFILE=full, tests/profiles.py). A longer, randomized run:

    SAGEMAKER_EMULATOR_FUZZ_EXAMPLES=200000 python -m pytest -q tests/test_fuzz.py
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select

from emulator.operations import HANDLERS
from emulator.resources.model import MODEL
from emulator.shapes.generated import OPERATIONS, SHAPES
from emulator.store.tables import metadata
from tests.fuzz_strategies import ANY_JSON, JSON_SCALARS, ModelStrategies
from tests.profiles import FULL
from tests.support import server_process

# Under pytest-xdist (CI's -n 2), the module runs whole on one worker: its tests share one server and its store in
# the order a single process runs them, so an example that fails reproduces with `pytest tests/test_fuzz.py`.
pytestmark = pytest.mark.xdist_group("fuzz")

OPERATIONS_SERVED = sorted(HANDLERS)
DEFAULT_EXAMPLES = 10_000 if FULL else 600
TOTAL_EXAMPLES = int(os.environ.get("SAGEMAKER_EMULATOR_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
LONG_RUN = "SAGEMAKER_EMULATOR_FUZZ_EXAMPLES" in os.environ
OTHER_TESTS = 3  # the snapshot import, the fault rules and the runtime
PER_TEST = math.ceil(TOTAL_EXAMPLES / (len(OPERATIONS_SERVED) + 1 + OTHER_TESTS))

FUZZ = settings(
    max_examples=PER_TEST,
    deadline=None,
    database=None,
    derandomize=not LONG_RUN,
    suppress_health_check=list(HealthCheck),
)

# Codes any request may get, whatever the operation: from the protocol, the validator and the request limits.
WIRE_CODES = {"SerializationException", "ValidationException", "RequestEntityTooLargeException"}
# Sent without a message, as AWS does; UnknownOperationException, messageless on AWS, has one here (issue 18).
MESSAGELESS = {"SerializationException"}
READ_ONLY_PREFIXES = ("Describe", "List")
_SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")
STRATEGIES = ModelStrategies()


def declared_codes(operation: str) -> set[str]:
    """The errors AWS's API model declares for the operation."""
    return {shape.name for shape in _SAGEMAKER.operation_model(operation).error_shapes}


# The live processes' heartbeats change by themselves, whatever a request does.
NOT_STATE = {"processes"}


def snapshot(engine: Engine) -> list[list[tuple[Any, ...]]]:
    """Every row of every table a request may change, read straight from the database."""
    with engine.connect() as conn:
        return [
            sorted(tuple(row) for row in conn.execute(select(table)))
            for table in metadata.sorted_tables
            if table.name not in NOT_STATE
        ]


def strip_to_model(value: Any, shape_name: str) -> Any:
    """What the server should keep of a valid value: unknown and null members dropped."""
    shape = SHAPES[shape_name]
    if shape["type"] == "structure":
        members = shape["members"]
        return {k: strip_to_model(v, members[k]["shape"]) for k, v in value.items() if k in members and v is not None}
    if shape["type"] == "list":
        return [strip_to_model(v, shape["member"]["shape"]) for v in value]
    return value


class Live:
    def __init__(self, endpoint: str, engine: Engine) -> None:
        self.endpoint = endpoint
        self.engine = engine
        self.client = httpx.Client(base_url=endpoint, timeout=30)  # keep-alive: one connection for all examples

    def post(self, content: bytes, headers: dict[str, str], method: str = "POST") -> httpx.Response:
        return self.client.request(method, "/", content=content, headers=headers)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # A server process of its own: the fuzzer and the server each get a core.
    database = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    url = f"sqlite:///{database}"
    env = {**os.environ, "SAGEMAKER_EMULATOR_DATABASE_URL": url, "SAGEMAKER_EMULATOR_LOG_LEVEL": "critical"}
    # An endpoint's lifecycle moves on when it is described or listed (a write, by design); with changes that last
    # an hour, no Describe or List of the run writes, so every read can be held to leaving the store unchanged.
    env["SAGEMAKER_EMULATOR_ENDPOINT_TRANSITION_SECONDS"] = "3600"
    engine = create_engine(url)
    with server_process(env=env) as (endpoint, _proc):
        live = Live(endpoint, engine)
        yield live
        live.client.close()
    engine.dispose()


def error_body(response: httpx.Response) -> dict[str, Any] | None:
    """None for a 200; else the error's JSON object. Either way, never a 5xx."""
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        event("accepted")
        return None
    body = orjson.loads(response.content)
    assert isinstance(body, dict)
    event(f"rejected: {response.status_code} {body.get('__type')}")
    return body


def check_response(response: httpx.Response, allowed: set[str]) -> None:
    body = error_body(response)
    if body is None:
        return
    code = body.get("__type")
    assert code in allowed, body
    assert set(body) <= {"__type", "message"}, body
    if code not in MESSAGELESS:
        assert isinstance(body.get("message"), str) and body["message"], body
    assert response.headers["x-amzn-errortype"] == code


def send_json(live: Live, operation: str, request: Any) -> httpx.Response:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"SageMaker.{operation}"}
    # The standard library's encoder: it writes integers past 64 bits, which orjson's refuses to.
    return live.post(json.dumps(request, ensure_ascii=False).encode(), headers)


@pytest.mark.parametrize("operation", OPERATIONS_SERVED)
def test_operation_never_breaks(live: Live, operation: str) -> None:
    input_shape = OPERATIONS[operation]["input"]
    requests = STRATEGIES.request(input_shape)
    allowed = WIRE_CODES | declared_codes(operation)
    read_only = operation.startswith(READ_ONLY_PREFIXES)

    @FUZZ
    @given(request=requests)
    def run(request: Any) -> None:
        before = snapshot(live.engine)
        response = send_json(live, operation, request)
        check_response(response, allowed)
        if response.status_code != 200 or read_only:
            assert snapshot(live.engine) == before, f"{operation} {response.status_code} changed the store"
        if operation == "CreateModel" and response.status_code == 200:
            described = send_json(live, "DescribeModel", {"ModelName": request["ModelName"]})
            assert described.status_code == 200
            got = orjson.loads(described.content)
            assert got.pop("ModelName") == request["ModelName"]
            assert got.pop("ModelArn") == orjson.loads(response.content)["ModelArn"]
            assert isinstance(got.pop("CreationTime"), float)
            kept = strip_to_model(request, input_shape)
            # As sent, with what AWS's DescribeModel fills in (tested on its own in test_create_describe.py).
            assert got == MODEL.described({k: kept[k] for k in MODEL.definition_members if k in kept})

    run()


BAD_BYTES = st.one_of(
    st.binary(max_size=64),
    st.just(b"\xff\xfe{}"),
    st.builds(lambda b: b'{"ModelName": "' + b + b'"}', st.binary(min_size=1, max_size=8)),  # non-UTF-8 in a string
    st.just(b'{"ModelName": NaN}'),
    st.just(b'{"ModelName": "m", "ModelName": 1}'),
    ANY_JSON.map(lambda v: json.dumps(v).encode()),
    ANY_JSON.map(lambda v: json.dumps(v).encode()[:-1]),  # truncated
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "X-Amz-Target": st.sampled_from(
            [f"SageMaker.{op}" for op in OPERATIONS_SERVED] + ["SageMaker.", "Sagemaker.CreateModel", "x", ""]
        ),
        "Content-Type": st.sampled_from(["application/x-amz-json-1.1", "text/html", "", "application/json"]),
        "Authorization": st.sampled_from(
            ["", "AWS4-HMAC-SHA256 Credential=AK/20260101/eu-west-1/sagemaker/aws4_request, Signature=x", "garbage"]
        ),
    },
)


@FUZZ
@given(body=BAD_BYTES, headers=HEADERS, method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]))
def test_raw_requests_never_break(live: Live, body: bytes, headers: dict[str, str], method: str) -> None:
    before = snapshot(live.engine)
    response = live.post(body, headers, method)
    allowed = WIRE_CODES | {"UnknownOperationException"}
    target = headers.get("X-Amz-Target", "")
    if target.startswith("SageMaker.") and target[10:] in HANDLERS:
        allowed |= declared_codes(target[10:])
    check_response(response, allowed)
    if response.status_code != 200:
        assert snapshot(live.engine) == before


# Admin bodies. Values for a snapshot entry's own fields: valid ones, and what the snapshot module once let through
# or broke on (a trailing newline, other scripts' digits, a time past a BIGINT of milliseconds).
ACCOUNTS = st.sampled_from(["123456789012", "111111111111", "123456789012\n", "١٢٣٤٥٦٧٨٩٠١٢", "12", ""]) | JSON_SCALARS
REGIONS = st.sampled_from(["us-east-1", "eu-west-1", "x", "us-east-1\n", "US-EAST-1", "a" * 51]) | JSON_SCALARS
TIMES = st.one_of(
    st.floats(min_value=0, max_value=3e11, allow_nan=False),
    st.sampled_from([0, 1e16, -1, 253402300799.999, 253402300800, True]),
    JSON_SCALARS,
)


@st.composite
def snapshot_entry(draw: st.DrawFn) -> Any:
    """A snapshot entry built from a (mostly valid) CreateModel request, its own fields sometimes odd."""
    request = draw(STRATEGIES.request("CreateModelInput"))
    if draw(st.integers(0, 9)) == 0:
        return draw(ANY_JSON)
    entry: dict[str, Any] = {"model_name": request.pop("ModelName", None)}
    if "Tags" in request:
        entry["tags"] = request.pop("Tags")
    entry["definition"] = request
    for key, values in (("account_id", ACCOUNTS), ("region", REGIONS), ("creation_time", TIMES)):
        if draw(st.booleans()):
            entry[key] = draw(values)
    return entry


SNAPSHOTS = st.one_of(
    st.builds(
        lambda models, top: {"format": "sagemaker-emulator-snapshot", "version": 1, "models": models, **top},
        st.lists(snapshot_entry(), max_size=4),
        st.dictionaries(
            st.sampled_from(["version", "format", "models", "emulator_version", "x"]), ANY_JSON, max_size=1
        ),
    ),
    ANY_JSON,
)


def check_admin_refusal(response: httpx.Response) -> None:
    body = error_body(response)
    if body is None:
        return
    assert (response.status_code, set(body), body["__type"]) == (400, {"__type", "message"}, "ValidationException")
    assert isinstance(body["message"], str) and body["message"] and "\n" not in body["message"], body


@FUZZ
@given(document=SNAPSHOTS)
def test_snapshot_imports_never_break(live: Live, document: Any) -> None:
    before = snapshot(live.engine)
    response = live.client.put("/_emulator/state", content=json.dumps(document, ensure_ascii=False).encode())
    check_admin_refusal(response)
    if response.status_code != 200:
        assert snapshot(live.engine) == before, "a refused import changed the store"
        return
    exported = live.client.get("/_emulator/state")
    assert exported.status_code == 200
    assert len(exported.json()["models"]) == response.json()["imported_models"]


RULES = st.fixed_dictionaries(
    {"action": st.sampled_from(["throttle", "internal-error", "unavailable", "latency", "explode"]) | JSON_SCALARS},
    optional={
        "operations": st.lists(st.sampled_from(OPERATIONS_SERVED) | st.text(max_size=4), max_size=2) | JSON_SCALARS,
        "probability": st.floats(-1, 2) | JSON_SCALARS,
        "every": st.integers(-2, 2**70) | JSON_SCALARS,
        "times": st.integers(-2, 2**70) | JSON_SCALARS,
        "latency_ms": st.integers(-1, 10**9) | JSON_SCALARS,
        "message": st.text(max_size=8) | JSON_SCALARS,
        "accounts": st.lists(st.text(max_size=12), max_size=2) | JSON_SCALARS,
        "model_name_prefixes": st.lists(st.text(max_size=4), max_size=2) | JSON_SCALARS,
        "x": ANY_JSON,
    },
)
FAULT_CONFIGS = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"seed": st.integers(-(2**70), 2**70) | JSON_SCALARS, "rules": st.lists(RULES, max_size=3)}
    ),
    ANY_JSON,
)


@FUZZ
@given(config=FAULT_CONFIGS)
def test_fault_rules_never_break(live: Live, config: Any) -> None:
    before = live.client.get("/_emulator/faults").json()
    response = live.client.put("/_emulator/faults", content=json.dumps(config).encode())
    try:
        check_admin_refusal(response)
        if response.status_code != 200:
            assert live.client.get("/_emulator/faults").json() == before, "refused rules changed the rules"
    finally:
        # Rules live in the store and would reach the other fuzz tests' requests: never leave one set.
        assert live.client.delete("/_emulator/faults").status_code == 200


# SageMaker Runtime: the body is the model's, untouched bytes; the path and the SageMaker headers are the client's.
RUNTIME_HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Content-Type",
            "Accept",
            "X-Amzn-SageMaker-Custom-Attributes",
            "X-Amzn-SageMaker-Target-Model",
            "X-Amzn-SageMaker-Target-Variant",
            "X-Amzn-SageMaker-Target-Container-Hostname",
            "X-Amzn-SageMaker-Inference-Id",
            "X-Amzn-SageMaker-Session-Id",
            "X-Amzn-SageMaker-Inference-Component",
        ]
    ),
    # Printable ASCII without surrounding spaces: what an HTTP client can send at all.
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip)
    | st.sampled_from(["v", "x" * 1100]),
    max_size=3,
)
RUNTIME_PATHS = st.sampled_from(["fuzz", "Fuzz", "missing", "", "fuzz/x", "-", "a" * 64]).flatmap(
    lambda name: st.sampled_from(
        [f"/endpoints/{name}/invocations", f"/endpoints/{name}/invocations-response-stream", f"/endpoints/{name}"]
    )
)
RUNTIME_CODES = {"ValidationError", "UnknownOperationException"}


@pytest.fixture(scope="module")
def runtime_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of a server of its own with one InService endpoint, `fuzz`, answered by the echo (no model server
    set); one keep-alive client for all examples, as `live`'s: a client built per request cost most of the test."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz-runtime')) / 'fuzz.db'}"
    env = {**os.environ, "SAGEMAKER_EMULATOR_DATABASE_URL": url, "SAGEMAKER_EMULATOR_LOG_LEVEL": "critical"}
    with server_process(env=env) as (endpoint, _proc), httpx.Client(base_url=endpoint, timeout=30) as client:
        for operation, request in (
            ("CreateModel", {"ModelName": "m", "PrimaryContainer": {"Image": "i"}}),
            (
                "CreateEndpointConfig",
                {
                    "EndpointConfigName": "c",
                    "ProductionVariants": [
                        {"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
                    ],
                },
            ),
            ("CreateEndpoint", {"EndpointName": "fuzz", "EndpointConfigName": "c"}),
            ("DescribeEndpoint", {"EndpointName": "fuzz"}),  # InService from here on
        ):
            headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"SageMaker.{operation}"}
            assert client.post("/", json=request, headers=headers).status_code == 200
        yield client


@FUZZ
@given(path=RUNTIME_PATHS, headers=RUNTIME_HEADERS, body=st.binary(max_size=256))
def test_runtime_invocations_never_break(
    runtime_live: httpx.Client, path: str, headers: dict[str, str], body: bytes
) -> None:
    response = runtime_live.post(path, content=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        event("answered")
        # The echo: the payload comes back untouched, streamed as event-stream frames or as the body itself.
        if path.endswith("/invocations"):
            assert response.content == body
        else:
            assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
        return
    code = response.headers["x-amzn-errortype"]
    event(f"rejected: {response.status_code} {code}")
    assert code in RUNTIME_CODES, response.text
    answer = orjson.loads(response.content)
    assert answer["__type"] == code and isinstance(answer["message"], str) and answer["message"], answer
