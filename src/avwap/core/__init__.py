"""Pure, dependency-light foundations: clock, calendar, ids, canonical JSON, money, errors, config.

Nothing in ``avwap.core`` imports any other ``avwap`` package.
"""
