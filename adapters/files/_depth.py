"""Binance historical order-book CSVs to ``OrderBookSnapshot`` / ``OrderBookDelta`` messages, so a backtest
can rebuild the book the way the live adapter does."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from decimal import Decimal
from os import PathLike
from pathlib import Path

from adapters.files._parse import BadRow, column, epoch_ns, number
from adapters.files._source import LoadStats, existing_file, open_csv
from engine.messages import BookLevel, OrderBookDelta, OrderBookSnapshot

DEPTH_COLUMNS = (
    "symbol", "timestamp", "first_update_id", "last_update_id", "side", "update_type", "price", "qty", "pu"
)
_DEPTH_HEADER = ",".join(DEPTH_COLUMNS)
_SNAP, _SET = "snap", "set"
_MIN = -(1 << 63)

BookMessage = OrderBookSnapshot | OrderBookDelta


def load_binance_depth_csv(
    snapshot_path: str | PathLike[str],
    update_path: str | PathLike[str] | None = None,
    *,
    exchange_id: str,
    symbol: str,
    skip_bad_rows: bool = False,
    stats: LoadStats | None = None,
) -> Iterator[BookMessage]:
    """Stream a Binance USD-M futures order-book CSV (``symbol,timestamp,first_update_id,last_update_id,side,
    update_type,price,qty,pu``), or a snapshot file and an update file merged in time order.

    Consecutive rows with the same ``update_type`` and ``last_update_id`` are one venue message:
    ``snap`` rows become one ``OrderBookSnapshot`` (``sequence = last_update_id``), ``set`` rows one
    ``OrderBookDelta`` (``sequence = last_update_id``, ``first_sequence = first_update_id``,
    ``prev_sequence = pu``; a ``qty`` of 0 deletes the level). Whether a delta follows the snapshot is
    the order book's call (``engine.components.data.book``), not the loader's. Times are epoch ms; they
    must not decrease within a file; at equal times the first file's messages come first. The ``symbol``
    column is not checked: ``symbol`` names the instrument in the engine.
    """
    files = [existing_file(snapshot_path)]
    if update_path is not None:
        files.append(existing_file(update_path))
    streams = [_book_messages(file, exchange_id, symbol, skip_bad_rows, stats) for file in files]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=_time)


def _time(message: BookMessage) -> int:
    return message.ts_event


def _book_messages(
    file: Path, exchange_id: str, symbol: str, skip_bad_rows: bool, stats: LoadStats | None
) -> Iterator[BookMessage]:
    """One file's messages: rows are gathered until the (update_type, last_update_id) key changes."""
    dec = Decimal
    key: tuple[str, int] | None = None
    head = (0, 0, 0)  # the update's (timestamp ns, first_update_id, pu), which all its rows repeat
    bids: list[BookLevel] = []
    asks: list[BookLevel] = []
    with open_csv(file, skip_bad_rows, stats) as source:
        first = source.first_row()
        if [name.strip().lower() for name in first] != list(DEPTH_COLUMNS):
            raise source.fail(f"expected the header {_DEPTH_HEADER!r}, got {','.join(first)!r}")
        for row in source.reader:
            try:
                _, t, first_text, last_text, side, kind, price_text, qty_text, pu_text = row
                row_key = (kind, int(last_text))
                row_head = (epoch_ns(t), int(first_text), int(pu_text))
                level = BookLevel(dec(price_text), dec(qty_text))
                is_bid = side == "b"
                same = row_key == key
                good = (
                    (is_bid or side == "a") and kind in (_SNAP, _SET)
                    and level.price > 0 and level.size >= 0
                    and level.price.is_finite() and level.size.is_finite()
                    and (row_head == head if same else row_head[0] >= head[0])
                )
            except (ValueError, ArithmeticError):
                good = False
            if not good:
                if row:
                    source.reject(_depth_problem(row, key, head))
                continue
            if not same:
                if key is not None:
                    yield _message(key, head, bids, asks, exchange_id=exchange_id, symbol=symbol)
                key, head, bids, asks = row_key, row_head, [], []
            (bids if is_bid else asks).append(level)
            source.rows += 1
        if key is not None:
            yield _message(key, head, bids, asks, exchange_id=exchange_id, symbol=symbol)


def _message(
    key: tuple[str, int],
    head: tuple[int, int, int],
    bids: list[BookLevel],
    asks: list[BookLevel],
    *,
    exchange_id: str,
    symbol: str,
) -> BookMessage:
    kind, sequence = key
    ts, first_id, prev_id = head
    if kind == _SNAP:
        return OrderBookSnapshot(
            ts_event=ts, ts_init=ts, exchange_id=exchange_id, symbol=symbol,
            bids=tuple(bids), asks=tuple(asks), sequence=sequence,
        )
    return OrderBookDelta(
        ts_event=ts, ts_init=ts, exchange_id=exchange_id, symbol=symbol, bids=tuple(bids), asks=tuple(asks),
        sequence=sequence, first_sequence=first_id, prev_sequence=prev_id,
    )


def _depth_problem(row: list[str], key: tuple[str, int] | None, head: tuple[int, int, int]) -> str:
    try:
        if len(row) != len(DEPTH_COLUMNS):
            raise BadRow(f"expected {len(DEPTH_COLUMNS)} columns ({_DEPTH_HEADER}), got {len(row)}")
        row_ts = column(row, 1, "timestamp", epoch_ns, "an epoch time in ms")
        ids = [column(row, i, DEPTH_COLUMNS[i], int, "an integer") for i in (2, 3, 8)]
        if row[4] not in ("b", "a"):
            raise BadRow(f"column 'side': {row[4]!r} is not b or a")
        if row[5] not in (_SNAP, _SET):
            raise BadRow(f"column 'update_type': {row[5]!r} is not snap or set")
        if number(row, 6, "price") <= 0:
            raise BadRow(f"column 'price': {row[6]!r} is not positive")
        if number(row, 7, "qty") < 0:
            raise BadRow(f"column 'qty': {row[7]!r} is negative")
        if (row[5], ids[1]) == key:
            if (row_ts, ids[0], ids[2]) != head:
                raise BadRow("timestamp, first_update_id or pu differ from the update's earlier rows")
        elif row_ts < head[0]:
            raise BadRow(f"timestamp {row[1]} is before the previous update's: times must not decrease")
    except BadRow as exc:
        return str(exc)
    return "unreadable row"
