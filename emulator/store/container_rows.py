"""The containers run for endpoints' deployments, their SQL written once for both databases (emulator/containers/
says what they are for). Every change of a row's owner is a compare-and-set: of two processes taking over one
container, the database lets one through."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.store.statements import Params, Statements

COLUMNS = "key, account_id, region, endpoint_name, spec, status, owner, lease_ms, url, reason, served, modified_ms"
ALL_SQL = f"SELECT {COLUMNS} FROM containers"
ONE_SQL = f"SELECT {COLUMNS} FROM containers WHERE key = :key"
INSERT_SQL = (
    f"INSERT INTO containers ({COLUMNS}) VALUES (:key, :account_id, :region, :endpoint_name, :spec, 'Pending', NULL,"
    " 0, NULL, NULL, 0, :now) ON CONFLICT (key) DO NOTHING"
)
# A container nobody runs (new, released by a process that stopped, or whose owner's lease ran out).
CLAIM_SQL = (
    "UPDATE containers SET owner = :owner, lease_ms = :lease, status = 'Starting', url = NULL, modified_ms = :now"
    " WHERE key = :key AND status IN ('Pending', 'Starting', 'Healthy') AND (owner IS NULL OR lease_ms < :now)"
)
# What the owner reports; a process that lost its lease (to a takeover) changes nothing.
REPORT_SQL = (
    "UPDATE containers SET status = :status, url = :url, reason = :reason, served = :served, modified_ms = :now"
    " WHERE key = :key AND owner = :owner AND status <> 'Retired'"
)
RENEW_SQL = "UPDATE containers SET lease_ms = :lease WHERE owner = :owner"
# A process that stops hands its containers over at once (retired ones are gone with their processes).
RELEASE_SQL = "UPDATE containers SET owner = NULL, lease_ms = 0, url = NULL, modified_ms = :now WHERE owner = :owner"
RETIRE_SQL = "UPDATE containers SET status = 'Retired', modified_ms = :now WHERE key = :key AND status <> 'Retired'"
# A retired container is deleted by its owner once stopped, or by anyone when nobody runs it.
DELETE_SQL = (
    "DELETE FROM containers WHERE key = :key AND status = 'Retired'"
    " AND (owner = :owner OR owner IS NULL OR lease_ms < :now)"
)


@dataclass(frozen=True, slots=True)
class ContainerRow:
    key: str
    account_id: str
    region: str
    endpoint_name: str
    spec: str
    status: str
    owner: str | None
    lease_ms: int
    url: str | None
    reason: str | None
    served: bool
    modified_ms: int


def as_row(row: tuple[object, ...]) -> ContainerRow:
    key, account, region, endpoint, spec, status, owner, lease, url, reason, served, modified = row
    return ContainerRow(
        key=str(key),
        account_id=str(account),
        region=str(region),
        endpoint_name=str(endpoint),
        spec=str(spec),
        status=str(status),
        owner=None if owner is None else str(owner),
        lease_ms=int(lease),  # type: ignore[call-overload]
        url=None if url is None else str(url),
        reason=None if reason is None else str(reason),
        served=bool(served),
        modified_ms=int(modified),  # type: ignore[call-overload]
    )


def add(db: Statements, *, rows: list[Params]) -> None:
    db.run_many(INSERT_SQL, rows)


def retire(db: Statements, *, keys: list[str], now: int) -> None:
    db.run_many(RETIRE_SQL, [{"key": key, "now": now} for key in keys])
