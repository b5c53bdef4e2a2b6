"""Bad input never passes silently: each loader names the file and the 1-based line, or skips and counts."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.files import (
    DataFileError,
    LoadStats,
    load_bar_csv,
    load_binance_depth_csv,
    load_binance_klines,
    load_trade_csv,
)
from engine.errors import EngineError

BAR_HEADER = "timestamp,open,high,low,close,volume\n"
GOOD_BAR = "2024-03-01 00:00:00,10,12,9,11,5\n"
KLINE = "1704067200000,1,2,0.5,1.5,10,1704067259999,15,3,5,7.5,0\n"
DEPTH_HEADER = "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n"
DEPTH = "BTCUSDT,1667347199939,5,9,b,set,100.0,1,4\n"

Loader = Callable[..., Iterator[object]]

CASES: list[tuple[str, Loader, str, str]] = [
    (
        "bar: a word for a price",
        load_bar_csv,
        BAR_HEADER + GOOD_BAR + "2024-03-01 00:01:00,10,12,9,abc,5\n",
        "line 3: column 'close': 'abc' is not a number",
    ),
    (
        "bar: NaN",
        load_bar_csv,
        BAR_HEADER + "2024-03-01 00:01:00,NaN,12,9,11,5\n",
        "line 2: column 'open': 'NaN' is not a finite number",
    ),
    (
        "bar: infinite high",
        load_bar_csv,
        BAR_HEADER + "2024-03-01 00:01:00,10,Infinity,9,11,5\n",
        "line 2: column 'high': 'Infinity' is not a finite number",
    ),
    (
        "bar: a column short",
        load_bar_csv,
        BAR_HEADER + GOOD_BAR + "2024-03-01 00:01:00,10,12,9,11\n",
        "line 3: expected 6 columns",
    ),
    (
        "bar: bad time",
        load_bar_csv,
        BAR_HEADER + "yesterday,10,12,9,11,5\n",
        "line 2: column 'timestamp': 'yesterday' is not a timestamp",
    ),
    (
        "bar: open above high",
        load_bar_csv,
        BAR_HEADER + "2024-03-01 00:01:00,13,12,9,11,5\n",
        "line 2: open 13 is above high 12",
    ),
    (
        "bar: close below low",
        load_bar_csv,
        BAR_HEADER + "2024-03-01 00:01:00,10,12,9,8,5\n",
        "line 2: close 8 is below low 9",
    ),
    (
        "bar: zero low",
        load_bar_csv,
        BAR_HEADER + "2024-03-01 00:01:00,10,12,0,11,5\n",
        "line 2: low 0 is not positive",
    ),
    (
        "bar: negative volume",
        load_bar_csv,
        BAR_HEADER + "2024-03-01 00:01:00,10,12,9,11,-5\n",
        "line 2: volume -5 is negative",
    ),
    (
        "bar: line numbers count blank lines",
        load_bar_csv,
        BAR_HEADER + "\n" + GOOD_BAR + "\nx\n",
        "line 5: expected 6 columns",
    ),
    ("bar: wrong header", load_bar_csv, "time,o,h,l,c,v\n" + GOOD_BAR, "line 1: expected the header"),
    ("bar: header only", load_bar_csv, BAR_HEADER, "no data rows"),
    ("bar: empty file", load_bar_csv, "", "the file is empty"),
    ("bar: blank lines only", load_bar_csv, "\n\n", "the file is empty"),
    (
        "kline: a decimal open time",
        load_binance_klines,
        KLINE + "1704067260000.5,1,2,0.5,1.5,10,1704067319999\n",
        "line 2: column 'open_time': '1704067260000.5' is not an integer",
    ),
    (
        "kline: seconds, not ms",
        load_binance_klines,
        "1704067200,1,2,0.5,1.5,10,1704067259\n",
        "line 1: column 'close_time': '1704067259' is not epoch ms or us",
    ),
    (
        "kline: four columns",
        load_binance_klines,
        KLINE + "1704067260000,1,2,0.5\n",
        "line 2: expected 7 columns",
    ),
    ("kline: a strange header", load_binance_klines, "time,open\n", "line 1: expected a kline row"),
    (
        "trade: a third boolean",
        load_trade_csv,
        "1,10,1,10,1704067200000,true\n2,10,1,10,1704067200000,maybe\n",
        "line 2: column 'is_buyer_maker': 'maybe' is not true or false",
    ),
    (
        "trade: an unknown side",
        load_trade_csv,
        "timestamp,price,quantity,side\n1704067200000,1,1,up\n",
        "line 2: column 'side': 'up' is not buy, sell, b, s or empty",
    ),
    (
        "trade: a zero price",
        load_trade_csv,
        "timestamp,price,quantity\n1704067200000,0,1\n",
        "line 2: column 'price': '0' is not positive",
    ),
    (
        "trade: a bad time",
        load_trade_csv,
        "timestamp,price,quantity\nnoon,1,1\n",
        "line 2: column 'timestamp': 'noon' is not an epoch ms/us/ns integer or ISO time",
    ),
    (
        "trade: a short row",
        load_trade_csv,
        "timestamp,price,quantity,trade_id\n1704067200000,1\n",
        "line 2: expected 4 columns",
    ),
    (
        "depth: a side that is neither",
        load_binance_depth_csv,
        DEPTH_HEADER + DEPTH.replace(",b,", ",x,"),
        "line 2: column 'side': 'x' is not b or a",
    ),
    (
        "depth: an unknown update type",
        load_binance_depth_csv,
        DEPTH_HEADER + DEPTH.replace(",set,", ",add,"),
        "line 2: column 'update_type': 'add' is not snap or set",
    ),
    (
        "depth: a negative quantity",
        load_binance_depth_csv,
        DEPTH_HEADER + DEPTH + DEPTH.replace(",1,4", ",-1,4"),
        "line 3: column 'qty': '-1' is negative",
    ),
    (
        "depth: a later update that is older",
        load_binance_depth_csv,
        DEPTH_HEADER + DEPTH + "BTCUSDT,1667347199000,10,12,a,set,101.0,0,9\n",
        "line 3: timestamp 1667347199000 is before the previous update's",
    ),
    ("depth: no header", load_binance_depth_csv, DEPTH, "line 1: expected the header"),
]


def run(loader: Loader, path: Path, **options: object) -> list[object]:
    return list(loader(path, exchange_id="x", symbol="y", **options))


@pytest.mark.parametrize(("case", "loader", "text", "reason"), CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_a_data_file_error_naming_file_and_line(
    tmp_path: Path, case: str, loader: Loader, text: str, reason: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(DataFileError) as raised:
        run(loader, path)
    assert str(raised.value).startswith(f"{path}: ")
    assert reason in str(raised.value)
    assert isinstance(raised.value, EngineError)


def test_a_missing_file_or_a_directory_fails_at_the_call(tmp_path: Path) -> None:
    for loader in (load_bar_csv, load_binance_klines, load_trade_csv, load_binance_depth_csv):
        with pytest.raises(DataFileError, match="no such file"):
            loader(tmp_path / "missing.csv", exchange_id="x", symbol="y")
        with pytest.raises(DataFileError, match="is a directory"):
            loader(tmp_path, exchange_id="x", symbol="y")


def test_bytes_that_are_not_text_or_a_truncated_gzip_cannot_be_read(tmp_path: Path) -> None:
    binary = tmp_path / "binary.csv"
    binary.write_bytes(BAR_HEADER.encode() + b"\xff\xfe\x00garbage\n")
    with pytest.raises(DataFileError, match="cannot read the file"):
        run(load_bar_csv, binary)
    truncated = tmp_path / "bars.csv.gz"
    truncated.write_bytes(gzip.compress((BAR_HEADER + GOOD_BAR * 100).encode())[:-30])
    with pytest.raises(DataFileError, match="cannot read the file"):
        run(load_bar_csv, truncated)


def test_skip_bad_rows_counts_and_logs_them_and_keeps_the_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv"
    good = "timestamp,price,quantity\n1704067200000,1,1\n"
    path.write_text(good + "1704067200001,x,1\n" * 12 + "1704067200002,2,1\n")
    stats = LoadStats()
    with capture_logs() as logs:
        loaded = run(load_trade_csv, path, skip_bad_rows=True, stats=stats)
    assert len(loaded) == 2
    assert stats == LoadStats(rows=2, skipped=12)
    skipped = [log for log in logs if log["event"] == "data_file_row_skipped"]
    assert len(skipped) == 10  # then only counted
    assert skipped[0]["line"] == 3 and "column 'price': 'x' is not a number" in skipped[0]["reason"]
    assert [log["skipped"] for log in logs if log["event"] == "data_file_rows_skipped"] == [12]


def test_skip_bad_rows_also_drops_a_row_whose_time_goes_back(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        BAR_HEADER + "2024-03-01 00:01:00,1,1,1,1,1\n" + GOOD_BAR + "2024-03-01 00:02:00,1,1,1,1,1\n"
    )
    stats = LoadStats()
    assert len(run(load_bar_csv, path, skip_bad_rows=True, stats=stats)) == 2
    assert stats.skipped == 1
