"""Filling stores before a scenario: SQL straight into the emulator's own tables (100,000 models in seconds), or
CreateModel over HTTP where the store is not ours (moto) or the count is small."""

from __future__ import annotations

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import insert

from bench.workload import ACCOUNT_ID, CREATE_REQUEST, REGION, seeded_name
from emulator.resources.model import MODEL
from emulator.store.database import make_engine
from emulator.store.migrate import upgrade
from emulator.store.tables import resource_counts, resources

BATCH = 10_000
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sagemaker/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
)


def stored_definition() -> str:
    """The definition column exactly as CreateModel stores the bench's request."""
    definition = {k: CREATE_REQUEST[k] for k in MODEL.definition_members if k in CREATE_REQUEST}
    return json.dumps(definition, separators=(",", ":"), ensure_ascii=False)


def seed_sqlite(path: Path, count: int) -> float:
    """Create the schema in a new SQLite file and insert `count` models, one ms apart; returns seconds taken."""
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    definition = stored_definition()
    base_ms = int(time.time() * 1000) - count
    with engine.begin() as conn:
        for start in range(0, count, BATCH):
            conn.execute(
                insert(resources),
                [
                    {
                        "kind": MODEL.arn_type,
                        "account_id": ACCOUNT_ID,
                        "region": REGION,
                        "name": seeded_name(i),
                        "name_lower": seeded_name(i).lower(),
                        "creation_ms": base_ms + i,
                        "modified_ms": base_ms + i,
                        "definition": definition,
                    }
                    for i in range(start, min(start + BATCH, count))
                ],
            )
        conn.execute(
            insert(resource_counts),
            {"kind": MODEL.arn_type, "account_id": ACCOUNT_ID, "region": REGION, "count": count},
        )
    engine.dispose()
    return time.perf_counter() - started


def post(conn: http.client.HTTPConnection, operation: str, body: bytes) -> tuple[int, bytes]:
    conn.request(
        "POST",
        "/",
        body=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"SageMaker.{operation}",
            "X-Amz-Date": "20250101T000000Z",
            "Authorization": AUTHORIZATION,
        },
    )
    response = conn.getresponse()
    return response.status, response.read()


def create_over_http(url: str, names: list[str], *, connections: int = 8) -> None:
    """CreateModel for every name; raises on the first answer that is not a 200."""
    from bench.workload import create_body

    parts = urlsplit(url)

    def run(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        try:
            for name in chunk:
                status, body = post(conn, "CreateModel", create_body(name))
                if status != 200:
                    raise RuntimeError(f"CreateModel {name} at {url} answered {status}: {body[:300]!r}")
        finally:
            conn.close()

    chunks = [names[i::connections] for i in range(connections)]
    with ThreadPoolExecutor(connections) as pool:
        for future in [pool.submit(run, chunk) for chunk in chunks if chunk]:
            future.result()


def create_endpoints_over_http(url: str, names: list[str]) -> None:
    """The model, then a config and an endpoint of each name (every endpoint deploys the config of the first name,
    as the deploy scenario's do), each endpoint described once (InService after); raises on the first answer that is
    not a 200."""
    from bench.workload import ENDPOINT_MODEL, config_template, create_body, endpoint_template

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        steps = [("CreateModel", create_body(ENDPOINT_MODEL))]
        for name in names:
            steps += [
                ("CreateEndpointConfig", config_template().replace("__NAME__", name).encode()),
                ("CreateEndpoint", endpoint_template().replace("__NAME__", name, 1).encode()),
                ("DescribeEndpoint", json.dumps({"EndpointName": name}).encode()),
            ]
        for operation, body in steps:
            status, answer = post(conn, operation, body)
            if status != 200:
                raise RuntimeError(f"{operation} at {url} answered {status}: {answer[:300]!r}")
    finally:
        conn.close()


def create_packages_over_http(url: str, group: str, count: int) -> None:
    """A model package group and `count` versions in it; raises on the first answer that is not a 200."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    package = {
        "ModelPackageGroupName": group,
        "ModelPackageDescription": "bench",
        "InferenceSpecification": {
            "Containers": [
                {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1", "ModelDataUrl": "s3://b/m"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "CustomerMetadataProperties": {"team": "ml"},
    }
    try:
        steps = [("CreateModelPackageGroup", json.dumps({"ModelPackageGroupName": group}).encode())]
        steps += [("CreateModelPackage", json.dumps(package).encode())] * count
        for operation, body in steps:
            status, answer = post(conn, operation, body)
            if status != 200:
                raise RuntimeError(f"{operation} at {url} answered {status}: {answer[:300]!r}")
    finally:
        conn.close()


def create_invoke_endpoint(url: str, name: str, *, polls: int = 50) -> None:
    """A model, a config and an endpoint all called `name`, described until InService (the emulator pings the model
    server when the endpoint is created); raises on an answer that is not a 200, or an endpoint that never serves."""
    from bench.workload import CONFIG_REQUEST

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    config = {
        **CONFIG_REQUEST,
        "EndpointConfigName": name,
        "ProductionVariants": [{**CONFIG_REQUEST["ProductionVariants"][0], "ModelName": name}],
    }
    try:
        for operation, request in (
            ("CreateModel", {**CREATE_REQUEST, "ModelName": name}),
            ("CreateEndpointConfig", config),
            ("CreateEndpoint", {"EndpointName": name, "EndpointConfigName": name}),
        ):
            status, answer = post(conn, operation, json.dumps(request).encode())
            if status != 200:
                raise RuntimeError(f"{operation} at {url} answered {status}: {answer[:300]!r}")
        for _ in range(polls):
            status, answer = post(conn, "DescribeEndpoint", json.dumps({"EndpointName": name}).encode())
            if status != 200:
                raise RuntimeError(f"DescribeEndpoint at {url} answered {status}: {answer[:300]!r}")
            described = json.loads(answer)
            if described["EndpointStatus"] == "InService":
                return
            if described["EndpointStatus"] == "Failed":
                raise RuntimeError(f"endpoint {name} failed: {described.get('FailureReason')}")
            time.sleep(0.1)
        raise RuntimeError(f"endpoint {name} was not InService after {polls} describes")
    finally:
        conn.close()
