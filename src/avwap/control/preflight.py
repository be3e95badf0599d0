"""The offline preflight behind ``avwap config-check``: mode, gates, caps, Phase C, paths and problems.

Pure: it takes the parsed Config, what the state folder says (:class:`~avwap.control.state_files.StateFiles`)
and today's New York date. A *problem* (exit 1) is anything that makes the configuration unsafe or
self-defeating: LIVE requested but refused, a paper book on the live endpoint, an inconsistent Phase C, a cap
of 0, an unusable state folder. A *notice* is worth knowing but deliberate (kill switch on, DRY_RUN forced).
Secrets are never part of the report: only whether they are set and whether they match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from avwap.control import reasons
from avwap.control.live_gate import (
    ModeResolution,
    endpoint_host,
    live_key_failures,
    phase_c_failures,
    resolve_mode,
)
from avwap.control.plane import GATE_ORDER
from avwap.control.sizing import SizingRules
from avwap.control.state_files import KILL_SWITCH_FILE, TOKEN_FILE, StateFiles
from avwap.core.config import Config
from avwap.core.execution_mode import ExecutionMode

# Which cap (by variable name) each cap gate enforces; runtime gates depend on each cycle's state.
CAP_GATES = {
    "entries_per_day": ("MAX_ORDERS_PER_DAY",),
    "max_positions": ("MAX_POSITIONS",),
    "risk_per_trade": ("MAX_RISK_PER_TRADE",),
    "risk_pct": ("MAX_RISK_PER_TRADE_PCT",),
    "notional_per_symbol": ("MAX_NOTIONAL_PER_SYMBOL",),
    "gross_exposure": ("MAX_GROSS_EXPOSURE",),
    "gross_exposure_pct": ("MAX_GROSS_EXPOSURE_PCT",),
    "intent": ("MAX_RISK_PER_SHARE",),
}


@dataclass(frozen=True)
class Finding:
    """A problem or a notice: a stable code and a sentence for people."""

    code: str
    message: str


@dataclass(frozen=True)
class PreflightReport:
    mode: ModeResolution
    kill_switch: dict[str, Any]
    live_keys: dict[str, Any]
    phase_c: dict[str, Any]
    gates: tuple[dict[str, Any], ...]
    caps: tuple[dict[str, Any], ...]
    paths: dict[str, Any]
    problems: tuple[Finding, ...]
    notices: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def cap_values(config: Config) -> dict[str, Decimal | int]:
    """Every cap and sizing limit by its variable name (sizing limits: defaults until they are settings)."""
    sizing = SizingRules.from_config(config)
    return {
        "MAX_ORDERS_PER_DAY": config.max_orders_per_day,
        "MAX_POSITIONS": config.max_positions,
        "MAX_GROSS_EXPOSURE": config.max_gross_exposure,
        "MAX_GROSS_EXPOSURE_PCT": config.max_gross_exposure_pct,
        "MAX_NOTIONAL_PER_SYMBOL": config.max_notional_per_symbol,
        "MAX_RISK_PER_TRADE": config.max_risk_per_trade,
        "MAX_RISK_PER_TRADE_PCT": config.max_risk_per_trade_pct,
        "MAX_RISK_PER_SHARE": sizing.max_risk_per_share,
        "SIZING_BASE_RISK_PCT": sizing.base_risk_pct,
        "SIZING_MAX_ALLOCATION_PCT": sizing.max_allocation_pct,
    }


def _live_keys(config: Config, files: StateFiles) -> dict[str, Any]:
    token_text = None if files.token_text is None else files.token_text.strip()
    failures = live_key_failures(config, files.token_text)
    return {
        "live_trading": config.live_trading,
        "token_set": bool(config.live_confirm_token),
        "token_file": "missing" if token_text is None else ("empty" if not token_text else "present"),
        "token_matches": reasons.LIVE_TOKEN_MISMATCH not in failures
        and bool(config.live_confirm_token and token_text),
        "trading_url": "<contains credentials>"
        if "@" in config.alpaca_trading_url
        else config.alpaca_trading_url,
        "endpoint": endpoint_host(config.alpaca_trading_url) or "not an Alpaca endpoint",
        "failures": failures,
    }


def _phase_c(config: Config, mode: ModeResolution, today_ny: dt.date) -> dict[str, Any]:
    failures = phase_c_failures(config.live_enable_date_ny, config.allowlist_symbols, today_ny)
    return {
        "enabled": config.phase_c,
        "applies": config.phase_c and mode.effective_mode is ExecutionMode.LIVE,
        "live_enable_date_ny": config.live_enable_date_ny,
        "today_ny": today_ny,
        "allowlist_symbols": config.allowlist_symbols,
        "failures": failures if config.phase_c else (),
    }


def _gate_state(
    name: str, config: Config, mode: ModeResolution, kill_switch: bool, caps: dict[str, Any]
) -> dict[str, Any]:
    if name == "kill_switch":
        return {
            "gate": name,
            "state": "blocking" if kill_switch else "ok",
            "detail": "entries blocked" if kill_switch else "",
        }
    if name == "execution_mode":
        refused = (
            mode.effective_mode is not mode.requested_mode and reasons.DRY_RUN_FORCED not in mode.reasons
        )
        state = "blocking" if refused else "ok"
        return {"gate": name, "state": state, "detail": f"{mode.requested_mode} -> {mode.effective_mode}"}
    if name.startswith("phase_c"):
        if not config.phase_c:
            return {"gate": name, "state": "disabled", "detail": "PHASE_C=0"}
        if not mode.phase_c_active:
            return {"gate": name, "state": "disabled", "detail": "only applies in LIVE"}
        return {
            "gate": name,
            "state": "blocking" if mode.phase_c_reasons else "ok",
            "detail": ", ".join(mode.phase_c_reasons),
        }
    if name == "allowlist":
        symbols = ", ".join(config.allowlist_symbols)
        return {
            "gate": name,
            "state": "enabled" if symbols else "disabled",
            "detail": symbols or "all symbols allowed",
        }
    if name == "intraday_data":
        source = (
            "fetched each cycle from Alpaca"
            if config.intraday_refresh == "alpaca"
            else "store kept elsewhere"
        )
        detail = (
            f"newest closed 5m bar at most INTRADAY_MAX_LAG_MINUTES={config.intraday_max_lag_minutes} old"
        )
        feed = f", ALPACA_DATA_FEED={config.alpaca_data_feed}" if config.intraday_refresh == "alpaca" else ""
        return {"gate": name, "state": "enabled", "detail": f"{detail}; bars {source}{feed}"}
    if name in CAP_GATES:
        variables = CAP_GATES[name]
        blocking = any(caps[variable] == 0 for variable in variables)
        detail = ", ".join(f"{variable}={caps[variable]}" for variable in variables)
        return {"gate": name, "state": "blocking" if blocking else "enabled", "detail": detail}
    return {"gate": name, "state": "enabled", "detail": "checked every cycle"}


def _problems(
    config: Config, files: StateFiles, mode: ModeResolution, phase_c: dict[str, Any], caps: dict[str, Any]
) -> list[Finding]:
    problems = [
        Finding(code, reasons.describe(code)) for code in mode.reasons if code != reasons.DRY_RUN_FORCED
    ]
    problems += [
        Finding(code, reasons.describe(code)) for code in phase_c["failures"] if code != reasons.CLOCK_UNKNOWN
    ]
    problems += [
        Finding(reasons.CAP_ZERO, f"{name}=0: every new entry would be rejected")
        for name, value in caps.items()
        if value == 0
    ]
    if not files.exists:
        problems.append(Finding(reasons.STATE_DIR_MISSING, f"state folder {files.state_dir} does not exist"))
    elif not files.writable:
        problems.append(
            Finding(reasons.STATE_DIR_NOT_WRITABLE, f"state folder {files.state_dir} is not writable")
        )
    return problems


def _notices(
    config: Config, mode: ModeResolution, kill_switch: dict[str, Any], live_keys: dict[str, Any]
) -> list[Finding]:
    notices = []
    if kill_switch["active"]:
        sources = [name for name in ("env", "file") if kill_switch[name]]
        notices.append(
            Finding(
                reasons.KILL_SWITCH_ACTIVE, f"kill switch engaged via {' and '.join(sources)}: no new entries"
            )
        )
    if reasons.DRY_RUN_FORCED in mode.reasons:
        notices.append(
            Finding(reasons.DRY_RUN_FORCED, f"DRY_RUN=1 overrides EXECUTION_MODE={mode.requested_mode}")
        )
        if mode.requested_mode is ExecutionMode.LIVE and live_keys["failures"]:
            notices.append(
                Finding(
                    reasons.LIVE_KEYS_IGNORED, "live keys would fail: " + ", ".join(live_keys["failures"])
                )
            )
    if config.phase_c and not mode.phase_c_active:
        notices.append(
            Finding(reasons.PHASE_C_OUTSIDE_LIVE, f"PHASE_C=1 has no effect in {mode.effective_mode}")
        )
    return notices


def build_preflight(config: Config, files: StateFiles, today_ny: dt.date) -> PreflightReport:
    """Everything ``avwap config-check`` prints, as data."""
    mode = resolve_mode(config, files.token_text, today_ny)
    kill_switch = {
        "env": config.kill_switch,
        "file": files.kill_switch_file,
        "active": config.kill_switch or files.kill_switch_file,
    }
    caps = cap_values(config)
    live_keys = _live_keys(config, files)
    phase_c = _phase_c(config, mode, today_ny)
    gates = tuple(_gate_state(name, config, mode, bool(kill_switch["active"]), caps) for name in GATE_ORDER)
    cap_rows = tuple(
        {"variable": name, "value": value, "state": "blocking" if value == 0 else "ok"}
        for name, value in caps.items()
    )
    paths = {
        "home": config.home,
        "state": config.state_dir,
        "ledger": config.ledger_dir,
        "data": config.data_dir,
        "artifacts": config.artifacts_dir,
        "kill_switch_file": config.state_dir / KILL_SWITCH_FILE,
        "token_file": config.state_dir / TOKEN_FILE,
    }
    return PreflightReport(
        mode=mode,
        kill_switch=kill_switch,
        live_keys=live_keys,
        phase_c=phase_c,
        gates=gates,
        caps=cap_rows,
        paths=paths,
        problems=tuple(_problems(config, files, mode, phase_c, caps)),
        notices=tuple(_notices(config, mode, kill_switch, live_keys)),
    )


def report_data(report: PreflightReport) -> dict[str, Any]:
    """The report as plain data for ``--json`` (sorted keys are applied by the printer)."""
    mode = report.mode
    return {
        "ok": report.ok,
        "mode": {
            "requested": mode.requested_mode,
            "effective": mode.effective_mode,
            "live_confirmed": mode.live_confirmed,
            "reasons": [{"code": code, "description": reasons.describe(code)} for code in mode.reasons],
            "alerts": list(mode.alerts),
        },
        "kill_switch": report.kill_switch,
        "live_keys": report.live_keys,
        "phase_c": report.phase_c,
        "gates": list(report.gates),
        "caps": list(report.caps),
        "paths": report.paths,
        "problems": [{"code": item.code, "message": item.message} for item in report.problems],
        "notices": [{"code": item.code, "message": item.message} for item in report.notices],
    }
