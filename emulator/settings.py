"""All configuration in one place: env vars SAGEMAKER_EMULATOR_*, an optional limits file, CLI flags on top."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from emulator.containers.commands import checked_commands
from emulator.credentials import Credentials, load_credentials_file, resolve_credentials
from emulator.faults.rules import FaultConfig, load_faults_file
from emulator.runtime.model_servers import checked_urls
from emulator.timeouts import DEFAULT_HEADER_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT

# sqlite:///path with nothing SQLAlchemy would decode (%-escapes, ?query, #fragment): as emulator/store/database.py,
# which settings may not import.
_PLAIN_SQLITE_URL = re.compile(r"sqlite(?:\+pysqlite)?:///([^?#%]+)")

DEFAULT_DATABASE_FILE = "sagemaker-emulator.db"
AdminMode = Literal["loopback", "token", "off"]


class Limits(BaseModel):
    """Resource limits. AWS publishes no fixed model quota, so by default there is none."""

    model_config = ConfigDict(extra="forbid")

    max_models: int | None = Field(default=None, ge=0, description="models per account and region")
    max_containers_per_model: int = Field(default=15, ge=1, le=15, description="containers in one model")
    max_environment_bytes: int = Field(
        default=32 * 1024, ge=0, description="all Environment keys and values of one container, UTF-8"
    )
    max_endpoint_configs: int | None = Field(default=None, ge=0, description="endpoint configs per account and region")
    max_endpoints: int | None = Field(default=None, ge=0, description="endpoints per account and region")
    max_model_package_groups: int | None = Field(
        default=None, ge=0, description="model package groups per account and region"
    )
    max_model_packages: int | None = Field(
        default=None, ge=0, description="model packages (versions and unversioned) per account and region"
    )
    # The API model allows at most 10 production variants; AWS's default quota is the same.
    max_variants_per_endpoint_config: int = Field(
        default=10, ge=1, le=10, description="production variants in one endpoint config"
    )


# The most DescribeEndpoint calls a change can be set to last: a bound, so a snapshot can be checked against what the
# API could have made (a change waiting for 10**12 describes could never be updated or deleted).
MAX_TRANSITION_DESCRIBES = 1000


class EndpointTiming(BaseModel):
    """How long an endpoint's change (Creating, Updating, Deleting) lasts: until it has been described this many
    more times and this many seconds have passed. The default, 0 and 0, ends it at the next DescribeEndpoint, so a
    waiter that describes first returns at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    describes: int = Field(
        default=0, ge=0, le=MAX_TRANSITION_DESCRIBES, description="DescribeEndpoint calls a change lasts"
    )
    seconds: float = Field(default=0, ge=0, description="seconds a change lasts at least")


def limit_settings(limits: type[Limits]) -> dict[str, Any]:
    """A Settings field (unset by default) for each Limits field, with its bounds and its default in the help."""
    fields: dict[str, Any] = {}
    for name, field in limits.model_fields.items():
        bounds = {kind: getattr(m, kind) for m in field.metadata for kind in ("ge", "le") if hasattr(m, kind)}
        default = "no limit" if field.default is None else field.default
        fields[name] = Field(default=None, description=f"{field.description} (default: {default})", **bounds)
    return fields


class LimitsFileError(ValueError):
    pass


def load_limits_file(path: Path) -> dict[str, Any]:
    """A TOML or JSON file with the Limits keys at top level."""
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        return Limits(**data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise LimitsFileError(f"bad limits file {path}: {where}: {first['msg']}") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise LimitsFileError(f"bad limits file {path}: {exc}".splitlines()[0]) from exc


class Settings(BaseSettings):
    """Every setting: an env var SAGEMAKER_EMULATOR_<NAME> and, unless it holds a secret, a `serve --<name>` flag.

    The CLI builds its flags from these fields (emulator/cli.py): a field's description is its flag's help text.
    """

    model_config = SettingsConfigDict(env_prefix="SAGEMAKER_EMULATOR_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8787, ge=0, le=65535, description="port to listen on; 0 picks a free one")
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATABASE_FILE}",
        description="sqlite:///file (relative to the working directory) or postgresql+psycopg://user@host:5432/db",
    )
    # Connections per server process: pool_size kept open, max_overflow more under load, pool_timeout seconds to
    # wait for a free one before answering 503.
    database_pool_size: int = Field(default=5, ge=1, description="database connections each server process keeps open")
    database_max_overflow: int = Field(default=10, ge=0, description="extra database connections under load")
    database_pool_timeout: float = Field(
        default=30, gt=0, description="seconds to wait for a free connection before answering 503"
    )
    workers: int = Field(default=1, ge=1, description="server processes sharing the port and the database")
    region: str = Field(default="us-east-1", description="region of requests that carry no SigV4 credential scope")
    account_id: str = Field(
        default="123456789012",
        pattern=r"^[0-9]{12}$",  # ASCII digits: pydantic's \d takes any script's
        description="account of requests whose access key is not mapped to an account",
    )
    log_level: str = Field(default="info", description="critical, error, warning, info or debug")
    # "text" (key=value, for people) or "json" (one object per line, for log shippers).
    log_format: Literal["text", "json"] = Field(default="text", description="one log line per request, text or JSON")
    # The admin API's data and writes (emulator/admin/guard.py). Unset: a token if one is set, else loopback clients
    # when the listener is a loopback address and signatures are not checked, else off.
    admin_access: AdminMode | None = Field(
        default=None,
        description="who may use /_emulator beyond health, ready and version: loopback, token or off"
        " (default: token if admin_token is set, else loopback on a loopback host without strict_auth, else off)",
    )
    admin_token: SecretStr | None = Field(
        default=None, description="bearer token for the admin API, sent as 'Authorization: Bearer <token>'"
    )
    limits_file: Path | None = Field(
        default=None, description="TOML or JSON file with the max_* limits (max_models, max_endpoints, ...)"
    )
    # One setting per limit, as Limits declares it (bounds, description): None leaves the limits file's value or the
    # default. Written into the class body so that the env var, the flag and the README row follow from Limits alone.
    __annotations__.update(dict.fromkeys(Limits.model_fields, "int | None"))
    vars().update(limit_settings(Limits))
    # Endpoint lifecycle (emulator/resources/endpoint.py): by default a change is done at the next DescribeEndpoint.
    endpoint_transition_describes: int = Field(
        default=0,
        ge=0,
        le=MAX_TRANSITION_DESCRIBES,
        description="DescribeEndpoint calls an endpoint stays Creating, Updating or Deleting for",
    )
    endpoint_transition_seconds: float = Field(
        default=0, ge=0, description="seconds an endpoint stays Creating, Updating or Deleting for at least"
    )
    # Env only, as every SecretStr field: a flag would show in `ps`. Unset: derived from the database URL.
    token_secret: SecretStr | None = Field(
        default=None, description="key that signs NextTokens (default: derived from database_url)"
    )
    # Accounts and signing (see emulator/credentials.py). None: the credentials file decides, else permissive.
    strict_auth: bool | None = Field(
        default=None, description="require a valid SigV4 signature made with a configured secret key (default: off)"
    )
    credentials_file: Path | None = Field(
        default=None, description="TOML or JSON file mapping access keys to accounts and secret keys"
    )
    # Env vars take JSON objects: SAGEMAKER_EMULATOR_ACCESS_KEYS='{"AKID": "111122223333"}'.
    access_keys: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description='JSON object of access key id to account id, {"AKIA...": "111122223333"}'
    )
    secret_keys: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict, description='JSON object of access key id to secret access key, {"AKIA...": "..."}'
    )
    # Request limits (docs/decisions.md): generous enough for any valid request, small enough to protect the server.
    max_request_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="larger request bodies get 413, unread"
    )
    max_json_depth: int = Field(default=32, ge=8, description="deeper JSON gets SerializationException before parsing")
    request_header_timeout: float = Field(
        default=DEFAULT_HEADER_TIMEOUT, gt=0, description="seconds for a request's headers, then the connection closes"
    )
    request_body_timeout: float = Field(
        default=30.0, gt=0, description="seconds for a request's body, then 408 RequestTimeoutException"
    )
    keep_alive_timeout: int = Field(
        default=DEFAULT_KEEP_ALIVE_TIMEOUT, ge=1, description="seconds an idle keep-alive connection stays open"
    )
    # A stop (SIGTERM, Ctrl-C, the end of a test session) waits this long for requests in flight, then ends them:
    # one still waiting on a model server is answered ServiceUnavailable, a stream is cut.
    shutdown_grace_seconds: float = Field(
        default=10, ge=0, description="seconds a stop waits for requests in flight before ending them"
    )
    # Fault injection (emulator/faults/rules.py), off unless rules are given: a file, and/or JSON in the env var.
    faults_file: Path | None = Field(default=None, description="TOML or JSON file with fault-injection rules")
    faults: Annotated[FaultConfig | None, NoDecode] = Field(
        default=None, description='fault-injection rules as JSON, {"seed": 7, "rules": [...]}'
    )
    fault_seed: int | None = Field(default=None, description="seed for probability rules (repeatable faults)")
    # SageMaker Runtime (emulator/runtime/model_servers.py): the model server answering for each image; none: the echo.
    model_servers: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description='JSON object of container image to model server URL, "*" for every other image,'
        ' {"IMAGE": "http://127.0.0.1:8080"}; or --model-server IMAGE=URL, repeatable',
    )
    # Running a model's container (emulator/containers/commands.py): the command per image, an argv template that no
    # shell runs; none: no container is run.
    model_commands: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description='JSON object of container image to the command that runs its container, "*" for every other'
        ' image, {"IMAGE": "python serve.py {port} {model_dir}"}; or --model-command'
        " IMAGE='COMMAND ...', repeatable",
    )
    # For tests (the suite turns it on for every server): an answer that breaks its output shape in the API model is
    # an InternalFailure naming the member, instead of something an SDK silently drops. Off, it costs nothing.
    check_answers: bool = Field(
        default=False, description="check every answer against the API model's output shape; a bad one answers 500"
    )
    model_server_timeout: float = Field(
        default=60,
        gt=0,
        description="seconds a model server has to answer an invocation, whole (AWS: 60), then ModelError",
    )
    # Model data in S3 (emulator/model_data/): where S3 is, whether CreateModel checks the data, where it is cached.
    s3_endpoint_url: str | None = Field(
        default=None,
        description="S3-compatible service holding model data, http://minio:9000"
        " (default: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS's S3)",
    )
    check_model_data: bool = Field(
        default=False,
        description="CreateModel fails as AWS does when a container's model data is missing from S3, unreadable or"
        " in another region's bucket",
    )
    # Batch transform (emulator/admin/job_runner.py): how often each process looks for jobs to run, and how long a
    # process's hold on a job lasts unless renewed (a killed process's jobs are taken over after it).
    transform_scan_seconds: float = Field(
        default=1.0, gt=0, le=60, description="seconds between a process's looks for transform jobs to run"
    )
    transform_lease_seconds: float = Field(
        default=15.0,
        ge=0.3,
        le=3600,
        description="seconds a process holds a transform job unless it renews the hold; another process takes the"
        " job over after that (a process that was killed)",
    )
    model_data_dir: Path | None = Field(
        default=None,
        description="directory caching downloaded model data (default: <database file>.model-data beside a SQLite"
        " file, else sagemaker-emulator-model-data in the temporary directory)",
    )
    # Containers run as local processes (emulator/containers/supervisor.py): where they answer, how long they have.
    container_host: str = Field(
        default="127.0.0.1",
        description="host at which this server's run containers answer other replicas (their URL's host)",
    )
    container_startup_timeout: float = Field(
        default=480,
        gt=0,
        description="seconds a run container has to answer /ping with 200 when its variant sets no"
        " ContainerStartupHealthCheckTimeoutInSeconds, then the endpoint fails",
    )
    container_describe_wait: float = Field(
        default=20,
        ge=0,
        description="seconds a DescribeEndpoint waits for an endpoint's starting containers before it answers"
        " Creating or Updating",
    )
    model_data_max_bytes: int = Field(
        default=20 * 1024**3,
        ge=1,
        description="bytes one model's data may take, downloaded or extracted; more fails the download",
    )

    @field_validator("model_servers")
    @classmethod
    def _model_servers(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_urls(value)

    @field_validator("model_commands")
    @classmethod
    def _model_commands(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_commands(value)

    @field_validator("access_keys", "secret_keys", "faults", "model_servers", "model_commands", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        # Decoded here rather than by pydantic-settings, whose error for bad JSON is a traceback naming no input:
        # this way an env var and a flag fail alike, as one "invalid setting" line.
        if not isinstance(value, str | bytes):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.lower()
        if value not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("log level must be one of critical, error, warning, info, debug")
        return value

    def token_key(self) -> bytes:
        """The NextToken signing key: the same for every replica that serves one database, never random."""
        if self.token_secret is not None:
            return self.token_secret.get_secret_value().encode()
        return self.database_location(hide_password=False).encode()

    def database_location(self, *, hide_password: bool = True) -> str:
        """database_url with a SQLite file's path made absolute: where the data is, whatever the working directory."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            url = url.set(database=str(Path(url.database).expanduser().resolve()))
        return url.render_as_string(hide_password=hide_password)

    @model_validator(mode="after")
    def _admin_token_given(self) -> Settings:
        if self.admin_access == "token" and self.admin_token is None:
            raise ValueError("admin_access token needs admin_token (env SAGEMAKER_EMULATOR_ADMIN_TOKEN)")
        if self.admin_token is not None and not self.admin_token.get_secret_value():
            raise ValueError("admin_token must not be empty")
        return self

    def listens_on_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def admin_mode(self, *, strict_auth: bool) -> AdminMode:
        """The setting when given; else token when there is one; else loopback only where nobody else can connect
        and nobody is asked to sign (strict mode proves every AWS caller, so the admin API must not be open)."""
        if self.admin_access is not None:
            return self.admin_access
        if self.admin_token is not None:
            return "token"
        return "loopback" if self.listens_on_loopback() and not strict_auth else "off"

    def model_data_directory(self) -> Path:
        """Where downloaded model data is cached: the setting; else beside a SQLite file, so it goes where the data
        goes; else (PostgreSQL, memory) in the temporary directory. A plain sqlite:///path is read as written: SQLAlchemy's
        import cost the first container of a process 0.3-0.5 s on a 2-core machine (bench run_container); other URLs
        are read with it."""
        if self.model_data_dir is not None:
            return self.model_data_dir.expanduser().resolve()
        plain = _PLAIN_SQLITE_URL.fullmatch(self.database_url)
        if plain is not None and plain.group(1) != ":memory:":
            return Path(f"{Path(plain.group(1)).expanduser().resolve()}.model-data")
        from sqlalchemy.engine import make_url

        url = make_url(self.database_location(hide_password=False))
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(f"{url.database}.model-data")
        return Path(tempfile.gettempdir()) / "sagemaker-emulator-model-data"

    def limits(self) -> Limits:
        """File values first, then explicit settings (env or CLI) over them."""
        values: dict[str, Any] = load_limits_file(self.limits_file) if self.limits_file else {}
        for key in Limits.model_fields:
            if getattr(self, key) is not None:
                values[key] = getattr(self, key)
        return Limits(**values)

    def endpoint_timing(self) -> EndpointTiming:
        return EndpointTiming(describes=self.endpoint_transition_describes, seconds=self.endpoint_transition_seconds)

    def credentials(self) -> Credentials:
        """Raises CredentialsError naming the problem (never a secret)."""
        return resolve_credentials(
            file=load_credentials_file(self.credentials_file) if self.credentials_file else None,
            strict=self.strict_auth,
            access_keys=self.access_keys,
            secret_keys=self.secret_keys,
            environ=os.environ,
        )

    def fault_config(self) -> FaultConfig:
        """Rules from the file, then from `faults` (env JSON); fault_seed over either's seed."""
        rules = load_faults_file(self.faults_file) if self.faults_file else FaultConfig()
        if self.faults is not None:
            rules = FaultConfig(
                seed=self.faults.seed if self.faults.seed is not None else rules.seed,
                rules=[*rules.rules, *self.faults.rules],
            )
        if self.fault_seed is not None:
            rules = rules.model_copy(update={"seed": self.fault_seed})
        return rules
