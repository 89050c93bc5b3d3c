"""All configuration in one place: env vars SAGEMAKER_EMULATOR_*, an optional limits file, CLI flags on top."""

from __future__ import annotations

import ipaddress
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise LimitsFileError(f"bad limits file {path}: {where}: {first['msg']}") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise LimitsFileError(f"bad limits file {path}: {exc}".splitlines()[0]) from exc


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAGEMAKER_EMULATOR_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    region: str = "us-east-1"
    account_id: str = Field(default="123456789012", pattern=r"^\d{12}$")
    log_level: str = "info"
    # One line per request: "text" (key=value, for people) or "json" (one object per line, for log shippers).
    log_format: Literal["text", "json"] = "text"
    # Reset and import through the admin API wipe data: allowed by default only where nobody else can reach them.
    admin_writes: bool | None = None
    limits_file: Path | None = None
    max_models: int | None = Field(default=None, ge=0)
    max_containers_per_model: int | None = Field(default=None, ge=1, le=15)
    max_environment_bytes: int | None = Field(default=None, ge=0)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.lower()
        if value not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("log level must be one of critical, error, warning, info, debug")
        return value

    def admin_writes_allowed(self) -> bool:
        """The setting when given, else true only for a loopback listener."""
        if self.admin_writes is not None:
            return self.admin_writes
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def limits(self) -> Limits:
        """File values first, then explicit settings (env or CLI) over them."""
        values: dict[str, Any] = load_limits_file(self.limits_file) if self.limits_file else {}
        for key in ("max_models", "max_containers_per_model", "max_environment_bytes"):
            if getattr(self, key) is not None:
                values[key] = getattr(self, key)
        return Limits(**values)
