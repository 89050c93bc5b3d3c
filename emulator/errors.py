"""AWS errors as exceptions. Handlers raise these; the wire layer alone turns them into responses."""

from __future__ import annotations

from emulator import __version__


class AwsError(Exception):
    code: str = "InternalFailure"
    status: int = 400
    # False for the few answers AWS's front end gives without an error type: SDKs then report the HTTP status.
    typed: bool = True
    # True for answers whose body carries `"message": null` when there is no message (SageMaker Runtime's throttling).
    null_message: bool = False

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.message = message

    def members(self) -> dict[str, str | int]:
        """Members of the error's shape beyond its message (ModelError's), serialized into the body with it."""
        return {}


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


class ConflictException(AwsError):
    # SageMaker's answer to a change that conflicts with the resource's current state (the API model's 400).
    code = "ConflictException"


class ResourceNotFound(AwsError):
    code = "ResourceNotFound"


class ResourceInUse(AwsError):
    # The API model's answer to a duplicate job name (CreateTransformJob).
    code = "ResourceInUse"


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


# SageMaker Runtime (rest-json). Its validation code is ValidationError, not SageMaker's ValidationException.
class ValidationError(AwsError):
    code = "ValidationError"


class PayloadTooLarge(AwsError):
    """SageMaker Runtime's front end refuses a large body with 413 and no error type: boto3 shows code '413'."""

    code = "PayloadTooLarge"
    status = 413
    typed = False


class RuntimeThrottlingException(ThrottlingException):
    """SageMaker Runtime's throttling: 400, code ThrottlingException, and no text, `{"message": null}`, so boto3's
    message is None [R: docs/decisions.md, Fault injection on the runtime]."""

    null_message = True


class ModelNotReadyException(AwsError):
    """429 [M]: a serverless variant still being provisioned, or a multi-model endpoint still loading the target."""

    code = "ModelNotReadyException"
    status = 429


class ModelError(AwsError):
    """The model answered non-2xx (or never answered): 424 with what the container sent, as AWS reports it."""

    code = "ModelError"
    status = 424

    def __init__(self, message: str, *, original_status: int, original_message: str, log_stream_arn: str) -> None:
        super().__init__(message)
        self.original_status = original_status
        self.original_message = original_message
        self.log_stream_arn = log_stream_arn

    def members(self) -> dict[str, str | int]:
        return {
            "OriginalStatusCode": self.original_status,
            "OriginalMessage": self.original_message,
            "LogStreamArn": self.log_stream_arn,
        }
