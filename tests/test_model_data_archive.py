"""Safe extraction of a model's .tar.gz, with real archives built here: every way out of the model directory, device
files and FIFOs, and decompression bombs are refused, each with its own reason; a good archive comes out whole."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.model_data.archive import UnsafeArchive, extract

MB = 1024 * 1024
Entry = Callable[[tarfile.TarFile], None]


def file(name: str, data: bytes = b"x", mode: int = 0o644) -> Entry:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        tar.addfile(info, io.BytesIO(data))

    return add


def special(name: str, kind: bytes, linkname: str = "") -> Entry:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, linkname
        tar.addfile(info)

    return add


def symlink(name: str, target: str) -> Entry:
    return special(name, tarfile.SYMTYPE, target)


def hardlink(name: str, target: str) -> Entry:
    return special(name, tarfile.LNKTYPE, target)


def directory(name: str) -> Entry:
    return special(name, tarfile.DIRTYPE)


def archive(path: Path, *entries: Entry, mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:  # type: ignore[call-overload]
        for add in entries:
            add(tar)
    return path


REFUSED = [
    ("absolute path", [file("/tmp/evil")], "entry '/tmp/evil' is an absolute path"),
    ("dot-dot", [file("../evil")], "entry '../evil' leads out of the model directory (..)"),
    ("dot-dot inside a path", [file("a/../../evil")], "entry 'a/../../evil' leads out of the model directory (..)"),
    (
        "symlink to an absolute path",
        [symlink("link", "/etc/passwd")],
        "link 'link' points to an absolute path '/etc/passwd'",
    ),
    ("symlink out", [symlink("link", "../../outside")], "link 'link' points out of the model directory"),
    (
        "symlink out through a link",
        [symlink("d", "."), symlink("l", "d/..")],
        "link 'l' points out of the model directory",
    ),
    (
        "links that point out together",  # each inside when extracted; out once both are there
        [symlink("l", "d/.."), symlink("d", ".")],
        "link 'l' points out of the model directory",
    ),
    (
        "a file written through a link that points out",
        [symlink("l", "d/.."), symlink("d", "."), file("l/evil")],
        "entry 'l/evil' leads out of the model directory through a link",
    ),
    (
        "hard link to an absolute path",
        [hardlink("h", "/etc/passwd")],
        "hard link 'h' to '/etc/passwd' is an absolute path",
    ),
    (
        "hard link out",
        [hardlink("h", "../outside")],
        "hard link 'h' to '../outside' leads out of the model directory (..)",
    ),
    ("character device", [special("tty", tarfile.CHRTYPE)], "entry 'tty' is a device file"),
    ("block device", [special("sda", tarfile.BLKTYPE)], "entry 'sda' is a device file"),
    ("fifo", [special("pipe", tarfile.FIFOTYPE)], "entry 'pipe' is a device file"),
    ("a file larger than the cap", [file("big", bytes(2 * MB))], f"the archive holds more than {MB} bytes"),
    (
        "files larger than the cap together",
        [file(f"f{i}", bytes(MB // 4)) for i in range(4)],
        f"the archive holds more than {MB} bytes",
    ),
    ("a bomb of empty entries", [file(f"e{i}", b"") for i in range(2100)], f"the archive holds more than {MB} bytes"),
]


@pytest.mark.parametrize(("entries", "reason"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_unsafe_archives_are_refused(tmp_path: Path, entries: list[Entry], reason: str) -> None:
    model = tmp_path / "sandbox" / "model"
    model.mkdir(parents=True)
    with pytest.raises(UnsafeArchive) as caught:
        extract(archive(tmp_path / "model.tar.gz", *entries), model, max_bytes=MB)
    assert str(caught.value) == reason
    # Nothing landed beside the model directory.
    assert sorted(p.name for p in (tmp_path / "sandbox").iterdir()) == ["model"]
    assert not Path("/tmp/evil").exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not an archive", "cannot extract: not a gzip file"),
        (None, "cannot extract: not a gzip file"),  # a tar, but not gzip-compressed
    ],
    ids=["text", "uncompressed tar"],
)
def test_what_is_not_a_tar_gz_is_refused(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "model.tar.gz"
    if content is None:
        archive(path, file("a"), mode="w")
    else:
        path.write_bytes(content)
    with pytest.raises(UnsafeArchive) as caught:
        extract(path, tmp_path / "model", max_bytes=MB)
    assert str(caught.value) == reason


def test_a_good_archive_comes_out_whole(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    total = extract(
        archive(
            tmp_path / "model.tar.gz",
            directory("code"),
            file("code/inference.py", b"print('hi')\n", mode=0o755),
            file("weights/layer1.bin", b"\x01\x02"),
            symlink("code/weights", "../weights"),
            hardlink("copy.bin", "weights/layer1.bin"),
            file("setuid", b"s", mode=0o4755),
        ),
        model,
        max_bytes=MB,
    )
    assert total == 6 * 512 + 12 + 2 + 1
    assert (model / "code" / "inference.py").read_bytes() == b"print('hi')\n"
    assert os.readlink(model / "code" / "weights") == "../weights"
    assert (model / "code" / "weights" / "layer1.bin").read_bytes() == b"\x01\x02"
    assert (model / "copy.bin").read_bytes() == b"\x01\x02"
    assert os.stat(model / "copy.bin").st_ino == os.stat(model / "weights" / "layer1.bin").st_ino
    assert os.stat(model / "code" / "inference.py").st_mode & 0o111  # executables stay executable
    assert not os.stat(model / "setuid").st_mode & stat.S_ISUID  # set-uid bits are dropped
