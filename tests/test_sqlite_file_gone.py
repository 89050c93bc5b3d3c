"""Issue 17: the SQLite file deleted or replaced under a running server. Writes used to answer 200 into the unlinked
file (lost on restart) while readiness said ready; now writes answer 503 and readiness fails until a restart."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from emulator.settings import Settings
from tests.support import aws_post, http, open_descriptors, running_server

IMAGE = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}
GONE = {
    "__type": "ServiceUnavailable",
    "message": "The service is unavailable because its database file was deleted or replaced while it ran;"
    " restart it to open the file now at its path.",
}


def create(endpoint: str, name: str) -> httpx.Response:
    return aws_post(endpoint, "CreateModel", {"ModelName": name, "PrimaryContainer": IMAGE})


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_writes_answer_503_and_readiness_fails_once_the_file_is_gone(tmp_path: Path, how: str) -> None:
    database = tmp_path / "emulator.db"
    with running_server(Settings(database_url=f"sqlite:///{database}")) as endpoint:
        assert create(endpoint, "before").status_code == 200
        assert http().get(endpoint + "/_emulator/ready").status_code == 200
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        else:
            shutil.copy(database, tmp_path / "copy.db")
            os.replace(tmp_path / "copy.db", database)
        for name in ("after-1", "after-2"):
            refused = create(endpoint, name)
            assert (refused.status_code, refused.json()) == (503, GONE)
        reset = http().post(endpoint + "/_emulator/reset")
        assert (reset.status_code, reset.json()) == (503, GONE)
        ready = http().get(endpoint + "/_emulator/ready")
        assert (ready.status_code, ready.json()) == (
            503,
            {"__type": "ServiceUnavailable", "message": "The database is not available: DatabaseFileGone."},
        )
        assert http().get(endpoint + "/_emulator/health").status_code == 200
    # A restart opens the file now at the path and serves again.
    with running_server(Settings(database_url=f"sqlite:///{database}")) as endpoint:
        assert http().get(endpoint + "/_emulator/ready").status_code == 200
        assert create(endpoint, "after-restart").status_code == 200
        assert aws_post(endpoint, "DescribeModel", {"ModelName": "after-restart"}).status_code == 200


def open_files_under(directory: Path) -> list[str]:
    """The names of the files under `directory` this process holds open."""
    return sorted(Path(named).name for named in open_descriptors() if named.startswith(str(directory)))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc/self/fd")
def test_no_connection_to_the_file_outlives_the_server(tmp_path: Path) -> None:
    """Every connection the server opened, the readers of its loop and pollers included, is closed when it stops: one
    left to the garbage collector keeps the -shm file mapped, and faults (SIGBUS) if a later server in the process
    replaced the file and truncated that -shm."""
    database = tmp_path / "emulator.db"
    with running_server(Settings(database_url=f"sqlite:///{database}")) as endpoint:
        assert create(endpoint, "held").status_code == 200
        assert aws_post(endpoint, "DescribeModel", {"ModelName": "held"}).status_code == 200
        assert open_files_under(tmp_path) != []
    assert open_files_under(tmp_path) == []
