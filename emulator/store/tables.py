"""The database schema, the one declaration of it: the SQLite DDL at start-up (emulator/store/sqlite_ddl.py) is
generated from it, and tests hold the Alembic scripts equal to it.

Every kind of SageMaker resource lives in one table, told apart by `kind`: a new kind needs no table and no
migration. Invariants live here: a unique name per kind, account and region; one count row per kind and scope.

SQLAlchemy Core tables rather than ORM classes: nothing here maps rows to objects, and importing the ORM was a
tenth of the server's start-up."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

# The longest ARN resource type (model-explainability-job-definition is 35), with room to spare.
KIND_LENGTH = 64
# The longest name of any SageMaker resource the API model allows (PipelineName, MlflowAppName, ...: 256).
NAME_LENGTH = 256

resources = Table(
    "resources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The ARN's resource type: model, endpoint-config, endpoint, ... Kinds and names are as wide as the longest of
    # any SageMaker kind (docs/decisions.md), so a new kind needs no migration.
    Column("kind", String(KIND_LENGTH), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(64), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("name_lower", String(NAME_LENGTH), nullable=False),
    Column("creation_ms", BigInteger, nullable=False),
    # For kinds with a lifecycle (endpoints): the stored status and when it last changed. NULL for the others.
    Column("status", String(32), nullable=True),
    Column("modified_ms", BigInteger, nullable=True),
    # What Describe returns beyond name, ARN and times: the create request's members as sent, as JSON.
    Column("definition", Text, nullable=False),
    # For kinds with a lifecycle: what the status is worked out from (counters, times, what is deployed), as JSON.
    # Lifecycle writes compare and set it, so the database decides between racing changes.
    Column("state", Text, nullable=True),
    # Names are unique per kind, account and region, case-insensitively: the database decides a duplicate.
    UniqueConstraint("kind", "account_id", "region", "name_lower", name="uq_resources_scope_name"),
    Index("ix_resources_scope_time", "kind", "account_id", "region", "creation_ms", "id"),
    Index("ix_resources_scope_name", "kind", "account_id", "region", "name", "id"),
    # ListEndpoints' SortBy=Status pages.
    Index("ix_resources_scope_status", "kind", "account_id", "region", "status", "id"),
)

tags = Table(
    "tags",
    metadata,
    Column("resource_id", Integer, ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
    # Keeps tags in the order they were first added, which is the order ListTags returns.
    Column("position", Integer, nullable=False),
)

# How many resources of a kind a scope holds: a conditional UPDATE on this row enforces the limit without a race.
resource_counts = Table(
    "resource_counts",
    metadata,
    Column("kind", String(KIND_LENGTH), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Fault-injection rules set at run time, shared by every process on the database (emulator/faults/fault_sync.py): one row
# (id 1), its version raised by every change, so a process notices a change by reading one integer.
fault_config = Table(
    "fault_config",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    # The FaultConfig as JSON.
    Column("config", Text, nullable=False),
)

# How often each rule of one version matched and fired, across every process: every-Nth and `times` count here.
fault_counters = Table(
    "fault_counters",
    metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("matched", BigInteger, nullable=False),
    Column("injected", BigInteger, nullable=False),
)

# SageMaker Runtime's run-time configuration, shared by every process on the database (emulator/runtime/runtime_sync.py):
# one row (id 1) whose version every change of the model server or model command table or of the canned answers
# raises, so a process notices a change by reading one integer.
runtime_config = Table(
    "runtime_config",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    # The image -> model server URL table as JSON; NULL while none was stored (each process uses its settings').
    Column("model_servers", Text, nullable=True),
    # The image -> model command table (emulator/containers/commands.py) as JSON; NULL likewise.
    Column("model_commands", Text, nullable=True),
)

# The endpoints (or variants) that have canned InvokeEndpoint answers: the mode, how many answers, how many given. A
# queue's next answer is the one at position `given`: taking it is one conditional UPDATE of this row, so no two
# invocations, in any process, get the same one.
canned_sets = Table(
    "canned_sets",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("endpoint_name", String(63), primary_key=True),
    # '' for answers of any variant of the endpoint (a key column cannot be NULL).
    Column("variant_name", String(63), primary_key=True),
    Column("mode", String(8), nullable=False),
    Column("answers", Integer, nullable=False),
    Column("given", BigInteger, nullable=False),
)

canned_answers = Table(
    "canned_answers",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("endpoint_name", String(63), primary_key=True),
    Column("variant_name", String(63), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    # The CannedAnswer as JSON.
    Column("answer", Text, nullable=False),
)

# Every process serving on the database (emulator/admin/processes.py): its heartbeat and the versions of the shared
# configuration it has applied, so an admin change returns once every live process honours it.
processes = Table(
    "processes",
    metadata,
    # A random id per process, made at start-up.
    Column("id", String(32), primary_key=True),
    # Wall-clock milliseconds of its last heartbeat: a process whose heartbeat is older is no longer waited for.
    Column("heartbeat_ms", BigInteger, nullable=False),
    Column("fault_version", BigInteger, nullable=False),
    Column("runtime_version", BigInteger, nullable=False),
)

# The containers run for endpoints' deployments (emulator/containers/): one row per container of a variant, written
# when the deployment starts and kept while the endpoint references it. Each has one owner (the process running it)
# holding a lease it renews; another process takes it over once the lease has expired, and every other process
# proxies invocations to the URL the owner records.
containers = Table(
    "containers",
    metadata,
    # Derived from the endpoint (account, region, name, creation), the deployment's start, variant and position.
    Column("key", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(64), nullable=False),
    Column("endpoint_name", String(NAME_LENGTH), nullable=False),
    # What to run, as JSON (emulator/containers/specs.py): image, command template, environment, model data, timeout.
    Column("spec", Text, nullable=False),
    # Pending, Starting, Healthy, Failed (never became healthy: `reason`) or Retired (to stop, then delete).
    Column("status", String(16), nullable=False),
    # The process running it (emulator/admin/processes.py's id), and until when its lease holds (wall-clock ms).
    Column("owner", String(32), nullable=True),
    Column("lease_ms", BigInteger, nullable=False),
    # Where it answers while Healthy: http://host:port.
    Column("url", Text, nullable=True),
    Column("reason", Text, nullable=True),
    # 1 once it was healthy: from then on a container that exits is restarted, never Failed.
    Column("served", Integer, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
)

# InvokeEndpointAsync's requests (emulator/runtime/async_worker.py): one row per request, written before its 202 and
# deleted once its output (or failure) object is written. A worker takes a row by compare-and-set on its owner and
# lease, as for containers, so any process on the database may do it and only one does at a time.
async_invocations = Table(
    "async_invocations",
    metadata,
    # The request's own id: its output object is <S3OutputPath>/<id>.out (the InferenceId is the caller's).
    Column("id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(64), nullable=False),
    Column("endpoint_name", String(NAME_LENGTH), nullable=False),
    # The request as JSON (emulator/runtime/async_invoke.py): headers, input location or inline body, locations.
    Column("request", Text, nullable=False),
    # How many of the endpoint's requests may run at once (MaxConcurrentInvocationsPerInstance x instances).
    Column("concurrency", Integer, nullable=False),
    # Pending until done (then the row is deleted).
    Column("status", String(16), nullable=False),
    Column("owner", String(32), nullable=True),
    Column("lease_ms", BigInteger, nullable=False),
    # Times taken: a request taken before (its owner died, or stopped) may have written its object already.
    Column("attempts", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    # RequestTTLSeconds after its creation: a request not started by then fails as expired.
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_async_invocations_queue", "status", "created_ms"),
    Index("ix_async_invocations_endpoint", "account_id", "region", "endpoint_name", "status"),
)
