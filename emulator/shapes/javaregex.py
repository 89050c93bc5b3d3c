"""Java regular expressions (as written in the AWS API model) compiled for Python.

AWS matches a pattern against the whole value with java.util.regex. The `regex` module (VERSION1) has what Java
has and `re` lacks: \\p{L}-style classes, nested character classes and look-behind. The remaining differences are
rewritten here: Java's \\d \\s \\w are ASCII-only and its `.` also stops at \\r, \\u0085, \\u2028 and \\u2029.
"""

from __future__ import annotations

import regex

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


def compile_java(pattern: str) -> regex.Pattern[str]:
    return regex.compile(translate(pattern), regex.VERSION1)
