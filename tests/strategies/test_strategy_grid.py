"""The grid maker quotes, re-centres, respects its inventory limit and fills exactly as its rules say.

Order book snapshots, deltas and trades through the real engine (simulated exchange, maker fee 0.02 %).
A resting limit fills at its own price when a trade goes through it. Grid: 2 levels of 1 per side,
2 ticks apart (tick 0.1), re-centred when the mid moves more than 3 ticks or after a fill, |position| <= 2.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.backtest import run_backtest
from engine.config import NodeConfig, config_from_dict
from engine.errors import ConfigError
from engine.messages import BookLevel, Message, OrderBookDelta, OrderBookSnapshot, TradeTick
from engine.model import OrderSide
from engine.strategy import parse_params
from strategies.grid import GridMakerParams, grid_price

T0 = 1_700_000_000 * 1_000_000_000
SECOND_NS = 1_000_000_000
PARAMS = {"levels": 2, "spacing_ticks": 2, "size": "1", "recenter_ticks": 3, "max_inventory": "2"}
D = Decimal


def ts(t: int) -> int:
    return T0 + t * SECOND_NS


def levels(*pairs: tuple[str, str]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(D(price), D(size)) for price, size in pairs)


def book(t: int, sequence: int, bids: Any = (), asks: Any = (), *, snapshot: bool = False) -> Message:
    kind = OrderBookSnapshot if snapshot else OrderBookDelta
    return kind(
        ts_event=ts(t),
        ts_init=ts(t),
        exchange_id="sim",
        symbol="BTCUSDT",
        bids=levels(*bids),
        asks=levels(*asks),
        sequence=sequence,
    )


def trade(t: int, price: str, quantity: str) -> TradeTick:
    return TradeTick(
        ts_event=ts(t),
        ts_init=ts(t),
        exchange_id="sim",
        symbol="BTCUSDT",
        price=D(price),
        quantity=D(quantity),
    )


DATA = [
    # t1: bid 100.0 / ask 100.1, mid 100.05: buys floor(99.85) 99.8, floor(99.65) 99.6; sells 100.3, 100.5
    book(
        1, 1, [("100.0", "1"), ("99.9", "1"), ("99.7", "5")], [("100.1", "1"), ("100.2", "5")], snapshot=True
    ),
    trade(2, "99.7", "3"),  # a sell sweeps down to 99.7: through our buy at 99.8
    # t3: bid 99.7 / ask 100.1, mid 99.9, after a fill: re-centre; long 1, so one buy level (99.7), two sells
    book(3, 2, [("100.0", "0"), ("99.9", "0")]),
    trade(4, "99.6", "2"),  # through our buy at 99.7: long 2, the limit
    # t5: bid 99.5 / ask 100.1, mid 99.8, after a fill: re-centre; long 2, so no buys; sells 100.0, 100.2
    book(5, 3, [("99.7", "0"), ("99.5", "4")]),
    # t6: bid 99.3 / ask 99.7, mid 99.5: exactly 3 ticks from 99.8, not more: the grid stays
    book(6, 4, [("99.5", "0"), ("99.3", "2")], [("99.7", "1")]),
    # t7: bid 99.3 / ask 99.6, mid 99.45: 3.5 ticks: re-centre; sells ceil(99.65) 99.7, ceil(99.85) 99.9
    book(7, 5, [], [("99.7", "0"), ("99.6", "1")]),
    trade(8, "100.0", "5"),  # a buy sweeps up to 100.0: through both sells: flat
    # t9: bid 99.9 / ask 100.1, mid 100.0, after fills: the full grid again
    book(9, 6, [("99.9", "2")], [("99.6", "0")]),
]


def config(params: dict[str, Any]) -> NodeConfig:
    return config_from_dict(
        {
            "exchanges": [{"id": "sim"}],
            "instruments": [
                {
                    "symbol": "BTCUSDT",
                    "base_currency": "BTC",
                    "quote_currency": "USDT",
                    "min_order_size": "0.1",
                    "max_order_size": "100",
                    "price_precision": 1,
                    "quantity_precision": 1,
                    "tick_size": "0.1",
                    "exchange_id": "sim",
                    "trading_types": ["futures"],
                    "contract_specifications": {
                        "max_leverage": 20,
                        "maker_fee": "0.0002",
                        "taker_fee": "0.0005",
                    },
                }
            ],
            "accounts": [
                {
                    "account_id": "main",
                    "exchange_id": "sim",
                    "account_type": "futures",
                    "balance": {"USDT": "100000"},
                }
            ],
            "strategies": [
                {
                    "strategy": "strategies.grid:GridMaker",
                    "account_id": "main",
                    "exchange_id": "sim",
                    "symbol": "BTCUSDT",
                    "params": params,
                }
            ],
        }
    )


def test_grid_fills_exactly_at_its_levels_within_the_inventory_limit() -> None:
    _, report = run_backtest(config(PARAMS), DATA)
    (execution,) = report.executions
    fills = [
        (f.ts_event, f.client_order_id, f.side.value, f.price, f.quantity, f.fee, f.liquidity_side.value)
        for f in execution.fills
    ]
    assert fills == [
        (ts(2), "O-1", "buy", D("99.8"), D("1"), D("0.01996"), "maker"),
        (ts(4), "O-5", "buy", D("99.7"), D("1"), D("0.01994"), "maker"),
        (ts(8), "O-10", "sell", D("99.7"), D("1"), D("0.01994"), "maker"),
        (ts(8), "O-11", "sell", D("99.9"), D("1"), D("0.01998"), "maker"),
    ]
    assert execution.final_positions == []
    assert execution.metrics.realized_pnl == D("0.1")  # (99.7 + 99.9) - (99.8 + 99.7)


def test_grid_orders_are_placed_cancelled_and_replaced_by_the_rules() -> None:
    _, report = run_backtest(config(PARAMS), DATA)
    (execution,) = report.executions
    orders = [(o.client_order_id, o.side.value, o.price, o.status.value) for o in execution.orders]
    assert orders == [
        # t1 around 100.05
        ("O-1", "buy", D("99.8"), "filled"),
        ("O-2", "buy", D("99.6"), "cancelled"),
        ("O-3", "sell", D("100.3"), "cancelled"),
        ("O-4", "sell", D("100.5"), "cancelled"),
        # t3 around 99.9, long 1: the second buy level would make 3 > 2
        ("O-5", "buy", D("99.7"), "filled"),
        ("O-6", "sell", D("100.1"), "cancelled"),
        ("O-7", "sell", D("100.3"), "cancelled"),
        # t5 around 99.8, long 2: no buy at all (t6 leaves these alone)
        ("O-8", "sell", D("100.0"), "cancelled"),
        ("O-9", "sell", D("100.2"), "cancelled"),
        # t7 around 99.45
        ("O-10", "sell", D("99.7"), "filled"),
        ("O-11", "sell", D("99.9"), "filled"),
        # t9 around 100.0, flat: both sides; cancelled when the backtest stops
        ("O-12", "buy", D("99.8"), "cancelled"),
        ("O-13", "buy", D("99.6"), "cancelled"),
        ("O-14", "sell", D("100.2"), "cancelled"),
        ("O-15", "sell", D("100.4"), "cancelled"),
    ]


def test_grid_prices_round_away_from_the_mid_onto_the_tick() -> None:
    tick = D("0.1")
    assert grid_price(OrderSide.BUY, D("100.05"), D("0.2"), tick) == D("99.8")
    assert grid_price(OrderSide.SELL, D("100.05"), D("0.2"), tick) == D("100.3")
    assert grid_price(OrderSide.BUY, D("100.0"), D("0.2"), tick) == D("99.8")  # on the grid: unchanged
    assert grid_price(OrderSide.SELL, D("100.0"), D("0.2"), tick) == D("100.2")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"levels": 0}, "levels"),
        ({"spacing_ticks": 0}, "spacing_ticks"),
        ({"recenter_ticks": -1}, "recenter_ticks"),
        ({"size": "-1"}, "size"),
        ({"size": "2", "max_inventory": "1"}, "max_inventory"),
        ({"levels": "many"}, "levels"),
        ({"level": 2}, "level"),
    ],
)
def test_bad_params_are_refused_naming_the_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        parse_params(GridMakerParams, values)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-6, 6), st.integers(1, 4), st.integers(-8, 8)), min_size=1, max_size=40)
)
def test_grid_stays_within_its_inventory_limit_on_any_walk(steps: list[tuple[int, int, int]]) -> None:
    """A random walk of the book (bid move and spread, in ticks), each step followed by a trade some ticks
    from the bid: |position| never exceeds max_inventory, every order sits on the tick grid, and no
    post-only order is refused (the grid is placed against the same book the venue matches against)."""
    tick, bid, data = D("0.1"), D("100.0"), [book(0, 0, [("100.0", "5")], [("100.1", "5")], snapshot=True)]
    for n, (move, spread, offset) in enumerate(steps, start=1):
        bid += move * tick
        ask = bid + spread * tick
        data.append(book(2 * n - 1, n, [(str(bid), "5")], [(str(ask), "5")], snapshot=True))
        data.append(trade(2 * n, str(bid + offset * tick), "3"))
    _, report = run_backtest(config(PARAMS), data)
    (execution,) = report.executions
    net, limit = D(0), D(PARAMS["max_inventory"])
    for fill in execution.fills:
        net += fill.quantity if fill.side is OrderSide.BUY else -fill.quantity
        assert abs(net) <= limit
    assert all(o.price is not None and o.price % tick == 0 for o in execution.orders)
    assert [o for o in execution.orders if o.status.value == "rejected"] == []
