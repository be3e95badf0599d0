"""The control plane: the one place that decides whether an intent may become an order.

Pure code: every input (mode, kill switch, portfolio, session, caps) arrives in a frozen
:class:`~avwap.control.context.GateContext`; the edge readers live in :mod:`avwap.control.state_files`.

Public API::

    live_gate.resolve_mode(config, token_file_text, today_ny) -> ModeResolution
    sizing.size_entry(equity, entry_price, distance_pct, initial_stop, rules) -> SizedEntry | SizingRejection
    plane.evaluate_entry(context) -> Decision              APPROVE / RESIZE / REJECT with ordered reasons
    plane.evaluate_exit(context, kind) -> ExitDecision     always allowed; records what would have blocked
    plane.trading_state(kill_switch, portfolio) -> TradingState   ACTIVE / REDUCING / HALTED
    rollover.entries_today(entry_dates_ny, now_utc) -> int
    preflight.build_preflight(config, state_files, today_ny) -> PreflightReport   (avwap config-check)
    reasons.REASONS / sort_reasons / reason_table_markdown
"""
