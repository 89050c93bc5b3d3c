"""The runtime's checked-in constraints are the pinned API model's, shape by shape."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from emulator.errors import InternalFailure
from emulator.runtime.rest_json import INVOKE, STREAM
from emulator.runtime.runtime_shapes import OUTPUT_HEADERS, SHAPES, answer_members, runtime_validator


def source_shapes() -> Any:
    """The raw JSON shapes, as scripts/generate_shapes.py reads them."""
    return botocore.session.get_session().get_service_model("sagemaker-runtime")._shape_resolver._shape_map


def test_runtime_shapes_are_the_api_models() -> None:
    source = source_shapes()
    # Explanations (Clarify) are not served: their header is not checked.
    unserved = {"InvokeEndpointHeaders": {"EnableExplanations": {"shape": "EnableExplanationsHeader"}}}
    for name, shape in SHAPES.items():
        if name.endswith("OutputHeaders"):
            members = source[name.replace("Headers", "")]["members"]
            assert "required" not in shape  # the body, the one required member, is always sent
            in_headers = {m: {"shape": s["shape"]} for m, s in members.items() if s.get("location") == "header"}
            assert in_headers == shape["members"], name
            continue
        if name.endswith("Headers"):
            members = source[name.replace("Headers", "Input")]["members"]
            assert shape["required"] == ["EndpointName"]
            in_headers = {
                m: {"shape": s["shape"]} for m, s in members.items() if s.get("location") in ("uri", "header")
            }
            assert in_headers == shape["members"] | unserved.get(name, {}), name
            continue
        wanted = {k: v for k, v in source[name].items() if k in ("type", "max", "min", "pattern")}
        assert shape == wanted, name


def test_the_answers_headers_are_the_api_models() -> None:
    source = source_shapes()
    for operation, headers in OUTPUT_HEADERS.items():
        members = source[f"{operation}Output"]["members"]
        located = {s["locationName"].lower(): m for m, s in members.items() if s.get("location") == "header"}
        assert headers == located, operation


@pytest.mark.parametrize(
    ("operation", "headers", "problem"),
    [
        (
            INVOKE,
            [(b"content-type", b"text/plain"), (b"x-amzn-invoked-variant", b"AllTraffic")],
            "header x-amzn-invoked-variant: not a member of InvokeEndpointOutputHeaders",
        ),
        (
            # The streaming answer's payload type travels in its own header; X-Amzn-SageMaker-Content-Type is it.
            STREAM,
            [(b"content-type", b"application/vnd.amazon.eventstream"), (b"x-amzn-sagemaker-new-session-id", b"s")],
            "header x-amzn-sagemaker-new-session-id: not a member of InvokeEndpointWithResponseStreamOutputHeaders",
        ),
    ],
)
def test_a_header_no_member_travels_in_is_reported(
    operation: str, headers: list[tuple[bytes, bytes]], problem: str
) -> None:
    with pytest.raises(InternalFailure) as raised:
        runtime_validator().check_answer(operation, answer_members(operation, headers))
    assert (
        raised.value.message == f"The answer of {operation} breaks its output shape {operation}OutputHeaders: {problem}"
    )


def test_the_answers_own_headers_pass() -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"x-amzn-invoked-production-variant", b"AllTraffic"),
        (b"x-amzn-sagemaker-custom-attributes", b"a=1"),
        (b"x-amzn-requestid", b"r"),
    ]
    members = answer_members(INVOKE, headers)
    assert members == {
        "ContentType": "application/json",
        "InvokedProductionVariant": "AllTraffic",
        "CustomAttributes": "a=1",
    }
    runtime_validator().check_answer(INVOKE, members)
