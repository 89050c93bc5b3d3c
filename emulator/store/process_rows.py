"""The processes serving on the database and what each has applied, its SQL written once for both databases
(emulator/admin/processes.py says what it is for). One row per process, written by the process alone: beats never
wait on each other's rows."""

from __future__ import annotations

from emulator.store.statements import Statements

# What a process reports having applied, one column per shared configuration.
VERSION_COLUMNS = frozenset({"fault_version", "runtime_version"})

BEAT_SQL = (
    "INSERT INTO processes (id, heartbeat_ms, fault_version, runtime_version)"
    " VALUES (:id, :heartbeat_ms, :fault_version, :runtime_version)"
    " ON CONFLICT (id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms,"
    " fault_version = excluded.fault_version, runtime_version = excluded.runtime_version"
)
LEAVE_SQL = "DELETE FROM processes WHERE id = :id"
# Rows of processes that ended without leaving (killed), once nobody could mistake them for live ones.
PRUNE_SQL = "DELETE FROM processes WHERE heartbeat_ms < :before"
LIVE_SQL = "SELECT id FROM processes WHERE heartbeat_ms >= :fresh AND id <> :me"


def _checked(column: str) -> str:
    if column not in VERSION_COLUMNS:
        raise ValueError(f"no such version column: {column}")
    return column


def lagging_sql(column: str) -> str:
    """The live processes (but `me`) that have not applied `version` of a configuration yet (-1: one that is
    starting and has applied none)."""
    return f"{LIVE_SQL} AND {_checked(column)} < :version"


def settled_sql(column: str) -> str:
    """The live processes (but `me`) that have applied some version of a configuration (0: none was stored)."""
    return f"{LIVE_SQL} AND {_checked(column)} >= 0"


def beat(
    db: Statements, *, process_id: str, heartbeat_ms: int, versions: dict[str, int], prune_before: int | None
) -> None:
    if prune_before is not None:
        db.run(PRUNE_SQL, {"before": prune_before})
    db.run(BEAT_SQL, {"id": process_id, "heartbeat_ms": heartbeat_ms, **versions})
