"""Adapter selection keyed by ``book_id`` (issue 13, M1-A): which code reaches the account of a book.

Each book names one adapter by module path and factory name. The module is imported only when that
book's adapter is asked for, so selecting ``SCHWAB_401K_MANUAL`` (a person places orders from Slack
tickets) never imports alpaca-py or the Alpaca adapter; a fresh-interpreter test holds that invariant
(tests/unit/execution/test_book_adapters.py). Alpaca books keep the adapter `avwap execute` builds today.

Public API::

    ADAPTERS: book_id -> AdapterSpec             every book that can reach an account
    AdapterKind                                  SIMULATED | BROKER_API | MANUAL_TICKET
    adapter_spec(book_id) -> AdapterSpec         ConfigurationError for a book without an adapter
    build_adapter(book_id, config) -> object     imports the adapter's module and calls its factory
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, cast

from avwap.core.errors import ConfigurationError
from avwap.ledger.paths import ALPACA_LIVE, ALPACA_PAPER, SCHWAB_401K_MANUAL

if TYPE_CHECKING:
    from avwap.core.config import Config


class AdapterKind(enum.StrEnum):
    SIMULATED = "SIMULATED"  # fills simulated in-process (PAPER_SIM, BACKTEST: built by demo / backtest)
    BROKER_API = "BROKER_API"  # orders placed through a broker's API
    MANUAL_TICKET = "MANUAL_TICKET"  # a person places the order from a Slack ticket


@dataclass(frozen=True)
class AdapterSpec:
    """``module`` holds ``factory(config) -> adapter``; it is imported only when the book is selected."""

    book_id: str
    kind: AdapterKind
    module: str
    factory: str


ADAPTERS: Final[Mapping[str, AdapterSpec]] = MappingProxyType(
    {
        ALPACA_PAPER: AdapterSpec(
            ALPACA_PAPER, AdapterKind.BROKER_API, "avwap.execution.alpaca_broker", "paper_broker"
        ),
        ALPACA_LIVE: AdapterSpec(
            ALPACA_LIVE, AdapterKind.BROKER_API, "avwap.execution.alpaca_broker", "live_broker"
        ),
        SCHWAB_401K_MANUAL: AdapterSpec(
            SCHWAB_401K_MANUAL,
            AdapterKind.MANUAL_TICKET,
            "avwap.integrations.schwab.ticket_adapter",
            "ticket_adapter",
        ),
    }
)


def adapter_spec(book_id: str) -> AdapterSpec:
    """The adapter of ``book_id``; a book without one is a configuration error (never a silent default)."""
    try:
        return ADAPTERS[book_id]
    except KeyError:
        raise ConfigurationError(
            "book_id", f"no adapter for book {book_id!r}; books with one: {sorted(ADAPTERS)}"
        ) from None


def build_adapter(book_id: str, config: Config) -> object:
    """Import the adapter module of ``book_id`` (only that one) and build it from ``config``."""
    spec = adapter_spec(book_id)
    factory = cast(Callable[["Config"], object], getattr(importlib.import_module(spec.module), spec.factory))
    return factory(config)
