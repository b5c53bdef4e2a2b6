"""load_trade_csv: Binance trades and aggTrades files, with or without header, and the generic layout."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.files import DataFileError, load_trade_csv
from engine.messages import TradeTick
from engine.model.enums import OrderSide

SELL, BUY = OrderSide.SELL, OrderSide.BUY
MS = 1_000_000

# (file text, expected (ts_event, price, quantity, aggressor, trade id) per trade)
LAYOUTS: dict[str, tuple[str, list[tuple[int, str, str, OrderSide | None, str]]]] = {
    "spot trades, no header, 7 columns": (
        "3343224963,42283.58000000,0.00100000,42.28358000,1704067200012,True,True\n"
        "3343224964,42283.59000000,0.01500000,634.25385000,1704067200012,False,True\n",
        [
            (1704067200012 * MS, "42283.58000000", "0.00100000", SELL, "3343224963"),
            (1704067200012 * MS, "42283.59000000", "0.01500000", BUY, "3343224964"),
        ],
    ),
    "futures trades, header, 6 columns": (
        "id,price,qty,quote_qty,time,is_buyer_maker\n"
        "4437541587,42314.00,0.004,169.256,1704067200087,true\n"
        "4437541588,42314.10,0.125,5289.262,1704067200104,false\n",
        [
            (1704067200087 * MS, "42314.00", "0.004", SELL, "4437541587"),
            (1704067200104 * MS, "42314.10", "0.125", BUY, "4437541588"),
        ],
    ),
    "futures trades, no header, 6 columns": (
        "4437541587,42314.00,0.004,169.256,1704067200087,true\n",
        [(1704067200087 * MS, "42314.00", "0.004", SELL, "4437541587")],
    ),
    "spot aggTrades, no header, 8 columns": (
        "2925416452,42283.58000000,0.00100000,3343224963,3343224963,1704067200012,True,True\n"
        "2925416453,42283.59000000,0.02000000,3343224964,3343224965,1704067200013,False,True\n",
        [
            (1704067200012 * MS, "42283.58000000", "0.00100000", SELL, "2925416452"),
            (1704067200013 * MS, "42283.59000000", "0.02000000", BUY, "2925416453"),
        ],
    ),
    "futures aggTrades, header, 7 columns": (
        "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n"
        "1966286580,42314.00,0.004,4437541587,4437541587,1704067200087,true\n",
        [(1704067200087 * MS, "42314.00", "0.004", SELL, "1966286580")],
    ),
    "futures aggTrades, no header, 7 columns": (
        "1966286580,42314.00,0.004,4437541587,4437541587,1704067200087,false\n",
        [(1704067200087 * MS, "42314.00", "0.004", BUY, "1966286580")],
    ),
    "spot trades in microseconds (2025 on)": (
        "4397962800,93576.00000000,0.00500000,467.88000000,1735689600000123,False,True\n",
        [(1735689600000123 * 1_000, "93576.00000000", "0.00500000", BUY, "4397962800")],
    ),
    "generic, ISO time with nanoseconds, side and id": (
        "timestamp,price,quantity,side,trade_id\n"
        "2024-01-01T00:00:00.123456789Z,100.5,2,buy,a1\n"
        "2024-01-01 00:00:00.123456789,100.25,0.5,SELL,a2\n"
        "2024-01-01 00:00:01,100.25,0.5,,a3\n",
        [
            (1704067200123456789, "100.5", "2", BUY, "a1"),
            (1704067200123456789, "100.25", "0.5", SELL, "a2"),
            (1704067201000000000, "100.25", "0.5", None, "a3"),
        ],
    ),
    "generic, integer ns/us/ms times, columns in any order, no side": (
        "quantity,timestamp,price\n1,1704067200000,10\n1,1704067200000001,10\n1,1704067200000001001,10\n",
        [
            (1704067200000 * MS, "10", "1", None, ""),
            (1704067200000001 * 1_000, "10", "1", None, ""),
            (1704067200000001001, "10", "1", None, ""),
        ],
    ),
}


def trades(path: Path) -> list[TradeTick]:
    return list(load_trade_csv(path, exchange_id="binance", symbol="BTCUSDT"))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_trade_layout_loads_exactly_with_the_aggressor_side(tmp_path: Path, layout: str) -> None:
    text, expected = LAYOUTS[layout]
    path = tmp_path / "trades.csv"
    path.write_text(text)
    loaded = trades(path)
    assert [(t.ts_event, t.price, t.quantity, t.aggressor_side, t.trade_id) for t in loaded] == [
        (ts, Decimal(price), Decimal(qty), side, trade_id) for ts, price, qty, side, trade_id in expected
    ]
    assert all(
        t.ts_init == t.ts_event and (t.exchange_id, t.symbol) == ("binance", "BTCUSDT") for t in loaded
    )
    assert [str(t.price) for t in loaded] == [price for _, price, *_ in expected]


def test_a_buyer_maker_trade_was_sold_into(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("1,10,1,10,1704067200000,true\n")
    assert trades(path)[0].aggressor_side is OrderSide.SELL


def test_trades_may_share_a_timestamp_but_not_go_back(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("timestamp,price,quantity\n1704067200001,1,1\n1704067200001,1,1\n1704067200000,1,1\n")
    with pytest.raises(DataFileError, match="line 4: timestamp '1704067200000' is before the previous row's"):
        trades(path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,2,3\n", "line 1: cannot tell the trade layout of a 3-column row"),
        ("time,qty\n", "line 1: the header 'time,qty' lacks price"),
        ("timestamp,time,price,quantity\n", "line 1: two columns name the trade's timestamp"),
        ("timestamp,price,quantity,side,is_buyer_maker\n", "line 1: a header names side or is_buyer_maker"),
    ],
)
def test_a_layout_that_cannot_be_told_is_an_error_naming_line_1(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=reason):
        trades(path)


# -- any file of the futures trades layout ------------------------------------------------------------


@st.composite
def trade_rows(draw: st.DrawFn) -> list[tuple[int, Decimal, Decimal, int, bool]]:
    """(id, price, quantity, time ms, buyer is maker) rows, times never going back."""
    ms = draw(st.integers(1_500_000_000_000, 1_800_000_000_000))
    rows = []
    for n in range(draw(st.integers(1, 25))):
        ms += draw(st.integers(0, 2_000))
        price = Decimal(draw(st.integers(1, 10**9))).scaleb(-2)
        quantity = Decimal(draw(st.integers(1, 10**7))).scaleb(-3)
        rows.append((1_000 + n, price, quantity, ms, draw(st.booleans())))
    return rows


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=trade_rows(), header=st.booleans())
def test_any_futures_trades_file_loads_every_trade_exactly(
    tmp_path: Path, rows: list[tuple[int, Decimal, Decimal, int, bool]], header: bool
) -> None:
    lines = ["id,price,qty,quote_qty,time,is_buyer_maker\n"] if header else []
    lines += [f"{i},{p},{q},{p * q},{ms},{str(maker).lower()}\n" for i, p, q, ms, maker in rows]
    path = tmp_path / "trades.csv"
    path.write_text("".join(lines))

    loaded = trades(path)

    assert [(t.trade_id, t.price, t.quantity, t.ts_event, t.aggressor_side) for t in loaded] == [
        (str(i), p, q, ms * MS, SELL if maker else BUY) for i, p, q, ms, maker in rows
    ]


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=trade_rows(), data=st.data())
def test_one_damaged_trade_cell_is_reported_at_its_line(
    tmp_path: Path, rows: list[tuple[int, Decimal, Decimal, int, bool]], data: st.DataObject
) -> None:
    lines = [f"{i},{p},{q},{p * q},{ms},{str(maker).lower()}" for i, p, q, ms, maker in rows]
    bad = data.draw(st.integers(0, len(lines) - 1))
    cells = lines[bad].split(",")
    cells[data.draw(st.sampled_from([1, 2, 4]))] = data.draw(st.sampled_from(["", "x", "-", "inf"]))
    lines[bad] = ",".join(cells)
    path = tmp_path / "trades.csv"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(DataFileError, match=rf"line {bad + 1}\b"):
        trades(path)
