"""OHLCV bar files to ``Bar`` messages: the plain ``timestamp,open,high,low,close,volume`` CSV and Binance
kline CSVs, each stamped at the bar's close so a backtest never sees a bar before it is complete."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from itertools import chain, islice
from os import PathLike
from pathlib import Path
from typing import Literal

import structlog

from adapters.files._parse import (
    BadRow,
    check_columns,
    check_ohlcv,
    column,
    epoch_unit_ns,
    interval_name,
    iso_ns,
    number,
)
from adapters.files._source import CsvSource, LoadStats, existing_file, open_csv
from engine.components.data.bars import time_interval_ns
from engine.errors import DataFileError
from engine.messages import Bar

_log = structlog.get_logger(__name__)

BAR_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
_BAR_HEADER = ",".join(BAR_COLUMNS)
_KLINE_COLUMNS = ("open_time", "open", "high", "low", "close", "volume", "close_time")
_KLINE_NAMES = ",".join(_KLINE_COLUMNS) + ",..."
_MIN = -(1 << 63)

_Values = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]


def load_bar_csv(
    path: str | PathLike[str],
    *,
    exchange_id: str,
    symbol: str,
    interval: str | None = "1m",
    timestamp: Literal["open", "close"] = "open",
    skip_bad_rows: bool = False,
    stats: LoadStats | None = None,
) -> Iterator[Bar]:
    """Stream the bars of a ``timestamp,open,high,low,close,volume`` CSV (header required; naive UTC
    ``YYYY-MM-DD HH:MM:SS[.fffffffff]`` or any ISO 8601 time; ``.gz``/``.zip`` by magic bytes).

    ``timestamp="open"`` (the default) reads the time as the bar's open, so ``ts_event = timestamp +
    interval``: venues key a kline by its open time (FTX ``startTime``, Binance ``open time``) and
    exports of them keep it. ``"close"`` is for files stamped at the bar's end. Getting this or the
    interval wrong shifts every bar: too early is look-ahead bias. ``interval=None`` infers it from the
    first two rows; a given interval is checked for validity only, as missing rows are normal.
    Timestamps must strictly increase. ``ts_init = ts_event``. Volume is whatever the file holds
    (the bundled FTX file's is USD notional).

    Raises ``ValueError`` for a bad argument and ``DataFileError`` for a missing file at once; file
    errors (a bad row, time not increasing, no rows) when iterated, naming the line.
    """
    file = existing_file(path)
    if interval is not None:
        time_interval_ns(interval)
    if timestamp not in ("open", "close"):
        raise ValueError(f"timestamp must be 'open' or 'close', not {timestamp!r}")
    return _bars(
        file, exchange_id=exchange_id, symbol=symbol, interval=interval, at_open=timestamp == "open",
        skip_bad_rows=skip_bad_rows, stats=stats,
    )


def _bars(
    file: Path,
    *,
    exchange_id: str,
    symbol: str,
    interval: str | None,
    at_open: bool,
    skip_bad_rows: bool,
    stats: LoadStats | None,
) -> Iterator[Bar]:
    with open_csv(file, skip_bad_rows, stats) as source:
        header = source.first_row()
        if [name.strip().lower() for name in header] != list(BAR_COLUMNS):
            raise source.fail(f"expected the header {_BAR_HEADER!r}, got {','.join(header)!r}")
        rows = _bar_values(source)
        if interval is None:
            first = list(islice(rows, 2))
            if len(first) == 2:
                try:
                    interval = interval_name(first[1][0] - first[0][0])
                except ValueError as exc:
                    raise DataFileError(file, None, f"cannot infer the bar interval: {exc}") from None
            elif first:
                raise DataFileError(file, None, "cannot infer the bar interval from one row: pass interval=")
            rows = chain(first, rows)
        length = time_interval_ns(interval) if interval is not None else 0
        shift = length if at_open else 0
        overlap_seen = False
        previous = _MIN
        for stamp, open_, high, low, close, volume in rows:
            if stamp - previous < length and not overlap_seen:
                overlap_seen = True
                _log.warning(
                    "data_file_bars_overlap", file=str(file), line=source.line, interval=interval,
                    hint="rows are closer together than the interval: is the interval right?",
                )
            previous = stamp
            ts = stamp + shift
            yield Bar(
                ts_event=ts,
                ts_init=ts,
                exchange_id=exchange_id,
                symbol=symbol,
                interval=interval or "",
                open=open_,
                high=high,
                low=low,
                close=close,
                volume=volume,
            )


def _bar_values(source: CsvSource) -> Iterator[_Values]:
    """The hot loop: one try around the whole row; only a bad row pays for finding out what is wrong."""
    dec = Decimal
    previous = _MIN
    for row in source.reader:
        try:
            text, o, h, lo, c, v = row
            ts = iso_ns(text)
            open_, high, low, close, volume = dec(o), dec(h), dec(lo), dec(c), dec(v)
            # NaN fails the comparisons (InvalidOperation); with 0 < low <= open, close <= high, only
            # high and volume can still be infinite.
            good = (
                ts > previous and 0 < low <= open_ <= high and low <= close <= high and volume >= 0
                and high.is_finite() and volume.is_finite()
            )
        except (ValueError, ArithmeticError):
            good = False
        if good:
            previous = ts
            source.rows += 1
            yield ts, open_, high, low, close, volume
        elif row:  # a blank line is not a row
            source.reject(_bar_problem(row, previous))


def _bar_problem(row: list[str], previous: int) -> str:
    try:
        if len(row) != len(BAR_COLUMNS):
            raise BadRow(f"expected {len(BAR_COLUMNS)} columns ({_BAR_HEADER}), got {len(row)}")
        ts = column(row, 0, "timestamp", iso_ns, "a timestamp")
        open_, high, low, close, volume = (number(row, i, BAR_COLUMNS[i]) for i in range(1, 6))
        check_ohlcv(open_, high, low, close, volume)
        if ts <= previous:
            raise BadRow(f"timestamp {row[0]!r} is not after the previous row's: timestamps must increase")
    except BadRow as exc:
        return str(exc)
    return "unreadable row"


def load_binance_klines(
    path: str | PathLike[str],
    *,
    exchange_id: str,
    symbol: str,
    interval: str | None = None,
    skip_bad_rows: bool = False,
    stats: LoadStats | None = None,
) -> Iterator[Bar]:
    """Stream the bars of a Binance kline CSV (data.binance.vision ``klines`` files, spot or futures).

    Columns: open time, open, high, low, close, volume (base asset), close time, quote volume, trades,
    taker buy base, taker buy quote, ignore; only the first seven are read, so the 12-column files and
    shorter exports both load. An ``open_time,...`` header line (futures files since 2022) is skipped.

    Binance's close time is the last instant of the bar (open + interval - 1 ms), so ``ts_event =
    close time + 1`` unit, the bar's exclusive end, matching ``Bar`` and the engine's aggregators.
    Times are epoch milliseconds, or microseconds in spot files from 2025 on (data.binance.vision
    switched): the unit is told per row by magnitude (see ``epoch_unit_ns``). ``interval=None``
    infers it from the first row's open and close times; either way each row's span must match it.
    Intervals over 1d (3d, 1w, 1M) are refused, as the engine's bar intervals stop at 1d.
    """
    file = existing_file(path)
    length = time_interval_ns(interval) if interval is not None else None
    return _klines(
        file, exchange_id=exchange_id, symbol=symbol, interval=interval, length=length,
        skip_bad_rows=skip_bad_rows, stats=stats,
    )


def _klines(
    file: Path,
    *,
    exchange_id: str,
    symbol: str,
    interval: str | None,
    length: int | None,
    skip_bad_rows: bool,
    stats: LoadStats | None,
) -> Iterator[Bar]:
    dec = Decimal
    previous = _MIN
    with open_csv(file, skip_bad_rows, stats) as source:
        first = source.first_row()
        rows: Iterator[list[str]] = source.reader
        if first[0].strip().isdigit():
            rows = chain([first], rows)
        elif first[0].strip().lower() != "open_time":
            raise source.fail(f"expected a kline row or an 'open_time,...' header, got {','.join(first)!r}")
        for row in rows:
            try:
                open_raw, o, h, lo, c, v, close_raw = row[:7]
                opened, closed = int(open_raw), int(close_raw)
                unit = epoch_unit_ns(closed)
                span = (closed + 1 - opened) * unit
                if length is None:
                    interval = interval_name(span)
                    length = span
                ts = (closed + 1) * unit
                open_, high, low, close, volume = dec(o), dec(h), dec(lo), dec(c), dec(v)
                good = (
                    ts > previous and span == length and 0 < low <= open_ <= high and low <= close <= high
                    and volume >= 0 and high.is_finite() and volume.is_finite()
                )
            except (ValueError, ArithmeticError):
                good = False
            if good:
                previous = ts
                source.rows += 1
                yield Bar(
                    ts_event=ts,
                    ts_init=ts,
                    exchange_id=exchange_id,
                    symbol=symbol,
                    interval=interval or "",
                    open=open_,
                    high=high,
                    low=low,
                    close=close,
                    volume=volume,
                )
            elif row:
                source.reject(_kline_problem(row, previous, length, interval))


def _kline_problem(row: list[str], previous: int, length: int | None, interval: str | None) -> str:
    try:
        check_columns(row, len(_KLINE_COLUMNS), _KLINE_NAMES)
        opened = column(row, 0, "open_time", int, "an integer")
        closed = column(row, 6, "close_time", int, "an integer")
        unit = column(row, 6, "close_time", lambda text: epoch_unit_ns(int(text)), "epoch ms or us")
        span = (closed + 1 - opened) * unit
        if length is None:
            try:
                interval_name(span)
            except ValueError as exc:
                raise BadRow(f"open and close times do not give a bar interval: {exc}") from None
        elif span != length:
            raise BadRow(f"open to close time is {span} ns, not the {length} ns of {interval}")
        open_, high, low, close, volume = (number(row, i, _KLINE_COLUMNS[i]) for i in range(1, 6))
        check_ohlcv(open_, high, low, close, volume)
        if (closed + 1) * unit <= previous:
            raise BadRow(f"close time {row[6]} is not after the previous row's: times must increase")
    except BadRow as exc:
        return str(exc)
    return "unreadable row"
