"""The pure matching rules, without a venue around them: arrival decisions, fill sizes, bar paths."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.sim.fill_model import INFINITE, bar_path, fill_quantity
from adapters.sim.matching import Arrival, SimOrder, arrive
from engine.messages import Bar
from engine.model import OrderSide, OrderType, TimeInForce

STEP = D("0.001")


def order(
    side: OrderSide = OrderSide.BUY,
    price: str = "100",
    quantity: str = "1",
    tif: TimeInForce = TimeInForce.GTC,
    *,
    market: bool = False,
    post_only: bool = False,
) -> SimOrder:
    return SimOrder(
        seq=1,
        client_order_id="o",
        account_id="a",
        execution_id="e",
        symbol="BTCUSDT",
        side=side,
        order_type=OrderType.MARKET if market else OrderType.LIMIT,
        quantity=D(quantity),
        price=D(0) if market else D(price),
        time_in_force=tif,
        post_only=post_only,
    )


@pytest.mark.parametrize(
    ("tif", "available", "expected"),
    [
        (TimeInForce.GTC, "0.4", Arrival(D("0.4"), D("99"), rest=True)),
        (TimeInForce.GTD, "5", Arrival(D("1"), D("99"), rest=False)),
        (TimeInForce.IOC, "0.4", Arrival(D("0.4"), D("99"), rest=False, cancel_reason="ioc remainder")),
        (TimeInForce.FOK, "0.4", Arrival(D("0"), D("99"), rest=False, cancel_reason="fok unfilled")),
        (TimeInForce.FOK, "1", Arrival(D("1"), D("99"), rest=False)),
    ],
)
def test_a_marketable_buy_limit_takes_at_the_offered_price_then_follows_its_time_in_force(
    tif, available, expected
):
    assert arrive(order(tif=tif), D("99"), D(available), STEP) == expected


@pytest.mark.parametrize(
    ("tif", "expected"),
    [
        (TimeInForce.GTC, Arrival(D("0"), D("101"), rest=True)),
        (TimeInForce.GTD, Arrival(D("0"), D("101"), rest=True)),
        (TimeInForce.IOC, Arrival(D("0"), D("101"), rest=False, cancel_reason="ioc remainder")),
        (TimeInForce.FOK, Arrival(D("0"), D("101"), rest=False, cancel_reason="fok unfilled")),
    ],
)
def test_a_buy_limit_below_the_offer_rests_or_is_cancelled_by_its_time_in_force(tif, expected):
    assert arrive(order(tif=tif), D("101"), INFINITE, STEP) == expected


def test_a_sell_limit_is_marketable_at_or_above_its_price():
    assert arrive(order(OrderSide.SELL, "100"), D("100"), INFINITE, STEP).fill_quantity == D("1")
    assert arrive(order(OrderSide.SELL, "100"), D("99.99"), INFINITE, STEP).rest


def test_a_post_only_order_that_would_take_is_refused_and_fills_nothing():
    arrival = arrive(order(post_only=True), D("99"), INFINITE, STEP)
    assert (arrival.fill_quantity, arrival.reject_reason) == (D("0"), "post_only_would_take")


def test_a_market_order_takes_everything_at_the_price_whatever_is_offered():
    assert arrive(order(market=True, quantity="3"), D("101"), D("0.1"), STEP) == Arrival(
        D("3"), D("101"), False
    )


@given(
    remaining=st.integers(1, 10**6).map(lambda n: D(n) * STEP),
    available=st.decimals(min_value=0, max_value=2000, places=6),
)
def test_a_fill_never_exceeds_what_is_left_or_offered_and_is_a_whole_number_of_steps(remaining, available):
    quantity = fill_quantity(remaining, available, STEP)
    assert 0 <= quantity <= min(remaining, available)
    assert quantity % STEP == 0
    assert available < remaining or quantity == remaining
    assert available - quantity < STEP or quantity == remaining


def test_a_bar_is_walked_through_its_low_first_when_it_closes_up():
    def bar(o: str, c: str) -> Bar:
        return Bar(
            ts_event=0,
            ts_init=0,
            exchange_id="sim",
            symbol="BTCUSDT",
            interval="1m",
            open=D(o),
            high=D("110"),
            low=D("90"),
            close=D(c),
            volume=D(1),
        )

    assert bar_path(bar("100", "105")) == (D("100"), D("90"), D("110"), D("105"))
    assert bar_path(bar("100", "100")) == (D("100"), D("90"), D("110"), D("100"))
    assert bar_path(bar("100", "95")) == (D("100"), D("110"), D("90"), D("95"))
