"""The pure parts of batch transform: cutting objects into records and mini-batches, assembling answers, and the
JSONPath subset of DataProcessing's filters (emulator/transform/)."""

from __future__ import annotations

import random
import struct

import pytest

from emulator.transform.batching import (
    RECORDIO_MAGIC,
    RecordError,
    assembled,
    batches,
    line_batches,
    split,
)
from emulator.transform.joining import DataProcessing, answer_lines
from emulator.transform.jsonpath import JsonPathError, parse_path, select


def recordio(payload: bytes) -> bytes:
    padding = b"\0" * (-len(payload) % 4)
    return struct.pack("<II", RECORDIO_MAGIC, len(payload)) + payload + padding


def tfrecord(payload: bytes) -> bytes:
    return struct.pack("<QI", len(payload), 0) + payload + b"\0\0\0\0"


def test_line_records_keep_their_newline_and_blank_lines_are_none() -> None:
    records = split(b"a,1\n\nb,2\r\n  \nc,3", "Line")
    assert [r.single for r in records] == [b"a,1\n", b"b,2\r\n", b"  \n", b"c,3"]


@pytest.mark.parametrize("kind", ["RecordIO", "TFRecord"])
def test_framed_records_send_their_payload_alone_or_framed_together(kind: str) -> None:
    frame = recordio if kind == "RecordIO" else tfrecord
    payloads = [b"one", b"four", b"", b"seven!!"]
    data = b"".join(frame(p) for p in payloads)
    records = split(data, kind)
    assert [r.single for r in records] == payloads
    assert [b.body for b in batches(records, multi=False, max_bytes=0)] == payloads
    assert [b.body for b in batches(records, multi=True, max_bytes=0)] == [data]


@pytest.mark.parametrize("kind", ["RecordIO", "TFRecord"])
def test_a_broken_frame_is_a_record_error(kind: str) -> None:
    frame = recordio if kind == "RecordIO" else tfrecord
    with pytest.raises(RecordError):
        split(frame(b"payload")[:-5], kind)


def test_multi_record_fills_each_request_up_to_the_payload_limit() -> None:
    records = split(b"aaaa\nbbbb\ncccc\ndddd\n", "Line")
    cut = batches(records, multi=True, max_bytes=10)
    assert [(b.body, b.first, b.count) for b in cut] == [(b"aaaa\nbbbb\n", 0, 2), (b"cccc\ndddd\n", 2, 2)]
    with pytest.raises(RecordError, match="a record of 5 bytes is larger than MaxPayloadInMB"):
        batches(records, multi=True, max_bytes=4)
    with pytest.raises(RecordError):
        line_batches(b"aaaa\nbbbbbbbbbbbb\n", max_bytes=10)


def test_line_batches_cut_as_records_do() -> None:
    rng = random.Random(7)
    for _ in range(200):
        lines = [b"x" * rng.randint(1, 30) + b"\n" for _ in range(rng.randint(1, 60))]
        if rng.random() < 0.5:
            lines[-1] = lines[-1].rstrip(b"\n")
        data = b"".join(lines)
        limit = rng.choice([0, 31, 64, 200])
        expected = [b.body for b in batches(split(data, "Line"), multi=True, max_bytes=limit)]
        assert [b.body for b in line_batches(data, max_bytes=limit)] == expected


def test_line_batches_leave_blank_lines_out() -> None:
    assert [b.body for b in line_batches(b"\na\n\n\nb\n", max_bytes=0)] == [b"a\nb\n"]


def test_assemble_with_line_ends_each_answer_once() -> None:
    assert assembled([b"1", b"2\n", b"3"], "Line") == b"1\n2\n3\n"
    assert assembled([b"1", b"2\n", b"3"], "None") == b"12\n3"


@pytest.mark.parametrize(
    ("path", "value", "selected"),
    [
        ("$", {"a": 1}, {"a": 1}),
        ("$.features", {"id": 1, "features": [1, 2]}, [1, 2]),
        ("$[1:]", ["id", "1", "2"], ["1", "2"]),
        ("$[0,5:]", list(range(8)), [0, 5, 6, 7]),
        ("$[-1]", [1, 2, 3], 3),
        ("$[0]", [1, 2, 3], 1),
        ("$['id','SageMakerOutput']", {"id": 1, "x": 2, "SageMakerOutput": 3}, {"id": 1, "SageMakerOutput": 3}),
        ("$.field1.['child1','child2']", {"field1": {"child1": 1, "child2": 2, "c": 3}}, {"child1": 1, "child2": 2}),
        ("$.*", {"a": 1, "b": 2}, [1, 2]),
        ("$[*]", [1, 2], [1, 2]),
    ],
)
def test_jsonpath_subset(path: str, value: object, selected: object) -> None:
    assert select(value, parse_path(path)) == selected


@pytest.mark.parametrize("path", ["features", "$..a", "$[", "$[a]", "$['a', b]", "$.", "$[]"])
def test_paths_outside_the_subset_are_refused(path: str) -> None:
    with pytest.raises(JsonPathError):
        parse_path(path)


def test_an_index_outside_the_record_is_an_error() -> None:
    with pytest.raises(JsonPathError, match="index 5 is outside the record's 2 columns"):
        select([1, 2], parse_path("$[5]"))


def test_joins_of_csv_and_json_records() -> None:
    csv_join = DataProcessing.of(
        {
            "TransformInput": {"ContentType": "text/csv"},
            "TransformOutput": {},
            "DataProcessing": {"JoinSource": "Input"},
        }
    )
    assert csv_join.output(b'7,"a,b"\n', b"0.5") == b'7,"a,b",0.5'
    json_join = DataProcessing.of(
        {
            "TransformInput": {"ContentType": "application/json"},
            "TransformOutput": {},
            "DataProcessing": {"JoinSource": "Input"},
        }
    )
    assert json_join.output(b'{"id": 1}\n', b"[3]") == b'{"id":1,"SageMakerOutput":[3]}'
    assert json_join.output(b"[1, 2]", b"3") == b'{"SageMakerInput":[1,2],"SageMakerOutput":3}'
    with pytest.raises(RecordError):
        json_join.output(b"not json", b"3")


def test_a_multi_record_answer_is_cut_into_one_line_per_record() -> None:
    assert answer_lines(b"1\n2\n", 2) == [b"1", b"2"]
    assert answer_lines(b"[1, 2]\n", 1) == [b"[1, 2]"]
    with pytest.raises(RecordError, match="the model answered 1 lines for a mini-batch of 2 records"):
        answer_lines(b"1\n", 2)
