"""The model data settings: their flags, where the cache goes by default, and boto3 kept off the start-up path."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from emulator.cli import parse_args, settings_from_args
from emulator.model_data.s3 import endpoint_url
from emulator.settings import Settings
from tests.moto_s3 import TEST_CREDENTIALS, make_bucket, moto_s3_server, s3_client


def test_the_flags_reach_their_settings() -> None:
    settings = settings_from_args(
        parse_args(
            [
                "serve",
                "--check-model-data",
                "--s3-endpoint-url=http://minio:9000",
                "--model-data-dir=cache",
                "--model-data-max-bytes=1024",
            ]
        )
    )
    assert (settings.check_model_data, settings.s3_endpoint_url) == (True, "http://minio:9000")
    assert (settings.model_data_dir, settings.model_data_max_bytes) == (Path("cache"), 1024)
    off = settings_from_args(parse_args(["serve"]))
    assert (off.check_model_data, off.s3_endpoint_url, off.model_data_dir) == (False, None, None)


@pytest.mark.parametrize(
    ("setting", "environ", "expected"),
    [
        (
            "http://mine:9000",
            {"AWS_ENDPOINT_URL_S3": "http://s3:1", "AWS_ENDPOINT_URL": "http://all:1"},
            "http://mine:9000",
        ),
        (None, {"AWS_ENDPOINT_URL_S3": "http://s3:1", "AWS_ENDPOINT_URL": "http://all:1"}, "http://s3:1"),
        (None, {"AWS_ENDPOINT_URL": "http://all:1"}, "http://all:1"),
        (None, {"AWS_ENDPOINT_URL_S3": "http://s3:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, None),
        (None, {}, None),
    ],
)
def test_where_s3_is(setting: str | None, environ: dict[str, str], expected: str | None) -> None:
    assert endpoint_url(setting, environ) == expected


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"model_data_dir": Path("/var/cache/models")}, Path("/var/cache/models")),
        ({"database_url": "sqlite:////data/emulator.db"}, Path("/data/emulator.db.model-data")),
        ({"database_url": "sqlite://"}, Path(tempfile.gettempdir()) / "sagemaker-emulator-model-data"),
        (
            {"database_url": "postgresql+psycopg://postgres@127.0.0.1:5432/test"},
            Path(tempfile.gettempdir()) / "sagemaker-emulator-model-data",
        ),
    ],
)
def test_where_model_data_is_cached(settings: dict[str, object], expected: Path) -> None:
    assert Settings(**settings).model_data_directory() == expected  # type: ignore[arg-type]


def test_a_relative_sqlite_file_caches_beside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(database_url="sqlite:///e.db").model_data_directory() == tmp_path.resolve() / "e.db.model-data"


# A fresh interpreter: this test process has boto3 loaded already.
SCRIPT = textwrap.dedent(
    """
    import json, sys, urllib.request

    from emulator.server import cli_emulator, serving
    from emulator.settings import Settings

    settings = Settings(database_url=sys.argv[1], host="127.0.0.1", port=0, check_model_data=True,
                        s3_endpoint_url=sys.argv[2])
    app = cli_emulator(settings)

    def create(name, container):
        body = json.dumps({"ModelName": name, "PrimaryContainer": container}).encode()
        request = urllib.request.Request(endpoint + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.CreateModel"})
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200

    loaded = lambda: sorted(m for m in ("boto3", "botocore") if m in sys.modules)
    with serving(app, settings) as endpoint:
        assert loaded() == [], loaded()
        create("no-data", {"Image": "i"})
        assert loaded() == [], loaded()
        create("with-data", {"Image": "i", "ModelDataUrl": "s3://models/model.tar.gz"})
        assert loaded() == ["boto3", "botocore"], loaded()
    print("ok")
    """
)


def test_boto3_is_imported_by_the_first_check_not_at_start_up(tmp_path: Path) -> None:
    with moto_s3_server() as s3_url:
        s3 = s3_client(s3_url)
        make_bucket(s3, "models")
        s3.put_object(Bucket="models", Key="model.tar.gz", Body=b"x")
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'e.db'}", s3_url],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parent.parent,
            env={"PATH": "/usr/bin:/bin", **TEST_CREDENTIALS},
        )
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


def test_with_the_checks_off_neither_boto3_nor_the_model_data_work_is_loaded(tmp_path: Path) -> None:
    """Only the S3 access point (emulator.model_data.s3, which the transform runner holds and which imports boto3 on
    first use) loads at start-up; the checks, the cache and the archive code load when used."""
    script = (
        "import sys\n"
        "from emulator.server import cli_emulator\n"
        "from emulator.settings import Settings\n"
        f"cli_emulator(Settings(database_url='sqlite:///{tmp_path / 'e.db'}')).close()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('emulator.model_data', 'boto3', 'botocore'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "['emulator.model_data', 'emulator.model_data.s3']\n"), done.stderr


def test_a_plain_sqlite_file_is_read_without_sqlalchemy(tmp_path: Path) -> None:
    """The supervisor asks where the cache is as its first container starts: on a plain SQLite file that must not
    import SQLAlchemy (a fresh interpreter: this one has it loaded), which held up that container by a third of a
    second and more."""
    code = (
        "import sys\n"
        "from emulator.settings import Settings\n"
        "print(Settings(database_url='sqlite:///e.db').model_data_directory())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"{tmp_path.resolve() / 'e.db.model-data'}\n[]\n"), done.stderr
