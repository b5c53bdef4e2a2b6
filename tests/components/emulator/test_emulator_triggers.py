"""Pure trigger rules: stops fire at their price, trailing stops exactly a callback off their extreme."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.components.emulator.triggers import (
    TrailingState,
    stop_band,
    stop_triggered,
    trailing_band,
    trailing_step,
    trailing_trigger_price,
)
from engine.model import OrderSide

D = Decimal
PRICES = st.integers(1, 100_000).map(lambda n: D(n) / 100)
RATES = st.integers(1, 100).map(lambda n: D(n) / 10)  # 0.1 % .. 10 %
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _run(side: OrderSide, rate: Decimal, activation: Decimal | None, prices: list[Decimal]) -> int | None:
    """Feed prices until the order fires; the index it fired at, or None."""
    state = TrailingState()
    for index, price in enumerate(prices):
        state, fired = trailing_step(side, rate, activation, state, price)
        if fired:
            return index
    return None


@given(stop=PRICES, price=PRICES)
def test_a_buy_stop_fires_at_or_above_its_price_and_a_sell_stop_at_or_below(
    stop: Decimal, price: Decimal
) -> None:
    assert stop_triggered(BUY, stop, price) == (price >= stop)
    assert stop_triggered(SELL, stop, price) == (price <= stop)


def test_a_sell_trailing_stop_fires_exactly_at_the_callback_from_its_peak() -> None:
    prices = [D(100), D(110), D("99.01"), D(99)]
    assert trailing_trigger_price(SELL, D(110), D(10)) == D(99)
    assert _run(SELL, D(10), None, prices) == 3


def test_a_buy_trailing_stop_fires_exactly_at_the_callback_from_its_trough() -> None:
    prices = [D(100), D(90), D("98.99"), D(99)]
    assert _run(BUY, D(10), None, prices) == 3


def test_a_trailing_stop_does_not_follow_prices_before_its_activation_price() -> None:
    # a 10 % fall from 140 happens before activation at 150: nothing; from 150 on it counts
    assert _run(SELL, D(10), D(150), [D(140), D(126), D(100), D(150), D(136)]) is None
    assert _run(SELL, D(10), D(150), [D(140), D(100), D(150), D(135)]) == 3
    assert _run(BUY, D(10), D(50), [D(60), D(66), D(50), D(55)]) == 3


@given(rate=RATES, start=PRICES, steps=st.lists(st.integers(0, 500).map(lambda n: D(n) / 100), max_size=30))
def test_a_sell_trailing_stop_never_fires_while_the_price_makes_new_highs(
    rate: Decimal, start: Decimal, steps: list[Decimal]
) -> None:
    prices = [start]
    for step in steps:
        prices.append(prices[-1] + step)
    assert _run(SELL, rate, None, prices) is None
    assert _run(BUY, rate, None, [D(100_000) - p for p in prices]) is None


@given(
    side=st.sampled_from([BUY, SELL]),
    rate=RATES,
    activation=st.none() | PRICES,
    prices=st.lists(PRICES, min_size=1, max_size=40),
)
def test_a_trailing_stop_fires_at_the_first_price_a_callback_away_from_the_extreme_since_activation(
    side: OrderSide, rate: Decimal, activation: Decimal | None, prices: list[Decimal]
) -> None:
    better = max if side is SELL else min
    expected = None
    extreme: Decimal | None = None
    for index, price in enumerate(prices):
        if extreme is None:
            if activation is None or (price >= activation if side is SELL else price <= activation):
                extreme = price
            continue
        threshold = trailing_trigger_price(side, extreme, rate)
        if (price <= threshold) if side is SELL else (price >= threshold):
            expected = index
            break
        extreme = better(extreme, price)
    assert _run(side, rate, activation, prices) == expected


@given(side=st.sampled_from([BUY, SELL]), stop=PRICES, price=PRICES)
def test_a_price_inside_a_stops_band_never_fires_it(side: OrderSide, stop: Decimal, price: Decimal) -> None:
    low, high = stop_band(side, stop)
    if low < price < high:
        assert not stop_triggered(side, stop, price)


@given(
    side=st.sampled_from([BUY, SELL]),
    rate=RATES,
    activation=st.none() | PRICES,
    history=st.lists(PRICES, max_size=20),
    price=PRICES,
)
def test_a_price_inside_a_trailing_stops_band_changes_nothing(
    side: OrderSide, rate: Decimal, activation: Decimal | None, history: list[Decimal], price: Decimal
) -> None:
    state = TrailingState()
    for seen in history:
        state, _ = trailing_step(side, rate, activation, state, seen)
    low, high = trailing_band(side, activation, state)
    if low < price < high:
        assert trailing_step(side, rate, activation, state, price) == (state, False)
