"""Access keys: the account each belongs to and, for strict mode, its secret. Resolved once, at start-up.

Secrets are SecretStr from the moment they are read, so no repr, log line or error message can show them; errors
about them name the access key or the environment variable, never the value.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

# ASCII digits, matched whole (fullmatch): `\d` would take other scripts' digits, `$` a trailing newline.
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
# What can stand between `Credential=` and the first `/` of a SigV4 Authorization header.
ACCESS_KEY_ID = re.compile(r"^[^/,=\s]{1,128}$")


class CredentialsError(ValueError):
    pass


class AccessKey(BaseModel):
    """One `[access_keys.<id>]` table of the credentials file."""

    model_config = ConfigDict(extra="forbid")

    account_id: str | None = Field(default=None, pattern=ACCOUNT_ID.pattern)
    secret_access_key: SecretStr | None = None
    # The name of an environment variable holding the secret, so the file itself can be committed.
    secret_access_key_env: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_secret_source(self) -> AccessKey:
        if self.secret_access_key is not None and self.secret_access_key_env is not None:
            raise ValueError("give secret_access_key or secret_access_key_env, not both")
        return self


class CredentialsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strict_auth: bool | None = None
    access_keys: dict[str, AccessKey] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Credentials:
    strict: bool
    accounts: Mapping[str, str]  # access key id -> account id, for keys that name one
    secrets: Mapping[str, SecretStr]  # access key id -> secret access key


def _describe(exc: ValidationError) -> str:
    # Never str(exc): pydantic would print the offending input, which may be a secret.
    first = exc.errors(include_input=False, include_url=False)[0]
    return f"{'.'.join(map(str, first['loc'])) or 'file'}: {first['msg']}"


def load_credentials_file(path: Path) -> CredentialsFile:
    """A TOML file (or JSON, by the .json suffix) with `strict_auth` and `[access_keys.<id>]` tables."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {exc.strerror or exc}") from None
    try:
        data: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except ValueError as exc:
        # Both parsers report a position, not the text around it.
        raise CredentialsError(f"bad credentials file {path}: {exc}".splitlines()[0]) from None
    try:
        return CredentialsFile.model_validate(data)
    except ValidationError as exc:
        raise CredentialsError(f"bad credentials file {path}: {_describe(exc)}") from None


def resolve_credentials(
    *,
    file: CredentialsFile | None,
    strict: bool | None,
    access_keys: Mapping[str, str],
    secret_keys: Mapping[str, SecretStr],
    environ: Mapping[str, str],
) -> Credentials:
    """File first, then explicit settings (env or CLI) over it, key by key; checked as a whole."""
    accounts: dict[str, str] = {}
    secrets: dict[str, SecretStr] = {}
    for key_id, entry in (file.access_keys if file else {}).items():
        if entry.account_id is not None:
            accounts[key_id] = entry.account_id
        if entry.secret_access_key is not None:
            secrets[key_id] = entry.secret_access_key
        elif entry.secret_access_key_env is not None:
            value = environ.get(entry.secret_access_key_env)
            if not value:
                raise CredentialsError(
                    f"access key {key_id}: environment variable {entry.secret_access_key_env} is not set"
                )
            secrets[key_id] = SecretStr(value)
    accounts.update(access_keys)
    secrets.update(secret_keys)
    for key_id in accounts.keys() | secrets.keys():
        if not ACCESS_KEY_ID.match(key_id):
            raise CredentialsError(f"access key id {key_id!r} is not valid: 1-128 characters, no '/', ',', '='")
    for key_id, account in accounts.items():
        if not ACCOUNT_ID.fullmatch(account):
            raise CredentialsError(f"access key {key_id}: account id {account!r} is not 12 digits")
    for key_id, secret in secrets.items():
        if not secret.get_secret_value():
            raise CredentialsError(f"access key {key_id}: the secret access key is empty")
    is_strict = strict if strict is not None else bool(file and file.strict_auth)
    if is_strict:
        if not secrets:
            raise CredentialsError("strict auth needs at least one access key with a secret access key")
        missing = sorted(accounts.keys() - secrets.keys())
        if missing:
            raise CredentialsError(f"strict auth: access key {missing[0]} has an account but no secret access key")
    return Credentials(strict=is_strict, accounts=accounts, secrets=secrets)
