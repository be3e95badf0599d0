"""Rolling correlation of daily returns, all pairs at once (one matrix product), for the correlation rule.

:class:`ReturnsPanel` holds the last ``sessions`` daily returns of every symbol involved (candidates and held
positions) as one float matrix, sessions × symbols, NaN where a return is missing. A symbol with any missing
return in the window, or with a flat series, has an *unknown* correlation (NaN): the rule then fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReturnsPanel:
    """``returns[t, j]``: the return of ``symbols[j]`` on the t-th session of the window (oldest first)."""

    symbols: tuple[str, ...]
    returns: FloatMatrix
    index: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.returns.ndim != 2 or self.returns.shape[1] != len(self.symbols):
            raise ValueError(f"returns shape {self.returns.shape} does not fit {len(self.symbols)} symbols")
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("ReturnsPanel lists a symbol twice")
        object.__setattr__(self, "index", {symbol: column for column, symbol in enumerate(self.symbols)})

    @classmethod
    def empty(cls) -> ReturnsPanel:
        return cls((), np.empty((0, 0)))


def _standardized(returns: FloatMatrix) -> FloatMatrix:
    """Columns centred and scaled to unit norm; NaN columns (missing data, flat series) stay NaN."""
    complete = ~np.isnan(returns).any(axis=0) if returns.size else np.zeros(returns.shape[1], bool)
    centred = returns - np.nanmean(returns, axis=0) if returns.shape[0] else returns
    norms = np.sqrt(np.nansum(centred * centred, axis=0)) if returns.shape[0] else np.zeros(returns.shape[1])
    usable = complete & (norms > 1e-12) & (returns.shape[0] >= 2)
    result = np.full(returns.shape, np.nan)
    result[:, usable] = centred[:, usable] / norms[usable]
    return result


@dataclass(frozen=True)
class CorrelationTable:
    """Pairwise correlations of the panel's symbols, and of each symbol with the held book's returns."""

    index: Mapping[str, int]
    pairs: FloatMatrix
    with_book: FloatMatrix

    def pair(self, first: str, second: str) -> float:
        """NaN when either symbol is not in the panel or its correlation is unknown."""
        row, column = self.index.get(first), self.index.get(second)
        return float("nan") if row is None or column is None else float(self.pairs[row, column])

    def book(self, symbol: str) -> float:
        column = self.index.get(symbol)
        return float("nan") if column is None else float(self.with_book[column])


def correlation_table(panel: ReturnsPanel, book_weights: Mapping[str, float]) -> CorrelationTable:
    """All pairwise correlations, and each symbol against the book (returns weighted by market value).

    The book's series is unknown (NaN) when any held symbol's returns are; a book without positions has no
    series, and every correlation with it is NaN (the rule does not apply then)."""
    standardized = _standardized(panel.returns)
    pairs = standardized.T @ standardized  # NaN propagates from unknown columns
    with_book = np.full(len(panel.symbols), np.nan)
    held: Sequence[str] = sorted(book_weights)
    if held and all(symbol in panel.index for symbol in held):
        columns = [panel.index[symbol] for symbol in held]
        weights = np.array([book_weights[symbol] for symbol in held])
        book_series = panel.returns[:, columns] @ weights
        combined = _standardized(np.column_stack([panel.returns, book_series]))
        with_book = combined[:, :-1].T @ combined[:, -1]
    return CorrelationTable(panel.index, pairs, with_book)
