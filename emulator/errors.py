"""AWS errors as exceptions. Handlers raise these; the wire layer alone turns them into responses."""

from __future__ import annotations

from emulator import __version__


class AwsError(Exception):
    code: str = "InternalFailure"
    status: int = 400

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.message = message


class ValidationException(AwsError):
    code = "ValidationException"


class SerializationException(AwsError):
    code = "SerializationException"


class UnknownOperationException(AwsError):
    code = "UnknownOperationException"

    @classmethod
    def unserved(cls, target: str) -> UnknownOperationException:
        """For the X-Amz-Target `target`. AWS sends this code with no message, and an SDK user then sees nothing
        after the colon: the emulator says that it, not SageMaker, lacks the operation, and where the served ones are."""
        what = target or "requests without an X-Amz-Target header"
        return cls(
            f"sagemaker-emulator {__version__} does not serve {what}; the operations it serves are listed by"
            " GET /_emulator/version and in its README (Supported operations)"
        )


class ResourceLimitExceeded(AwsError):
    code = "ResourceLimitExceeded"


class ResourceNotFound(AwsError):
    code = "ResourceNotFound"


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500


class ServiceUnavailable(AwsError):
    code = "ServiceUnavailable"
    status = 503


class ThrottlingException(AwsError):
    code = "ThrottlingException"


# Authentication (strict mode). awsJson services answer all of these with 400, as measured on Coral services.
class MissingAuthenticationTokenException(AwsError):
    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(AwsError):
    code = "IncompleteSignatureException"


class InvalidSignatureException(AwsError):
    code = "InvalidSignatureException"


class UnrecognizedClientException(AwsError):
    code = "UnrecognizedClientException"


class AccessDeniedException(AwsError):
    code = "AccessDeniedException"
    status = 403


class RequestEntityTooLargeException(AwsError):
    # The code AWS JSON services (Lambda) send with 413; the text is AWS's front end's.
    code = "RequestEntityTooLargeException"
    status = 413


class RequestTimeoutException(AwsError):
    code = "RequestTimeoutException"
    status = 408
