"""What a region name may be: the region part of a credential scope and of an ARN. Below every layer, so the wire
(a request's credential scope) and the admin API (a snapshot's entries) accept exactly the same names."""

from __future__ import annotations

import re

# Letters, digits and hyphens, as the region part of a SageMaker ARN allows; the length keeps it a sane column.
REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_REGION_LENGTH = 50


def valid_region(region: str) -> bool:
    # fullmatch: `$` would also match before a final newline.
    return len(region) <= MAX_REGION_LENGTH and REGION.fullmatch(region) is not None
