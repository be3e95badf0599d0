"""The scan shell: reads the bar store, runs the pure scan (avwap.signals), writes the candidates artifact,
diagnostics, watchlists, charts and report, and explains a candidate (``avwap scan``)."""
