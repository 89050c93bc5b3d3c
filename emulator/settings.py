"""All configuration in one place: env vars SAGEMAKER_EMULATOR_*, an optional limits file, CLI flags on top."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from emulator.faults import FaultConfig, load_faults_file

DEFAULT_DATABASE_FILE = "sagemaker-emulator.db"


class Limits(BaseModel):
    """Resource limits. AWS publishes no fixed model quota, so by default there is none."""

    model_config = ConfigDict(extra="forbid")

    max_models: int | None = Field(default=None, ge=0, description="models per account and region")
    max_containers_per_model: int = Field(default=15, ge=1, le=15, description="containers in one model")
    max_environment_bytes: int = Field(
        default=32 * 1024, ge=0, description="all Environment keys and values of one container, UTF-8"
    )


class LimitsFileError(ValueError):
    pass


def load_limits_file(path: Path) -> dict[str, Any]:
    """A TOML or JSON file with the Limits keys at top level."""
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        return Limits(**data).model_dump(exclude_unset=True)
    except (OSError, ValueError, TypeError, ValidationError) as exc:
        raise LimitsFileError(f"bad limits file {path}: {exc}".splitlines()[0]) from exc


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAGEMAKER_EMULATOR_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    region: str = "us-east-1"
    account_id: str = Field(default="123456789012", pattern=r"^\d{12}$")
    log_level: str = "info"
    limits_file: Path | None = None
    max_models: int | None = Field(default=None, ge=0)
    max_containers_per_model: int | None = Field(default=None, ge=1, le=15)
    max_environment_bytes: int | None = Field(default=None, ge=0)
    # Request limits (docs/decisions.md): generous enough for any valid request, small enough to protect the server.
    max_request_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=32, ge=8)
    request_header_timeout: float = Field(default=10.0, gt=0)
    request_body_timeout: float = Field(default=30.0, gt=0)
    keep_alive_timeout: int = Field(default=5, ge=1)
    # Fault injection (emulator/faults.py), off unless rules are given: a file, and/or JSON in the env var.
    faults_file: Path | None = None
    faults: FaultConfig | None = None
    fault_seed: int | None = None

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.lower()
        if value not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("log level must be one of critical, error, warning, info, debug")
        return value

    def limits(self) -> Limits:
        """File values first, then explicit settings (env or CLI) over them."""
        values: dict[str, Any] = load_limits_file(self.limits_file) if self.limits_file else {}
        for key in ("max_models", "max_containers_per_model", "max_environment_bytes"):
            if getattr(self, key) is not None:
                values[key] = getattr(self, key)
        return Limits(**values)

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
