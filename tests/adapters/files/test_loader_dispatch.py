"""load_data / detect_format: the first line picks the loader; a journal is sent to `replay`."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from adapters.files import DataFileError, LoadStats, detect_format, load_data
from engine.messages import Bar, OrderBookSnapshot, TradeTick

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"

FILES = {
    "bar_csv": "timestamp,open,high,low,close,volume\n"
    "2024-03-01 00:00:00,1,1,1,1,1\n2024-03-01 00:01:00,1,1,1,1,1\n",
    "binance_klines": "1704067200000,1,2,0.5,1.5,10,1704067259999,15,3,5,7.5,0\n",
    "trades": "3343224963,42283.58,0.001,42.28,1704067200012,True,True\n",
    "binance_depth": "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n"
    "BTCUSDT,1667346579146,7,7,b,snap,20377.00,1.770,-1\n",
}
KINDS = {"bar_csv": Bar, "binance_klines": Bar, "trades": TradeTick, "binance_depth": OrderBookSnapshot}


@pytest.mark.parametrize("name", FILES)
def test_the_first_line_tells_the_format_even_gzipped(tmp_path: Path, name: str) -> None:
    path = tmp_path / "data"  # no telling extension on purpose
    path.write_bytes(gzip.compress(FILES[name].encode()))
    assert detect_format(path) == name
    messages = list(load_data(path, exchange_id="binance", symbol="BTCUSDT"))
    assert messages and all(type(message) is KINDS[name] for message in messages)


def test_the_bundled_files_are_recognised() -> None:
    assert detect_format(DATA / "btc-perp-1m.csv") == "bar_csv"
    assert detect_format(DATA / "btcusdt-depth-snap.csv") == "binance_depth"
    stats = LoadStats()
    bars = load_data(DATA / "btc-perp-1m.csv", exchange_id="ftx", symbol="BTC-PERP", stats=stats)
    assert sum(1 for _ in bars) == 45_031 and stats.rows == 45_031


def test_a_journal_is_refused_with_a_pointer_to_replay(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text('{"format": "metaexpert-journal", "version": 1}\n{"type": "TradeTick"}\n')
    with pytest.raises(DataFileError, match="use `replay`"):
        load_data(path, exchange_id="x", symbol="y")


def test_an_unknown_first_line_is_an_error_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n")
    with pytest.raises(
        DataFileError, match="line 1: unknown data file format; the first line is 'hello,world'"
    ):
        load_data(path, exchange_id="x", symbol="y")


def test_a_named_format_skips_detection_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(FILES["bar_csv"])
    assert len(list(load_data(path, exchange_id="x", symbol="y", format="bar_csv", interval="1m"))) == 2
    with pytest.raises(ValueError, match="format must be"):
        load_data(path, exchange_id="x", symbol="y", format="parquet")  # type: ignore[arg-type]
