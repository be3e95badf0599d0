"""validate_bars: every reason code on a hand-made row, multi-reason order, flags, duplicates, sorting."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.data.bars import BAR_COLUMNS
from avwap.data.validation import REASON_BITS, REASON_CODES, reason_names, validate_bars

NAN = math.nan
GOOD = {"open": 10.0, "high": 11.0, "low": 9.0, "close": 10.5, "volume": 1000.0}


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    """Bars for AAA on consecutive days (unless a row names its own symbol/day), plus a ``line`` column."""
    records = []
    for index, row in enumerate(rows):
        record: dict[str, object] = {"symbol": "AAA", "day": f"2024-01-{index + 2:02d}", **GOOD, **row}
        record["timestamp"] = pd.Timestamp(str(record.pop("day")), tz="America/New_York")
        record["line"] = index + 2
        records.append(record)
    return pd.DataFrame(records)[[*BAR_COLUMNS, "line"]]


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({"open": NAN}, ("MISSING_VALUE",)),
        ({"volume": NAN}, ("MISSING_VALUE",)),
        ({"symbol": ""}, ("MISSING_VALUE",)),
        ({"day": None}, ("MISSING_VALUE",)),
        ({"low": 0.0, "open": 0.0, "close": 0.0, "high": 0.0}, ("NON_POSITIVE_PRICE",)),
        ({"low": -1.0}, ("NON_POSITIVE_PRICE",)),
        # high < low leaves no room for open and close: they are outside the range too
        (
            {"high": 8.0, "open": 8.5, "close": 8.5},
            ("HIGH_BELOW_LOW", "OPEN_OUTSIDE_RANGE", "CLOSE_OUTSIDE_RANGE"),
        ),
        ({"open": 11.5}, ("OPEN_OUTSIDE_RANGE",)),
        ({"open": 8.5}, ("OPEN_OUTSIDE_RANGE",)),
        ({"close": 12.0}, ("CLOSE_OUTSIDE_RANGE",)),
        ({"close": 8.0}, ("CLOSE_OUTSIDE_RANGE",)),
        ({"volume": -5.0}, ("NEGATIVE_VOLUME",)),
    ],
)
def test_each_reason_code_on_a_hand_made_row(changes: dict[str, object], reasons: tuple[str, ...]) -> None:
    bad = dict(changes)
    if "day" in bad and bad["day"] is None:
        bad["day"] = "NaT"
    result = validate_bars(frame({}, bad, {}))
    assert len(result.bars) == 2
    assert list(result.quarantined["line"]) == [3]
    assert result.quarantined["reasons"].iloc[0] == reasons
    assert result.kept.tolist() == [True, False, True]


def test_several_problems_are_all_recorded_in_code_order() -> None:
    # AOS 2014-05-19 in the CNuge data: high 23.595 below low 23.85, open and close above the high.
    result = validate_bars(
        frame({"open": 23.89, "high": 23.595, "low": 23.85, "close": 24.445, "volume": -1})
    )
    assert result.quarantined["reasons"].iloc[0] == (
        "HIGH_BELOW_LOW",
        "OPEN_OUTSIDE_RANGE",
        "CLOSE_OUTSIDE_RANGE",
        "NEGATIVE_VOLUME",
    )
    assert result.reason_counts == {
        "HIGH_BELOW_LOW": 1,
        "OPEN_OUTSIDE_RANGE": 1,
        "CLOSE_OUTSIDE_RANGE": 1,
        "NEGATIVE_VOLUME": 1,
    }


def test_missing_prices_do_not_also_fail_range_rules() -> None:
    # CNuge "rows with empty OHLC and only a close": one reason, not four.
    result = validate_bars(frame({"open": NAN, "high": NAN, "low": NAN, "close": 69.08, "volume": 3}))
    assert result.quarantined["reasons"].iloc[0] == ("MISSING_VALUE",)


def test_zero_volume_is_flagged_not_quarantined() -> None:
    result = validate_bars(frame({}, {"volume": 0.0}))
    assert len(result.bars) == 2 and len(result.quarantined) == 0
    assert list(result.flags["line"]) == [3]
    assert list(result.flags["flag"]) == ["ZERO_VOLUME"]
    assert list(result.flags["quarantined"]) == [False]
    assert result.flag_counts == {"ZERO_VOLUME": 1}


def test_zero_volume_on_a_quarantined_row_is_flagged_and_marked() -> None:
    result = validate_bars(frame({"open": NAN, "volume": 0.0}))
    assert list(result.flags["quarantined"]) == [True]


def test_duplicates_keep_the_first_occurrence() -> None:
    rows = frame({"close": 10.1}, {"day": "2024-01-02", "close": 10.2}, {"day": "2024-01-02", "close": 10.3})
    result = validate_bars(rows)
    assert result.bars["close"].tolist() == [10.1]
    assert list(result.quarantined["line"]) == [3, 4]
    assert set(result.quarantined["reasons"]) == {("DUPLICATE_TIMESTAMP",)}


def test_same_timestamp_for_two_symbols_is_not_a_duplicate() -> None:
    result = validate_bars(frame({"symbol": "AAA"}, {"symbol": "BBB", "day": "2024-01-02"}))
    assert len(result.bars) == 2


def test_duplicate_scope_limits_duplicates_to_a_group() -> None:
    rows = frame({}, {"day": "2024-01-02"})
    rows["file"] = [0, 1]
    assert len(validate_bars(rows).bars) == 1
    assert len(validate_bars(rows, duplicate_scope=("file",)).quarantined) == 0


def test_unsorted_input_is_sorted_not_quarantined() -> None:
    rows = frame({"day": "2024-01-05"}, {"day": "2024-01-03"}, {"symbol": "AAB", "day": "2024-01-01"})
    result = validate_bars(rows)
    assert len(result.quarantined) == 0
    assert list(result.bars["symbol"]) == ["AAA", "AAA", "AAB"]
    assert result.bars["timestamp"].is_monotonic_increasing is False  # sorted by symbol first
    assert list(result.bars["timestamp"].dt.day) == [3, 5, 1]


def test_prior_reasons_are_merged_in_code_order() -> None:
    prior = np.array([0, REASON_BITS["UNPARSEABLE_VALUE"]], dtype=np.int64)
    result = validate_bars(frame({}, {"close": 99.0}), prior)
    assert result.quarantined["reasons"].iloc[0] == ("UNPARSEABLE_VALUE", "CLOSE_OUTSIDE_RANGE")


def test_reason_codes_are_stable_upper_snake() -> None:
    assert all(code.isupper() and " " not in code for code in REASON_CODES)
    assert reason_names(REASON_BITS["DUPLICATE_TIMESTAMP"] | REASON_BITS["MALFORMED_ROW"]) == (
        "MALFORMED_ROW",
        "DUPLICATE_TIMESTAMP",
    )


def test_empty_frame_validates_to_empty_canonical_frame() -> None:
    result = validate_bars(frame({}).iloc[:0])
    assert len(result.bars) == 0 and list(result.bars.columns) == list(BAR_COLUMNS)


values = st.one_of(st.floats(min_value=-5, max_value=50), st.just(0.0), st.just(NAN))


@given(
    st.lists(st.tuples(values, values, values, values, values, st.integers(0, 5)), min_size=1, max_size=30)
)
def test_validation_never_raises_and_kept_rows_are_sane(rows: list[tuple[float, ...]]) -> None:
    bars = frame(
        *(
            {"open": o, "high": h, "low": low, "close": c, "volume": v, "day": f"2024-02-{day + 1:02d}"}
            for o, h, low, c, v, day in rows
        )
    )
    result = validate_bars(bars)
    assert len(result.bars) + len(result.quarantined) == len(bars)
    kept = result.bars
    assert (kept["low"] <= kept[["open", "close"]].min(axis=1)).all()
    assert (kept["high"] >= kept[["open", "close"]].max(axis=1)).all()
    assert (kept[["open", "high", "low", "close"]] > 0).all().all()
    assert (kept["volume"] >= 0).all()
    assert not kept.duplicated(["symbol", "timestamp"]).any()
    assert all(len(reasons) > 0 for reasons in result.quarantined["reasons"])


def test_infinite_values_are_quarantined_not_imported() -> None:
    import numpy as np
    import pandas as pd

    from avwap.data.validation import validate_bars

    frame = pd.DataFrame(
        {
            "symbol": ["AAA", "AAA", "AAA"],
            "timestamp": pd.to_datetime(["2026-11-02", "2026-11-03", "2026-11-04"]).tz_localize(
                "America/New_York"
            ),
            "open": [10.0, np.inf, 10.0],
            "high": [11.0, np.inf, 11.0],
            "low": [9.0, 9.0, 9.0],
            "close": [10.5, 10.5, 10.5],
            "volume": [100.0, 100.0, np.inf],
        }
    )
    result = validate_bars(frame)
    assert len(result.bars) == 1
    assert [tuple(reasons) for reasons in result.quarantined["reasons"]] == [
        ("NON_FINITE_VALUE",),
        ("NON_FINITE_VALUE",),
    ]


def test_a_non_utf8_header_is_a_data_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from avwap.core.errors import DataError
    from avwap.data.importing.csv_import import import_csv
    from avwap.data.importing.presets import preset

    path = tmp_path / "BAD.csv"
    path.write_bytes(b"d\xffate,open,high,low,close,volume\n2013-10-02,1,2,1,1.5,100\n")
    with pytest.raises(DataError, match="not UTF-8"):
        import_csv(path, preset("lean_daily"))
