"""How a transform job cuts an input object into records and records into mini-batches, and how it assembles the
answers into the output object ([M: SplitType, BatchStrategy, MaxPayloadInMB and AssembleWith docs];
docs/decisions.md: Batch transform, for what AWS leaves unsaid).

- SplitType None: the whole object is one request. Line: each line is a record, sent with its newline as the object
  has it (a mini-batch is the lines one after another, as in the object); blank lines are no records. RecordIO
  (MXNet's framing) and TFRecord: each framed record; SingleRecord sends its payload alone ("padding is removed"),
  MultiRecord the framed records as they are.
- MultiRecord fits as many records in a request as MaxPayloadInMB allows; SingleRecord sends one each. A record
  larger than MaxPayloadInMB fails the job (0: no limit, chunked encoding's setting).
- AssembleWith None joins the answers as they are; Line ends every answer with a newline (unless it has one).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

MB = 1024 * 1024
RECORDIO_MAGIC = 0xCED7230A


class RecordError(ValueError):
    """The input cannot be cut as asked (a broken frame), or a record is larger than a request may be."""


@dataclass(frozen=True, slots=True)
class Record:
    """One record: the bytes sent for it alone (SingleRecord), and as part of a MultiRecord mini-batch."""

    single: bytes
    framed: bytes


def split(data: bytes, split_type: str) -> list[Record]:
    if split_type == "None":
        return [Record(data, data)]
    if split_type == "Line":
        return [Record(line, line) for line in _lines(data)]
    if split_type == "RecordIO":
        return list(_recordio(data))
    if split_type == "TFRecord":
        return list(_tfrecord(data))
    raise RecordError(f"SplitType {split_type} is not supported")


def _lines(data: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        line = data[start:end]
        start = end
        if line.strip(b"\r\n"):
            yield line


def _recordio(data: bytes) -> Iterator[Record]:
    at = 0
    while at < len(data):
        if len(data) - at < 8:
            raise RecordError(f"a RecordIO frame is cut short at byte {at}")
        magic, header = struct.unpack_from("<II", data, at)
        if magic != RECORDIO_MAGIC:
            raise RecordError(f"no RecordIO magic number at byte {at}")
        length = header & ((1 << 29) - 1)
        padded = (length + 3) & ~3
        if at + 8 + padded > len(data) and at + 8 + length > len(data):
            raise RecordError(f"a RecordIO record is cut short at byte {at}")
        end = min(at + 8 + padded, len(data))
        yield Record(data[at + 8 : at + 8 + length], data[at:end])
        at = end


def _tfrecord(data: bytes) -> Iterator[Record]:
    at = 0
    while at < len(data):
        if len(data) - at < 12:
            raise RecordError(f"a TFRecord frame is cut short at byte {at}")
        (length,) = struct.unpack_from("<Q", data, at)
        end = at + 12 + length + 4
        if end > len(data):
            raise RecordError(f"a TFRecord record is cut short at byte {at}")
        yield Record(data[at + 12 : at + 12 + length], data[at:end])
        at = end


@dataclass(frozen=True, slots=True)
class Batch:
    """One request: its body, and the records it holds (their index in the object, and how many)."""

    body: bytes
    first: int
    count: int


def batches(records: list[Record], *, multi: bool, max_bytes: int) -> list[Batch]:
    """The requests, in order; max_bytes 0: no limit. RecordError for a record larger than max_bytes."""
    if not multi:
        for record in records:
            _fits(record.single, max_bytes)
        return [Batch(record.single, i, 1) for i, record in enumerate(records)]
    out: list[Batch] = []
    current: list[bytes] = []
    size = first = 0
    for i, record in enumerate(records):
        _fits(record.framed, max_bytes)
        if current and max_bytes and size + len(record.framed) > max_bytes:
            out.append(Batch(b"".join(current), first, len(current)))
            current, size, first = [], 0, i
        current.append(record.framed)
        size += len(record.framed)
    if current:
        out.append(Batch(b"".join(current), first, len(current)))
    return out


def line_batches(data: bytes, *, max_bytes: int) -> list[Batch]:
    """MultiRecord mini-batches of a Line split, cut straight from the object: each is the lines up to the last line
    end that fits, without a record object per line (a 100 MB object holds millions). The same cut as
    batches(split(data, "Line")): blank lines are left out, a line larger than max_bytes fails. `first` and
    `count` are not kept (nothing joins answers to records on this path)."""
    out: list[Batch] = []
    start, size = 0, len(data)
    while start < size:
        end = size if not max_bytes or size - start <= max_bytes else data.rfind(b"\n", start, start + max_bytes) + 1
        if end <= start:
            line_end = data.find(b"\n", start)
            _fits(data[start : size if line_end < 0 else line_end + 1], max_bytes)
        chunk = data[start:end]
        start = end
        if b"\n\n" in chunk or b"\n\r\n" in chunk or chunk[:1] in (b"\n", b"\r") or not chunk.strip(b"\r\n"):
            chunk = b"".join(_lines(chunk))  # blank lines are no records
        if chunk:
            out.append(Batch(chunk, 0, 0))
    return out


def _fits(payload: bytes, max_bytes: int) -> None:
    if max_bytes and len(payload) > max_bytes:
        raise RecordError(
            f"a record of {len(payload)} bytes is larger than MaxPayloadInMB ({max_bytes // MB} MB) allows"
        )


def assembled(answers: list[bytes], assemble_with: str) -> bytes:
    if assemble_with != "Line":
        return b"".join(answers)
    return b"".join(answer if answer.endswith(b"\n") else answer + b"\n" for answer in answers)
