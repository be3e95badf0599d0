"""ML advisory (Phase F): an offline feature store, forward-simulated labels, purged walk-forward validation
and advisory models. Advisory only: nothing in ``control``, ``execution`` or ``strategies`` imports this
package (import-linter contract), and no run-time command imports it unless ``ML_ADVISORY=1``.
"""
