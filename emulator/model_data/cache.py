"""A model's data downloaded into a model directory once per (URI, ETag), as SageMaker hands it to a container
(/opt/ml/model): a .tar.gz extracted safely, an uncompressed object as itself, a prefix's objects at their relative
paths. Blocking work runs on a worker thread; concurrent fetches of one version (threads, or processes sharing the
directory) each build a private copy and the first rename wins."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from emulator.model_data.archive import UnsafeArchive, extract
from emulator.model_data.s3 import S3Denied, S3Missing, S3Object, S3Reader, TooLarge
from emulator.model_data.sources import ModelData

log = logging.getLogger("emulator")


def download_failure_reason(uri: str, *, container: int) -> str:
    """AWS's FailureReason for an endpoint whose model data could not be downloaded (spec part D); containers are
    numbered from 1 in the model's order."""
    return (
        f'Failed to download model data for container "container_{container}" from URL: "{uri}". Please ensure that'
        " there is an object located at the URL and that the role passed to CreateModel has permissions to download"
        " the object."
    )


class ModelDataDownloadFailed(Exception):
    """`reason` is AWS's FailureReason; `detail` what went wrong, for the log."""

    def __init__(self, *, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class BadName(Exception):
    """A key that SageMaker refuses as a file name under /opt/ml/model."""


def relative_path(remainder: str, *, key: str) -> str:
    """The path an object gets in the model directory, under the API model's rules for uncompressed data
    (S3ModelDataSource.CompressionType): split by '/', no part empty or blank, with a NUL, longer than 255 bytes,
    '.' or '..'; so a key ending in '/' (a console "folder") fails too."""
    for part in remainder.split("/"):
        if not part.strip() or "\0" in part or len(part.encode()) > 255 or part in (".", ".."):
            raise BadName(f"the key {key!r} does not make a file name ({part!r})")
    return remainder


class ModelDataCache:
    def __init__(self, *, root: Path, s3: S3Reader, max_bytes: int) -> None:
        self.root = root
        self.s3 = s3
        self.max_bytes = max_bytes

    async def model_dir(self, data: ModelData, *, container: int, region: str) -> Path:
        return await asyncio.to_thread(self.fetch, data, container=container, region=region)

    def fetch(self, data: ModelData, *, container: int, region: str) -> Path:
        """The model directory of this data's current version, downloaded if not cached yet; raises
        ModelDataDownloadFailed with AWS's FailureReason."""
        try:
            if data.data_type == "S3Prefix":
                objects = list(self.s3.list_under(data.location, region=region))
                if not objects:
                    raise S3Missing(f"nothing under {data.uri}")
                version = "\n".join(f"{o.key} {o.etag}" for o in objects)
            else:
                head = self.s3.head(data.location, region=region)
                objects, version = [head], head.etag
            final = self.root / hashlib.sha256(f"{data.uri}\n{version}".encode()).hexdigest()[:32]
            if final.is_dir():
                return final
            self.root.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(dir=self.root, prefix=".partial-"))
            try:
                self.fill(work, data, objects, region=region)
                try:
                    os.rename(work, final)
                except OSError:
                    if not final.is_dir():
                        raise
                    # Another thread or process finished the same version first: its copy is as good.
            finally:
                shutil.rmtree(work, ignore_errors=True)
            return final
        except (S3Missing, S3Denied, TooLarge, UnsafeArchive, BadName) as exc:
            log.info("model data at %s cannot be downloaded: %s", data.uri, exc)
            raise ModelDataDownloadFailed(
                reason=download_failure_reason(data.uri, container=container), detail=str(exc)
            ) from exc

    def fill(self, work: Path, data: ModelData, objects: list[S3Object], *, region: str) -> None:
        bucket = data.location.bucket
        if data.data_type == "S3Object" and data.compression == "Gzip":
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".archive-", suffix=".tar.gz") as archive:
                self.s3.download(bucket, data.location.key, archive, region=region, max_bytes=self.max_bytes)
                archive.flush()
                extract(Path(archive.name), work, max_bytes=self.max_bytes)
            return
        if data.data_type == "S3Object":
            paths = [(objects[0], relative_path(data.location.key.rsplit("/", 1)[-1], key=data.location.key))]
        else:
            paths = [(o, relative_path(o.key[len(data.location.key) :], key=o.key)) for o in objects]
        total = sum(o.size for o, _ in paths)
        if total > self.max_bytes:
            raise TooLarge(f"the objects under {data.uri} hold {total} bytes, more than {self.max_bytes}")
        left = self.max_bytes
        for found, path in paths:
            target = work / path
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                left -= self.s3.download_to(bucket, found.key, target, region=region, max_bytes=left)
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
                # weights and weights/part1: a file and a directory of one name (the API model's example).
                raise BadName(f"the key {found.key!r} clashes with another object's path: {exc}") from exc
