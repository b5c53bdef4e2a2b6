"""Hedge mode, set once on the account (``hedge_mode = true``): the Portfolio and the venue both keep
long and short apart, and agree whatever the orders.

Each order names its position side: a buy on ``long`` opens or adds, a sell on ``long`` closes (the
venue caps it at what the slot holds and refuses it when the slot is empty, as Binance does); the
``short`` slot mirrors it. An order without a side is refused by the venue. Account: futures, 1x,
taker fee 0.2 %.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scenario_world import ACC, EX, SYM, D, market, node_config, run, scripted, trade

from engine.model import OrderStatus, PositionSide


def slots(ledger) -> dict[PositionSide, Decimal]:
    return {p.side: p.quantity for p in ledger.positions_in(EX, SYM)}


def test_a_long_and_a_short_live_side_by_side_in_the_engine_and_at_the_venue():
    config = node_config(
        scripted(
            market("long", "buy", "2", at=1, position_side="long"),
            market("short", "sell", "1", at=2, position_side="short"),
            market("trim", "sell", "0.5", at=3, position_side="long"),
            market("sideless", "buy", "1", at=4),
        ),
        hedge_mode=True,
        balance={"USDT": "100000"},
    )
    scenario = run(config, [trade(1, "100"), trade(2, "101"), trade(3, "102"), trade(4, "103")])

    assert (
        slots(scenario.ledger)
        == slots(scenario.venue)
        == {PositionSide.LONG: D("1.5"), PositionSide.SHORT: D(1)}
    )
    sideless = scenario.order("sideless")
    assert (sideless.status, sideless.status_reason) == (OrderStatus.REJECTED, "position_side_required")
    assert scenario.venue.account.balance == scenario.node.store.get_account(ACC).balance
    scenario.assert_healthy()


ORDERS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell"]),
        st.sampled_from(["long", "short"]),
        st.integers(1, 3000).map(lambda n: str(Decimal(n).scaleb(-3))),
        st.integers(9000, 11000).map(lambda n: str(Decimal(n).scaleb(-2))),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders=ORDERS)
def test_any_hedge_mode_orders_keep_the_engine_and_the_venue_agreed_slot_by_slot(orders):
    steps, data = [], []
    for n, (side, slot, quantity, price) in enumerate(orders, start=1):
        steps.append(market(f"o{n}", side, quantity, at=n, position_side=slot))
        data.append(trade(n, price))
        event(f"{side} on {slot}")
    scenario = run(node_config(scripted(*steps), hedge_mode=True, balance={"USDT": "10000000"}), data)
    scenario.assert_healthy()

    assert slots(scenario.ledger) == slots(scenario.venue)
    assert scenario.venue.account.balance == scenario.node.store.get_account(ACC).balance
    for name in scenario.strategy().ids:
        order = scenario.order(name)
        assert order.status in {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}
