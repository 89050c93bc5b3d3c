"""Model data downloaded into a model directory once per (URI, ETag), against moto's S3 server: a .tar.gz extracted,
an uncompressed object as itself, a prefix's objects at their relative paths; every failure is AWS's FailureReason,
and leaves nothing in the cache."""

from __future__ import annotations

import asyncio
import io
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest

from emulator.model_data.cache import ModelDataCache, ModelDataDownloadFailed, download_failure_reason
from emulator.model_data.s3 import S3Location, S3Reader
from emulator.model_data.sources import ModelData, model_data_of
from tests.moto_s3 import emptied

MAX = 1024 * 1024


def tar_gz(files: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def data(uri: str, data_type: str = "S3Object", compression: str = "Gzip") -> ModelData:
    location = S3Location.parse(uri)
    assert location is not None
    return ModelData(uri=uri, location=location, data_type=data_type, compression=compression)  # type: ignore[arg-type]


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def s3(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return emptied(s3_url, monkeypatch)


@pytest.fixture
def cache(s3: Any, s3_url: str, tmp_path: Path) -> ModelDataCache:
    return ModelDataCache(root=tmp_path / "cache", s3=S3Reader(endpoint_url=s3_url), max_bytes=MAX)


def test_a_tar_gz_is_extracted_once_per_version(s3: Any, cache: ModelDataCache) -> None:
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=tar_gz({"weights.json": b"[1, 2]", "code/x.py": b""}))
    model = cache.fetch(data("s3://models/m/model.tar.gz"), container=1, region="us-east-1")
    assert files_under(model) == {"code/x.py": b"", "weights.json": b"[1, 2]"}
    (model / "marker").write_bytes(b"")  # a second fetch of the same version downloads nothing
    assert cache.fetch(data("s3://models/m/model.tar.gz"), container=1, region="us-east-1") == model
    assert (model / "marker").exists()
    s3.put_object(Bucket="models", Key="m/model.tar.gz", Body=tar_gz({"weights.json": b"[3]"}))  # a new ETag
    newer = cache.fetch(data("s3://models/m/model.tar.gz"), container=1, region="us-east-1")
    assert newer != model and files_under(newer) == {"weights.json": b"[3]"}
    # Nothing else in the cache: the two versions, no archive or partial copy left over.
    assert sorted(p.name for p in cache.root.iterdir()) == sorted([model.name, newer.name])


def test_an_uncompressed_object_is_the_file_of_its_key_s_last_part(s3: Any, cache: ModelDataCache) -> None:
    s3.put_object(Bucket="models", Key="m/v1/model.onnx", Body=b"onnx")
    model = cache.fetch(data("s3://models/m/v1/model.onnx", compression="None"), container=1, region="us-east-1")
    assert files_under(model) == {"model.onnx": b"onnx"}


def test_a_prefix_s_objects_keep_their_relative_paths(s3: Any, cache: ModelDataCache) -> None:
    for key in ("p/config.json", "p/shards/1.bin", "p/shards/2.bin", "other/x"):
        s3.put_object(Bucket="models", Key=key, Body=key.encode())
    model = cache.fetch(data("s3://models/p/", "S3Prefix", "None"), container=1, region="us-east-1")
    assert files_under(model) == {
        "config.json": b"p/config.json",
        "shards/1.bin": b"p/shards/1.bin",
        "shards/2.bin": b"p/shards/2.bin",
    }
    s3.put_object(Bucket="models", Key="p/shards/3.bin", Body=b"3")  # a new object: a new version of the prefix
    assert "shards/3.bin" in files_under(
        cache.fetch(data("s3://models/p/", "S3Prefix", "None"), container=1, region="us-east-1")
    )


def test_the_container_s_model_data_as_the_request_gave_it(s3: Any, cache: ModelDataCache) -> None:
    s3.put_object(Bucket="models", Key="mm/a.tar.gz", Body=b"a")
    source = model_data_of({"Mode": "MultiModel", "ModelDataUrl": "s3://models/mm/"})
    assert source is not None
    assert files_under(cache.fetch(source, container=1, region="us-east-1")) == {"a.tar.gz": b"a"}


FAILURES = [
    # (id, objects put, the data, the container's number)
    ("missing object", {}, data("s3://models/none.tar.gz"), 1),
    ("missing bucket", {}, data("s3://nobucket/model.tar.gz"), 1),
    ("empty prefix", {}, data("s3://models/none/", "S3Prefix", "None"), 1),
    ("not a tar.gz", {"m.tar.gz": b"plain text"}, data("s3://models/m.tar.gz"), 2),
    ("an entry out of the model directory", {"m.tar.gz": tar_gz({"../evil": b"x"})}, data("s3://models/m.tar.gz"), 1),
    (
        "a link out of the model directory",
        {"m.tar.gz": tar_gz({}, links={"l": "/etc"})},
        data("s3://models/m.tar.gz"),
        1,
    ),
    ("an archive over the cap", {"m.tar.gz": tar_gz({"zeros": bytes(2 * MAX)})}, data("s3://models/m.tar.gz"), 1),
    ("an object over the cap", {"big.bin": bytes(MAX + 1)}, data("s3://models/big.bin", compression="None"), 3),
    (
        "a prefix over the cap",
        {"p/a": bytes(MAX // 2 + 1), "p/b": bytes(MAX // 2)},
        data("s3://models/p/", "S3Prefix", "None"),
        1,
    ),
    ("a folder object under the prefix", {"p/a": b"a", "p/sub/": b""}, data("s3://models/p/", "S3Prefix", "None"), 1),
    (
        "a file and a directory of one name",
        {"p/weights": b"w", "p/weights/part1": b"1"},
        data("s3://models/p/", "S3Prefix", "None"),
        1,
    ),
    ("a prefix without its slash", {"p/a": b"a"}, data("s3://models/p", "S3Prefix", "None"), 1),
    ("a name of a dot", {"p/./a": b"a"}, data("s3://models/p/", "S3Prefix", "None"), 1),
    ("a name over 255 bytes", {"p/" + "n" * 256: b"a"}, data("s3://models/p/", "S3Prefix", "None"), 1),
    ("a key that ends in a slash", {"dir/": b""}, data("s3://models/dir/", compression="None"), 1),
]


@pytest.mark.parametrize(("objects", "source", "container"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_a_failed_download_is_aws_s_failure_reason(
    s3: Any, cache: ModelDataCache, objects: dict[str, bytes], source: ModelData, container: int
) -> None:
    for key, body in objects.items():
        s3.put_object(Bucket="models", Key=key, Body=body)
    with pytest.raises(ModelDataDownloadFailed) as caught:
        cache.fetch(source, container=container, region="us-east-1")
    assert caught.value.reason == (
        f'Failed to download model data for container "container_{container}" from URL: "{source.uri}". Please'
        " ensure that there is an object located at the URL and that the role passed to CreateModel has permissions"
        " to download the object."
    )
    assert caught.value.reason == download_failure_reason(source.uri, container=container)
    assert not cache.root.exists() or list(cache.root.iterdir()) == []  # nothing partial left


def test_concurrent_fetches_of_one_version_agree(s3: Any, cache: ModelDataCache) -> None:
    s3.put_object(Bucket="models", Key="m.tar.gz", Body=tar_gz({f"f{i}": bytes(1000) for i in range(50)}))
    found: list[Path] = []

    def fetch() -> None:
        found.append(cache.fetch(data("s3://models/m.tar.gz"), container=1, region="us-east-1"))

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 4 and len(set(found)) == 1
    assert len(files_under(found[0])) == 50
    assert [p.name for p in cache.root.iterdir()] == [found[0].name]


def test_the_async_fetch_runs_off_the_event_loop(s3: Any, cache: ModelDataCache) -> None:
    s3.put_object(Bucket="models", Key="m.bin", Body=b"m")
    loop_thread: list[int] = []
    fetch_thread: list[int] = []
    original = cache.fill

    def recording_fill(*args: Any, **kwargs: Any) -> None:
        fetch_thread.append(threading.get_ident())
        original(*args, **kwargs)

    cache.fill = recording_fill  # type: ignore[method-assign]

    async def main() -> Path:
        loop_thread.append(threading.get_ident())
        return await cache.model_dir(data("s3://models/m.bin", compression="None"), container=1, region="us-east-1")

    assert files_under(asyncio.run(main())) == {"m.bin": b"m"}
    assert fetch_thread and fetch_thread[0] != loop_thread[0]
