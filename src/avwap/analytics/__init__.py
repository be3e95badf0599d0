"""Observability spine: figures derived from ledgers and artifacts only.

Analytics never import ``avwap.execution``; a failure here is logged and never blocks trading.
"""
