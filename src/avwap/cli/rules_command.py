"""``avwap rules``: versioned rulesets (see :mod:`avwap.control.rulesets` and docs/RUNBOOK.md "Rulesets").

``init VERSION`` writes the rules in effect now as a complete ruleset file; ``show [VERSION]`` lists the
registry and the activations, or one ruleset; ``diff A B`` the rules that differ; ``activate VERSION
[--from DATE]`` records an activation effective from the next session (or a later DATE); ``rollback``
re-activates, from the next session, the version the latest activation replaced.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from avwap.cli.output import JSON_OPTION, fail, print_json, print_table, run_guarded
from avwap.core.config import Config, load_config

HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")


def _config(home: Path | None) -> Config:
    """The environment's configuration *without* a ruleset applied (these commands manage rulesets)."""
    overrides: dict[str, Any] = {"home": home} if home is not None else {}
    return run_guarded(lambda: load_config(os.environ, **overrides))


def _activation_rows(config: Config) -> list[dict[str, Any]]:
    from avwap.control.ruleset_registry import activations

    return [
        {
            "action": record.action,
            "effective_from": record.effective_from_ny,
            "previous_version": record.previous_version,
            "recorded": record.date_ny,
            "sha256": record.ruleset_sha256,
            "version": record.version,
        }
        for record in run_guarded(lambda: activations(config))
    ]


def _show_all(config: Config, as_json: bool) -> None:
    from avwap.cli.scan_command import today_ny
    from avwap.control.ruleset_registry import activations, list_versions
    from avwap.ledger.rulesets_stream import activation_in_force

    day = today_ny()
    current = activation_in_force(run_guarded(lambda: activations(config)), day)
    record: dict[str, Any] = {
        "in_force": None if current is None else current.version,
        "date": day,
        "versions": list_versions(config),
        "activations": _activation_rows(config),
    }
    if as_json:
        print_json(record)
        return
    typer.echo(f"ruleset in force on {day}: {record['in_force'] or 'none (environment and defaults)'}")
    typer.echo(f"registry: {', '.join(record['versions']) or 'empty'}")
    rows = [
        (row["recorded"], row["action"], row["version"], row["effective_from"], row["previous_version"])
        for row in record["activations"]
    ]
    print_table("activations", ("recorded", "action", "version", "from", "replaced"), rows)


def register(app: typer.Typer) -> None:
    rules_app = typer.Typer(name="rules", help="Versioned trading rulesets: show, diff, activate, roll back.")
    app.add_typer(rules_app, name="rules")

    @rules_app.command("init")
    def init_command(
        version: str = typer.Argument(..., help="Version name of the new ruleset file."),
        description: str = typer.Option("", "--description", help="Free text kept in the file."),
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Write the rules in effect now (environment, AVWAP_CONFIG, defaults) as a complete ruleset."""
        from avwap.control.ruleset_registry import rulesets_dir
        from avwap.control.rulesets import parse_ruleset, render_ruleset
        from avwap.signals.scan_rules import ScanRules

        config = _config(home)
        path = rulesets_dir(config) / f"{version}.toml"
        if path.exists():
            fail(f"{path} exists: ruleset files are never rewritten; choose a new version")
        text = render_ruleset(version, config, ScanRules(), description)
        ruleset = run_guarded(lambda: parse_ruleset(text, expected_version=version))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path} (sha256 {ruleset.sha256})")

    @rules_app.command("show")
    def show_command(
        version: str | None = typer.Argument(None, help="A version to print; default: the registry."),
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """The registry, the ruleset in force today and every activation; or one ruleset's rules."""
        from avwap.control.ruleset_registry import read_ruleset

        config = _config(home)
        if version is None:
            _show_all(config, as_json)
            return
        ruleset = run_guarded(lambda: read_ruleset(config, version))
        record = {"version": ruleset.version, "sha256": ruleset.sha256, "rules": ruleset.flat()}
        if as_json:
            print_json(record)
            return
        typer.echo(f"ruleset {ruleset.version} sha256 {ruleset.sha256} {ruleset.description}")
        print_table("rules", ("rule", "value"), sorted(ruleset.flat().items()))

    @rules_app.command("diff")
    def diff_command(
        first: str = typer.Argument(..., help="Version A."),
        second: str = typer.Argument(..., help="Version B."),
        home: Path | None = HOME_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """The rules whose values differ between A and B (absent: environment or default applies)."""
        from avwap.control.ruleset_registry import read_ruleset

        config = _config(home)
        left = run_guarded(lambda: read_ruleset(config, first)).flat()
        right = run_guarded(lambda: read_ruleset(config, second)).flat()
        changed = [
            {"rule": name, first: left.get(name), second: right.get(name)}
            for name in sorted(set(left) | set(right))
            if left.get(name) != right.get(name)
        ]
        if as_json:
            print_json({"a": first, "b": second, "changes": changed})
            return
        if not changed:
            typer.echo(f"{first} and {second} hold the same rules")
            return
        rows = [(item["rule"], item[first], item[second]) for item in changed]
        print_table(f"{first} -> {second}", ("rule", first, second), rows)

    @rules_app.command("activate")
    def activate_command(
        version: str = typer.Argument(..., help="The ruleset version to put in force."),
        start: str | None = typer.Option(
            None, "--from", help="First NYSE session it governs (YYYY-MM-DD, after today; default: next)."
        ),
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Record in the RULESETS ledger that VERSION governs from the next session (never mid-session)."""
        from avwap.cli.scan_command import parse_day
        from avwap.control.ruleset_registry import activate
        from avwap.core.clock import SystemClock

        config = _config(home)
        day = parse_day(start, "--from") if start is not None else None
        record = run_guarded(lambda: activate(config, version, SystemClock(), day))
        typer.echo(
            f"ruleset {record.version} ({record.ruleset_sha256[:12]}) in force from "
            f"{record.effective_from_ny}; replaces {record.previous_version or 'no ruleset'}"
        )

    @rules_app.command("rollback")
    def rollback_command(home: Path | None = HOME_OPTION) -> None:
        """Put the version the latest activation replaced back in force from the next session."""
        from avwap.control.ruleset_registry import rollback
        from avwap.core.clock import SystemClock

        config = _config(home)
        record = run_guarded(lambda: rollback(config, SystemClock()))
        typer.echo(
            f"rolled back: ruleset {record.version} in force from {record.effective_from_ny} "
            f"(replaces {record.previous_version})"
        )
