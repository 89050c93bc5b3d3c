"""CreateModel's model data checks (opt-in: setting check_model_data): each container's S3 data must exist, be
readable and be in the request's region, or CreateModel fails with AWS's text (docs/decisions.md: Model data)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from emulator.errors import ValidationException
from emulator.model_data.s3 import S3Denied, S3Missing, S3Reader
from emulator.model_data.sources import ModelData, containers_of, model_data_of

log = logging.getLogger("emulator")


def not_found_message(uri: str) -> str:
    return f"Could not find model data at {uri}."


def no_access_message(uri: str, *, role: str | None, region: str) -> str:
    """AWS's text for data it cannot read: a role without access, or a bucket in another region. Without a role
    (the API model makes ExecutionRoleArn optional) the sentence about it is left out."""
    about_role = (
        f' Please ensure that the role "{role}" exists and that its trust relationship policy allows the action'
        ' "sts:AssumeRole" for the service principal "sagemaker.amazonaws.com". Also ensure that the role has'
        if role
        else " Please ensure that the role has"
    )
    return (
        f"Could not access model data at {uri}.{about_role}"
        f' "s3:GetObject" permissions and that the object is located in {region}. If your Model uses multiple'
        ' models or uncompressed models, please ensure that the role has "s3:ListBucket" permission.'
    )


class ModelDataChecks:
    """Checks a CreateModel request's model data against S3, on a worker thread (S3 calls block)."""

    def __init__(self, s3: S3Reader) -> None:
        self.s3 = s3

    async def check(self, request: dict[str, Any], *, region: str) -> None:
        sources = [d for d in map(model_data_of, containers_of(request)) if d is not None]
        if sources:
            await asyncio.to_thread(self.check_blocking, sources, region=region, role=request.get("ExecutionRoleArn"))

    def check_blocking(self, sources: list[ModelData], *, region: str, role: str | None) -> None:
        """The first container whose data fails decides the error, as containers are checked in order."""
        for data in sources:
            try:
                bucket_region = self.s3.bucket_region(data.location.bucket, region=region)
                if bucket_region is not None and bucket_region != region:
                    raise S3Denied(f"bucket {data.location.bucket} is in {bucket_region}")
                if data.data_type == "S3Prefix":
                    if next(self.s3.list_under(data.location, region=region, first_only=True), None) is None:
                        raise S3Missing(f"nothing under {data.uri}")
                else:
                    self.s3.head(data.location, region=region)
            except S3Missing:
                raise ValidationException(not_found_message(data.uri)) from None
            except S3Denied as exc:
                # The caller sees AWS's text; the operator sees what S3 said (a missing credential, say).
                log.info("model data at %s cannot be read: %s", data.uri, exc)
                raise ValidationException(no_access_message(data.uri, role=role, region=region)) from None
