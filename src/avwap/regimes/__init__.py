"""Market regimes (Phase E1, measurement only): deterministic, rule-based labels of the market each day.

Pure: arrays and frozen records in, labels out; no file, clock or network. The shells read the bar store and
write the ``REGIME_E1`` ledger stream (:mod:`avwap.jobs.regime`) and the ``avwap regime`` command.

- :mod:`avwap.regimes.rules`       the taxonomy (``Regime``), reason codes, ``RegimeRules`` from the Config
- :mod:`avwap.regimes.features`    the four named features, vectorized over a whole history
- :mod:`avwap.regimes.classifier`  votes, score, label with hysteresis; one pass or one day at a time
- :mod:`avwap.regimes.validation`  label distribution per year and per period (offline validation)

See docs/REGIMES.md for the rules and the validation on real history.
"""
