"""Model package groups: CreateModelPackageGroup, DescribeModelPackageGroup, ListModelPackageGroups,
DeleteModelPackageGroup (the model registry's groups; docs/decisions.md: Model package groups)."""

from __future__ import annotations

from emulator.resources.kind import ResourceKind

MODEL_PACKAGE_GROUP = ResourceKind(
    arn_type="model-package-group",
    noun="ModelPackageGroup",
    plural="ModelPackageGroups",
    label="model package group",
    definition_members=("ModelPackageGroupDescription", "ManagedConfiguration"),
    # AWS's texts (shared/spec/sagemaker-registry-async-batch.md A.1): the missing one as moto#7246 has it from AWS;
    # of the duplicate one only 'Model Package Group already exists' is known.
    missing_text="ModelPackageGroup {arn} does not exist.",
    exists_text="Model Package Group already exists: {arn}",
    default_sort_order="Ascending",
    # A group is usable at once: Completed from its creation. CreatedBy is required in Describe; a caller that is no
    # Studio user profile has none of its members.
    fixed_members={"ModelPackageGroupStatus": "Completed", "CreatedBy": {}},
    limit_field="max_model_package_groups",
    # [inferred] AWS's quota name for model package groups is not published.
    limit_name="Number of model package groups",
    # Its versions are model packages named '<group>/<version>': DeleteModelPackageGroup refuses while one is left
    # (the API model's ConflictException; [inferred] text, AWS's is unknown).
    member_kind="model-package",
    in_use_text="ModelPackageGroup {arn} cannot be deleted because it contains model packages.",
)
