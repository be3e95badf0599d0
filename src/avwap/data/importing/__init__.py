"""Importing bars from CSV files: format presets and detection, parsing, validation results, ticker reuse."""
