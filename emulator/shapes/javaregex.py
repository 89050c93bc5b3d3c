"""Java regular expressions (as written in the AWS API model) compiled for Python.

AWS matches a pattern against the whole value with java.util.regex. The `regex` module (VERSION1) has what Java
has and `re` lacks: \\p{L}-style classes, nested character classes and look-behind. The remaining differences are
rewritten here: Java's \\d \\s \\w are ASCII-only and its `.` also stops at \\r, \\u0085, \\u2028 and \\u2029.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol


class Matcher(Protocol):
    def fullmatch(self, string: str, /) -> Any: ...


_ASCII_CLASSES = {
    "d": "0-9",
    "s": " \\t\\n\\x0B\\f\\r",
    "w": "a-zA-Z_0-9",
}
_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"


def translate(pattern: str) -> str:
    out: list[str] = []
    depth = 0  # inside a character class when > 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt.lower() in _ASCII_CLASSES:
                body = _ASCII_CLASSES[nxt.lower()]
                negate = "^" if nxt.isupper() else ""
                out.append(f"[{negate}{body}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
            out.append(ch)
            if i + 1 < len(pattern) and pattern[i + 1] == "^":
                out.append("^")
                i += 1
            # A ']' right after '[' or '[^' is a literal in Java.
            if i + 1 < len(pattern) and pattern[i + 1] == "]":
                out.append("\\]")
                i += 1
        elif ch == "]" and depth:
            depth -= 1
            out.append(ch)
        elif ch == "." and not depth:
            out.append(_DOT)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def translate_for_re(pattern: str) -> str | None:
    """The pattern for the standard `re` module (several times faster), or None where it needs `regex`:
    \\p{..} classes, nested classes, or a negated shorthand inside a class with other members."""
    if "\\p" in pattern or "\\P" in pattern:
        return None
    for x in "dsw":  # [\\S\\s] and the like: any character
        for pair in (f"[\\{x.upper()}\\{x}]", f"[\\{x}\\{x.upper()}]"):
            pattern = pattern.replace(pair, "[\\x00-\\U0010ffff]")
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt.lower() in _ASCII_CLASSES:
                body = _ASCII_CLASSES[nxt.lower()]
                if not in_class:
                    out.append(f"[{'^' if nxt.isupper() else ''}{body}]")
                elif nxt.islower():
                    out.append(body)
                elif out[-1] == "[" and pattern[i + 2 : i + 3] == "]":
                    out[-1] = f"[^{body}"  # [\\S] alone: a negated class
                else:
                    return None
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            if in_class:
                return None  # a nested class (Java union)
            in_class = True
            out.append(ch)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")
                i += 1
        elif ch == "]" and in_class:
            in_class = False
            out.append(ch)
        elif ch == "." and not in_class:
            out.append(_DOT)
        elif in_class and ch in "&~|" and pattern[i + 1 : i + 2] == ch:
            return None  # Java intersection or set operators the two engines read differently
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def compile_java(pattern: str) -> Matcher:
    """A compiled pattern with `fullmatch`: `re` where it can express the pattern exactly, else `regex`."""
    for_re = translate_for_re(pattern)
    if for_re is not None:
        try:
            return re.compile(for_re)
        except re.error:
            pass
    full = _HoldingTheGIL(pattern)
    ascii_only = translate_ascii(pattern)
    if ascii_only is not None:
        try:
            return _AsciiFirst(re.compile(ascii_only), full)
        except re.error:
            pass
    full.compile()
    return full


# The ASCII members of the Unicode categories that the API model's patterns name: \p{L} (letters), \p{N}
# (numbers: of ASCII, only the digits) and \p{Z} (separators: of ASCII, only the space).
_ASCII_CATEGORIES = {"\\p{L}": "a-zA-Z", "\\p{N}": "0-9", "\\p{Z}": " "}


def translate_ascii(pattern: str) -> str | None:
    """The pattern for `re`, exact on values that are all ASCII: inside a character class, \\p{L}, \\p{N} and
    \\p{Z} become their ASCII members. None if the pattern names another category, or one outside a class."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            category = _ASCII_CATEGORIES.get(pattern[i : i + 5])
            if category is not None and in_class:
                out.append(category)
                i += 5
                continue
            if pattern[i + 1 : i + 2] in ("p", "P"):
                return None
            out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
        if ch == "[" and not in_class:
            in_class = True
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":  # a ']' right after '[' or '[^' is a literal in Java
                out.append("]")
                i += 1
        elif ch == "]" and in_class:
            in_class = False
    return translate_for_re("".join(out))


class _AsciiFirst:
    """A pattern that needs `regex` for Unicode, matched by `re` (several times faster) on ASCII values."""

    __slots__ = ("_ascii", "_full")

    def __init__(self, ascii_only: re.Pattern[str], full: _HoldingTheGIL) -> None:
        self._ascii = ascii_only.fullmatch
        self._full = full

    def fullmatch(self, string: str) -> Any:
        return self._ascii(string) if string.isascii() else self._full.fullmatch(string)


class _HoldingTheGIL:
    """A `regex` pattern that matches without releasing the GIL. `regex` releases it for every match on a str by
    default; a match takes a microsecond, but each release hands the GIL to the SQLite writer thread, and getting
    it back costs far more (CreateModel spent about a third of its CPU on such hand-offs).

    Behind _AsciiFirst it is compiled on the first non-ASCII value, which most servers never see: start-up then
    neither imports `regex` (about 7 ms here) nor compiles its patterns."""

    __slots__ = ("_match", "_pattern")

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._match: Callable[[str], Any] | None = None

    def compile(self) -> Callable[[str], Any]:
        if self._match is None:
            import regex

            self._match = partial(regex.compile(translate(self._pattern), regex.VERSION1).fullmatch, concurrent=False)
        return self._match

    def fullmatch(self, string: str) -> Any:
        return (self._match or self.compile())(string)
