"""Rolling correlation of daily returns, all pairs at once (one matrix product), for the correlation rule.

:class:`ReturnsPanel` holds the last ``sessions`` daily returns of every symbol involved (candidates and held
positions) as one float matrix, sessions × symbols, NaN where a return is missing. A symbol with any missing
return in the window, or with a flat series, has an *unknown* correlation (NaN): the rule then fails closed.
"""

from __future__ import annotations

import math
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
    if returns.shape[0] < 2:
        return np.full(returns.shape, np.nan)
    centred = returns - returns.mean(axis=0)  # a column with a NaN stays NaN: unknown, as it should
    norms = np.sqrt((centred * centred).sum(axis=0))
    usable = ~np.isnan(norms) & (norms > 1e-12)
    result = np.full(returns.shape, np.nan)
    result[:, usable] = centred[:, usable] / norms[usable]
    return result


class RunningCorrelation:
    """For every panel symbol, its highest correlation with the held set so far, kept up to date as
    symbols are added (one vectorized column update per ALLOW, one lookup per candidate)."""

    def __init__(self, table: CorrelationTable, held: Sequence[str]) -> None:
        pairs = table.pairs.copy()
        np.fill_diagonal(pairs, -np.inf)  # a symbol is not "correlated with the book" through itself
        # The matrix is symmetric: row j is column j, and rows are contiguous (fast to read per ALLOW).
        self._missing = np.isnan(pairs)
        self._known = np.where(self._missing, -np.inf, pairs)
        self._index = table.index
        self._best = np.full(len(table.index), -np.inf)
        self._unknown = np.zeros(len(table.index), dtype=bool)
        self._held: set[str] = set()
        self._unmeasured: set[str] = set()
        for symbol in held:
            self.add(symbol)

    def add(self, symbol: str) -> None:
        if symbol in self._held:
            return
        self._held.add(symbol)
        row = self._index.get(symbol)
        if row is None:
            self._unmeasured.add(symbol)
            return
        np.maximum(self._best, self._known[row], out=self._best)
        np.logical_or(self._unknown, self._missing[row], out=self._unknown)

    def highest(self, symbol: str) -> float | None:
        """None when nothing but ``symbol`` is held; NaN when a correlation involved is unknown."""
        if not self._held - {symbol}:
            return None
        row = self._index.get(symbol)
        if row is None or self._unmeasured - {symbol} or bool(self._unknown[row]):
            return math.nan
        return float(self._best[row])


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
    # einsum, not ``@``: for a matrix this small a multi-threaded BLAS costs more in thread start-up and
    # contention than it saves (measured 14-20 ms against 4 ms on a busy 2-core host). NaN propagates.
    pairs = np.einsum("ti,tj->ij", standardized, standardized)
    with_book = np.full(len(panel.symbols), np.nan)
    held: Sequence[str] = sorted(book_weights)
    if held and all(symbol in panel.index for symbol in held):
        columns = [panel.index[symbol] for symbol in held]
        weights = np.array([book_weights[symbol] for symbol in held])
        book_series = np.einsum("ti,i->t", panel.returns[:, columns], weights)
        combined = _standardized(np.column_stack([panel.returns, book_series]))
        with_book = np.einsum("ti,t->i", combined[:, :-1], combined[:, -1])
    return CorrelationTable(panel.index, pairs, with_book)
