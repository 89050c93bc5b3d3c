"""One transform job's work, as the runner that holds it (emulator/admin/job_runner.py) runs it: read every input
object from S3, cut it into records and mini-batches (batching.py), send each to the model with at most
MaxConcurrentTransforms in flight, and write the answers as `<S3OutputPath>/<input key relative to the input
prefix>.out`, one whole object per input object, in key order. After each object the runner records it as done, so a
runner that takes the job over after a restart starts after it.

S3 calls block: they run on worker threads. The model is called over HTTP on the runner's loop: `GET
/execution-parameters` once (when it answers 200), then `POST /invocations` per mini-batch, as SageMaker calls a
container (docs `your-algorithms-batch-code`). Who answers an image is model_url_for's decision alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.containers.local import DownloadFailed
from emulator.containers.specs import ContainerSpec
from emulator.model_data.s3 import S3Denied, S3Location, S3Missing, S3Reader
from emulator.operations.context import Deps, RequestContext
from emulator.operations.model_packages import expanded_model
from emulator.resources.model import MODEL
from emulator.resources.transform_job import DEFAULT_MAX_PAYLOAD_MB, MAX_REASON_CHARS, no_objects_message
from emulator.runtime.http_client import HttpClient, HttpError, TimedOut, TooLarge
from emulator.runtime.model_servers import ModelServers
from emulator.store.records import Scope
from emulator.transform.batching import MB, Batch, Record, RecordError, assembled, batches, line_batches, split
from emulator.transform.joining import DataProcessing, answer_lines

log = logging.getLogger("emulator.transform")

# A model's answer to one mini-batch may be as large as the input it was sent allows, and more: a cap so a runaway
# answer cannot take the process's memory [I].
MAX_ANSWER_BYTES = 1024 * MB
CONNECT_TIMEOUT = 5.0
# /execution-parameters is asked once, briefly: a container that does not serve it answers 404 at once [I].
PARAMETERS_TIMEOUT = 5.0
# ModelClientConfig's defaults [M]: InvocationsTimeoutInSeconds 600, InvocationsMaxRetries 3.
DEFAULT_TIMEOUT = 600
DEFAULT_RETRIES = 3


def model_url_for(image: str, *, deps: Deps) -> str | None:
    """Who answers a transform job's calls for a container image: the operator's model server table; None: a
    container run from the model command (_containers), else the echo (each mini-batch comes back as itself)."""
    return deps.model_servers.url_for(image)


def run_spec(spec: dict[str, Any], position: int, *, deps: Deps) -> ContainerSpec | None:
    """What to run for a model container whose image has a model command and no model server URL, else None."""
    image = spec.get("Image")
    if image is None or model_url_for(image, deps=deps) is not None or deps.containers.runtime is None:
        return None
    command = deps.model_commands.command_for(image)
    if command is None:
        return None
    return ContainerSpec.of(
        spec,
        key=uuid.uuid4().hex,
        variant="",
        position=position,
        command=command,
        startup_timeout=deps.containers.startup_timeout,
    )


def batch_environment(definition: dict[str, Any]) -> dict[str, str]:
    """What SageMaker tells a container it runs for a transform job (docs `your-algorithms-batch-code`), then the
    job's own Environment."""
    environment = {"SAGEMAKER_BATCH": "true"}
    if "MaxPayloadInMB" in definition:
        environment["SAGEMAKER_MAX_PAYLOAD_IN_MB"] = str(definition["MaxPayloadInMB"])
    if "BatchStrategy" in definition:
        environment["SAGEMAKER_BATCH_STRATEGY"] = {"SingleRecord": "SINGLE_RECORD"}.get(
            definition["BatchStrategy"], "MULTI_RECORD"
        )
    if "MaxConcurrentTransforms" in definition:
        environment["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = str(definition["MaxConcurrentTransforms"])
    return {**environment, **definition.get("Environment", {})}


def ping_failed(container: str) -> str:
    return f"ClientError: The container {container} did not pass the ping health check. Please check the job's logs."


class JobFailed(Exception):
    """The job ends Failed with this FailureReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:MAX_REASON_CHARS]


@dataclass(frozen=True, slots=True)
class InputObject:
    bucket: str
    key: str
    # The output's key under S3OutputPath, without `.out`: the input key relative to the input prefix.
    relative: str


@dataclass(frozen=True, slots=True)
class Container:
    """A container of the job's model: its name in messages, who answers it (None: the echo), and, for one run here
    from the operator's model command, what to run (emulator/containers/local.py)."""

    name: str
    url: str | None
    run: ContainerSpec | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """What the job runs with: its request's members, else the container's execution-parameters, else AWS's
    defaults (MaxConcurrentTransforms 1, MaxPayloadInMB 6, BatchStrategy MultiRecord [R: the first log line of a
    job given none, `MaxConcurrentTransforms=1, MaxPayloadInMB=6, BatchStrategy=MULTI_RECORD`])."""

    concurrency: int
    max_bytes: int
    multi: bool


def _source_objects(definition: dict[str, Any], *, s3: S3Reader, region: str) -> list[InputObject]:
    """Every input object, in key order (a manifest: in its order). JobFailed when there is none, or it cannot be
    read."""
    source = definition["TransformInput"]["DataSource"]["S3DataSource"]
    uri = source["S3Uri"]
    location = S3Location.parse(uri)
    if location is None:
        raise JobFailed(f"ClientError: {uri} is not an S3 URI.")
    try:
        if source["S3DataType"] == "ManifestFile":
            return _manifest(location, uri=uri, s3=s3, region=region)
        # Keys are relative to the prefix's folder: s3://b/in/ and s3://b/in/data.csv both write out/data.csv.out.
        folder = location.key[: location.key.rfind("/") + 1]
        found = [
            InputObject(location.bucket, obj.key, obj.key[len(folder) :])
            for obj in s3.list_under(location, region=region)
            if not obj.key.endswith("/")
        ]
    except (S3Missing, S3Denied) as exc:
        raise JobFailed(f"ClientError: Could not read the input data at {uri}: {exc}") from None
    if not found:
        raise JobFailed(f"ClientError: {no_objects_message(uri, region=region, role=None)}")
    return found


def _manifest(location: S3Location, *, uri: str, s3: S3Reader, region: str) -> list[InputObject]:
    """A manifest: `[{"prefix": "s3://bucket/p/"}, "rel/1", "rel/2", ...]` [M: S3Uri doc]."""
    try:
        entries = orjson.loads(s3.read(location.bucket, location.key, region=region))
    except orjson.JSONDecodeError as exc:
        raise JobFailed(f"ClientError: The manifest {uri} is not JSON: {exc}") from None
    if (
        type(entries) is not list
        or not entries
        or type(entries[0]) is not dict
        or type(entries[0].get("prefix")) is not str
        or not all(type(e) is str for e in entries[1:])
    ):
        raise JobFailed(
            f'ClientError: The manifest {uri} must be a JSON array: [{{"prefix": "s3://bucket/prefix/"}},'
            ' "relative/key", ...].'
        )
    prefix = S3Location.parse(entries[0]["prefix"])
    if prefix is None:
        raise JobFailed(f"ClientError: The manifest {uri} has a prefix that is not an S3 URI.")
    found = [InputObject(prefix.bucket, prefix.key + relative, relative) for relative in entries[1:]]
    if not found:
        raise JobFailed(f"ClientError: The manifest {uri} names no objects.")
    return found


def _output_location(definition: dict[str, Any], relative: str) -> S3Location:
    output = S3Location.parse(definition["TransformOutput"]["S3OutputPath"])
    assert output is not None  # the create's rules refuse any other URI
    folder = output.key.rstrip("/")
    return S3Location(output.bucket, f"{folder}/{relative}.out" if folder else f"{relative}.out")


async def _containers(definition: dict[str, Any], *, ctx: RequestContext, deps: Deps) -> list[Container]:
    """The containers each mini-batch goes through, in order (a Serial pipeline passes each answer on)."""
    model = await deps.store.get(ctx.scope(MODEL), definition["ModelName"])
    if model is None:
        raise JobFailed(f"ClientError: {MODEL.missing_message(ctx.arn(MODEL, definition['ModelName']))}")
    expanded = await expanded_model(orjson.loads(model.definition), ctx=ctx, deps=deps)
    specs = [expanded["PrimaryContainer"]] if "PrimaryContainer" in expanded else expanded.get("Containers", [])
    named = [
        Container("primary" if len(specs) == 1 else spec.get("ContainerHostname") or f"container-{i}", None)
        for i, spec in enumerate(specs, 1)
    ]
    return [
        Container(
            c.name,
            model_url_for(spec["Image"], deps=deps) if "Image" in spec else None,
            run_spec(spec, position, deps=deps),
        )
        for position, (c, spec) in enumerate(zip(named, specs, strict=True), 1)
    ]


class Job:
    """One run of a job: `run(done, progress)` does the objects after the first `done`, awaiting progress(n) once
    n objects are written. Raises JobFailed."""

    def __init__(
        self, *, scope: Scope, name: str, definition: dict[str, Any], deps: Deps, s3: S3Reader, http: HttpClient
    ) -> None:
        self.name = name
        self.definition = definition
        self.deps = deps
        self.s3 = s3
        self.http = http
        self.ctx = RequestContext(account_id=scope.account_id, region=scope.region, request_id=f"transform-{name}")
        client = definition.get("ModelClientConfig", {})
        self.timeout = float(client.get("InvocationsTimeoutInSeconds", DEFAULT_TIMEOUT))
        self.retries = int(client.get("InvocationsMaxRetries", DEFAULT_RETRIES))
        self.processing = DataProcessing.of(definition)
        transform_input = definition["TransformInput"]
        self.split_type = transform_input.get("SplitType", "None")
        self.gzip = transform_input.get("CompressionType", "None") == "Gzip"
        self.headers = {}
        if "ContentType" in transform_input:
            self.headers["Content-Type"] = transform_input["ContentType"]
        if "Accept" in definition["TransformOutput"]:
            self.headers["Accept"] = definition["TransformOutput"]["Accept"]
        self.assemble_with = definition["TransformOutput"].get("AssembleWith", "None")
        self.kms_key_id = definition["TransformOutput"].get("KmsKeyId")

    async def run(self, *, done: int, progress: Callable[[int], Awaitable[None]]) -> None:
        async with contextlib.AsyncExitStack() as running:
            containers = [
                await self._started(c, running)
                for c in await _containers(self.definition, ctx=self.ctx, deps=self.deps)
            ]
            settings = await self._settings(containers)
            objects = await asyncio.to_thread(_source_objects, self.definition, s3=self.s3, region=self.ctx.region)
            for index in range(done, len(objects)):
                await self._object(objects[index], containers=containers, settings=settings)
                await progress(index + 1)

    async def _started(self, container: Container, running: contextlib.AsyncExitStack) -> Container:
        """The container answering at the URL of its process, started for the job's length, when it is run here
        (its model data downloaded first); JobFailed when it cannot be downloaded, or never answers /ping [I: AWS's
        texts for a transform job are unpublished, docs/decisions.md]."""
        spec, runtime = container.run, self.deps.containers.runtime
        if spec is None or runtime is None:
            return container
        try:
            model_dir = await runtime.model_dir(spec, region=self.ctx.region)
        except DownloadFailed as exc:
            raise JobFailed(f"ClientError: {exc.reason}") from None
        name = f"transform-job/{self.name}/{container.name}"
        started = await runtime.start(
            spec, model_dir=model_dir, name=name, environment=batch_environment(self.definition)
        )
        if started is None:
            raise JobFailed(ping_failed(container.name))
        running.push_async_callback(started.stop)
        pings = ModelServers()
        running.callback(pings.close)
        if not await started.healthy(servers=pings, timeout=spec.startup_timeout):
            raise JobFailed(ping_failed(container.name))
        return Container(container.name, started.url)

    async def _settings(self, containers: list[Container]) -> Settings:
        asked = await self._execution_parameters(containers)
        definition = self.definition
        concurrency = definition.get("MaxConcurrentTransforms") or asked.get("MaxConcurrentTransforms") or 1
        payload = definition.get("MaxPayloadInMB", asked.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB))
        strategy = definition.get("BatchStrategy") or {"SINGLE_RECORD": "SingleRecord"}.get(
            str(asked.get("BatchStrategy")), "MultiRecord"
        )
        return Settings(
            concurrency=max(1, int(concurrency)), max_bytes=int(payload) * MB, multi=strategy != "SingleRecord"
        )

    async def _execution_parameters(self, containers: list[Container]) -> dict[str, Any]:
        """The first container's `GET /execution-parameters`, when it answers 200 with a JSON object of integers
        and a strategy; else nothing."""
        url = containers[0].url if containers else None
        if url is None:
            return {}
        try:
            reply = await self.http.request(
                "GET",
                url.rstrip("/") + "/execution-parameters",
                headers={},
                timeout=PARAMETERS_TIMEOUT,
                connect_timeout=CONNECT_TIMEOUT,
                max_body=64 * 1024,
            )
            try:
                body = await reply.read()
            finally:
                reply.close()
        except HttpError:
            return {}
        if reply.status != 200:
            return {}
        try:
            asked = orjson.loads(body)
        except orjson.JSONDecodeError:
            return {}
        if type(asked) is not dict:
            return {}
        out: dict[str, Any] = {}
        for member in ("MaxConcurrentTransforms", "MaxPayloadInMB"):
            if type(asked.get(member)) is int and 0 <= asked[member] <= 100:
                out[member] = asked[member]
        if asked.get("BatchStrategy") in ("SINGLE_RECORD", "MULTI_RECORD"):
            out["BatchStrategy"] = asked["BatchStrategy"]
        return out

    async def _object(self, source: InputObject, *, containers: list[Container], settings: Settings) -> None:
        where = f"{source.bucket}/{source.key}"
        try:
            data = await asyncio.to_thread(self.s3.read, source.bucket, source.key, region=self.ctx.region)
        except (S3Missing, S3Denied) as exc:
            raise JobFailed(f"ClientError: Could not read the input object s3://{where}: {exc}") from None
        try:
            if self.gzip:
                data = gzip.decompress(data)
            if self.split_type == "Line" and settings.multi and not self.processing.active:
                cut = line_batches(data, max_bytes=settings.max_bytes)
            else:
                records = split(data, self.split_type)
                if self.processing.filters_input:
                    filtered = [self.processing.filtered(r.single) for r in records]
                    records = [Record(f, f) for f in filtered]
                cut = batches(records, multi=settings.multi, max_bytes=settings.max_bytes)
        except (RecordError, OSError, EOFError, zlib.error) as exc:
            raise JobFailed(f"ClientError: {where}: {exc}") from None
        answers = await self._answers(cut, where=where, containers=containers, concurrency=settings.concurrency)
        if self.processing.per_record:
            originals = split(data, self.split_type)
            lines: list[bytes] = []
            try:
                for batch, answer in zip(cut, answers, strict=True):
                    for offset, line in enumerate(answer_lines(answer, batch.count)):
                        lines.append(self.processing.output(originals[batch.first + offset].single, line))
            except RecordError as exc:
                raise JobFailed(f"ClientError: {where}: {exc}") from None
            output = assembled(lines, self.assemble_with)
        else:
            output = assembled(answers, self.assemble_with)
        target = _output_location(self.definition, source.relative)
        try:
            await asyncio.to_thread(
                self.s3.write, target.bucket, target.key, output, region=self.ctx.region, kms_key_id=self.kms_key_id
            )
        except (S3Missing, S3Denied) as exc:
            raise JobFailed(
                f"ClientError: Could not write the output object s3://{target.bucket}/{target.key}: {exc}"
            ) from None

    async def _answers(
        self, cut: list[Batch], *, where: str, containers: list[Container], concurrency: int
    ) -> list[bytes]:
        """Every mini-batch's answer, in order, with at most `concurrency` requests in flight; the first failure
        fails the job (the requests still in flight are cancelled)."""
        answers: list[bytes] = [b""] * len(cut)
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            while next_index < len(cut):
                index = next_index
                next_index += 1
                answers[index] = await self._through(cut[index].body, where=where, containers=containers)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(concurrency, len(cut))):
                    group.create_task(worker())
        except ExceptionGroup as failed:
            # One worker's failure ends the others: it, not the group, is the job's failure.
            raise failed.exceptions[0] from None
        return answers

    async def _through(self, body: bytes, *, where: str, containers: list[Container]) -> bytes:
        for container in containers:
            if container.url is not None:
                body = await self._invoke(container, body, where=where)
        return body

    async def _invoke(self, container: Container, body: bytes, *, where: str) -> bytes:
        """One mini-batch through one container, retried on a 5xx, a timeout or no answer as ModelClientConfig
        says (a 4xx is the record's error: never retried) [I: docs/decisions.md]."""
        assert container.url is not None
        failure = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
            try:
                reply = await self.http.request(
                    "POST",
                    container.url.rstrip("/") + "/invocations",
                    headers=self.headers,
                    body=body,
                    timeout=self.timeout,
                    connect_timeout=CONNECT_TIMEOUT,
                    max_body=MAX_ANSWER_BYTES,
                )
                try:
                    answer = await reply.read()
                finally:
                    reply.close()
            except TimedOut:
                failure = (
                    f"ClientError: {where}: Timed out after {self.timeout:g} seconds waiting for container"
                    f" {container.name} to answer /invocations."
                )
                continue
            except TooLarge:
                raise JobFailed(
                    f"ClientError: {where}: The answer of container {container.name} is larger than"
                    f" {MAX_ANSWER_BYTES} bytes."
                ) from None
            except HttpError:
                failure = f"ClientError: {where}: Could not get a response from container {container.name}."
                continue
            if 200 <= reply.status < 300:
                return answer
            side = "client" if 400 <= reply.status < 500 else "server"
            message = answer.decode("utf-8", "replace")
            failure = (
                f"ClientError: {where}: Received {side} error ({reply.status}) from container {container.name} with"
                f' message "{message}". See job logs for more information.'
            )
            if reply.status < 500:
                break
        raise JobFailed(failure)
