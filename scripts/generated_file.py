"""The command line every generator shares: write the generated file, or with --check exit 1 when the checked-in
file differs from a fresh run (the tests run that)."""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Callable


def write_or_check(*, target: pathlib.Path, render: Callable[[], str], description: str) -> int:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when the checked-in file differs from a fresh run")
    check = parser.parse_args().check
    text = render()
    if not check:
        target.write_text(text)
        return 0
    if target.read_text() != text:
        print(f"{target} is stale: run python {sys.argv[0]}", file=sys.stderr)
        return 1
    return 0
