"""The constraints of InvokeEndpoint's path and header members, copied from the pinned API model (botocore's
sagemaker-runtime 2017-05-13 service-2.json; tests/test_runtime_shapes.py holds them equal). The body is not
here: its size is the front end's check (emulator/protocol/runtime.py)."""

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
}
OPERATIONS = {
    "InvokeEndpoint": {"input": "InvokeEndpointHeaders"},
    "InvokeEndpointWithResponseStream": {"input": "InvokeEndpointWithResponseStreamHeaders"},
}


def runtime_validator() -> RequestValidator:
    return RequestValidator(SHAPES, OPERATIONS)
