"""The runtime's checked-in constraints are the pinned API model's, shape by shape."""

from __future__ import annotations

import botocore.session

from emulator.shapes.runtime import SHAPES


def test_runtime_shapes_are_the_api_models() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker-runtime")
    source = model._shape_resolver._shape_map  # the raw JSON shapes, as scripts/generate_shapes.py reads them
    for name, shape in SHAPES.items():
        if name == "InvokeEndpointHeaders":
            members = source["InvokeEndpointInput"]["members"]
            assert shape["required"] == ["EndpointName"]
            assert {m: {"shape": s["shape"]} for m, s in members.items() if s.get("location") in ("uri", "header")} == {
                m: s for m, s in shape["members"].items()
            } | {"EnableExplanations": {"shape": "EnableExplanationsHeader"}}
            continue
        wanted = {k: v for k, v in source[name].items() if k in ("type", "max", "min", "pattern")}
        assert shape == wanted, name
