"""The audit key and the external anchor file: both kept OUTSIDE ``AVWAP_HOME`` (see docs/LEDGER.md, "Audit").

The key authenticates each daily seal (HMAC-SHA256). It is read from ``AVWAP_AUDIT_KEY_FILE``, which must
exist, hold at least 32 bytes, be readable by its owner only (mode 0600 or stricter) and lie outside the
home: a key inside the home would let whoever rewrites the ledgers re-sign them too. The key's bytes are
never printed or logged; only its ``key_id`` (the first 16 hex of sha256 of the key) is recorded.

The anchor file (``AVWAP_AUDIT_ANCHOR_FILE``) receives one canonical JSON line per seal
``{"day","mac","root"}``; a person who can write the whole home cannot reach it, so the newest seal can
never silently disappear.

Public API::

    AuditKey(secret, key_id)                    .mac(message) -> hex HMAC-SHA256
    load_audit_key(path, home) -> AuditKey      ConfigurationError naming AVWAP_AUDIT_KEY_FILE
    generate_audit_key(path, home) -> AuditKey  a new 32-byte key file, mode 0600 (refuses to overwrite)
    DEMO_AUDIT_KEY                              the demo's fixed key: DEMO ONLY, never for a real book
    append_anchor(path, home, line) / read_anchors(path) -> list[dict]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path
from typing import Any, Final

from avwap.core.canonical import canonical_json
from avwap.core.errors import ConfigurationError, DataError

KEY_VARIABLE: Final = "AVWAP_AUDIT_KEY_FILE"
ANCHOR_VARIABLE: Final = "AVWAP_AUDIT_ANCHOR_FILE"
MIN_KEY_BYTES: Final = 32


class AuditKey:
    """An HMAC key; ``repr`` never shows the secret."""

    __slots__ = ("_secret", "key_id")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise ValueError(f"an audit key holds at least {MIN_KEY_BYTES} bytes")
        self._secret = secret
        self.key_id = hashlib.sha256(secret).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"AuditKey(key_id={self.key_id})"

    def mac(self, message: bytes) -> str:
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


# The demo seals its days with this fixed key so that two demo runs stay byte-identical. It is public (it is
# in the source), so a demo seal proves nothing: DEMO ONLY, never configure it for a real book.
DEMO_AUDIT_SECRET: Final = b"avwap-demo-audit-key--DEMO-ONLY--not-a-secret"  # the key file of a demo DR drill
DEMO_AUDIT_KEY: Final = AuditKey(DEMO_AUDIT_SECRET)


def _outside_home(variable: str, path: Path, home: Path) -> Path:
    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(Path(home).resolve()):
        raise ConfigurationError(variable, f"{path} lies inside AVWAP_HOME; keep it outside the home")
    return resolved


def load_audit_key(path: Path | None, home: Path) -> AuditKey:
    """The key at ``path``; a missing, short, group/world-readable or in-home key is a ConfigurationError."""
    if path is None:
        raise ConfigurationError(
            KEY_VARIABLE,
            "no audit key configured; create one with `avwap audit keygen PATH` outside the home",
        )
    resolved = _outside_home(KEY_VARIABLE, path, home)
    try:
        mode = resolved.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError(KEY_VARIABLE, f"audit key file {path} does not exist") from None
    if not stat.S_ISREG(mode):
        raise ConfigurationError(KEY_VARIABLE, f"{path} is not a regular file")
    if mode & 0o077:
        raise ConfigurationError(KEY_VARIABLE, f"{path} has mode {oct(mode & 0o777)}; chmod 600 it")
    secret = resolved.read_bytes()
    if len(secret) < MIN_KEY_BYTES:
        raise ConfigurationError(KEY_VARIABLE, f"{path} holds fewer than {MIN_KEY_BYTES} bytes")
    return AuditKey(secret)


def generate_audit_key(path: Path, home: Path) -> AuditKey:
    """Write a new random key to ``path`` (created 0600, never overwritten)."""
    resolved = _outside_home(KEY_VARIABLE, path, home)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    secret = os.urandom(MIN_KEY_BYTES)  # a key must be unpredictable: the one place randomness is wanted
    try:
        descriptor = os.open(resolved, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigurationError(KEY_VARIABLE, f"{path} exists already; never overwrite a key") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secret)
        handle.flush()
        os.fsync(handle.fileno())
    return AuditKey(secret)


def append_anchor(path: Path, home: Path, line: dict[str, Any]) -> None:
    """Append one seal's ``{"day","mac","root"}`` to the external anchor file (fsynced)."""
    resolved = _outside_home(ANCHOR_VARIABLE, path, home)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(resolved, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, canonical_json(line) + b"\n")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_anchors(path: Path) -> list[dict[str, Any]]:
    """The anchor lines of ``path`` (a missing file is a DataError: anchors were expected)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"audit anchor file {path} does not exist") from None
    anchors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        try:
            anchor = json.loads(raw)
        except ValueError:
            raise DataError(f"{path}:{number}: not a JSON anchor line") from None
        if not isinstance(anchor, dict) or not {"day", "mac", "root"} <= set(anchor):
            raise DataError(f"{path}:{number}: an anchor line holds day, mac and root")
        anchors.append(anchor)
    return anchors
