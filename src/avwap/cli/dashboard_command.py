"""``avwap dashboard``: serve the operator dashboard (docs/DASHBOARD.md) under uvicorn.

Binds to 127.0.0.1:8765 unless --host/--port (or AVWAP_DASHBOARD_HOST/PORT) say otherwise; any bind that is
not loopback needs AVWAP_DASHBOARD_TOKEN (exit 3 otherwise). Read-only, except engaging the kill switch.
"""

from __future__ import annotations

from pathlib import Path

import typer

from avwap.cli.output import load_cli_config, run_guarded

HOST_OPTION = typer.Option(None, "--host", help="Bind address (default AVWAP_DASHBOARD_HOST or 127.0.0.1).")
PORT_OPTION = typer.Option(None, "--port", help="Port (default AVWAP_DASHBOARD_PORT or 8765).")
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard(
        host: str | None = HOST_OPTION,
        port: int | None = PORT_OPTION,
        home: Path | None = HOME_OPTION,
    ) -> None:
        """Serve the operator dashboard: Overview, Positions, Today, Performance, Audit, kill switch."""

        def body() -> None:
            import uvicorn

            from avwap.core.clock import SystemClock
            from avwap.core.config_parsers import parse_host, parse_port
            from avwap.dashboard.app import create_app

            overrides = {
                "home": home,
                "dashboard_host": None if host is None else parse_host("--host", host),
                "dashboard_port": None if port is None else parse_port("--port", port),
            }
            config = load_cli_config(**overrides)
            application = create_app(config, SystemClock())
            typer.echo(
                f"avwap dashboard on http://{config.dashboard_host}:{config.dashboard_port}/ "
                f"(home {config.home})"
            )
            uvicorn.run(
                application,
                host=config.dashboard_host,
                port=config.dashboard_port,
                log_level="info",
                access_log=False,
                server_header=False,
            )

        run_guarded(body)
