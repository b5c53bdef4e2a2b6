"""Same inputs and seed, same events; and fills from market data keep their bounds whatever the data."""

from __future__ import annotations

import random
from decimal import Decimal as D
from typing import get_args

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.sim import MisbehaviourAction, SimConfig
from engine.messages import OrderFilled, encode_json
from engine.model import LiquiditySide, OrderSide, TimeInForce

MS = 1_000_000


def busy_session(venue, misbehaviour_seed: int) -> list[bytes]:
    """A few hundred trades and quotes around 100 with orders of every kind, latency, partial volume
    and every misbehaviour at random."""
    config = msgspec.convert(
        {
            "latency_ns": 3 * MS,
            "volume_participation": "0.5",
            "seed": misbehaviour_seed,
            "misbehaviour": [
                {"action": action, "probability": 0.2} for action in get_args(MisbehaviourAction)
            ],
        },
        SimConfig,
    )
    v = venue(config, balance={"USDT": "100000", "BTC": "100"})
    data = random.Random(42)
    price = D("100")
    t = 1.0
    for n in range(400):
        t += data.choice((0.001, 0.002, 0.005))
        price = max(D("90"), min(D("110"), price + D(data.randint(-20, 20)) / 100))
        if data.random() < 0.3:
            v.quote(t, bid=str(price - D("0.05")), ask=str(price + D("0.05")), ask_size="0.5", bid_size="0.5")
        else:
            v.trade(t, str(price), str(D(data.randint(1, 300)) / 100))
        roll = data.random()
        side = OrderSide.BUY if data.random() < 0.5 else OrderSide.SELL
        if roll < 0.08:
            v.submit(f"m{n}", side, "0.3")
        elif roll < 0.25:
            tif = data.choice(list(TimeInForce))
            limit = price + D(data.randint(-50, 50)) / 100
            extra = {"expire_time": round((t + 0.2) * 1e9)} if tif is TimeInForce.GTD else {}
            v.submit(f"l{n}", side, "0.7", str(limit), tif=tif, **extra)
        elif roll < 0.3 and n > 10:
            v.cancel(f"l{n - data.randint(1, 10)}")
        elif roll < 0.33 and n > 10:
            v.query(f"l{n - data.randint(1, 10)}")
    return [encode_json(e) for e in v.events]


def test_two_runs_with_the_same_seed_give_the_same_events(venue):
    first = busy_session(venue, misbehaviour_seed=3)
    assert len(first) > 100
    assert busy_session(venue, misbehaviour_seed=3) == first


def test_another_seed_misbehaves_differently(venue):
    assert busy_session(venue, misbehaviour_seed=3) != busy_session(venue, misbehaviour_seed=4)


trades = st.lists(
    st.tuples(
        st.integers(9500, 10500).map(lambda cents: D(cents) / 100),
        st.integers(1, 3000).map(lambda thousandths: D(thousandths) / 1000),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    trades=trades,
    quantity=st.integers(1, 5000).map(lambda thousandths: D(thousandths) / 1000),
    participation=st.sampled_from([D("0.1"), D("0.5"), D("1")]),
)
def test_a_resting_buy_fills_at_its_price_only_through_it_within_each_trade_share(
    venue, trades, quantity, participation
):
    v = venue(SimConfig(volume_participation=participation), balance={"USDT": "10000"})
    v.trade(0, "101")
    v.buy("o1", str(quantity), "100")
    v.new()
    filled = D(0)
    cost = D(0)
    for n, (price, size) in enumerate(trades, start=1):
        v.trade(n, str(price), str(size))
        fills = [e for e in v.new() if isinstance(e, OrderFilled)]
        assert len(fills) <= 1
        for fill in fills:
            assert price < D("100")
            assert (fill.price, fill.liquidity_side) == (D("100"), LiquiditySide.MAKER)
            assert fill.quantity <= size * participation
            assert fill.fee == fill.price * fill.quantity * D("0.0002")
            filled += fill.quantity
            cost += fill.price * fill.quantity + fill.fee
        if price < D("100") and not fills:
            assert filled == quantity or size * participation < D("0.001")
    assert filled <= quantity
    assert v.balance("BTC") == filled
    assert v.balance("USDT") == D("10000") - cost
    assert v.available("USDT") == v.balance("USDT") - (quantity - filled) * D("100") * D("1.001")
