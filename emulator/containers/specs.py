"""What a deployment runs: for each production variant, each container of its model whose image has a model command
(and no model server URL, which wins), with what SageMaker gives a container (its Environment, its model data, its
hostname) and how long it has to become healthy. Stored as JSON in the endpoint's state and in the container's row,
so the row can be written again from the state, and a restarted process runs exactly what was deployed."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from emulator.containers.commands import ModelCommands
from emulator.runtime.model_servers import ModelServers

if TYPE_CHECKING:
    from emulator.model_data.sources import ModelData


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerSpec:
    key: str
    variant: str
    # 1-based, in the model's order: AWS's messages name a container "container_<position>".
    position: int
    image: str
    command: str
    environment: dict[str, str] = field(default_factory=dict)
    # ModelData's uri, data_type and compression; None: no model data in S3.
    model_data: dict[str, str] | None = None
    startup_timeout: float = 480.0
    hostname: str | None = None

    @classmethod
    def of(
        cls,
        container: dict[str, Any],
        *,
        key: str,
        variant: str,
        position: int,
        command: str,
        startup_timeout: float,
    ) -> ContainerSpec:
        """What to run for a model's container definition (its image, Environment, model data and hostname)."""
        from emulator.model_data.sources import model_data_of  # as in data(): only where one runs

        data = model_data_of(container)
        return cls(
            key=key,
            variant=variant,
            position=position,
            image=container["Image"],
            command=command,
            environment=dict(container.get("Environment", {})),
            model_data=None
            if data is None
            else {"uri": data.uri, "data_type": data.data_type, "compression": data.compression},
            startup_timeout=startup_timeout,
            hostname=container.get("ContainerHostname"),
        )

    def dumps(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def loads(cls, text: str) -> ContainerSpec:
        return cls(**orjson.loads(text))

    def data(self) -> ModelData | None:
        if self.model_data is None:
            return None
        # Loaded only where a container runs: a server that runs none never imports the model data modules.
        from emulator.model_data.s3 import S3Location
        from emulator.model_data.sources import ModelData

        location = S3Location.parse(self.model_data["uri"])
        if location is None:
            return None
        return ModelData(
            uri=self.model_data["uri"],
            location=location,
            data_type=self.model_data["data_type"],  # type: ignore[arg-type]
            compression=self.model_data["compression"],  # type: ignore[arg-type]
        )


def specs_for(
    variants: list[dict[str, Any]],
    models: dict[str, dict[str, Any]],
    *,
    commands: ModelCommands,
    servers: ModelServers,
    default_timeout: float,
) -> list[dict[str, Any]]:
    """The containers the config's production variants run (as JSON-ready dicts), in variant and model order, each
    with a key of its own: an endpoint created again, or deployed again, runs new containers.
    variants: the config's ProductionVariants as sent; models: their models' definitions by lower-cased name."""
    if not commands.table:
        return []
    from emulator.model_data.sources import containers_of  # as in data(): only where one runs

    specs: list[dict[str, Any]] = []
    for variant in variants:
        model = models.get(variant.get("ModelName", "").lower())
        if model is None:
            continue
        timeout = float(variant.get("ContainerStartupHealthCheckTimeoutInSeconds", default_timeout))
        for position, container in enumerate(containers_of(model), 1):
            image = container.get("Image")
            if image is None or servers.url_for(image) is not None:
                continue
            command = commands.command_for(image)
            if command is None:
                continue
            spec = ContainerSpec.of(
                container,
                key=uuid.uuid4().hex,
                variant=variant["VariantName"],
                position=position,
                command=command,
                startup_timeout=timeout,
            )
            specs.append(asdict(spec))
    return specs
