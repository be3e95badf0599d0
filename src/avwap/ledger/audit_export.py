"""``avwap audit export --from D --to D OUT`` and ``avwap audit verify OUT``: a self-contained audit bundle.

The bundle (a folder) holds:

* ``ledger/``: every ledger file dated up to ``--to`` (from each stream's genesis, so every chain verifies
  from its first line without the home), with a ``HEAD.json`` per folder naming the last file included;
  the ``AUDIT`` stream's seals of those days come with it.
* ``artifacts/`` and ``reports/``: the home's files whose path carries a date in ``[--from, --to]``.
* ``rulesets/``: every ruleset file of the home (``<home>/rulesets/<version>.toml``), as is.
* ``verification.json``: what ``verify --all`` found at export (records, seals, sealed/unsealed days).
* ``meta.json``: format, range, code version, config hash, audit key id (never the key), and the rulesets:
  every activation recorded through ``--to`` (version, its content hash, the first session it governs) and
  the version in force on each of ``--from`` and ``--to``. ``avwap audit verify`` also checks that each
  activated version's file is in the bundle with the recorded content hash
  (:func:`avwap.control.ruleset_registry.check_bundle_rulesets`: hashing a ruleset is the control layer's).
* ``manifest.json``: sha256 and size of every other file.

Export refuses a home whose verification fails (exit 5): a bundle certifies a sound history.
:func:`verify_bundle` checks, on any machine, the manifest (first bad file named), every chain, link and
head, every seal's root and sealed lines, the HMACs when the key is given, and anchors (those of days up
to ``--to``) when an anchor file is given.

Public API::

    export_bundle(home, day_from, day_to, out, *, key, config_hash) -> Path
    verify_bundle(bundle, key=None, anchors=None) -> tuple[dict, FullReport]   (meta, report)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any, Final

from avwap.core.canonical import pretty_json
from avwap.core.errors import DataError, LedgerIntegrityError
from avwap.ledger.atomic import detect_code_version
from avwap.ledger.audit import AUDIT
from avwap.ledger.audit_key import AuditKey
from avwap.ledger.links import HEAD_NAME, Head, peek_last_envelope, write_head
from avwap.ledger.manifest import check_manifest, copy_ledger, fsync_tree, write_manifest
from avwap.ledger.paths import list_ledger_files, list_ledger_names
from avwap.ledger.records import RulesetActivated
from avwap.ledger.rulesets_stream import RULESETS_FOLDER, activation_in_force, read_activations
from avwap.ledger.verify_all import FullReport, verify_all

FORMAT: Final = "avwap-audit-bundle-v1"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ARTIFACT_FOLDERS: Final = ("artifacts", "reports")


def _bundle_heads(root: Path) -> None:
    for name in list_ledger_names(root):
        if (root / name / HEAD_NAME).is_file():
            continue  # copied whole with its own head
        files = [path for path in list_ledger_files(root, name) if path.stat().st_size]
        peeked = peek_last_envelope(files[-1]) if files else None
        if peeked is not None:
            write_head(root / name, Head(files[-1].name, peeked[1].seq, peeked[1].hash))


def _dated_in(path: Path, day_from: dt.date, day_to: dt.date) -> bool:
    for text in _DATE.findall(path.as_posix()):
        try:
            if day_from <= dt.date.fromisoformat(text) <= day_to:
                return True
        except ValueError:
            continue
    return False


def _copy_artifacts(home: Path, target: Path, day_from: dt.date, day_to: dt.date) -> int:
    copied = 0
    for folder in ARTIFACT_FOLDERS:
        for path in sorted((home / folder).rglob("*")) if (home / folder).is_dir() else []:
            relative = path.relative_to(home)
            if path.is_file() and not path.name.startswith(".") and _dated_in(relative, day_from, day_to):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / relative)
                copied += 1
    return copied


def _copy_rulesets(home: Path, target: Path) -> list[str]:
    """The home's ruleset files copied as they are; their names."""
    folder = home / RULESETS_FOLDER
    names = sorted(path.name for path in folder.glob("*.toml")) if folder.is_dir() else []
    if names:
        (target / RULESETS_FOLDER).mkdir()
    for name in names:
        shutil.copy2(folder / name, target / RULESETS_FOLDER / name)
    return names


def _in_force(records: list[RulesetActivated], day: dt.date) -> str | None:
    found = activation_in_force(records, day)
    return None if found is None else found.version


def _rulesets(ledger: Path, files: list[str], day_from: dt.date, day_to: dt.date) -> dict[str, Any]:
    records = [record for record in read_activations(ledger) if record.date_ny <= day_to]
    return {
        "files": files,
        "activations": [
            {
                "recorded": record.date_ny,
                "effective_from": record.effective_from_ny,
                "version": record.version,
                "ruleset_sha256": record.ruleset_sha256,
                "action": record.action,
            }
            for record in records
        ],
        "in_force": {"from": _in_force(records, day_from), "to": _in_force(records, day_to)},
    }


def _summary(report: FullReport) -> dict[str, Any]:
    first = report.first_break
    return {
        "ok": first is None,
        "first_break": None if first is None else {"location": first[0], "reason": first[1]},
        "files": len(report.files),
        "records": report.records,
        "seals": report.audit.seals,
        "sealed_days": report.audit.sealed_days,
        "unsealed_days": report.audit.unsealed_days,
        "authenticated": report.audit.authenticated,
    }


def export_bundle(
    home: Path, day_from: dt.date, day_to: dt.date, out: Path, *, key: AuditKey | None, config_hash: str
) -> Path:
    home, out = Path(home), Path(out)
    if day_from > day_to:
        raise DataError(f"--from {day_from} is after --to {day_to}")
    if out.exists():
        raise DataError(f"{out} exists already; an audit bundle is written to a new folder")
    partial = out.with_name(f".partial-{out.name}")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    # The AUDIT stream comes whole: the seal of --to is often written the next day (a later AUDIT file).
    copy_ledger(home / "ledger", partial / "ledger", until=day_to, complete=frozenset({AUDIT}))
    _bundle_heads(partial / "ledger")
    report = verify_all(partial / "ledger", key, until=day_to)
    if report.first_break is not None:
        shutil.rmtree(partial)
        location, reason = report.first_break
        raise LedgerIntegrityError(location, 0, f"not exported: {reason}")
    artifacts = _copy_artifacts(home, partial, day_from, day_to)
    rulesets = _rulesets(partial / "ledger", _copy_rulesets(home, partial), day_from, day_to)
    (partial / "verification.json").write_text(pretty_json(_summary(report)), encoding="utf-8")
    meta = {
        "format": FORMAT,
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
        "code_version": detect_code_version(),
        "config_hash": config_hash,
        "key_id": key.key_id if key is not None else None,
        "artifacts": artifacts,
        "rulesets": rulesets,
    }
    (partial / "meta.json").write_text(pretty_json(meta), encoding="utf-8")
    write_manifest(partial, {"format": FORMAT})
    fsync_tree(partial)
    partial.rename(out)
    return out


def verify_bundle(
    bundle: Path, key: AuditKey | None = None, anchors: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], FullReport]:
    bundle = Path(bundle)
    check_manifest(bundle)
    try:
        meta = json.loads((bundle / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{bundle / 'meta.json'}: unreadable ({error})") from None
    if meta.get("format") != FORMAT:
        raise DataError(f"{bundle}: not an avwap audit bundle (format {meta.get('format')!r})")
    relevant = [anchor for anchor in anchors or [] if str(anchor.get("day")) <= str(meta["to"])]
    until = dt.date.fromisoformat(str(meta["to"]))
    return meta, verify_all(bundle / "ledger", key, relevant if anchors is not None else None, until=until)
