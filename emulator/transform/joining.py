"""DataProcessing: InputFilter, JoinSource and OutputFilter, as AWS's "Associate Prediction Results with Input
Records" page documents them, on CSV (each row a JSON array) and JSON records (docs/decisions.md: Batch transform).

- InputFilter selects part of each input record before it is batched (`$[1:]` drops an ID column).
- JoinSource Input joins each input record (as read, before the InputFilter) with its answer: a JSON object gets
  `SageMakerOutput`; any other JSON value becomes `{"SageMakerInput": ..., "SageMakerOutput": ...}`; a CSV row gets
  the answer's columns appended.
- OutputFilter selects part of the joined record (or of the answer, without a join).

A record is CSV when TransformInput.ContentType is text/csv, else JSON; an answer is CSV when TransformOutput.Accept
is text/csv (without an Accept, as the input). A record or answer that does not parse, or a filter that selects what
a record lacks, fails the job.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.transform.batching import RecordError
from emulator.transform.jsonpath import JsonPathError, Step, parse_path, select

CSV = "text/csv"


def _media(content_type: str | None) -> str | None:
    return None if content_type is None else content_type.split(";")[0].strip().lower()


def _filter(expression: str | None) -> list[Step] | None:
    """The steps of a filter; None for none or `$` (everything, AWS's default)."""
    if expression is None or expression.strip() == "$":
        return None
    return parse_path(expression)


@dataclass(frozen=True, slots=True)
class DataProcessing:
    input_filter: list[Step] | None
    output_filter: list[Step] | None
    join: bool
    input_csv: bool
    output_csv: bool

    @classmethod
    def of(cls, definition: dict[str, Any]) -> DataProcessing:
        processing = definition.get("DataProcessing", {})
        input_type = _media(definition["TransformInput"].get("ContentType"))
        output_type = _media(definition["TransformOutput"].get("Accept")) or input_type
        return cls(
            input_filter=_filter(processing.get("InputFilter")),
            output_filter=_filter(processing.get("OutputFilter")),
            join=processing.get("JoinSource", "None") == "Input",
            input_csv=input_type == CSV,
            output_csv=output_type == CSV,
        )

    @property
    def active(self) -> bool:
        return self.input_filter is not None or self.per_record

    @property
    def filters_input(self) -> bool:
        return self.input_filter is not None

    @property
    def per_record(self) -> bool:
        """Whether answers are matched to their records (a join or an output filter), not passed through whole."""
        return self.join or self.output_filter is not None

    def filtered(self, record: bytes) -> bytes:
        """An input record after the InputFilter, with the newline it had."""
        assert self.input_filter is not None
        value = _selected(parse(record, csv_format=self.input_csv), self.input_filter)
        ending = record[len(record.rstrip(b"\r\n")) :]
        return dump(value, csv_format=self.input_csv) + ending

    def output(self, record: bytes, answer: bytes) -> bytes:
        """One record's line of output: its answer, joined with the record as read if asked, then filtered."""
        answer_value = parse(answer, csv_format=self.output_csv)
        if not self.join:
            value = answer_value
            as_csv = self.output_csv
        else:
            source = parse(record, csv_format=self.input_csv)
            as_csv = self.input_csv
            if as_csv:
                value = [*source, *(answer_value if isinstance(answer_value, list) else [answer_value])]
            elif isinstance(source, dict):
                value = {**source, "SageMakerOutput": answer_value}
            else:
                value = {"SageMakerInput": source, "SageMakerOutput": answer_value}
        if self.output_filter is not None:
            value = _selected(value, self.output_filter)
        return dump(value, csv_format=as_csv)


def _selected(value: Any, steps: list[Step]) -> Any:
    try:
        return select(value, steps)
    except JsonPathError as exc:
        raise RecordError(str(exc)) from None


def parse(raw: bytes, *, csv_format: bool) -> Any:
    text = raw.decode("utf-8", "replace").rstrip("\r\n")
    if csv_format:
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0] if rows else []
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RecordError(f"a record is not JSON: {exc}") from None


def dump(value: Any, *, csv_format: bool) -> bytes:
    if not csv_format:
        return orjson.dumps(value)
    row = value if isinstance(value, list) else [value]
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(
        [orjson.dumps(v).decode() if isinstance(v, dict | list) else v for v in row]
    )
    return out.getvalue().encode()


def answer_lines(answer: bytes, count: int) -> list[bytes]:
    """A mini-batch's answer cut into one answer per record: the whole answer for one record, else its lines."""
    if count == 1:
        return [answer.rstrip(b"\r\n")]
    lines = [line for line in answer.split(b"\n") if line.strip(b"\r")]
    if len(lines) != count:
        raise RecordError(f"the model answered {len(lines)} lines for a mini-batch of {count} records")
    return [line.rstrip(b"\r") for line in lines]
