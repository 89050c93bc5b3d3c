"""S3, as the user's stack has it: the endpoint from our setting, else AWS's own convention (AWS_ENDPOINT_URL_S3, else
AWS_ENDPOINT_URL), else AWS's; credentials from boto3's standard chain.

boto3 is imported on first use, never at start-up (it would add a fifth of a second to every server's start, and
most servers never read model data). Every call here blocks: callers run them on a worker thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# ClientError codes meaning "nothing there" (HEAD answers carry only the status).
MISSING_CODES = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NotFound"})
CHUNK = 1024 * 1024


class S3Missing(Exception):
    """The bucket, object or prefix does not exist."""


class S3Denied(Exception):
    """The service refused (403, or no credentials), or answered an error other than "not found"."""


class TooLarge(Exception):
    """More bytes than the cap allowed."""


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location | None:
        """s3://bucket/key (the key may be empty or a prefix); None for any other URI (https://...)."""
        if not uri.startswith("s3://"):
            return None
        bucket, _, key = uri[len("s3://") :].partition("/")
        return cls(bucket=bucket, key=key) if bucket else None


@dataclass(frozen=True, slots=True)
class S3Object:
    key: str
    etag: str
    size: int


def endpoint_url(setting: str | None, environ: Mapping[str, str]) -> str | None:
    """Where S3 is: our setting, else AWS's convention for a service's endpoint, which AWS's SDKs and CLI follow
    (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html); None: AWS's own S3."""
    if setting:
        return setting
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or None


class S3Reader:
    """Reads model data, transform and async inputs; writes transform and async outputs. One boto3 client per region (the request's: it
    signs with it), made on first use."""

    def __init__(self, *, endpoint_url: str | None, timeout: float = 30) -> None:
        self.endpoint_url = endpoint_url
        self.timeout = timeout
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, *, setting: str | None) -> S3Reader:
        return cls(endpoint_url=endpoint_url(setting, os.environ))

    def client(self, region: str) -> Any:
        with self._lock:  # boto3's session set-up is not thread-safe; its clients are
            found = self._clients.get(region)
            if found is None:
                import boto3  # type: ignore[import-untyped]
                from botocore.config import Config  # type: ignore[import-untyped]

                config = Config(
                    region_name=region,
                    connect_timeout=self.timeout,
                    read_timeout=self.timeout,
                    retries={"max_attempts": 3, "mode": "standard"},
                    # MinIO and LocalStack in a compose stack are reached by a host name (http://minio:9000) that
                    # has no wildcard DNS for virtual-hosted buckets; AWS's S3 takes either style.
                    s3={"addressing_style": "path"} if self.endpoint_url else None,
                )
                found = boto3.session.Session().client("s3", endpoint_url=self.endpoint_url, config=config)
                self._clients[region] = found
        return found

    def call(self, region: str, operation: str, **params: Any) -> Any:
        """One S3 call; S3Missing or S3Denied for the answers that mean those. A connection failure propagates:
        the service is unreachable, which is the emulator's fault (InternalFailure), not the caller's."""
        from botocore.exceptions import ClientError, NoCredentialsError  # type: ignore[import-untyped]

        try:
            return getattr(self.client(region), operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if str(error.get("Code")) in MISSING_CODES:
                raise S3Missing(str(exc)) from exc
            raise S3Denied(str(exc)) from exc
        except NoCredentialsError as exc:
            raise S3Denied(str(exc)) from exc

    def bucket_region(self, bucket: str, *, region: str) -> str | None:
        """The bucket's region as S3 reports it (x-amz-bucket-region); None when the service reports none."""
        from botocore.exceptions import ClientError

        try:
            answer = self.call(region, "head_bucket", Bucket=bucket)
        except S3Denied as exc:
            # AWS answers a request for another region's bucket with a 301 that names the bucket's region.
            cause = exc.__cause__
            if isinstance(cause, ClientError):
                headers = cause.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                if headers.get("x-amz-bucket-region"):
                    return str(headers["x-amz-bucket-region"])
            raise
        found = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
        return str(found) if found else None

    def head(self, location: S3Location, *, region: str) -> S3Object:
        if not location.key:
            raise S3Missing(f"no key in s3://{location.bucket}/")
        answer = self.call(region, "head_object", Bucket=location.bucket, Key=location.key)
        return S3Object(key=location.key, etag=str(answer.get("ETag", "")), size=int(answer["ContentLength"]))

    def list_under(self, location: S3Location, *, region: str, first_only: bool = False) -> Iterator[S3Object]:
        """Every object whose key starts with the prefix, in key order (ListObjectsV2, page by page)."""
        params: dict[str, Any] = {"Bucket": location.bucket, "Prefix": location.key}
        if first_only:
            params["MaxKeys"] = 1
        while True:
            page = self.call(region, "list_objects_v2", **params)
            for item in page.get("Contents", []):
                yield S3Object(key=item["Key"], etag=str(item.get("ETag", "")), size=int(item.get("Size", 0)))
            if first_only or not page.get("IsTruncated"):
                return
            params["ContinuationToken"] = page["NextContinuationToken"]

    def download(self, bucket: str, key: str, out: IO[bytes], *, region: str, max_bytes: int) -> int:
        """Writes the object to `out`, at most max_bytes of it (TooLarge past that); returns the bytes written."""
        answer = self.call(region, "get_object", Bucket=bucket, Key=key)
        body = answer["Body"]
        written = 0
        try:
            while chunk := body.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge(f"s3://{bucket}/{key} is larger than {max_bytes} bytes")
                out.write(chunk)
        finally:
            body.close()
        return written

    def download_to(self, bucket: str, key: str, path: Path, *, region: str, max_bytes: int) -> int:
        with path.open("xb") as out:
            return self.download(bucket, key, out, region=region, max_bytes=max_bytes)

    def read(self, bucket: str, key: str, *, region: str) -> bytes:
        """The whole object (a transform job's input: at most what one job reads at a time; an async request's)."""
        answer = self.call(region, "get_object", Bucket=bucket, Key=key)
        body = answer["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def exists(self, location: S3Location, *, region: str) -> bool:
        try:
            self.head(location, region=region)
        except S3Missing:
            return False
        return True

    def write(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        region: str,
        kms_key_id: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Stores an object whole (S3 never shows a part of it, and writing it again leaves one object); with
        kms_key_id, encrypted with that key (SSE-KMS), as a transform job's TransformOutput.KmsKeyId asks."""
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": data}
        if kms_key_id:
            params.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
        if content_type:
            params["ContentType"] = content_type
        self.call(region, "put_object", **params)
