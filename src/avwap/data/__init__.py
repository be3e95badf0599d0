"""Market data: canonical bar frames, the Parquet bar store, CSV import, validation, synthetic market."""
