"""Where a model's containers take their data from: ModelDataSource.S3DataSource, else an s3:// ModelDataUrl."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from emulator.model_data.s3 import S3Location


@dataclass(frozen=True, slots=True)
class ModelData:
    """One container's model data: the URI as sent, where it is, and how SageMaker reads it."""

    uri: str
    location: S3Location
    data_type: Literal["S3Object", "S3Prefix"]
    compression: Literal["Gzip", "None"]


def containers_of(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's containers in order: the primary one, or the pipeline's."""
    if "PrimaryContainer" in definition:
        return [definition["PrimaryContainer"]]
    return list(definition.get("Containers", []))


def model_data_of(container: dict[str, Any]) -> ModelData | None:
    """The container's S3 model data; None when it has none in S3 (none at all, or an https:// ModelDataUrl).

    A ModelDataUrl is a .tar.gz object (the API model: "must point to a single gzip compressed tar archive"), except
    for a multi-model container, whose ModelDataUrl is the prefix its models are under."""
    source = container.get("ModelDataSource", {}).get("S3DataSource")
    if source is not None:
        location = S3Location.parse(source["S3Uri"])
        if location is None:
            return None
        return ModelData(
            uri=source["S3Uri"],
            location=location,
            data_type=source["S3DataType"],
            compression=source["CompressionType"],
        )
    url = container.get("ModelDataUrl")
    location = S3Location.parse(url) if isinstance(url, str) else None
    if url is None or location is None:
        return None
    if container.get("Mode") == "MultiModel":
        return ModelData(uri=url, location=location, data_type="S3Prefix", compression="None")
    return ModelData(uri=url, location=location, data_type="S3Object", compression="Gzip")
