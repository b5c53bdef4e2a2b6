"""load_binance_klines: data.binance.vision kline files, stamped at the bar's end (close time + 1)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.files import DataFileError, load_binance_klines
from engine.messages import Bar

# Spot BTCUSDT 1m, the 12-column layout of data.binance.vision (no header, milliseconds).
SPOT_MS = (
    "1704067200000,42283.58000000,42298.62000000,42261.02000000,42298.61000000,35.92724000,1704067259999,"
    "1519259.23919620,1327,19.14577000,809535.87463630,0\n"
    "1704067260000,42298.62000000,42320.00000000,42298.61000000,42320.00000000,21.07919000,1704067319999,"
    "891734.72271840,1168,12.13474000,513398.16564880,0\n"
)
# Spot files from 2025 on: the same layout in microseconds.
SPOT_US = (
    "1735689600000000,93576.00000000,93610.93000000,93537.50000000,93610.93000000,8.21827000,1735689659999999,"
    "768978.35491580,1386,4.91437000,459799.13727510,0\n"
)
# USD-M futures 1h with the header line the futures files carry.
FUTURES = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
    "taker_buy_quote_volume,ignore\n"
    "1704067200000,42314.00,42535.50,42289.60,42480.10,4839.213,1704070799999,205199845.11540,51893,"
    "2566.498,108838066.71120,0\n"
)


def klines(path: Path, **options: object) -> list[Bar]:
    return list(load_binance_klines(path, exchange_id="binance", symbol="BTCUSDT", **options))  # type: ignore[arg-type]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "klines.csv"
    path.write_text(text)
    return path


def test_a_kline_is_stamped_at_close_time_plus_one_millisecond(tmp_path: Path) -> None:
    first, second = klines(write(tmp_path, SPOT_MS))
    assert first.ts_event == first.ts_init == 1_704_067_260_000 * 1_000_000
    assert second.ts_event == 1_704_067_320_000 * 1_000_000
    assert (first.open, first.high, first.low, first.close) == (
        Decimal("42283.58000000"),
        Decimal("42298.62000000"),
        Decimal("42261.02000000"),
        Decimal("42298.61000000"),
    )
    assert first.volume == Decimal("35.92724000")  # base-asset volume, not the quote volume
    assert first.interval == "1m"


def test_microsecond_files_are_told_by_magnitude(tmp_path: Path) -> None:
    (bar,) = klines(write(tmp_path, SPOT_US))
    assert bar.ts_event == 1_735_689_660_000_000 * 1_000
    assert bar.interval == "1m"


def test_the_futures_header_line_is_skipped_and_the_interval_inferred(tmp_path: Path) -> None:
    (bar,) = klines(write(tmp_path, FUTURES))
    assert bar.interval == "1h"
    assert bar.ts_event == 1_704_070_800_000 * 1_000_000
    assert bar.close == Decimal("42480.10")


def test_a_given_interval_must_match_each_row(tmp_path: Path) -> None:
    assert [bar.interval for bar in klines(write(tmp_path, SPOT_MS), interval="1m")] == ["1m", "1m"]
    with pytest.raises(DataFileError, match=r"line 1: open to close time is 60000000000 ns, not .* of 5m"):
        klines(write(tmp_path, SPOT_MS), interval="5m")


def test_a_short_export_with_only_the_first_seven_columns_loads(tmp_path: Path) -> None:
    (bar,) = klines(write(tmp_path, "1704067200000,1,2,0.5,1.5,10,1704067259999\n"))
    assert (bar.open, bar.volume, bar.ts_event) == (Decimal(1), Decimal(10), 1_704_067_260_000_000_000)


def test_intervals_over_a_day_are_refused(tmp_path: Path) -> None:
    week = "1703462400000,1,2,0.5,1.5,10,1704067199999\n"
    with pytest.raises(DataFileError, match="line 1: open and close times do not give a bar interval"):
        klines(write(tmp_path, week))


def test_time_going_back_names_the_line(tmp_path: Path) -> None:
    lines = SPOT_MS.splitlines(keepends=True)
    with pytest.raises(DataFileError, match="line 2: close time 1704067259999 is not after"):
        klines(write(tmp_path, lines[0] + lines[0]))


# -- any file of the layout ---------------------------------------------------------------------------

PRICE = st.integers(1, 10**9).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def kline_rows(draw: st.DrawFn) -> list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    """1-minute klines at increasing open times (ms), with high >= open, close >= low."""
    start = draw(st.integers(1_500_000_000_000, 1_800_000_000_000)) // 60_000 * 60_000
    rows = []
    for n in range(draw(st.integers(1, 20))):
        open_, close = draw(PRICE), draw(PRICE)
        high = max(open_, close) + draw(PRICE)
        low = min(open_, close) - min(open_, close, draw(PRICE)) / 2
        volume = Decimal(draw(st.integers(0, 10**9))).scaleb(-5)
        rows.append((start + n * 60_000, open_, high, low, close, volume))
    return rows


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=kline_rows(), header=st.booleans(), columns=st.sampled_from([7, 12]))
def test_any_kline_file_loads_every_row_exactly_stamped_at_its_end(
    tmp_path: Path,
    rows: list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]],
    header: bool,
    columns: int,
) -> None:
    lines = (
        ["open_time,open,high,low,close,volume,close_time,quote_volume,count,tbv,tbqv,ignore\n"]
        if header
        else []
    )
    for open_ms, o, h, lo, c, v in rows:
        cells = [str(open_ms), str(o), str(h), str(lo), str(c), str(v), str(open_ms + 59_999)]
        cells += ["1.5", "7", "0.5", "0.25", "0"][: columns - 7]
        lines.append(",".join(cells) + "\n")
    path = write(tmp_path, "".join(lines))

    loaded = klines(path, interval="1m")

    assert [(b.ts_event, b.open, b.high, b.low, b.close, b.volume) for b in loaded] == [
        ((open_ms + 60_000) * 1_000_000, o, h, lo, c, v) for open_ms, o, h, lo, c, v in rows
    ]
    assert all(b.interval == "1m" for b in loaded)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=kline_rows(), data=st.data())
def test_one_damaged_cell_anywhere_is_reported_at_its_line_never_loaded(
    tmp_path: Path, rows: list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]], data: st.DataObject
) -> None:
    lines = [",".join(map(str, (*row, row[0] + 59_999))) for row in rows]
    bad_line = data.draw(st.integers(0, len(lines) - 1))
    cells = lines[bad_line].split(",")
    cells[data.draw(st.integers(0, 5))] = data.draw(st.sampled_from(["", "x", "1e", "--1", "nan"]))
    lines[bad_line] = ",".join(cells)
    path = write(tmp_path, "\n".join(lines) + "\n")

    with pytest.raises(DataFileError, match=rf"line {bad_line + 1}\b"):
        klines(path, interval="1m")
