"""The reply parser's shortcuts equal the regular expressions they replace (the accepted language is the
same: tests/unit/integrations/test_reply_parser.py is unchanged)."""

from __future__ import annotations

import re
import sys

from hypothesis import given
from hypothesis import strategies as st

from avwap.integrations.slack import reply_parser
from avwap.integrations.slack.reply_parser import _EMPHASIS, _MARKS_DROPPED, _words, clean_text

WHITESPACE = re.compile(r"\s")
ALPHABET = st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000`*~_ab1.:<>&|@#!é✅")


def test_str_whitespace_is_the_regular_expressions_whitespace() -> None:
    """``_words`` (str.split) replaces ``re.sub(r"\\s+", " ", text).strip()``: same code points."""
    differing = [
        code for code in range(sys.maxunicode + 1) if bool(WHITESPACE.match(chr(code))) != chr(code).isspace()
    ]
    assert differing == []


@given(st.text(ALPHABET, max_size=40) | st.text(max_size=40))
def test_words_equal_the_whitespace_substitution(text: str) -> None:
    assert _words(text) == re.sub(r"\s+", " ", text).strip()


@given(st.text(ALPHABET, max_size=40) | st.text(max_size=40))
def test_dropping_marks_equals_the_emphasis_substitution(text: str) -> None:
    without_underscore = text.replace("_", "")
    assert without_underscore.translate(_MARKS_DROPPED) == _EMPHASIS.sub("", without_underscore)
    assert clean_text(text) == _previous_clean_text(text)


def _previous_clean_text(text: str) -> str:
    """clean_text as it was before the shortcuts: every pass by regular expression."""
    cleaned = reply_parser._LINK.sub(reply_parser._link_text, text)
    for entity, character in reply_parser._ENTITIES:
        cleaned = cleaned.replace(entity, character)
    cleaned = reply_parser._SHORTCODE.sub(" ", cleaned)
    cleaned = reply_parser._PICTOGRAPH.sub(" ", cleaned)
    return _EMPHASIS.sub("", cleaned)
