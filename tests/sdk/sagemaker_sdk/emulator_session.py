"""What the SDK scripts next to this file share: a sagemaker.Session on the emulator's endpoint, and the SDK's poll
sleeps recorded instead of taken. Imported by those scripts as `python <script> ...` puts this folder first on
sys.path, in the SDK's own virtual environment (no package of the emulator's is installed there)."""

import socket
import time

import boto3
import sagemaker
import sagemaker.session


class _Clock:
    """The SDK's view of the time module: everything real but sleep, which appends to `sleeps`."""

    def __init__(self, sleeps, take):
        self._sleeps = sleeps
        self._take = take

    def __getattr__(self, name):
        return getattr(time, name)

    def sleep(self, seconds):
        self._sleeps.append(seconds)
        time.sleep(self._take)


def record_sleeps(take=0.0):
    """The SDK sleeps its poll interval (30 s) before each Describe of its waits: record the sleeps instead of
    taking them (the emulator's resources are ready at the first poll), sleeping `take` seconds instead, so a wait
    for work that takes a while polls at that pace rather than in a busy loop. Returns the list they are recorded in."""
    sleeps = []
    sagemaker.session.time = _Clock(sleeps, take)
    return sleeps


def tracked_connections():
    """Every TCP connection the process makes from now on, recorded in {"made": [(host, port)], "refused": [...]}; a
    name other than 127.0.0.1 or localhost is refused before any look-up, and an address other than 127.0.0.1 before
    any packet leaves: so a test sees whether the SDK tried to reach AWS (its S3, STS, telemetry) and it never does."""
    seen = {"made": [], "refused": []}
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            seen["refused"].append(f"{host}:{port}")
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: the test lets this process reach 127.0.0.1 only")
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            if address[0] != "127.0.0.1":
                seen["refused"].append(f"{address[0]}:{address[1]}")
                raise ConnectionRefusedError(f"{address[0]}: the test lets this process reach 127.0.0.1 only")
            seen["made"].append((address[0], address[1]))
        return real_connect(sock, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    return seen


def emulator_session(url, *, s3_url=None):
    """(sagemaker client, sagemaker.Session) on the emulator at `url`, with test credentials; the session's S3 (its
    uploads, its default bucket) is `s3_url` when given."""
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
    if s3_url is not None:
        # The Session makes its S3 client and resource from boto_session with no endpoint: both are replaced.
        session.s3_client = boto_session.client("s3", endpoint_url=s3_url)
        session.s3_resource = boto_session.resource("s3", endpoint_url=s3_url)
    return client, session
