"""Operations the emulator does not serve, as an SDK user meets them: AWS's code, and a message saying why."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import __version__
from tests.support import http, sagemaker_client

README = Path(__file__).parent.parent / "README.md"


def unserved_message(operation: str) -> str:
    return (
        f"sagemaker-emulator {__version__} does not serve SageMaker.{operation}; the operations it serves are listed"
        " by GET /_emulator/version and in its README (Supported operations)"
    )


CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("describe_training_job", "DescribeTrainingJob", {"TrainingJobName": "t"}),
    ("list_training_jobs", "ListTrainingJobs", {}),
    ("search", "Search", {"Resource": "TrainingJob"}),
]


@pytest.mark.parametrize(("method", "operation", "request_"), CALLS, ids=[c[1] for c in CALLS])
def test_boto3_names_the_operation_and_where_the_served_ones_are(
    endpoint: str, method: str, operation: str, request_: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as raised:
        getattr(sagemaker_client(endpoint), method)(**request_)
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("UnknownOperationException", unserved_message(operation))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_aws_cli_prints_the_message_after_the_colon(endpoint: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t", AWS_DEFAULT_REGION="us-east-1")
    aws = str(Path(sys.executable).parent / "aws")
    result = subprocess.run(
        [aws, "--endpoint-url", endpoint, "sagemaker", "list-training-jobs"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 255  # awscli v1: any service error
    assert result.stderr.strip() == (
        "An error occurred (UnknownOperationException) when calling the ListTrainingJobs operation: "
        + unserved_message("ListTrainingJobs")
    )


def test_the_readme_lists_the_operations_the_version_endpoint_serves(endpoint: str) -> None:
    served = http().get(f"{endpoint}/_emulator/version").json()["operations"]
    section = README.read_text().split("## Supported operations", 1)[1].split("\n## ", 1)[0]
    assert sorted(re.findall(r"^\| ([A-Z]\w+) \|", section, flags=re.MULTILINE)) == served
