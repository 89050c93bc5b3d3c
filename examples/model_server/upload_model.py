"""Puts a model's artifact where SageMaker reads it: the files of a model directory (default: model/ beside this file,
the example model server's weights) as a model.tar.gz at an S3 URI, the bucket made when missing.

    python examples/model_server/upload_model.py [--model-dir DIR] s3://models/toy/model.tar.gz

S3 is found as AWS's tools find it (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS's own: MinIO in the compose
profile `model-data`), credentials from the standard chain, the region from AWS_REGION or AWS_DEFAULT_REGION
(us-east-1 when unset). Needs boto3 (in the emulator's image). Prints the URI once the object is stored.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

MODEL_DIR = Path(__file__).resolve().parent / "model"


def archive(model_dir: Path) -> bytes:
    """model.tar.gz: the directory's files at the archive's root, where SageMaker's extraction puts them in
    /opt/ml/model."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(model_dir)))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="s3://bucket/key of the model.tar.gz")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    bucket, _, key = args.uri.removeprefix("s3://").partition("/")
    if not args.uri.startswith("s3://") or not bucket or not key:
        parser.error(f"not an s3://bucket/key URI: {args.uri}")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    # Path-style: MinIO in a compose stack is a host name (minio) with no wildcard DNS for bucket.minio.
    s3 = boto3.client("s3", region_name=region, config=Config(s3={"addressing_style": "path"}))
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_object(Bucket=bucket, Key=key, Body=archive(args.model_dir), ContentType="application/gzip")
    print(args.uri, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
