"""The manual Schwab 401(k) book (issue 13): Slack trade tickets a person places (M1-B).

Nothing here imports alpaca-py or the Alpaca adapter (tests/unit/execution/test_book_adapters.py).
"""
