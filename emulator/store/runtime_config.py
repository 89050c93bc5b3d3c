"""SageMaker Runtime's run-time configuration, shared by every process on the database; its SQL written once for
both databases. One versioned row holds the model server and model command tables; the canned answers are one row per endpoint (or
variant) with its mode and how many it gave, and one row per answer.

Every change first raises the version (locking that row on PostgreSQL), so changes queue on it in one order, and
returns the whole view as of its own version: the process that made it applies that at once. Taking an answer does
not change the view: it is one conditional UPDATE of the endpoint's row, which the database lets through once per
answer however many processes race for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.store.statements import Params, Statements

# account id, region, endpoint name, variant name ('' for the endpoint's answers of any variant).
CannedKey = tuple[str, str, str, str]

KEY = (
    "account_id = :account_id AND region = :region AND endpoint_name = :endpoint_name AND variant_name = :variant_name"
)
VERSION_SQL = "SELECT version FROM runtime_config WHERE id = 1"
CONFIG_SQL = "SELECT version, model_servers, model_commands FROM runtime_config WHERE id = 1"
# The tables a change may replace: image -> model server URL, image -> model command (each JSON, or NULL).
TABLE_COLUMNS = ("model_servers", "model_commands")
KEYS_SQL = "SELECT account_id, region, endpoint_name, variant_name FROM canned_sets"
LIST_SQL = (
    "SELECT account_id, region, endpoint_name, variant_name, mode, answers, given FROM canned_sets"
    " ORDER BY account_id, region, endpoint_name, variant_name"
)
# A fixed answer is given every time; a queue's only while it has answers left.
TAKE_SQL = f"UPDATE canned_sets SET given = given + 1 WHERE {KEY} AND (mode = 'fixed' OR given < answers)"
# The answer just taken: read after the UPDATE, in its transaction, so it sees the row as this take left it.
TAKEN_SQL = (
    f"SELECT answer FROM canned_answers WHERE {KEY} AND position ="
    f" (SELECT CASE WHEN mode = 'fixed' THEN 0 ELSE given - 1 END FROM canned_sets WHERE {KEY})"
)
PUT_SQL = (
    "INSERT INTO canned_sets (account_id, region, endpoint_name, variant_name, mode, answers, given)"
    " VALUES (:account_id, :region, :endpoint_name, :variant_name, :mode, :answers, 0)"
    " ON CONFLICT (account_id, region, endpoint_name, variant_name)"
    " DO UPDATE SET mode = excluded.mode, answers = excluded.answers, given = 0"
)
INSERT_ANSWER_SQL = (
    "INSERT INTO canned_answers (account_id, region, endpoint_name, variant_name, position, answer)"
    " VALUES (:account_id, :region, :endpoint_name, :variant_name, :position, :answer)"
)


@dataclass(frozen=True, slots=True)
class RuntimeView:
    """What every process serves from: the version, the stored model server and model command tables (JSON each;
    None: none stored) and which endpoints and variants have canned answers."""

    version: int
    model_servers: str | None
    model_commands: str | None
    canned: frozenset[CannedKey]


def key_params(key: CannedKey) -> Params:
    account_id, region, endpoint_name, variant_name = key
    return {"account_id": account_id, "region": region, "endpoint_name": endpoint_name, "variant_name": variant_name}


def as_view(config: list[Any], keys: list[Any]) -> RuntimeView:
    """The view from the rows of CONFIG_SQL and KEYS_SQL."""
    version, servers, commands = (int(config[0][0]), config[0][1], config[0][2]) if config else (0, None, None)
    return RuntimeView(
        version=version,
        model_servers=None if servers is None else str(servers),
        model_commands=None if commands is None else str(commands),
        canned=frozenset((str(a), str(r), str(e), str(v)) for a, r, e, v in keys),
    )


def view(db: Statements) -> RuntimeView:
    """The view inside a write transaction: exactly as of its change, as every other change waits for it."""
    return as_view(db.rows(CONFIG_SQL, {}), db.rows(KEYS_SQL, {}))


def _next_version(db: Statements) -> None:
    """Raises the version; on PostgreSQL the row stays locked until the change commits, so changes take turns."""
    # Made once; concurrent first writers wait on the row instead of failing on its key.
    db.run(
        "INSERT INTO runtime_config (id, version, model_servers) VALUES (1, 0, NULL) ON CONFLICT (id) DO NOTHING", {}
    )
    db.run("UPDATE runtime_config SET version = version + 1 WHERE id = 1", {})


def replace_tables(db: Statements, *, tables: Mapping[str, str | None]) -> RuntimeView:
    """Stores each table named (a column of TABLE_COLUMNS: its JSON; None: none stored) in one change."""
    unknown = set(tables) - set(TABLE_COLUMNS)
    if unknown or not tables:  # the names become SQL: only this module's own ever may
        raise ValueError(f"not runtime tables: {sorted(unknown)}")
    _next_version(db)
    assignments = ", ".join(f"{column} = :{column}" for column in tables)
    db.run(f"UPDATE runtime_config SET {assignments} WHERE id = 1", dict(tables))
    return view(db)


def put_canned(db: Statements, *, key: CannedKey, mode: str, answers: list[str]) -> RuntimeView:
    """Replaces one endpoint's (or variant's) answers (each a CannedAnswer's JSON), none given yet. The row is
    updated in place rather than replaced, so a take waiting on it takes the new first answer."""
    _next_version(db)
    params = key_params(key)
    db.run(PUT_SQL, {**params, "mode": mode, "answers": len(answers)})
    db.run(f"DELETE FROM canned_answers WHERE {KEY}", params)
    db.run_many(INSERT_ANSWER_SQL, [{**params, "position": p, "answer": a} for p, a in enumerate(answers)])
    return view(db)


def clear_canned(
    db: Statements, *, account_id: str | None, region: str | None, endpoint_name: str | None
) -> RuntimeView | None:
    """Removes the answers of an account, region and/or endpoint (None matches all); None when there were none (the
    version stays, so no process reloads for nothing)."""
    conditions, params = ["1 = 1"], {}
    for column, value in (("account_id", account_id), ("region", region), ("endpoint_name", endpoint_name)):
        if value is not None:
            conditions.append(f"{column} = :{column}")
            params[column] = value
    where = " AND ".join(conditions)
    if not db.rows(f"SELECT 1 FROM canned_sets WHERE {where} LIMIT 1", params):
        return None
    _next_version(db)  # before the deletes: every change locks the version row first, so none waits on another
    db.run(f"DELETE FROM canned_sets WHERE {where}", params)
    db.run(f"DELETE FROM canned_answers WHERE {where}", params)
    return view(db)


def take_canned(db: Statements, *, keys: list[CannedKey]) -> str | None:
    """The next answer (JSON) of the first key that has one left, counted as given; None when none has."""
    for key in keys:
        params = key_params(key)
        if db.run(TAKE_SQL, params) == 1:
            return str(db.rows(TAKEN_SQL, params)[0][0])
    return None
