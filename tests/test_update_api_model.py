"""scripts/update_api_model.py says what a new API model changes in the operations we serve, path by path."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script() -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))  # it imports generate_shapes beside it, as when run
    try:
        spec = importlib.util.spec_from_file_location("update_api_model", SCRIPTS / "update_api_model.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


update = load_script()

OLD: dict[str, Any] = {
    "operations": {"CreateThing": {"input": {"shape": "CreateThingInput"}, "output": {"shape": "CreateThingOutput"}}},
    "shapes": {
        "CreateThingInput": {
            "type": "structure",
            "required": ["Name"],
            "members": {
                "Name": {"shape": "Name"},
                "Kind": {"shape": "Kind"},
                "Parts": {"shape": "Parts"},
                "Legacy": {"shape": "Name"},
            },
        },
        "CreateThingOutput": {"type": "structure", "members": {"Arn": {"shape": "Name"}}},
        "Name": {"type": "string", "max": 63, "pattern": "[a-z]+"},
        "Kind": {"type": "string", "enum": ["a", "b"]},
        "Parts": {"type": "list", "member": {"shape": "Part"}},
        "Part": {"type": "structure", "members": {"Size": {"shape": "Size"}}},
        "Size": {"type": "integer", "min": 1},
    },
}


def test_every_kind_of_change_is_one_line_at_its_path() -> None:
    new = copy.deepcopy(OLD)
    shapes = new["shapes"]
    shapes["Kind"]["enum"] += ["c", "d"]
    shapes["Name"]["max"] = 128
    shapes["Size"]["min"] = 0
    del shapes["CreateThingInput"]["members"]["Legacy"]
    shapes["CreateThingInput"]["required"].append("Kind")
    shapes["Part"]["members"]["Metrics"] = {"shape": "Metrics"}
    shapes["Metrics"] = {"type": "structure", "members": {"Path": {"shape": "Name"}}}
    changes = list(update.changes(update.flatten(OLD, "CreateThing"), update.flatten(new, "CreateThing")))
    assert changes == [
        "~ input.Name: max 63 -> 128",
        "~ input.Kind: now required",
        "~ input.Kind: enum + c, d",
        "~ input.Parts[].Size: min 1 -> 0",
        "+ input.Parts[].Metrics: Metrics structure",  # its own members are not listed again
        "~ output.Arn: max 63 -> 128",
        "- input.Legacy",
    ]


def test_an_unchanged_model_says_nothing() -> None:
    assert list(update.changes(update.flatten(OLD, "CreateThing"), update.flatten(OLD, "CreateThing"))) == []


def test_long_enum_changes_are_cut_with_their_count() -> None:
    new = copy.deepcopy(OLD)
    new["shapes"]["Kind"]["enum"] += [f"v{i}" for i in range(8)]
    assert list(update.changes(update.flatten(OLD, "CreateThing"), update.flatten(new, "CreateThing"))) == [
        "~ input.Kind: enum + v0, v1, v2, v3, v4, v5, ... (8 in all)"
    ]


def test_a_recursive_shape_is_entered_once_per_path() -> None:
    model = copy.deepcopy(OLD)
    model["shapes"]["Part"]["members"]["Inner"] = {"shape": "Parts"}
    flat = update.flatten(model, "CreateThing")
    assert "input.Parts[].Inner[]" not in flat
    assert flat["input.Parts[].Inner"]["shape"] == "Parts"
