"""Execution: the broker protocol and its adapters (simulated, Alpaca), plus the cycle that drives them."""
