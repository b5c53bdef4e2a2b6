"""One entry point for a data file whose format the caller need not name: ``load_data`` reads the first line
and hands the file to the loader that reads it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from os import PathLike
from typing import Literal, get_args

from adapters.files._bars import BAR_COLUMNS, load_bar_csv, load_binance_klines
from adapters.files._depth import DEPTH_COLUMNS, load_binance_depth_csv
from adapters.files._source import LoadStats, existing_file, open_text
from adapters.files._trades import load_trade_csv
from engine.errors import DataFileError
from engine.messages import Bar, OrderBookDelta, OrderBookSnapshot, TradeTick

DataFormat = Literal["bar_csv", "binance_klines", "trades", "binance_depth"]
_FORMATS = get_args(DataFormat)
_TRADE_TIME = ("timestamp", "time", "transact_time")
_KLINE_COLUMNS = 12

MarketData = Bar | TradeTick | OrderBookSnapshot | OrderBookDelta


def detect_format(path: str | PathLike[str]) -> DataFormat:
    """The format of a data file, from its first non-blank line.

    ``timestamp,open,high,low,close,volume`` is ``bar_csv``; an ``open_time`` header or a 12-column
    numeric row ``binance_klines``; the Binance depth header ``binance_depth``; a header with a price
    and a time column, or a 6-8 column numeric row, ``trades``. A JSON object is an event journal,
    which ``replay`` reads, not a loader.
    """
    file = existing_file(path)
    try:
        with open_text(file) as text:
            line = next((line for line in text if line.strip()), "")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataFileError(file, None, f"cannot read the file: {exc}") from exc
    if not line:
        raise DataFileError(file, None, "the file is empty")
    if line.lstrip().startswith("{"):
        raise DataFileError(
            file, 1, "this looks like an event journal (a JSON header line), not a data file: use `replay`"
        )
    fields = [field.strip().lower() for field in next(csv.reader([line]))]
    if fields == list(BAR_COLUMNS):
        return "bar_csv"
    if fields == list(DEPTH_COLUMNS):
        return "binance_depth"
    if fields[0] == "open_time" or (fields[0].isdigit() and len(fields) == _KLINE_COLUMNS):
        return "binance_klines"
    if ("price" in fields and any(name in fields for name in _TRADE_TIME)) or (
        fields[0].isdigit() and 6 <= len(fields) <= 8
    ):
        return "trades"
    raise DataFileError(file, 1, f"unknown data file format; the first line is {line.strip()[:120]!r}")


def load_data(
    path: str | PathLike[str],
    *,
    exchange_id: str,
    symbol: str,
    format: DataFormat | Literal["auto"] = "auto",
    interval: str | None = None,
    skip_bad_rows: bool = False,
    stats: LoadStats | None = None,
) -> Iterator[MarketData]:
    """Stream the messages of a market-data file with the loader its format needs (``detect_format`` for
    ``"auto"``). ``interval=None`` lets bar loaders infer it; bar CSVs are read with ``timestamp="open"``."""
    chosen = detect_format(path) if format == "auto" else format
    if chosen not in _FORMATS:
        raise ValueError(f"format must be 'auto' or one of {', '.join(_FORMATS)}, not {format!r}")
    if chosen == "bar_csv":
        return load_bar_csv(
            path, exchange_id=exchange_id, symbol=symbol, interval=interval,
            skip_bad_rows=skip_bad_rows, stats=stats,
        )
    if chosen == "binance_klines":
        return load_binance_klines(
            path, exchange_id=exchange_id, symbol=symbol, interval=interval,
            skip_bad_rows=skip_bad_rows, stats=stats,
        )
    if chosen == "trades":
        return load_trade_csv(
            path, exchange_id=exchange_id, symbol=symbol, skip_bad_rows=skip_bad_rows, stats=stats
        )
    return load_binance_depth_csv(
        path, exchange_id=exchange_id, symbol=symbol, skip_bad_rows=skip_bad_rows, stats=stats
    )
