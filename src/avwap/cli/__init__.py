"""The ``avwap`` command: one module per command group, registered in :mod:`avwap.cli.main`."""
