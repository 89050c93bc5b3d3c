"""The runtime's checked-in constraints are the pinned API model's, shape by shape."""

from __future__ import annotations

import botocore.session

from emulator.shapes.runtime import SHAPES


def test_runtime_shapes_are_the_api_models() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker-runtime")
    source = model._shape_resolver._shape_map  # the raw JSON shapes, as scripts/generate_shapes.py reads them
    # Explanations (Clarify) are not served: their header is not checked.
    unserved = {"InvokeEndpointHeaders": {"EnableExplanations": {"shape": "EnableExplanationsHeader"}}}
    for name, shape in SHAPES.items():
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
