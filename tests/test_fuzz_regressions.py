"""Failures the fuzz suite (tests/test_fuzz.py) found, each kept as a named test."""

from __future__ import annotations

from sqlalchemy import create_engine, select

from emulator.store.tables import tags
from tests.support import aws_post


def test_duplicate_tag_keys_in_create_model_are_one_tag_not_an_internal_failure(
    endpoint: str, database_url: str
) -> None:
    # Found by the fuzzer: the second row for the same key broke the tags' primary key, and CreateModel answered 500.
    request = {
        "ModelName": "model-176",
        "PrimaryContainer": {},
        "Tags": [{"Key": "0", "Value": "first"}, {"Key": "team", "Value": "a"}, {"Key": "0", "Value": "last"}],
    }
    created = aws_post(endpoint, "CreateModel", request)
    assert (created.status_code, created.json()) == (
        200,
        {"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/model-176"},
    )
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(tags.c.key, tags.c.value).order_by(tags.c.position)).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("0", "last"), ("team", "a")]
