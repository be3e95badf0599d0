"""Parse the operator's confirmation line in a ticket's Slack thread (issue 13, M1-C).

The syntax (one line; case, spacing, ``$``, thousands separators and Slack formatting are forgiven)::

    EXECUTED <quantity> @ <price> [note]
    PARTIAL <quantity> @ <price> [note]
    SKIPPED <reason>
    ERROR <text>

Anything else parses to :class:`NotUnderstood`, whose ``help`` is the text the receiver answers in the
thread. The parser is pure and total: no input string makes it raise (a hypothesis test holds it to that).

Public API::

    parse_reply(text) -> Confirmation | NotUnderstood
    format_reply(confirmation) -> str        the canonical line; parse_reply(format_reply(c)) == c
    HELP_TEXT                                how to write a confirmation
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

MAX_TEXT_LENGTH: Final = 4000  # Slack's own limit for a message's text is 40,000; a confirmation is a line
MAX_NOTE_LENGTH: Final = 500


class ReplyKind(enum.StrEnum):
    EXECUTED = "EXECUTED"
    PARTIAL = "PARTIAL"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"


HELP_TEXT: Final = (
    "Reply in this thread with one line:\n"
    "• `EXECUTED <shares> @ <price>` (e.g. `EXECUTED 120 @ 54.31`)\n"
    "• `PARTIAL <shares> @ <price>` (e.g. `PARTIAL 40 @ 54.35 rest unfilled`)\n"
    "• `SKIPPED <reason>` (e.g. `SKIPPED fund closed to new money`)\n"
    "• `ERROR <what went wrong>`\n"
    "A note may follow the price. Case, `$` and thousands separators do not matter."
)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A confirmation the operator wrote: quantity and price for EXECUTED/PARTIAL, a note for every kind
    (the reason of SKIPPED and the text of ERROR are their note, never empty)."""

    kind: ReplyKind
    quantity: int | None = None
    price: Decimal | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    """A line that is not a confirmation: ``problem`` says what was wrong, ``help`` how to write one."""

    text: str
    problem: str
    help: str = HELP_TEXT


# Slack mrkdwn: <mailto:a@b|label>, <https://x|label>, <@U123>, <#C1|name>, <!here>; entities; emphasis.
_LINK: Final = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_SHORTCODE: Final = re.compile(r":(?=[a-z0-9_+\-]*[a-z])[a-z0-9_+\-]{1,40}:", re.IGNORECASE)
_PICTOGRAPH: Final = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3]")
_EMPHASIS: Final = re.compile(r"[`*~]|(?<!\w)_|_(?!\w)")
_MARKS_DROPPED: Final = str.maketrans("", "", "`*~")  # _EMPHASIS on a text without "_", as str.translate
_ALNUM: Final = re.compile(r"[^\W_]")
_KINDS: Final = {kind.value: kind for kind in ReplyKind}
_FILL_KINDS: Final = frozenset((ReplyKind.EXECUTED, ReplyKind.PARTIAL))
_ENTITIES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))

_KEYWORD: Final = re.compile(r"^(executed|partial|skipped|error)\b\s*(?::|[-–—](?=\s))?\s*", re.IGNORECASE)
_NUMBER: Final = r"\d{1,3}(?:,\d{3})+|\d{1,12}"
_FILL: Final = re.compile(
    rf"^(?P<quantity>{_NUMBER})\s*(?:shares?|sh)?\s*(?:@|at\b)\s*(?:usd\s*)?\$?\s*"
    rf"(?P<price>(?:{_NUMBER})(?:\.\d{{1,6}})?|\.\d{{1,6}})(?![\w.,]?\d|\w)\s*(?:[-–—:;,]\s*)?(?P<note>.*)$",
    re.IGNORECASE,
)


def _link_text(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if label:
        return label
    if target.startswith("mailto:"):
        return target.removeprefix("mailto:")
    if target[:1] in ("@", "#", "!"):
        return ""  # a mention is addressed to someone, it is not part of the confirmation
    return target


def clean_text(text: str) -> str:
    """The message as plain words: Slack links and mentions resolved, emoji and emphasis dropped."""
    # Each pass only when its marker character is present: most replies are plain lines (parser benchmark).
    cleaned = _LINK.sub(_link_text, text) if "<" in text else text
    if "&" in cleaned:
        for entity, character in _ENTITIES:
            cleaned = cleaned.replace(entity, character)
    if ":" in cleaned:
        cleaned = _SHORTCODE.sub(" ", cleaned)
    if not cleaned.isascii():
        cleaned = _PICTOGRAPH.sub(" ", cleaned)
    if "_" in cleaned:
        return _EMPHASIS.sub("", cleaned)
    if "*" in cleaned or "`" in cleaned or "~" in cleaned:
        return cleaned.translate(_MARKS_DROPPED)
    return cleaned


def _words(text: str) -> str:
    """``text`` with each run of whitespace one space, none at the ends (str.split's whitespace is the
    regular expressions' ``\\s``, code point for code point)."""
    return " ".join(text.split())


def _note(text: str) -> str:
    if not text:
        return ""
    note = _words(text)[:MAX_NOTE_LENGTH]
    return note if _ALNUM.search(note) else ""  # a stray "." is no note


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "") if "," in text else text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def _parse_fill(kind: ReplyKind, rest: str, original: str) -> Confirmation | NotUnderstood:
    match = _FILL.match(rest)
    if match is None:
        return NotUnderstood(
            original, f"{kind} needs a share quantity and a price, like `{kind} 100 @ 12.34`"
        )
    digits, price_text, note = match.group("quantity", "price", "note")
    quantity = int(digits.replace(",", "") if "," in digits else digits)
    price = _decimal(price_text)
    if quantity <= 0 or price is None:
        return NotUnderstood(original, f"{kind} needs a positive quantity and a positive price")
    return Confirmation(kind, quantity, price, _note(note))


def _first_keyword_line(cleaned: str) -> tuple[str, re.Match[str]] | None:
    lines = cleaned.splitlines() if "\n" in cleaned or "\r" in cleaned else (cleaned,)
    for line in lines:
        stripped = line.strip()
        match = _KEYWORD.match(stripped)
        if match is not None:
            return stripped, match
    return None


def parse_reply(text: str) -> Confirmation | NotUnderstood:
    """The confirmation in ``text`` (the first line that starts with a keyword), or why there is none."""
    if len(text) > MAX_TEXT_LENGTH:
        return NotUnderstood(text[:80], f"the message is longer than {MAX_TEXT_LENGTH} characters")
    found = _first_keyword_line(clean_text(text))
    if found is None:
        shown = _words(text)[:80]
        return NotUnderstood(shown, "no line starts with EXECUTED, PARTIAL, SKIPPED or ERROR")
    line, match = found
    kind = _KINDS[match.group(1).upper()]  # a dict lookup: calling the enum costs a microsecond a line
    rest = line[match.end() :]
    if kind in _FILL_KINDS:
        return _parse_fill(kind, rest, line[:80])
    note = _note(rest)
    if not note:
        what = "a reason" if kind is ReplyKind.SKIPPED else "a description of what went wrong"
        return NotUnderstood(line[:80], f"{kind} needs {what}, like `{kind} <text>`")
    return Confirmation(kind, None, None, note)


def format_reply(confirmation: Confirmation) -> str:
    """The canonical line for ``confirmation`` (what the ticket shows and the round-trip test parses)."""
    if confirmation.kind in (ReplyKind.SKIPPED, ReplyKind.ERROR):
        return f"{confirmation.kind} {confirmation.note}"
    price = format(confirmation.price, "f")
    line = f"{confirmation.kind} {confirmation.quantity} @ {price}"
    return f"{line} — {confirmation.note}" if confirmation.note else line
