"""Trade CSV files to ``TradeTick`` messages: Binance ``trades`` and ``aggTrades`` files (with or without
their header) and a generic ``timestamp,price,quantity[,side][,trade_id]`` layout."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from os import PathLike
from pathlib import Path

from adapters.files._parse import BadRow, check_columns, column, epoch_ns, number
from adapters.files._source import CsvSource, LoadStats, existing_file, open_csv
from engine.messages import TradeTick
from engine.model.enums import OrderSide

_MIN = -(1 << 63)


def _spellings(words: Mapping[str, OrderSide | None]) -> dict[str, OrderSide | None]:
    return {form: side for word, side in words.items() for form in (word, word.upper(), word.capitalize())}


# Binance ``is_buyer_maker``: the buyer's order rested in the book, so the seller took it (aggressor SELL).
# Spot files write True/False, futures files true/false.
_BUYER_MAKER = _spellings({"true": OrderSide.SELL, "false": OrderSide.BUY})
_SIDE = _spellings(
    {"buy": OrderSide.BUY, "b": OrderSide.BUY, "sell": OrderSide.SELL, "s": OrderSide.SELL, "": None}
)

# Header names, Binance's and the generic layout's, to the field they fill; other columns are ignored.
_FIELDS = {
    "timestamp": "timestamp", "time": "timestamp", "transact_time": "timestamp",
    "price": "price",
    "quantity": "quantity", "qty": "quantity",
    "trade_id": "trade_id", "id": "trade_id", "agg_trade_id": "trade_id",
    "side": "side", "is_buyer_maker": "is_buyer_maker",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layout:
    """Where a trade's fields are in a row (``-1``: the layout lacks it), and how to read the side."""

    name: str
    columns: int
    timestamp: int
    price: int
    quantity: int
    trade_id: int
    side: int
    side_name: str
    sides: Mapping[str, OrderSide | None]


# data.binance.vision, headerless: spot trades have 7 columns (with is_best_match), futures 6; spot
# aggTrades 8, futures 7. The 7-column pair is told apart by column 6: a boolean only in trades.
_TRADES = _Layout(
    name="binance trades (id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match])",
    columns=6, timestamp=4, price=1, quantity=2, trade_id=0,
    side=5, side_name="is_buyer_maker", sides=_BUYER_MAKER,
)
_AGG_TRADES = _Layout(
    name="binance aggTrades (agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,...)",
    columns=7, timestamp=5, price=1, quantity=2, trade_id=0,
    side=6, side_name="is_buyer_maker", sides=_BUYER_MAKER,
)


def load_trade_csv(
    path: str | PathLike[str],
    *,
    exchange_id: str,
    symbol: str,
    skip_bad_rows: bool = False,
    stats: LoadStats | None = None,
) -> Iterator[TradeTick]:
    """Stream the trades of a CSV file, telling its layout from the first line.

    - A header names the columns: ``timestamp`` (or Binance's ``time``/``transact_time``), ``price``,
      ``quantity`` (or ``qty``), optional ``trade_id`` (or ``id``/``agg_trade_id``) and either ``side``
      (``buy``/``sell``/``b``/``s``, empty for unknown) or Binance's ``is_buyer_maker``. Other columns
      are ignored, so Binance's own headers load too.
    - Without a header the row must be a Binance file: ``trades`` (6 or 7 columns, column 6 a boolean)
      or ``aggTrades`` (7 or 8 columns).

    ``is_buyer_maker`` true means the seller was the aggressor. Timestamps are integer epoch ms, us or
    ns (told by magnitude: Binance spot files are in microseconds from 2025) or ISO 8601 (naive = UTC),
    and must not decrease: trades in the same millisecond are normal. ``ts_init = ts_event``.
    """
    file = existing_file(path)
    return _trades(file, exchange_id, symbol, skip_bad_rows, stats)


def _trades(
    file: Path, exchange_id: str, symbol: str, skip_bad_rows: bool, stats: LoadStats | None
) -> Iterator[TradeTick]:
    dec = Decimal
    previous = _MIN
    with open_csv(file, skip_bad_rows, stats) as source:
        first = source.first_row()
        rows: Iterator[list[str]] = source.reader
        if first[0].strip().isdigit():
            layout = _headerless_layout(source, first)
            rows = chain([first], rows)
        else:
            layout = _header_layout(source, first)
        i_ts, i_price, i_qty, i_id, i_side, sides = (
            layout.timestamp, layout.price, layout.quantity, layout.trade_id, layout.side, layout.sides
        )
        for row in rows:
            try:
                ts = epoch_ns(row[i_ts])
                price, quantity = dec(row[i_price]), dec(row[i_qty])
                side = sides[row[i_side]] if i_side >= 0 else None
                trade_id = row[i_id] if i_id >= 0 else ""
                good = (
                    ts >= previous and price > 0 and quantity > 0
                    and price.is_finite() and quantity.is_finite()
                )
            except (ValueError, ArithmeticError, LookupError):
                good = False
            if good:
                previous = ts
                source.rows += 1
                yield TradeTick(
                    ts_event=ts,
                    ts_init=ts,
                    exchange_id=exchange_id,
                    symbol=symbol,
                    price=price,
                    quantity=quantity,
                    aggressor_side=side,
                    trade_id=trade_id,
                )
            elif row:
                source.reject(_trade_problem(row, layout, previous))


def _headerless_layout(source: CsvSource, row: list[str]) -> _Layout:
    count = len(row)
    column_6_is_boolean = count >= 6 and row[5] in _BUYER_MAKER
    if count in (6, 7) and column_6_is_boolean:
        return _TRADES
    if count in (7, 8):
        return _AGG_TRADES
    raise source.fail(
        f"cannot tell the trade layout of a {count}-column row without a header: expected Binance trades "
        "(6-7 columns, column 6 is_buyer_maker), aggTrades (7-8 columns) or a header line"
    )


def _header_layout(source: CsvSource, header: list[str]) -> _Layout:
    names = [name.strip().lower() for name in header]
    where: dict[str, int] = {}
    for index, name in enumerate(names):
        field = _FIELDS.get(name)
        if field is not None:
            if field in where:
                raise source.fail(f"two columns name the trade's {field}: {header[where[field]]!r}, {name!r}")
            where[field] = index
    missing = [field for field in ("timestamp", "price", "quantity") if field not in where]
    if missing:
        raise source.fail(f"the header {','.join(header)!r} lacks {', '.join(missing)}")
    if "side" in where and "is_buyer_maker" in where:
        raise source.fail("a header names side or is_buyer_maker, not both")
    side_name = "side" if "side" in where else "is_buyer_maker"
    return _Layout(
        name=",".join(names),
        columns=len(names),
        timestamp=where["timestamp"],
        price=where["price"],
        quantity=where["quantity"],
        trade_id=where.get("trade_id", -1),
        side=where.get(side_name, -1),
        side_name=side_name,
        sides=_SIDE if side_name == "side" else _BUYER_MAKER,
    )


def _trade_problem(row: list[str], layout: _Layout, previous: int) -> str:
    try:
        check_columns(row, layout.columns, layout.name)
        ts = column(row, layout.timestamp, "timestamp", epoch_ns, "an epoch ms/us/ns integer or ISO time")
        for index, name in ((layout.price, "price"), (layout.quantity, "quantity")):
            if number(row, index, name) <= 0:
                raise BadRow(f"column {name!r}: {row[index]!r} is not positive")
        if layout.side >= 0 and row[layout.side] not in layout.sides:
            expected = "true or false" if layout.sides is _BUYER_MAKER else "buy, sell, b, s or empty"
            raise BadRow(f"column {layout.side_name!r}: {row[layout.side]!r} is not {expected}")
        if ts < previous:
            raise BadRow(f"timestamp {row[layout.timestamp]!r} is before the previous row's: time went back")
    except BadRow as exc:
        return str(exc)
    return "unreadable row"
