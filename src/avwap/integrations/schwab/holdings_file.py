"""The operator's holdings file for ``avwap tickets send`` (issue 13 M1-B).

TOML, copied from the 401(k) window's positions page (or the latest ``avwap schwab snapshot``; it also
needs the price of every targeted symbol not held, which a snapshot does not have)::

    cash = "1250.40"

    [positions]          # whole shares
    FXAIX = 300
    FSPSX = 500

    [prices]             # the latest price (NAV) of every held or targeted symbol
    FXAIX = "201.10"
    FSPSX = "50.25"
    FXNAX = "10.02"

Anything malformed is a :class:`DataError` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from avwap.core.errors import DataError
from avwap.strategies.allocation_401k import Holdings


def load_holdings(path: Path) -> tuple[Holdings, dict[str, Decimal]]:
    """The holdings and prices of ``path``."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise DataError(f"holdings file {path}: cannot read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"holdings file {path}: not valid TOML ({error})") from None
    unknown = sorted(set(data) - {"cash", "positions", "prices"})
    if unknown:
        raise DataError(f"holdings file {path}: unknown keys {unknown}")
    cash = _decimal(path, "cash", data.get("cash", "0"))
    if cash < 0:
        raise DataError(f"holdings file {path}: cash must not be negative, got {cash}")
    positions = {}
    for symbol, quantity in dict(data.get("positions", {})).items():
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise DataError(
                f"holdings file {path}: positions.{symbol} must be whole shares, got {quantity!r}"
            )
        positions[str(symbol)] = quantity
    prices = {
        str(symbol): _decimal(path, f"prices.{symbol}", raw) for symbol, raw in data.get("prices", {}).items()
    }
    if bad := sorted(symbol for symbol, price in prices.items() if price <= 0):
        raise DataError(f"holdings file {path}: prices must be positive: {bad}")
    return Holdings(positions, cash), prices


def _decimal(path: Path, name: str, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise DataError(f"holdings file {path}: {name} must be a number, got {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise DataError(f"holdings file {path}: {name} must be a number, got {raw!r}") from None
    if not value.is_finite():
        raise DataError(f"holdings file {path}: {name} must be finite, got {raw!r}")
    return value
