"""The fault-injection rules' SQL, written once for both databases: the shared rules (one versioned row) and the
per-rule counters of the version in force. What a rule means is emulator/faults/rules.py's business, not the store's: a
count is handed the decision as a function of the counts."""

from __future__ import annotations

from collections.abc import Callable

from emulator.store.statements import Statements

VERSION_SQL = "SELECT version FROM fault_config WHERE id = 1"
CONFIG_SQL = "SELECT version, config FROM fault_config WHERE id = 1"
COUNTERS_SQL = "SELECT matched, injected FROM fault_counters WHERE version = :version ORDER BY position"
_ONE = "version = :version AND position = :position"


def replace(db: Statements, *, config: str, rules: int) -> int:
    """Stores config as the next version with fresh counters for its `rules` rules; the new version."""
    # Made once; concurrent first writers wait on the row instead of failing on its key.
    db.run("INSERT INTO fault_config (id, version, config) VALUES (1, 0, '{}') ON CONFLICT (id) DO NOTHING", {})
    locked = db.rows(VERSION_SQL + (" FOR UPDATE" if db.locks_rows else ""), {})
    version = int(locked[0][0]) + 1
    db.run(
        "UPDATE fault_config SET version = :version, config = :config WHERE id = 1",
        {"version": version, "config": config},
    )
    db.run("DELETE FROM fault_counters", {})
    if rules:
        db.run_many(
            "INSERT INTO fault_counters (version, position, matched, injected) VALUES (:version, :position, 0, 0)",
            [{"version": version, "position": p} for p in range(rules)],
        )
    return version


def count(db: Statements, *, version: int, position: int, decide: Callable[[int, int], bool]) -> bool | None:
    """Counts one match of a rule; whether it fires (counted too), decide(matched, injected) says. None when that
    version is no longer in force (the rules changed meanwhile)."""
    params = {"version": version, "position": position}
    if db.run(f"UPDATE fault_counters SET matched = matched + 1 WHERE {_ONE}", params) == 0:
        return None
    matched, injected = db.rows(f"SELECT matched, injected FROM fault_counters WHERE {_ONE}", params)[0]
    fires = decide(int(matched), int(injected))
    if fires:
        db.run(f"UPDATE fault_counters SET injected = injected + 1 WHERE {_ONE}", params)
    return fires
