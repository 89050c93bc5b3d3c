"""Safe extraction of a model's .tar.gz: nothing lands outside the model directory, and a size cap stops a
decompression bomb. Blocking: run it on a worker thread."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

# PEP 706's extraction filter, in Python from 3.11.4 (requires-python allows 3.11.0): used where there is one.
FILTER: dict[str, str] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
# Each tar member costs a 512-byte header however small it is: counted, so a bomb of empty entries is capped too.
HEADER_BYTES = 512


class UnsafeArchive(Exception):
    """The archive cannot be extracted safely (the message says which entry and why), or is not a .tar.gz."""


def is_inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def checked_name(name: str, *, what: str) -> str:
    """A member's name (or a hard link's target, a path in the archive): relative, without `..`."""
    if name.startswith("/") or os.path.isabs(name):
        raise UnsafeArchive(f"{what} {name!r} is an absolute path")
    if ".." in name.split("/"):
        raise UnsafeArchive(f"{what} {name!r} leads out of the model directory (..)")
    return name


def extract(archive: Path, into: Path, *, max_bytes: int) -> int:
    """Extracts the gzip-compressed tar `archive` into the directory `into`, member by member; returns the bytes it
    holds (headers counted). Raises UnsafeArchive and leaves what was extracted: the caller removes `into`.

    Each destination is checked on disk as it is then (os.path.realpath follows the links extracted so far), and
    after the last member every link is resolved again: links that are each inside can point out together."""
    root = os.path.realpath(into)
    total = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:  # streamed: a member is checked before any byte of it is written
                name = checked_name(member.name, what="entry")
                if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
                    kind = "a device file" if member.isdev() else "not a file, directory or link"
                    raise UnsafeArchive(f"entry {name!r} is {kind}")
                if member.issparse():
                    raise UnsafeArchive(f"entry {name!r} is a sparse file")
                total += HEADER_BYTES + (member.size if member.isreg() else 0)
                if total > max_bytes:
                    raise UnsafeArchive(f"the archive holds more than {max_bytes} bytes")
                destination = os.path.realpath(os.path.join(root, name))
                if not is_inside(destination, root):
                    raise UnsafeArchive(f"entry {name!r} leads out of the model directory through a link")
                if member.issym():
                    if os.path.isabs(member.linkname):
                        raise UnsafeArchive(f"link {name!r} points to an absolute path {member.linkname!r}")
                    target = os.path.realpath(os.path.join(os.path.dirname(destination), member.linkname))
                    if not is_inside(target, root):
                        raise UnsafeArchive(f"link {name!r} points out of the model directory")
                if member.islnk():
                    linked = checked_name(member.linkname, what=f"hard link {name!r} to")
                    if not is_inside(os.path.realpath(os.path.join(root, linked)), root):
                        raise UnsafeArchive(f"hard link {name!r} points out of the model directory")
                # The data filter as well (PEP 706): it also drops set-uid bits and the archive's owners.
                tar.extract(member, root, **FILTER)  # type: ignore[arg-type]
    except (tarfile.TarError, EOFError, OSError) as exc:  # not a .tar.gz, truncated, a name clash, the filter
        raise UnsafeArchive(f"cannot extract: {exc}") from exc
    for directory, dirs, files in os.walk(root):
        for entry in (*dirs, *files):
            path = os.path.join(directory, entry)
            if os.path.islink(path) and not is_inside(os.path.realpath(path), root):
                raise UnsafeArchive(f"link {os.path.relpath(path, root)!r} points out of the model directory")
    return total
