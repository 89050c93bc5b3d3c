"""Java patterns with \\p{..} classes: `re` answers for ASCII values, `regex` for the rest, and the two agree."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.shapes.generated import SHAPES
from emulator.shapes.javaregex import compile_java, translate, translate_ascii

TAG_PATTERN = "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"
# EntityDescription (ModelPackageGroupDescription): categories the ASCII path does not translate.
DESCRIPTION_PATTERN = "[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*"
# Every pattern of the API model with a category: the agreement tests below run on each.
MODEL_PATTERNS = sorted({s["pattern"] for s in SHAPES.values() if "\\p" in s.get("pattern", "")})
PATTERNS = [
    *MODEL_PATTERNS,
    DESCRIPTION_PATTERN,
    "[\\p{L}][\\p{N}\\p{Z}]+",
    "[^\\p{L}]*",
    "[]\\p{N}]+",
    "x[\\p{L}\\d-]{2,5}y?",
]


def full_regex(pattern: str) -> regex.Pattern[str]:
    return regex.compile(translate(pattern), regex.VERSION1)


def test_the_api_models_tag_pattern_gets_the_ascii_path_and_its_other_category_patterns_regex() -> None:
    assert TAG_PATTERN in MODEL_PATTERNS
    assert translate_ascii(TAG_PATTERN) == "([a-zA-Z 0-9_.:/=+\\-@]*)"
    assert translate_ascii(DESCRIPTION_PATTERN) is None


def test_patterns_the_ascii_path_cannot_translate_exactly_are_left_to_regex() -> None:
    assert translate_ascii("\\p{L}+") is None  # outside a class
    assert translate_ascii("[\\p{Lu}]") is None  # another category
    assert translate_ascii("[\\P{L}]") is None  # a negated one


@settings(max_examples=3000, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), value=st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
def test_ascii_values_match_as_java_would(pattern: str, value: str) -> None:
    assert (compile_java(pattern).fullmatch(value) is None) == (full_regex(pattern).fullmatch(value) is None)


@settings(max_examples=1000, deadline=None)
@given(
    pattern=st.sampled_from(PATTERNS),
    value=st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x3000), min_size=1, max_size=6),
)
def test_other_values_go_to_regex(pattern: str, value: str) -> None:
    assert (compile_java(pattern).fullmatch(value) is None) == (full_regex(pattern).fullmatch(value) is None)


def test_examples_of_the_tag_pattern() -> None:
    tag = compile_java(TAG_PATTERN)
    for good in ["", "team", "cost-center:a/b=c+d@e_f.g", "two words", "Ünïcode ５", "日本語"]:
        assert tag.fullmatch(good) is not None, good
    for bad in ["tab\there", "semi;colon", "quote'", "line\nbreak", "emoji\U0001f600"]:
        assert tag.fullmatch(bad) is None, bad
