"""``avwap ml``: the ML advisory (Phase F, docs/ML.md): build the feature store, validate, train, score.

``build`` scans every as-of date of ``--from .. --to`` from the bar store (the backtest's all-dates scan) and
writes ``features.parquet`` and ``labels.parquet`` to ``--dir``; ``validate`` prints the purged walk-forward
metrics (exit 1 when a feature leaks the label); ``train`` writes the model and its card to ``--model-dir``;
``score`` writes one ``advisory_scores`` artifact and needs the operator's ``ML_ADVISORY=1``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from avwap.cli.output import JSON_OPTION, load_cli_config, print_json, print_table, run_guarded
from avwap.core.errors import ConfigurationError

if TYPE_CHECKING:
    import pandas as pd

    from avwap.core.config import Config

FROM_OPTION = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First as-of NY date (YYYY-MM-DD).")
TO_OPTION = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last as-of NY date (YYYY-MM-DD).")
HOME_OPTION = typer.Option(None, "--home", help="avwap home folder (overrides AVWAP_HOME).")
DATA_OPTION = typer.Option(None, "--data", help="Bar store root (default: <home>/data).")
DIR_OPTION = typer.Option(None, "--dir", help="Feature store folder (default: <home>/artifacts/ml).")
MODEL_OPTION = typer.Option("logistic", "--model", help="logistic or gbt.")
MODEL_DIR_OPTION = typer.Option(None, "--model-dir", help="Model folder (default: <dir>/model-<model>).")
SEED_OPTION = typer.Option(0, "--seed", help="Seed of the model and the bootstrap.")
FOLDS_OPTION = typer.Option(5, "--folds", min=2, help="Walk-forward folds.")
EMBARGO_OPTION = typer.Option(5, "--embargo", min=0, help="As-of dates dropped before each test fold.")
HORIZON_OPTION = typer.Option(10, "--horizon", min=1, help="Label horizon in daily bars.")
AS_OF_OPTION = typer.Option(None, "--as-of", formats=["%Y-%m-%d"], help="As-of date of the store to score.")
TRADING_DATE_OPTION = typer.Option(
    None, "--trading-date", formats=["%Y-%m-%d"], help="Score the candidates artifact of this trading day."
)
EARNINGS_OPTION = typer.Option(
    None, "--earnings", help="Earnings dates CSV (as avwap scan --earnings): anchors and earnings features."
)
LABELS_OPTION = typer.Option("forward", "--labels", help="forward (simulation) or engine (a run's trades).")
RUN_OPTION = typer.Option(None, "--run", help="Backtest run folder whose trades label (--labels engine).")
LOOKBACK_DAYS = 500  # calendar days of bars before the first as-of date: the scan's panel and SMAs
LABEL_DAYS = 40  # calendar days after the last as-of date: the label horizon's bars


def ml_folder(home: Path | None, folder: Path | None) -> Path:
    """The feature store folder: ``--dir``, else ``<home>/artifacts/ml``."""
    return folder or load_cli_config(home=home).artifacts_dir / "ml"


def _reactions(path: Path | None) -> dict[str, tuple[dt.date, ...]] | None:
    """The earnings reaction sessions per symbol of an earnings file (as ``avwap scan --earnings``)."""
    if path is None:
        return None
    from avwap.data.earnings import reaction_sessions

    return reaction_sessions(path)


@dataclass(frozen=True)
class BuildInputs:
    """What ``ml build`` reads besides the bar store: the scan's exclusions and context, and the labels."""

    excluded: frozenset[str]
    regimes: dict[dt.date, str] | None = None
    earnings: dict[str, tuple[dt.date, ...]] | None = None
    labels: str = "forward"  # or "engine": the trades of ``run_dir``
    run_dir: Path | None = None


def build_store(  # noqa: PLR0917 - the range, folders, horizon and inputs
    data_root: Path, start: dt.date, end: dt.date, folder: Path, horizon: int, inputs: BuildInputs
) -> dict[str, Any]:
    """Scan every session of [start, end], write features and labels; returns counts and hashes.

    ``inputs.excluded``: symbols never offered as candidates (the benchmarks, as in ``avwap scan``);
    ``regimes``: the recorded REGIME_E1 label of each date; ``earnings``: reaction sessions per symbol."""
    from avwap.backtest.scan_panel import scan_all_dates
    from avwap.core.calendar import nyse
    from avwap.data.store import BarStore
    from avwap.ml.features import build_features
    from avwap.ml.serving import known_sectors
    from avwap.ml.store import write_table
    from avwap.signals.scan_rules import ScanRules

    rules = ScanRules()
    store = BarStore(data_root)
    bars = store.read(
        "1d", store.symbols("1d"), start=start - dt.timedelta(days=LOOKBACK_DAYS),
        end=end + dt.timedelta(days=LABEL_DAYS),
    )  # fmt: skip
    sessions = list(nyse().sessions(start, end + dt.timedelta(days=LABEL_DAYS)))
    as_of_dates = [day for day in sessions if day <= end]
    # labels read bars after ``end``; the scan and the features never do
    known = bars[bars["timestamp"].dt.tz_convert("America/New_York").dt.date <= end]
    benchmark = known[known["symbol"] == rules.benchmark_symbol]
    offered = known[~known["symbol"].isin(sorted(inputs.excluded))]
    scanned = scan_all_dates(
        offered, as_of_dates, rules=rules, benchmark=benchmark, earnings=inputs.earnings, sessions=sessions
    )
    features = build_features(
        offered, scanned.candidates, scanned.gates, inputs.regimes, inputs.earnings, known_sectors(data_root)
    )
    summary: dict[str, Any] = {}
    if inputs.labels == "engine":
        from avwap.ml.engine_labels import engine_labels, read_trades

        if inputs.run_dir is None:
            raise ConfigurationError("--run", "--labels engine needs the backtest run folder")
        found = engine_labels(read_trades(inputs.run_dir), features, bars)
        labels = found.labels
        summary = {"engine_trades": found.trades, "engine_trades_without_features": found.unmatched}
    elif inputs.labels == "forward":
        from avwap.ml.labels import forward_labels

        labels = forward_labels(features, bars, horizon)
    else:
        raise ConfigurationError("--labels", f"expected forward or engine, got {inputs.labels!r}")
    return {
        "features": len(features),
        "labels": len(labels),
        "labels_from": inputs.labels,
        **summary,
        "as_of_dates": len(as_of_dates),
        "regime_dates": len(inputs.regimes or {}),
        "earnings_symbols": len(inputs.earnings or {}),
        "features_sha256": write_table(features, folder / "features.parquet"),
        "labels_sha256": write_table(labels, folder / "labels.parquet"),
    }


def feature_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """The store's features and labels, and their content hashes."""
    from avwap.ml.store import read_table

    features, _, features_hash = read_table(folder / "features.parquet")
    labels, _, labels_hash = read_table(folder / "labels.parquet")
    return features, labels, {"features_sha256": features_hash, "labels_sha256": labels_hash}


def _scoring_rows(
    config: Config,
    root: Path,
    as_of: dt.datetime | None,
    trading_date: dt.datetime | None,
    earnings: Path | None,
) -> tuple[dt.date, pd.DataFrame]:
    """(as-of date, feature rows to score): the store's rows of --as-of, or the rows of the candidates
    artifact of --trading-date (as of its data_through date)."""
    if as_of is not None:
        from avwap.ml.store import read_table

        return as_of.date(), read_table(root / "features.parquet")[0]
    assert trading_date is not None  # the caller checked that exactly one is given
    from avwap.data.store import BarStore
    from avwap.ml.serving import artifact_features
    from avwap.signals.scan_rules import ScanRules

    excluded = config.excluded_from_candidates(ScanRules().benchmark_symbol)
    return artifact_features(
        config.artifacts_dir, trading_date.date(), BarStore(config.data_dir), excluded, config.ledger_dir,
        _reactions(earnings),
    )  # fmt: skip


def _print_validation(title: str, validation: dict[str, Any]) -> None:
    columns = ("fold", "test", "train", "auc", "auc 95%", "ece", "prec@top", "lift R", "lift R 95%")
    rows = [
        (fold["fold"], f"{fold['test_from']}..{fold['test_to']}", fold["train"], fold["auc"],
         fold["ci95"]["auc"], fold["ece"], fold["precision_at_top"], fold["lift_r"], fold["ci95"]["lift_r"])
        for fold in validation["folds"]
    ]  # fmt: skip
    print_table(title, columns, rows)
    print_table("mean over folds", ("figure", "value"), list(validation["mean"].items()))
    if validation["flags"]:
        print_table("LEAKAGE", ("feature", "mean AUC"), list(validation["leaking_features"].items()))


def register(app: typer.Typer) -> None:
    ml_app = typer.Typer(name="ml", help="ML advisory (Phase F): advisory scores only.", no_args_is_help=True)
    app.add_typer(ml_app, name="ml")
    from avwap.cli.ml_causal_command import register_causal  # it imports this module's options

    register_causal(ml_app)

    @ml_app.command("build")
    def build(  # noqa: PLR0917 - one option each (typer passes them by name)
        start: dt.datetime = FROM_OPTION,
        end: dt.datetime = TO_OPTION,
        home: Path | None = HOME_OPTION,
        data: Path | None = DATA_OPTION,
        folder: Path | None = DIR_OPTION,
        horizon: int = HORIZON_OPTION,
        earnings: Path | None = EARNINGS_OPTION,
        labels: str = LABELS_OPTION,
        run_dir: Path | None = RUN_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Build the feature store and labels for every session of the range (labels: forward simulation,
        or --labels engine --run DIR: the trades of a backtest run)."""

        def body() -> None:
            from avwap.regimes.recorded import recorded_labels
            from avwap.signals.scan_rules import ScanRules

            config = load_cli_config(home=home)
            inputs = BuildInputs(
                excluded=config.excluded_from_candidates(ScanRules().benchmark_symbol),
                regimes=recorded_labels(config.ledger_dir, start.date(), end.date()),
                earnings=_reactions(earnings),
                labels=labels,
                run_dir=run_dir,
            )
            summary = build_store(
                data or config.data_dir, start.date(), end.date(), ml_folder(home, folder), horizon, inputs
            )
            if as_json:
                print_json(summary)
            else:
                print_table("avwap ml build", ("figure", "value"), list(summary.items()))

        run_guarded(body)

    @ml_app.command("validate")
    def validate(  # noqa: PLR0917
        home: Path | None = HOME_OPTION,
        folder: Path | None = DIR_OPTION,
        model: str = MODEL_OPTION,
        seed: int = SEED_OPTION,
        folds: int = FOLDS_OPTION,
        embargo: int = EMBARGO_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Purged walk-forward validation; exit 1 when a feature leaks the label."""

        def body() -> None:
            from avwap.ml.model import join
            from avwap.ml.training import cross_validate

            features, labels, _ = feature_tables(ml_folder(home, folder))
            validation = cross_validate(
                join(features, labels), kind=model, seed=seed, folds=folds, embargo=embargo
            )
            if as_json:
                print_json(validation)
            else:
                _print_validation(f"avwap ml validate ({model})", validation)
            if validation["flags"]:
                raise typer.Exit(1)

        run_guarded(body)

    @ml_app.command("train")
    def train(  # noqa: PLR0917
        home: Path | None = HOME_OPTION,
        folder: Path | None = DIR_OPTION,
        model_dir: Path | None = MODEL_DIR_OPTION,
        model: str = MODEL_OPTION,
        seed: int = SEED_OPTION,
        folds: int = FOLDS_OPTION,
        embargo: int = EMBARGO_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Validate, fit on every labelled row, write the model and its model card."""

        def body() -> None:
            from avwap.ml.training import train as train_model

            root = ml_folder(home, folder)
            features, labels, hashes = feature_tables(root)
            target = model_dir or root / f"model-{model}"
            card = train_model(
                features, labels, target, kind=model, seed=seed, folds=folds, embargo=embargo,
                input_hashes=hashes,
            )  # fmt: skip
            if as_json:
                print_json(card)
            else:
                _print_validation(f"avwap ml train ({model}) -> {target}", card["validation"])

        run_guarded(body)

    @ml_app.command("score")
    def score(  # noqa: PLR0917
        as_of: dt.datetime | None = AS_OF_OPTION,
        trading_date: dt.datetime | None = TRADING_DATE_OPTION,
        home: Path | None = HOME_OPTION,
        folder: Path | None = DIR_OPTION,
        model_dir: Path | None = MODEL_DIR_OPTION,
        model: str = MODEL_OPTION,
        earnings: Path | None = EARNINGS_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Write the advisory_scores artifact of one as-of date (needs ML_ADVISORY=1): from the feature
        store (--as-of) or from the candidates artifact `avwap scan` wrote for --trading-date."""

        def body() -> None:
            from avwap.core.canonical import canonical_json
            from avwap.core.files import atomic_write_bytes
            from avwap.ml.training import advisory_scores

            config = load_cli_config(home=home)
            if not config.ml_advisory:
                raise ConfigurationError(
                    "ML_ADVISORY", "advisory scores need the operator's opt-in ML_ADVISORY=1"
                )
            if (as_of is None) == (trading_date is None):
                raise ConfigurationError("--as-of/--trading-date", "give exactly one of them")
            root = ml_folder(home, folder)
            day, features = _scoring_rows(config, root, as_of, trading_date, earnings)
            artifact = advisory_scores(model_dir or root / f"model-{model}", features, day)
            path = root / f"advisory_scores_{day.isoformat()}.json"
            atomic_write_bytes(path, canonical_json(artifact) + b"\n")
            if as_json:
                print_json({**artifact, "path": str(path)})
            else:
                rows = [(row["rank"], row["symbol"], row["p_hit_r1"]) for row in artifact["scores"]]
                print_table(f"advisory scores {day} -> {path}", ("rank", "symbol", "P(R1)"), rows)

        run_guarded(body)
