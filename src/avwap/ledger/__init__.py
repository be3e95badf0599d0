"""The ledger layer ("the spine"): append-only, hash-chained JSONL files and everything derived from them.

Modules, lowest first (each documents its public API in its docstring):

- :mod:`avwap.ledger.paths`        book ids, stream names, ``<root>/<BOOK_OR_STREAM>/<YYYY-MM-DD>.jsonl``
- :mod:`avwap.ledger.chain`        envelopes and the tamper-evident chain (pure, no I/O)
- :mod:`avwap.ledger.record_enums` closed vocabularies (Side, OrderType, ExitEventKind, ...)
- :mod:`avwap.ledger.records`      typed record contracts, ``encode_record`` / ``decode_record``
- :mod:`avwap.ledger.record_ids`   stable ids linking intent → decision → order → fill → position → exit
- :mod:`avwap.ledger.store`        ``LedgerStore``: locked, fsynced appends; torn-tail quarantine
- :mod:`avwap.ledger.router`       ``Ledger(root)``: routes typed records by book and NY date, reads books
- :mod:`avwap.ledger.atomic`       atomic whole-file writes with a provenance block
- :mod:`avwap.ledger.verify`       read-only verification (first bad line per file)
- :mod:`avwap.ledger.projection`   pure fold of records into ``BookState``; ``rebuild`` (+ cache)
  (state records in ``projection_state``, the fold step in ``projection_fold``, the cache in
  ``projection_cache``)

Invariants: one ``os.write`` per line under an exclusive ``flock``, then ``fsync``; nothing is ever rewritten
in place; a corrupt ledger raises :class:`~avwap.core.errors.LedgerIntegrityError` so execution fails closed.
"""
