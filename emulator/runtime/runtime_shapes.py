"""The constraints of the runtime operations' path and header members, copied from the pinned API model (botocore's
sagemaker-runtime 2017-05-13 service-2.json; tests/test_runtime_shapes.py holds them equal). The body is not
here: its size is the front end's check (emulator/runtime/rest_json.py).

The answers' header members too, with the header each travels in, for the answer check (check_answers): a header
the SDK would not read as a member is a member it never gets."""

from __future__ import annotations

from typing import Any

from emulator.shapes.validate import RequestValidator

_NAME = {"type": "string", "max": 63, "pattern": "^[a-zA-Z0-9](-*[a-zA-Z0-9])*"}
_PRINTABLE = "\\A\\S[\\p{Print}]*\\z"

# The members both calls take; InvokeEndpoint adds TargetModel and takes a new-session constant as SessionId.
_COMMON = {
    "EndpointName": {"shape": "EndpointName"},
    "ContentType": {"shape": "Header"},
    "Accept": {"shape": "Header"},
    "CustomAttributes": {"shape": "CustomAttributesHeader"},
    "TargetVariant": {"shape": "TargetVariantHeader"},
    "TargetContainerHostname": {"shape": "TargetContainerHostnameHeader"},
    "InferenceId": {"shape": "InferenceId"},
    "InferenceComponentName": {"shape": "InferenceComponentHeader"},
    "PrefixAwareId": {"shape": "PrefixAwareIdHeader"},
}

SHAPES: dict[str, dict[str, Any]] = {
    "InvokeEndpointHeaders": {
        "type": "structure",
        "required": ["EndpointName"],
        "members": {
            **_COMMON,
            "TargetModel": {"shape": "TargetModelHeader"},
            "SessionId": {"shape": "SessionIdOrNewSessionConstantHeader"},
        },
    },
    "InvokeEndpointWithResponseStreamHeaders": {
        "type": "structure",
        "required": ["EndpointName"],
        "members": {**_COMMON, "SessionId": {"shape": "SessionIdHeader"}},
    },
    # InvokeEndpointAsync's: its payload type and Accept travel in X-Amzn-SageMaker-* headers.
    "InvokeEndpointAsyncHeaders": {
        "type": "structure",
        "required": ["EndpointName"],
        "members": {
            "EndpointName": {"shape": "EndpointName"},
            "ContentType": {"shape": "Header"},
            "Accept": {"shape": "Header"},
            "CustomAttributes": {"shape": "CustomAttributesHeader"},
            "InferenceId": {"shape": "InferenceId"},
            "InputLocation": {"shape": "InputLocationHeader"},
            "S3OutputPathExtension": {"shape": "S3OutputPathExtensionHeader"},
            "Filename": {"shape": "FilenameHeader"},
            "RequestTTLSeconds": {"shape": "RequestTTLSecondsHeader"},
            "InvocationTimeoutSeconds": {"shape": "InvocationTimeoutSecondsHeader"},
        },
    },
    "InputLocationHeader": {"type": "string", "max": 1024, "min": 1, "pattern": "^(https|s3)://([^/]+)/?(.*)$"},
    "S3OutputPathExtensionHeader": {
        "type": "string",
        "max": 512,
        "min": 1,
        "pattern": "^(?!s3:|https:)[a-zA-Z0-9!_.*'()/-]+$",
    },
    "FilenameHeader": {
        "type": "string",
        "max": 32,
        "min": 1,
        "pattern": "^(?!.*\\..*\\.)[a-zA-Z0-9][a-zA-Z0-9-_\\.]*$",
    },
    "RequestTTLSecondsHeader": {"type": "integer", "max": 21600, "min": 60},
    "InvocationTimeoutSecondsHeader": {"type": "integer", "max": 3600, "min": 1},
    "EndpointName": _NAME,
    "Header": {"type": "string", "max": 1024, "pattern": "\\p{ASCII}*"},
    "CustomAttributesHeader": {"type": "string", "max": 1024, "pattern": "\\p{ASCII}*"},
    "TargetModelHeader": {"type": "string", "max": 1024, "min": 1, "pattern": _PRINTABLE},
    "TargetVariantHeader": _NAME,
    "TargetContainerHostnameHeader": _NAME,
    "InferenceId": {"type": "string", "max": 64, "min": 1, "pattern": _PRINTABLE},
    "InferenceComponentHeader": {
        "type": "string",
        "max": 63,
        "pattern": "^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$",
    },
    "SessionIdOrNewSessionConstantHeader": {
        "type": "string",
        "max": 256,
        "pattern": "^(NEW_SESSION)$|^[a-zA-Z0-9](-*[a-zA-Z0-9])*$",
    },
    "SessionIdHeader": {"type": "string", "max": 256, "pattern": "^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"},
    "PrefixAwareIdHeader": {"type": "string", "max": 64, "min": 1, "pattern": _PRINTABLE},
    # The answers' header members (the body, the output's one required member, is always sent).
    "InvokeEndpointOutputHeaders": {
        "type": "structure",
        "members": {
            "ContentType": {"shape": "Header"},
            "InvokedProductionVariant": {"shape": "Header"},
            "CustomAttributes": {"shape": "CustomAttributesHeader"},
            "NewSessionId": {"shape": "NewSessionResponseHeader"},
            "ClosedSessionId": {"shape": "SessionIdHeader"},
        },
    },
    "InvokeEndpointWithResponseStreamOutputHeaders": {
        "type": "structure",
        "members": {
            "ContentType": {"shape": "Header"},
            "InvokedProductionVariant": {"shape": "Header"},
            "CustomAttributes": {"shape": "CustomAttributesHeader"},
        },
    },
    "InvokeEndpointAsyncOutputHeaders": {
        "type": "structure",
        "members": {"OutputLocation": {"shape": "Header"}, "FailureLocation": {"shape": "Header"}},
    },
    "NewSessionResponseHeader": {
        "type": "string",
        "max": 256,
        "pattern": "^[a-zA-Z0-9](-*[a-zA-Z0-9])*;\\sExpires=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
    },
}
OPERATIONS = {
    "InvokeEndpoint": {"input": "InvokeEndpointHeaders", "output": "InvokeEndpointOutputHeaders"},
    "InvokeEndpointWithResponseStream": {
        "input": "InvokeEndpointWithResponseStreamHeaders",
        "output": "InvokeEndpointWithResponseStreamOutputHeaders",
    },
    "InvokeEndpointAsync": {"input": "InvokeEndpointAsyncHeaders", "output": "InvokeEndpointAsyncOutputHeaders"},
}
# The answers' headers that carry members (lower case), by operation: the streaming call's content type is the event
# stream's, so its payload's travels in X-Amzn-SageMaker-Content-Type.
_ANSWER_HEADERS = {
    "x-amzn-invoked-production-variant": "InvokedProductionVariant",
    "x-amzn-sagemaker-custom-attributes": "CustomAttributes",
}
OUTPUT_HEADERS = {
    "InvokeEndpoint": {
        "content-type": "ContentType",
        **_ANSWER_HEADERS,
        "x-amzn-sagemaker-new-session-id": "NewSessionId",
        "x-amzn-sagemaker-closed-session-id": "ClosedSessionId",
    },
    "InvokeEndpointWithResponseStream": {"x-amzn-sagemaker-content-type": "ContentType", **_ANSWER_HEADERS},
    "InvokeEndpointAsync": {
        "x-amzn-sagemaker-outputlocation": "OutputLocation",
        "x-amzn-sagemaker-failurelocation": "FailureLocation",
    },
}
# Headers of the protocol, not of a member: the request id, the error type, the framing.
_PROTOCOL_HEADERS = frozenset(("x-amzn-requestid", "x-amzn-errortype"))


def runtime_validator() -> RequestValidator:
    return RequestValidator(SHAPES, OPERATIONS)


def answer_members(operation: str, headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The output members an answer's headers carry, for RequestValidator.check_answer; an x-amzn-* header that is
    no member's comes back under its own name, which the check reports as no member of the output shape."""
    known = OUTPUT_HEADERS[operation]
    members = {}
    for raw_name, value in headers:
        name = raw_name.decode("latin-1").lower()
        member = known.get(name)
        if member is None and name.startswith("x-amzn-") and name not in _PROTOCOL_HEADERS:
            member = f"header {name}"
        if member is not None:
            members[member] = value.decode("latin-1")
    return members
