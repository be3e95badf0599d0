"""The test suite: a regular package so that ``tests.*`` imports resolve here, not to a ``tests`` package some
dependency installs into site-packages (schwab-py 1.5.1 ships one)."""
