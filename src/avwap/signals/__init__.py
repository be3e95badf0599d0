"""The signal layer: pure, vectorized computations over bar arrays.

Modules, bottom up: :mod:`indicators` (SMA, Wilder ATR/ADX, volatility, trend score), :mod:`pivots`
(confirmed swing points, no lookahead), :mod:`anchors` (the anchor types and their merge rule),
:mod:`avwap` (kernels; :mod:`avwap_reference` is the slow specification, :mod:`avwap_numba` the compiled
path), :mod:`panel` (symbols × bars arrays built once from a bar frame) and :mod:`scan` (the daily scan;
its rules and reason codes in :mod:`scan_rules` (read from TOML by :mod:`scan_rules_file`), filters in
:mod:`scan_checks` (weekly closes from :mod:`weekly`), anchor eligibility and
scores in :mod:`scan_anchors`, records in :mod:`scan_records` / :mod:`scan_output`). Nothing here reads
files, the clock or the network; the daily scan, the entry trigger, the stop policy and the backtest all
share it.
"""
