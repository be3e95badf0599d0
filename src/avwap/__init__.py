"""avwap: anchored-VWAP equity trading system (scan, control plane, ledgers, backtest)."""

__version__ = "0.1.0"
