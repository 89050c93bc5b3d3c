"""Transformer.transform(data="s3://...", content_type="text/csv", split_type="Line", wait=True) of the SageMaker
Python SDK against the emulator, with S3 (the SDK's and the emulator's) on a moto server: the input uploaded and the
output read back through the SDK's S3 helpers.

Run by tests/sdk/test_sagemaker_python_sdk.py in the SDK's virtual environment:
python transform.py <emulator URL> <S3 URL> <image>. Every connection the process opens is recorded, and any but to
127.0.0.1 refused (tracked_connections). Prints what it saw as JSON.
"""

import hashlib
import json
import sys

from emulator_session import emulator_session, record_sleeps, tracked_connections
from sagemaker.s3 import S3Downloader, S3Uploader
from sagemaker.transformer import Transformer

connections = tracked_connections()
sleeps = record_sleeps(take=0.05)  # the job takes a second or two: 20 polls a second, not 5 s apart
url, s3_url, image = sys.argv[1:]
client, session = emulator_session(url, s3_url=s3_url)  # S3Uploader and S3Downloader on moto, as the emulator

# 2 MB of CSV rows: more than one mini-batch of max_payload=1 (MB).
body = b"".join(b"%d,%d\n" % (i, i + 1) for i in range(200_000))
S3Uploader.upload_bytes(body, "s3://data/sdk-in/rows.csv", sagemaker_session=session)
client.create_model(
    ModelName="sdk-transform-model",
    PrimaryContainer={"Image": image},
    ExecutionRoleArn="arn:aws:iam::123456789012:role/SageMakerRole",
)
transformer = Transformer(
    model_name="sdk-transform-model",
    instance_count=1,
    instance_type="ml.m5.large",
    strategy="MultiRecord",
    assemble_with="Line",
    accept="text/csv",
    max_payload=1,
    output_path="s3://data/sdk-out",
    sagemaker_session=session,
)
transformer.transform(
    data="s3://data/sdk-in/",
    content_type="text/csv",
    split_type="Line",
    wait=True,
    # logs=True (the default) tails the job's CloudWatch log streams with a logs client of its own, on AWS's
    # endpoint: the emulator serves no CloudWatch Logs (docs/decisions.md, Batch transform).
    logs=False,
)
job = transformer.latest_transform_job.job_name  # named by the SDK from the model's image
described = client.describe_transform_job(TransformJobName=job)
written = S3Downloader.read_bytes("s3://data/sdk-out/rows.csv.out", sagemaker_session=session)
out = dict(
    sleeps=sleeps,
    job=job,
    status=described["TransformJobStatus"],
    input=described["TransformInput"],
    output=described["TransformOutput"],
    strategy=described.get("BatchStrategy"),
    payload=described.get("MaxPayloadInMB"),
    listed=S3Downloader.list("s3://data/sdk-out/", sagemaker_session=session),
    input_sha256=hashlib.sha256(body).hexdigest(),
    written_sha256=hashlib.sha256(written).hexdigest(),
    written_length=len(written),
    ports=sorted({port for _, port in connections["made"]}),
    refused=connections["refused"],
)
print(json.dumps(out, default=str))
