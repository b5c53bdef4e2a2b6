"""Several strategies in one node each see only their own market data, orders and positions.

Market data is routed by instrument topic; order and position events are published per
execution, so two strategies on one account never see each other's, even on one instrument.
"""

from __future__ import annotations

from strategy_api_world import (
    BTC,
    ETH,
    MIN,
    BuyFirst,
    D,
    bar,
    recorders,
    started_node,
    strategy_spec,
    trade,
)

from engine.messages import OrderEvent, OrderFilled, PositionEvent
from engine.model import OrderStatus


def test_two_strategies_on_two_instruments_get_only_their_own_data_and_events() -> None:
    node = started_node(
        strategy_spec(BuyFirst, BTC, params={"trades": True, "size": "0.2"}),
        strategy_spec(BuyFirst, ETH, params={"size": "0.5"}),
    )
    on_btc, on_eth = recorders(node)

    for msg in [
        trade(MIN // 2, "100"),
        bar(1, "2000", ETH),
        trade(MIN + 1, "101"),
        trade(MIN + 2, "102"),
        bar(2, "2010", ETH),
    ]:
        node.process(msg)

    assert [(t.symbol, t.price) for t in on_btc.ticks] == [(BTC, D(100)), (BTC, D(101)), (BTC, D(102))]
    assert on_btc.bars == []
    assert [(b.symbol, b.close) for b in on_eth.bars] == [(ETH, D(2000)), (ETH, D(2010))]
    assert on_eth.ticks == []

    for strategy, symbol, quantity in [(on_btc, BTC, D("0.2")), (on_eth, ETH, D("0.5"))]:
        events: list[OrderEvent | PositionEvent] = [*strategy.order_events, *strategy.position_events]
        assert events, strategy.execution_id
        assert {(e.execution_id, e.symbol) for e in events} == {(strategy.execution_id, symbol)}
        (fill,) = strategy.of_type(OrderFilled)
        assert fill.quantity == quantity
        (position,) = strategy.positions()
        assert (position.instrument.symbol, position.quantity) == (symbol, quantity)
        assert [(o.instrument.symbol, o.status) for o in strategy.orders()] == [(symbol, OrderStatus.FILLED)]


def test_two_strategies_on_one_instrument_and_account_keep_their_own_orders_and_positions() -> None:
    node = started_node(
        strategy_spec(BuyFirst, params={"size": "0.1"}),
        strategy_spec(BuyFirst, params={"size": "0.3"}),
    )
    small, large = recorders(node)

    node.process(bar(1, 100))

    assert small.bars == large.bars == [bar(1, 100)]  # both subscribed to the same feed
    assert [f.quantity for f in small.of_type(OrderFilled)] == [D("0.1")]
    assert [f.quantity for f in large.of_type(OrderFilled)] == [D("0.3")]
    assert (small.net_quantity(), large.net_quantity()) == (D("0.1"), D("0.3"))
    assert {e.execution_id for e in small.position_events} == {small.execution_id}
    assert {e.execution_id for e in large.position_events} == {large.execution_id}
    assert {o.order_id for o in small.orders()}.isdisjoint(o.order_id for o in large.orders())
