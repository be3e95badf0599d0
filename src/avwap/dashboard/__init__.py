"""The operator dashboard (``avwap dashboard``, docs/DASHBOARD.md): a presentation layer over the ledgers and
artifacts. It computes no figure of its own that a CLI report computes: every page calls the functions behind
the CLI's ``--json`` outputs (portfolio show, exits report, strategies report, ledger verify/trace,
config-check, decommission status). The one action is engaging the kill switch.

Modules::

    signature    cache keys from ledger heads and file stats (a new record invalidates what it should)
    health       job health from artifact and ledger dates (missing is "unknown", never "healthy")
    overview     per-book state, equity, risk, caps, jobs, regime, alerts
    positions    open positions with stop, basis, distance, R so far and a chart
    today        candidates, decisions (reason codes), intents and orders, lineage
    performance  equity, drawdown, monthly returns, exit quality, attribution (home or backtest run)
    audit        ledger verification per book and day, reconciliation reports
    kill_switch  engage it (the state file the cycle reads) and record who/when in the ledger
    security     headers, token login, CSRF
    app          the Starlette application
"""
