"""Alert events and their Slack rendering: pure, deterministic, free of secrets.

An :class:`AlertEvent` is what trading code hands to a notifier. :func:`render_event` turns it into a
:class:`SlackMessage` (fallback ``text`` + Block Kit ``blocks``); the same event always renders to the same
payload bytes. Reason codes are shown verbatim (they are the operator's search keys in the docs table);
everything else is plain language. Values whose name looks like a credential, and anything shaped like a
Slack token, are replaced by ``[redacted]`` so an alert can never leak a secret into a channel.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import msgspec

from avwap.core.canonical import canonical_json, format_utc


class AlertKind(enum.StrEnum):
    """The fixed set of things the operator is told about."""

    ORDER_SUBMITTED = "ORDER_SUBMITTED"
    ENTRY_BLOCKED = "ENTRY_BLOCKED"
    KILL_SWITCH = "KILL_SWITCH"
    LIVE_ENABLED = "LIVE_ENABLED"
    LIVE_FALLBACK = "LIVE_FALLBACK"
    RECONCILIATION_DRIFT = "RECONCILIATION_DRIFT"
    STOP_MISSING = "STOP_MISSING"
    ERROR = "ERROR"
    SCAN_SUMMARY = "SCAN_SUMMARY"
    DAILY_SUMMARY = "DAILY_SUMMARY"


class Severity(enum.StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


DEFAULT_SEVERITY: Final[Mapping[AlertKind, Severity]] = {
    AlertKind.ORDER_SUBMITTED: Severity.INFO,
    AlertKind.ENTRY_BLOCKED: Severity.WARNING,
    AlertKind.KILL_SWITCH: Severity.CRITICAL,
    AlertKind.LIVE_ENABLED: Severity.CRITICAL,
    AlertKind.LIVE_FALLBACK: Severity.WARNING,
    AlertKind.RECONCILIATION_DRIFT: Severity.WARNING,
    AlertKind.STOP_MISSING: Severity.CRITICAL,
    AlertKind.ERROR: Severity.WARNING,
    AlertKind.SCAN_SUMMARY: Severity.INFO,
    AlertKind.DAILY_SUMMARY: Severity.INFO,
}

KIND_LABELS: Final[Mapping[AlertKind, str]] = {
    AlertKind.ORDER_SUBMITTED: "Order submitted",
    AlertKind.ENTRY_BLOCKED: "Entry blocked",
    AlertKind.KILL_SWITCH: "Kill switch",
    AlertKind.LIVE_ENABLED: "Live trading enabled",
    AlertKind.LIVE_FALLBACK: "Live trading fell back to DRY_RUN",
    AlertKind.RECONCILIATION_DRIFT: "Reconciliation drift",
    AlertKind.STOP_MISSING: "Protective stop missing",
    AlertKind.ERROR: "Error",
    AlertKind.SCAN_SUMMARY: "Daily scan summary",
    AlertKind.DAILY_SUMMARY: "Daily summary",
}

SEVERITY_MARKS: Final[Mapping[Severity, str]] = {
    Severity.INFO: ":information_source:",
    Severity.WARNING: ":warning:",
    Severity.CRITICAL: ":rotating_light:",
}

SECRET_NAME_PATTERN: Final = re.compile(
    r"token|secret|password|passwd|api_?key|authorization|credential", re.I
)
SECRET_VALUE_PATTERN: Final = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
REDACTED: Final = "[redacted]"
FIELDS_PER_SECTION: Final = 10  # Slack's limit for a section's fields
MAX_FIELD_CHARS: Final = 1900  # Slack allows 2000 per field
MAX_SECTION_CHARS: Final = 2900  # Slack allows 3000 per section text


class AlertEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One thing the operator should hear about. Build it with :func:`alert_event`.

    ``fields`` are (name, value) text pairs sorted by name; ``details`` are preformatted lines shown in a
    monospace block (tables in summaries); ``dedupe_key`` groups repeats for throttling and tags the Slack
    message metadata so a re-post can be recognised.
    """

    kind: AlertKind
    severity: Severity
    title: str
    date_ny: dt.date
    dedupe_key: str
    fields: tuple[tuple[str, str], ...] = ()
    symbol: str | None = None
    reason_codes: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    schema_version: int = 1

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("an alert needs a title")
        if not self.dedupe_key.strip():
            raise ValueError("an alert needs a dedupe key")
        names = [name for name, _ in self.fields]
        if names != sorted(set(names)):
            raise ValueError(f"alert fields must be sorted by name and unique, got {names}")
        # Reason codes are shown verbatim, whatever their shape (a broker's code may not be UPPER_SNAKE):
        # an alert must never fail to build at runtime because of one.
        if any(not code.strip() for code in self.reason_codes):
            raise ValueError("reason codes must not be empty")


@dataclass(frozen=True)
class SlackMessage:
    """What is posted: fallback text (notifications, screen readers) and Block Kit blocks."""

    text: str
    blocks: tuple[Mapping[str, Any], ...]

    def to_json_bytes(self) -> bytes:
        """Canonical JSON of the payload: equal events give equal bytes."""
        return canonical_json({"blocks": list(self.blocks), "text": self.text})


def default_dedupe_key(
    kind: AlertKind, date_ny: dt.date, symbol: str | None, reason_codes: Sequence[str]
) -> str:
    """``KIND:date:SYMBOL:CODE+CODE`` — repeats of the same situation on the same day share a key."""
    return f"{kind.value}:{date_ny.isoformat()}:{symbol or '-'}:{'+'.join(reason_codes) or '-'}"


def alert_event(
    kind: AlertKind,
    title: str,
    date_ny: dt.date,
    *,
    fields: Mapping[str, object] | None = None,
    severity: Severity | None = None,
    symbol: str | None = None,
    reason_codes: Sequence[str] = (),
    details: Sequence[str] = (),
    dedupe_key: str | None = None,
) -> AlertEvent:
    """Build an event: values become text, fields are sorted, severity defaults by kind."""
    codes = tuple(reason_codes)
    symbol_text = symbol.strip().upper() if symbol else None
    texts = sorted((str(name), field_text(str(name), value)) for name, value in (fields or {}).items())
    return AlertEvent(
        kind=kind,
        severity=severity or DEFAULT_SEVERITY[kind],
        title=scrub(title),
        date_ny=date_ny,
        dedupe_key=dedupe_key or default_dedupe_key(kind, date_ny, symbol_text, codes),
        fields=tuple(texts),
        symbol=symbol_text,
        reason_codes=codes,
        details=tuple(scrub(line) for line in details),
    )


def field_text(name: str, value: object) -> str:
    """A value as plain, deterministic text; credentials by name or shape become ``[redacted]``."""
    if SECRET_NAME_PATTERN.search(name):
        return REDACTED
    return scrub(_plain_text(value))


def _plain_text(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(value, ".6g")
    if isinstance(value, dt.datetime):
        return format_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_plain_text(item) for item in value)
    return str(value)


def scrub(text: str) -> str:
    """Replace anything shaped like a Slack token."""
    return SECRET_VALUE_PATTERN.sub(REDACTED, text)


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback_text(event: AlertEvent) -> str:
    """One plain line: severity, what happened, symbol, date and the reason codes verbatim (escaped)."""
    parts = [f"[{event.severity.value}] {KIND_LABELS[event.kind]}: {scrub(event.title)}"]
    if event.symbol:
        parts.append(f"symbol {event.symbol}")
    parts.append(f"NY date {event.date_ny.isoformat()}")
    if event.reason_codes:
        parts.append("reason codes " + ", ".join(scrub(code) for code in event.reason_codes))
    # Slack parses ``text`` too: escaping keeps "<!channel>" in a title from pinging anyone.
    return _clip(escape_mrkdwn(" | ".join(parts)), MAX_SECTION_CHARS)


def _markdown_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION_CHARS)}}


def _field_sections(fields: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    items = [
        {"type": "mrkdwn", "text": _clip(f"*{escape_mrkdwn(name)}*\n{escape_mrkdwn(value)}", MAX_FIELD_CHARS)}
        for name, value in fields
    ]
    return [
        {"type": "section", "fields": items[start : start + FIELDS_PER_SECTION]}
        for start in range(0, len(items), FIELDS_PER_SECTION)
    ]


def _details_section(lines: Sequence[str]) -> dict[str, Any]:
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > MAX_SECTION_CHARS - 40:
            kept.append(f"… {len(lines) - index} more lines")
            break
        kept.append(line)
        used += len(line) + 1
    return _markdown_section("```" + escape_mrkdwn("\n".join(kept)) + "```")


def _context_block(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, MAX_SECTION_CHARS)}]}


def render_event(event: AlertEvent, notes: Sequence[str] = ()) -> SlackMessage:
    """Slack text + blocks for ``event``; ``notes`` (e.g. suppressed-alert counts) go in a last line."""
    label = KIND_LABELS[event.kind]
    heading = (
        f"{SEVERITY_MARKS[event.severity]} *[{event.severity.value}] {escape_mrkdwn(scrub(event.title))}*"
    )
    blocks: list[dict[str, Any]] = [_markdown_section(f"{heading}\n{label}")]
    fields = [
        (name, value if not SECRET_NAME_PATTERN.search(name) else REDACTED) for name, value in event.fields
    ]
    blocks.extend(_field_sections([(name, scrub(value)) for name, value in fields]))
    if event.reason_codes:
        codes = " ".join(f"`{escape_mrkdwn(scrub(code))}`" for code in event.reason_codes)
        blocks.append(_markdown_section("*Reason codes:* " + codes))
    if event.details:
        blocks.append(_details_section([scrub(line) for line in event.details]))
    context = [event.kind.value, f"NY date {event.date_ny.isoformat()}"]
    if event.symbol:
        context.append(f"symbol {escape_mrkdwn(event.symbol)}")
    context.append(f"key `{escape_mrkdwn(scrub(event.dedupe_key))}`")
    blocks.append(_context_block(" · ".join(context)))
    text = fallback_text(event)
    if notes:
        note_text = escape_mrkdwn(scrub(" ".join(notes)))
        blocks.append(_context_block(note_text))
        text = _clip(text + " | " + note_text, MAX_SECTION_CHARS)
    return SlackMessage(text=text, blocks=tuple(blocks))
