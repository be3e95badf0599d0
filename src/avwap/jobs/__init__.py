"""Scheduled portfolio jobs (shell): the daily snapshot, broker reconciliation and portfolio decisions."""
