"""``avwap ml causal``: what a setup condition does to the outcome once the observed confounders are
adjusted for (Phase F, advisory only; docs/ML.md "Causal analysis").

Reads ``features.parquet`` and ``labels.parquet`` of the feature store (``avwap ml build``), writes the report
``<dir>/causal/<treatment>-<outcome>.json`` (canonical JSON, atomic; byte-identical on a rerun) and prints
the estimates, the balance and the refutations. Exit 1 when the analysis' own checks fail (poor overlap,
imbalance after weighting, a placebo that is not null): the numbers are then not to be relied on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from avwap.cli.ml_command import DIR_OPTION, HOME_OPTION, feature_tables, ml_folder
from avwap.cli.output import JSON_OPTION, print_json, print_table, run_guarded

TREATMENT_OPTION = typer.Option(
    ...,
    "--treatment",
    help="COLUMN OP VALUE, e.g. 'distance<0.02', 'anchor_earnings==1', 'regime==RISK_OFF'.",
)
OUTCOME_OPTION = typer.Option("forward_r", "--outcome", help="forward_r or hit_r1 (as 0/1).")
CONFOUNDERS_OPTION = typer.Option(
    None,
    "--confounders",
    help="Comma-separated feature columns (default: every feature but the treatment's).",
)
MODEL_OPTION = typer.Option("logistic", "--model", help="Nuisance models: logistic (+ ridge) or gbt.")
FOLDS_OPTION = typer.Option(5, "--folds", min=2, help="Cross-fitting blocks of as-of dates.")
EMBARGO_OPTION = typer.Option(5, "--embargo", min=0, help="As-of dates dropped after each block.")
TRIM_OPTION = typer.Option(0.05, "--trim", min=0.0, max=0.49, help="Propensity trim: keep [trim, 1 - trim].")
BOOTSTRAP_OPTION = typer.Option(500, "--bootstrap", min=50, help="Bootstrap replicates (dates resampled).")
SEED_OPTION = typer.Option(0, "--seed", help="Seed of the models, the bootstrap and the refutations.")


def report_path(folder: Path, expression: str, outcome: str) -> Path:
    """``<dir>/causal/<treatment>-<outcome>.json``, the operator spelled out (a file name, not a shell)."""
    words = {"<=": "_le_", ">=": "_ge_", "==": "_eq_", "!=": "_ne_", "<": "_lt_", ">": "_gt_"}
    name = re.sub(r"<=|>=|==|!=|<|>", lambda match: words[match.group(0)], expression)
    return folder / "causal" / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}-{outcome}.json"


def _print_report(report: dict[str, Any], path: Path) -> None:
    columns = ("estimator", "effect", "std. error", "95% low", "95% high")
    rows = [(name, *(values[key] for key in ("effect", "standard_error", "ci_low", "ci_high")))
            for name, values in report["estimates"].items()]  # fmt: skip
    print_table(f"{report['question']} ({report['data']['rows_used']} rows) -> {path}", columns, rows)
    refutations = report["refutations"]
    placebo, common = refutations["placebo_shuffled_within_dates"], refutations["random_common_cause"]
    placebo_interval = f"{placebo['ci_low']} .. {placebo['ci_high']}"
    checks = [
        ("placebo (shuffled within dates)", placebo["effect"], placebo_interval),
        ("random common cause: change", common["change"], ""),
        *((f"half {index}: to {half['to']}", half["effect"], f"{half['ci_low']} .. {half['ci_high']}")
          for index, half in enumerate(refutations["halves"], 1)),
        ("trimmed (treated, control)", report["overlap"]["trimmed"]["treated"],
         report["overlap"]["trimmed"]["control"]),
    ]  # fmt: skip
    print_table("refutations and overlap", ("check", "value", ""), checks)
    worst = sorted(report["balance"], key=lambda row: -abs(row["smd_weighted"] or 0))[:5]
    title = "balance (largest standardized differences after weighting)"
    rows = [(row["confounder"], row["smd_raw"], row["smd_weighted"]) for row in worst]
    print_table(title, ("confounder", "raw", "weighted"), rows)
    print(report["conclusion"])


def register_causal(ml_app: typer.Typer) -> None:
    @ml_app.command("causal")
    def causal(  # noqa: PLR0917
        treatment: str = TREATMENT_OPTION,
        outcome: str = OUTCOME_OPTION,
        confounders: str | None = CONFOUNDERS_OPTION,
        home: Path | None = HOME_OPTION,
        folder: Path | None = DIR_OPTION,
        model: str = MODEL_OPTION,
        folds: int = FOLDS_OPTION,
        embargo: int = EMBARGO_OPTION,
        trim: float = TRIM_OPTION,
        bootstrap: int = BOOTSTRAP_OPTION,
        seed: int = SEED_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Effect of a setup condition on the outcome, adjusted for the observed features (advisory);
        exit 1 when its checks fail."""

        def body() -> None:
            from avwap.core.canonical import canonical_json
            from avwap.core.files import atomic_write_bytes
            from avwap.ml.causal import CausalSettings, analyse
            from avwap.ml.causal_question import (
                checked_confounders,
                checked_outcome,
                default_confounders,
                parse_treatment,
            )
            from avwap.ml.model import checked_kind, join

            checked_kind(model)
            question = parse_treatment(treatment)
            checked_outcome(outcome)
            names = [name.strip() for name in confounders.split(",")] if confounders is not None else None
            adjusted = (
                checked_confounders(names, question) if names is not None else default_confounders(question)
            )
            root = ml_folder(home, folder)
            features, labels, hashes = feature_tables(root)
            settings = CausalSettings(
                model=model, folds=folds, embargo=embargo, trim=trim, replicates=bootstrap, seed=seed
            )
            report = analyse(join(features, labels), question, adjusted, outcome, settings)
            report["hashes"] = hashes
            path = report_path(root, question.expression, outcome)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, canonical_json(report) + b"\n")
            if as_json:
                print_json({**report, "path": str(path)})
            else:
                _print_report(report, path)
            if report["flags"]:
                raise typer.Exit(1)

        run_guarded(body)
