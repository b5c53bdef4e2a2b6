"""A strategy may act on an order in the handler that submitted it.

``submit_order`` returns the client order id at once, but the OMS creates the order only when the
bus gets to the submission (after the handler returns). A cancel or modify of that id in the same
handler follows the submission through the bus, in order; an id the strategy never submitted is
still refused with ``StrategyError``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from strategy_api_world import D, Recording, bar, recorders, started_node, strategy_spec

from engine.messages import Bar
from engine.model import OrderStatus
from engine.strategy import StrategyError


class BidThenCancel(Recording):
    """On its first bar: a bid far below the market, cancelled in the same breath."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if len(self.bars) == 1:
            self.bid_id = self.buy(self.p.size, price=Decimal(50))
            self.cancel_order(self.bid_id)


class BidThenReprice(Recording):
    """On its first bar: a bid at 50, moved up to 99 before the handler returns."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if len(self.bars) == 1:
            self.bid_id = self.buy(self.p.size, price=Decimal(50))
            self.modify_order(self.bid_id, price=Decimal(99))


def test_an_order_cancelled_in_the_handler_that_submitted_it_ends_cancelled_at_the_venue() -> None:
    node = started_node(strategy_spec(BidThenCancel))
    (strategy,) = recorders(node)
    node.process(bar(1, 100))
    node.process(bar(2, 40))  # would have filled the bid

    assert isinstance(strategy, BidThenCancel)
    order = strategy.order(strategy.bid_id)
    assert order is not None and order.status is OrderStatus.CANCELLED
    assert [type(e).__name__ for e in strategy.order_events] == ["OrderAccepted", "OrderCancelled"]
    assert strategy.positions() == []


def test_an_order_modified_in_the_handler_that_submitted_it_works_at_its_new_price() -> None:
    node = started_node(strategy_spec(BidThenReprice))
    (strategy,) = recorders(node)
    node.process(bar(1, 100))
    node.process(bar(2, "98.5", low="98.5", high=100))  # reaches 99, never 50

    assert isinstance(strategy, BidThenReprice)
    order = strategy.order(strategy.bid_id)
    assert order is not None
    assert (order.status, order.price, order.average_fill_price) == (OrderStatus.FILLED, D(99), D(99))


def test_cancelling_an_id_the_strategy_never_submitted_is_refused() -> None:
    node = started_node(strategy_spec(Recording))
    (strategy,) = recorders(node)
    with pytest.raises(StrategyError, match="has no order 'O-404'"):
        strategy.cancel_order("O-404")
