"""`avwap demo`: a full paper-trading run on the embedded synthetic market (or imported data)."""
