"""Model packages, the pure part: AWS's rules for a create request, what Describe, List and BatchDescribe show, and
what an update changes (docs/decisions.md: Model packages). The kind and its handlers are
emulator/operations/model_packages.py.

A versioned package (one created in a group) is stored as '<group>/<version>', the name its ARN carries
(model-package/<group>/<version>); an unversioned one under its ModelPackageName. Names of the API model's pattern
hold no '/', so the two never collide."""

from __future__ import annotations

from typing import Any

from emulator.errors import ValidationException

# The create request's members Describe returns as sent: all but the name, the group, Tags and ClientToken.
DEFINITION_MEMBERS = (
    "ModelPackageDescription",
    "ModelPackageRegistrationType",
    "InferenceSpecification",
    "ValidationSpecification",
    "SourceAlgorithmSpecification",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "MetadataProperties",
    "ModelMetrics",
    "Domain",
    "Task",
    "SamplePayloadUrl",
    "CustomerMetadataProperties",
    "DriftCheckBaselines",
    "AdditionalInferenceSpecifications",
    "SkipModelValidation",
    "SourceUri",
    "SecurityConfig",
    "ModelCard",
    "ModelLifeCycle",
    "ManagedStorageType",
    # Set by UpdateModelPackage only.
    "ApprovalDescription",
)
# UpdateModelPackage's members that replace the stored ones.
REPLACED_ON_UPDATE = (
    "ModelApprovalStatus",
    "ApprovalDescription",
    "ModelPackageRegistrationType",
    "InferenceSpecification",
    "SourceUri",
    "ModelCard",
    "ModelLifeCycle",
)
# The API model's cap on a package's additional inference specifications.
MAX_ADDITIONAL_SPECIFICATIONS = 15

# AWS's texts (shared/spec/sagemaker-registry-async-batch.md A.2): both and neither as getmoto/moto#7165 reports AWS.
BOTH_TEXT = (
    "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use."
)
NEITHER_TEXT = "Missing ARN."
# [inferred] The API model's member doc says a versioned package takes its group's tags and 'you cannot supply a tag
# argument'; ACK's e2e notes 'versioned model package cannot have tags'. No AWS text is known.
TAGS_WITH_GROUP_TEXT = (
    "Tags cannot be supplied with ModelPackageGroupName: a versioned model package uses the tags of its model"
    " package group."
)
# [inferred] The API model: 'For versioned models, the value of this parameter must be set to Approved to deploy the
# model', and the SageMaker Python SDK approves a versioned package before its CreateModel. No AWS text is known.
NOT_APPROVED_TEXT = (
    "Model package {arn} cannot be deployed: its ModelApprovalStatus is {status}, and a versioned model package must"
    " be Approved to deploy the model."
)
# [inferred] The API model: 'The total number of additional inference specifications can not exceed 15.'
TOO_MANY_SPECIFICATIONS_TEXT = (
    "The total number of additional inference specifications can not exceed {limit}; the model package would have"
    " {count}."
)

# [inferred] The API model's InferenceSpecification: each of these is "required for unversioned models, and optional for
# versioned models"; the SageMaker Python SDK refuses an unversioned package without both itself (aws/sagemaker-python-sdk
# #3228). No AWS text is known. docs/decisions.md, CreateModelPackage.
UNVERSIONED_REQUIRED = ("SupportedRealtimeInferenceInstanceTypes", "SupportedTransformInstanceTypes")
UNVERSIONED_REQUIRED_TEXT = "{member} is required in InferenceSpecification for an unversioned model package."


def is_versioned(name: str) -> bool:
    return "/" in name


def group_and_version(name: str) -> tuple[str, int] | None:
    """The group and version of a stored versioned name, None for an unversioned one."""
    group, slash, version = name.partition("/")
    return (group, int(version)) if slash else None


def stored_request(kind: Any, name: Any, definition: dict[str, Any]) -> dict[str, Any]:
    """The create request a stored package was made by: a versioned one's names its group. Raises for a name that is
    neither a package's nor '<group>/<version>'."""
    approval = definition.get("ApprovalDescription")
    if approval is not None and not (isinstance(approval, str) and len(approval) <= 1024):
        raise ValidationException("ApprovalDescription must be a string of at most 1024 characters.")
    if isinstance(name, str) and "/" in name:
        group, _, version = name.partition("/")
        if not (version.isascii() and version.isdigit() and len(version) <= 9 and int(version) >= 1):
            raise ValidationException(f"A versioned model package is named <group>/<version>, not {name!r}.")
        return {"ModelPackageGroupName": group, **definition}
    return {"ModelPackageName": name, **definition}


def stored_rules(request: dict[str, Any]) -> None:
    """create_rules for a stored package: its tags may have been added to a version after its creation, and an
    unversioned one exported before the instance types were required may lack them (an export must import)."""
    create_rules({k: v for k, v in request.items() if k != "Tags"}, stored=True)


def create_rules(request: dict[str, Any], *, stored: bool = False) -> None:
    """AWS's rules for CreateModelPackage beyond the API model's constraints."""
    name, group = request.get("ModelPackageName"), request.get("ModelPackageGroupName")
    if name is not None and group is not None:
        raise ValidationException(BOTH_TEXT)
    if name is None and group is None:
        raise ValidationException(NEITHER_TEXT)
    if group is not None and request.get("Tags"):
        raise ValidationException(TAGS_WITH_GROUP_TEXT)
    if name is not None and "InferenceSpecification" in request and not stored:
        unversioned_specification_rules(request["InferenceSpecification"])


def unversioned_specification_rules(specification: dict[str, Any]) -> None:
    """An unversioned package's InferenceSpecification names the instance types it serves on, both kinds."""
    for member in UNVERSIONED_REQUIRED:
        if member not in specification:
            raise ValidationException(UNVERSIONED_REQUIRED_TEXT.format(member=member))


def definition_of(request: dict[str, Any], *, versioned: bool) -> dict[str, Any]:
    """What is stored of a create request: a versioned package is PendingManualApproval unless it says otherwise."""
    definition = {k: request[k] for k in DEFINITION_MEMBERS if k in request}
    if versioned:
        definition.setdefault("ModelApprovalStatus", "PendingManualApproval")
    return definition


def approval_of(definition: dict[str, Any]) -> str | None:
    """The status kept beside the definition, so ListModelPackages filters by approval on an index."""
    status: str | None = definition.get("ModelApprovalStatus")
    return status


def status_details(definition: dict[str, Any]) -> dict[str, Any]:
    """ModelPackageStatusDetails: validation is done at once, so each validation profile is Completed."""
    profiles = definition.get("ValidationSpecification", {}).get("ValidationProfiles", [])
    return {"ValidationStatuses": [{"Name": p["ProfileName"], "Status": "Completed"} for p in profiles]}


def identity(name: str) -> dict[str, Any]:
    """The name members Describe and summaries carry: a versioned package is named for its group (its
    ModelPackageName is the group's name, [inferred] from moto and from aws/sagemaker-python-sdk#5606)."""
    found = group_and_version(name)
    if found is None:
        return {"ModelPackageName": name}
    return {"ModelPackageName": found[0], "ModelPackageGroupName": found[0], "ModelPackageVersion": found[1]}


def described(
    *, name: str, arn: str, definition: dict[str, Any], creation_ms: int, modified_ms: int | None
) -> dict[str, Any]:
    out: dict[str, Any] = {**identity(name), "ModelPackageArn": arn, **definition}
    out["CreationTime"] = creation_ms / 1000
    out["ModelPackageStatus"] = "Completed"
    out["ModelPackageStatusDetails"] = status_details(definition)
    out["CreatedBy"] = {}
    out["LastModifiedTime"] = (modified_ms if modified_ms is not None else creation_ms) / 1000
    return out


def summarized(summary: dict[str, Any], name: str) -> dict[str, Any]:
    """A ListModelPackages summary: a versioned package's has its group and version and no ModelPackageName ('for
    versioned model packages the ListModelPackages API does not return ModelPackageName', aws/sagemaker-python-sdk
    #5606)."""
    found = group_and_version(name)
    if found is not None:
        del summary["ModelPackageName"]
        summary["ModelPackageGroupName"], summary["ModelPackageVersion"] = found
    return summary


def batch_summary(*, name: str, arn: str, definition: dict[str, Any], creation_ms: int) -> dict[str, Any]:
    """BatchDescribeModelPackage's summary of a versioned package."""
    group, version = group_and_version(name) or (name, 0)
    out: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "ModelPackageArn": arn,
        "CreationTime": creation_ms / 1000,
        "ModelPackageStatus": "Completed",
    }
    for member in ("ModelPackageDescription", "InferenceSpecification", "ModelApprovalStatus"):
        if member in definition:
            out[member] = definition[member]
    if "ModelPackageRegistrationType" in definition:
        out["ModelPackageRegistrationType"] = definition["ModelPackageRegistrationType"]
    return out


def updated(definition: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """The definition after an UpdateModelPackage: members replaced, customer metadata merged then keys removed,
    additional inference specifications appended."""
    out = dict(definition)
    for member in REPLACED_ON_UPDATE:
        if member in request:
            out[member] = request[member]
    if "CustomerMetadataProperties" in request:
        out["CustomerMetadataProperties"] = {
            **out.get("CustomerMetadataProperties", {}),
            **request["CustomerMetadataProperties"],
        }
    if "CustomerMetadataPropertiesToRemove" in request and "CustomerMetadataProperties" in out:
        removed = set(request["CustomerMetadataPropertiesToRemove"])
        kept = {k: v for k, v in out["CustomerMetadataProperties"].items() if k not in removed}
        if kept:
            out["CustomerMetadataProperties"] = kept
        else:
            del out["CustomerMetadataProperties"]
    if "AdditionalInferenceSpecificationsToAdd" in request:
        specifications = (
            out.get("AdditionalInferenceSpecifications", []) + request["AdditionalInferenceSpecificationsToAdd"]
        )
        if len(specifications) > MAX_ADDITIONAL_SPECIFICATIONS:
            raise ValidationException(
                TOO_MANY_SPECIFICATIONS_TEXT.format(limit=MAX_ADDITIONAL_SPECIFICATIONS, count=len(specifications))
            )
        out["AdditionalInferenceSpecifications"] = specifications
    return out


def referable(name: str, status: str | None, arn: str) -> str | None:
    """CreateModel may name an unversioned package, and a versioned one only once it is Approved."""
    if is_versioned(name) and status != "Approved":
        return NOT_APPROVED_TEXT.format(arn=arn, status=status)
    return None


def containers_of(definition: dict[str, Any], container: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers a model container naming this package runs: the package's inference containers, with the
    model container's Environment over each one's. [inferred] InferenceSpecificationName picks an additional
    specification by its Name."""
    specification = definition.get("InferenceSpecification", {})
    wanted = container.get("InferenceSpecificationName")
    if wanted is not None:
        for additional in definition.get("AdditionalInferenceSpecifications", []):
            if additional.get("Name") == wanted:
                specification = additional
    out = []
    for spec in specification.get("Containers", []):
        merged = dict(spec)
        if container.get("Environment"):
            merged["Environment"] = {**spec.get("Environment", {}), **container["Environment"]}
        out.append(merged)
    return out
