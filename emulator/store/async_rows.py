"""InvokeEndpointAsync's pending requests, their SQL written once for both databases (emulator/runtime/async_worker.py
says how they are run). A row is taken by compare-and-set on its owner and lease: of two processes taking one
request, the database lets one through; and only while fewer than the endpoint's concurrency of its requests are
held, so MaxConcurrentInvocationsPerInstance holds across every process on the database."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.store.statements import Params, Statements

COLUMNS = "id, account_id, region, endpoint_name, request, concurrency, attempts, created_ms, expires_ms"
INSERT_SQL = (
    "INSERT INTO async_invocations (id, account_id, region, endpoint_name, request, concurrency, status, owner,"
    " lease_ms, attempts, created_ms, expires_ms) VALUES (:id, :account_id, :region, :endpoint_name, :request,"
    " :concurrency, 'Pending', NULL, 0, 0, :created_ms, :expires_ms)"
)
# The oldest requests nobody holds: new, released by a process that stopped, whose owner's lease ran out, or put
# back to be tried again from lease_ms on (no owner then: a lease in the future is a back-off).
WAITING_SQL = (
    "SELECT id, account_id, region, endpoint_name, concurrency FROM async_invocations"
    " WHERE status = 'Pending' AND lease_ms < :now ORDER BY created_ms, id LIMIT :limit"
)
CLAIM_SQL = (
    "UPDATE async_invocations SET owner = :owner, lease_ms = :lease, attempts = attempts + 1"
    " WHERE id = :id AND status = 'Pending' AND lease_ms < :now"
    " AND (SELECT count(*) FROM async_invocations AS held WHERE held.account_id = :account_id"
    " AND held.region = :region AND held.endpoint_name = :endpoint_name AND held.status = 'Pending'"
    " AND held.owner IS NOT NULL AND held.lease_ms >= :now) < :concurrency"
)
CLAIMED_SQL = f"SELECT {COLUMNS} FROM async_invocations WHERE id = :id AND owner = :owner"
RENEW_SQL = "UPDATE async_invocations SET lease_ms = :lease WHERE owner = :owner"
# A process that stops hands the requests it has not done over at once; one whose work failed (S3 away) puts it back
# to be taken again from :after on.
RELEASE_SQL = "UPDATE async_invocations SET owner = NULL, lease_ms = :after WHERE id = :id AND owner = :owner"
RELEASE_ALL_SQL = "UPDATE async_invocations SET owner = NULL, lease_ms = 0 WHERE owner = :owner"
# Done: its object is written. Only by its owner: one whose lease ran out leaves the row to the process that took it.
DONE_SQL = "DELETE FROM async_invocations WHERE id = :id AND owner = :owner"
PENDING_SQL = "SELECT count(*) FROM async_invocations WHERE status = 'Pending'"


@dataclass(frozen=True, slots=True)
class AsyncRow:
    id: str
    account_id: str
    region: str
    endpoint_name: str
    request: str
    concurrency: int
    attempts: int
    created_ms: int
    expires_ms: int


def as_row(row: tuple[object, ...]) -> AsyncRow:
    key, account, region, endpoint, request, concurrency, attempts, created, expires = row
    return AsyncRow(
        id=str(key),
        account_id=str(account),
        region=str(region),
        endpoint_name=str(endpoint),
        request=str(request),
        concurrency=int(concurrency),  # type: ignore[call-overload]
        attempts=int(attempts),  # type: ignore[call-overload]
        created_ms=int(created),  # type: ignore[call-overload]
        expires_ms=int(expires),  # type: ignore[call-overload]
    )


def add(db: Statements, *, row: Params) -> None:
    db.run(INSERT_SQL, row)


def claim(db: Statements, *, params: Params) -> AsyncRow | None:
    """The request, now held by params["owner"]; None when another process took it first or the endpoint already
    runs as many as it may."""
    if not db.run(CLAIM_SQL, params):
        return None
    rows = db.rows(CLAIMED_SQL, {"id": params["id"], "owner": params["owner"]})
    return as_row(tuple(rows[0])) if rows else None
