"""What the SDK scripts next to this file share: a sagemaker.Session on the emulator's endpoint, and the SDK's poll
sleeps recorded instead of taken. Imported by those scripts as `python <script> ...` puts this folder first on
sys.path, in the SDK's own virtual environment (no package of the emulator's is installed there)."""

import time

import boto3
import sagemaker
import sagemaker.session


class _Clock:
    """The SDK's view of the time module: everything real but sleep, which appends to `sleeps`."""

    def __init__(self, sleeps):
        self._sleeps = sleeps

    def __getattr__(self, name):
        return getattr(time, name)

    def sleep(self, seconds):
        self._sleeps.append(seconds)


def record_sleeps():
    """The SDK sleeps its poll interval (30 s) before each Describe of its waits: record the sleeps instead of
    taking them (the emulator's resources are ready at the first poll). Returns the list they are recorded in."""
    sleeps = []
    sagemaker.session.time = _Clock(sleeps)
    return sleeps


def emulator_session(url):
    """(sagemaker client, sagemaker.Session) on the emulator at `url`, with test credentials."""
    boto_session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    client = boto_session.client("sagemaker", endpoint_url=url)
    runtime = boto_session.client("sagemaker-runtime", endpoint_url=url)
    session = sagemaker.Session(
        boto_session=boto_session,
        sagemaker_client=client,
        sagemaker_runtime_client=runtime,
        default_bucket="emulator-bucket",
    )
    return client, session
