"""The ``RULESETS`` stream read back: every :class:`RulesetActivated` record of a ledger folder, in ledger
order (chains and file links checked while reading). The registry (``avwap.control.ruleset_registry``)
decides what is in force from them; the audit bundle lists them beside the ruleset files it carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from avwap.ledger.paths import RULESETS, list_ledger_files
from avwap.ledger.records import RulesetActivated
from avwap.ledger.router import decode_envelope, read_linked

RULESETS_FOLDER: Final = "rulesets"  # <home>/rulesets/<version>.toml, and the same in an audit bundle


def read_activations(ledger_dir: Path) -> list[RulesetActivated]:
    """Every activation recorded under ``ledger_dir``, in ledger order; none when the stream is absent."""
    if not list_ledger_files(ledger_dir, RULESETS):
        return []
    found: list[RulesetActivated] = []
    for path, envelopes in read_linked(ledger_dir, RULESETS):
        for envelope in envelopes:
            record = decode_envelope(path, envelope)
            if isinstance(record, RulesetActivated):
                found.append(record)
    return found


def activation_in_force(records: Sequence[RulesetActivated], day: dt.date) -> RulesetActivated | None:
    """The activation governing ``day``: the latest ``effective_from_ny`` on or before it (ties: the one
    recorded last); None before the first."""
    effective = [(record.effective_from_ny, index) for index, record in enumerate(records)]
    chosen = max((item for item in effective if item[0] <= day), default=None)
    return None if chosen is None else records[chosen[1]]
