"""Backtest: the production scan and rules replayed over years of history (see docs/BACKTEST.md)."""
