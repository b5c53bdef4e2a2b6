"""A strategy may act on an order in the handler that submitted it.

``submit_order`` returns the client order id at once, but the OMS creates the order only when the
bus gets to the submission (after the handler returns). Until then ``order(id)`` and ``orders()``
show the ``pending`` order the submission will become; a cancel or modify of that id in the same
handler follows the submission through the bus, in order; an id the strategy never submitted is
still refused with ``StrategyError``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from strategy_api_world import D, Recording, bar, config, recorders, started_node, strategy_spec

from engine.config import config_from_dict
from engine.messages import Bar
from engine.model import Order, OrderSide, OrderStatus, OrderType
from engine.node import Node
from engine.strategy import StrategyError


class BidThenCancel(Recording):
    """On its first bar: a bid far below the market, cancelled in the same breath."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if len(self.bars) == 1:
            self.bid_id = self.buy(self.p.size, price=Decimal(50))
            self.cancel_order(self.bid_id)


class BidThenLook(Recording):
    """On its first bar: a bid at 50, then what its views say of it before the handler returns."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if len(self.bars) == 1:
            self.bid_id = self.buy(self.p.size, price=Decimal(50))
            self.seen: Order | None = self.order(self.bid_id)
            self.listed = self.orders(open_only=True)
            self.unknown_instrument_id = self.buy(self.p.size, symbol="DOGEUSDT")
            self.unknown_seen = self.order(self.unknown_instrument_id)


class BidThenList(Recording):
    """A bid on its first bar; on each later bar, what ``orders()`` lists."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if len(self.bars) == 1:
            self.bid_id = self.buy(self.p.size, price=Decimal(50))
        else:
            self.listings = [*getattr(self, "listings", []), [o.order_id for o in self.orders()]]


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


def test_an_order_shows_as_pending_in_the_handler_that_submitted_it_then_as_the_oms_keeps_it() -> None:
    node = started_node(strategy_spec(BidThenLook))
    (strategy,) = recorders(node)
    node.process(bar(1, 100))

    assert isinstance(strategy, BidThenLook)
    seen = strategy.seen
    assert seen is not None and strategy.listed == [seen]
    assert (seen.order_id, seen.status, seen.exchange_order_id) == (strategy.bid_id, OrderStatus.PENDING, "")
    assert (seen.side, seen.order_type, seen.price, seen.quantity) == (
        OrderSide.BUY,
        OrderType.LIMIT,
        D(50),
        strategy.p.size,
    )
    assert strategy.unknown_seen is None  # an instrument the node does not have: denied, never an order
    stored = strategy.order(strategy.bid_id)
    assert stored is not None and stored is not seen and stored.exchange_order_id
    assert [o.order_id for o in strategy.orders(open_only=True)] == [strategy.bid_id]


def test_an_order_the_oms_stored_but_the_venue_has_not_answered_yet_is_listed_once() -> None:
    # two minutes of latency: on the second bar the OMS holds the order, the venue has not seen it
    table = msgspec.to_builtins(config(strategy_spec(BidThenList)))
    table["exchanges"][0]["client_options"] = {"latency_ns": 120 * 10**9}
    node = Node(config_from_dict(table), start_ns=0)
    node.start()
    (strategy,) = recorders(node)
    node.process(bar(1, 100))
    node.process(bar(2, 100))
    assert isinstance(strategy, BidThenList)
    assert strategy.order_events == []  # nothing heard from the venue yet
    assert strategy.listings == [[strategy.bid_id]]


def test_cancelling_an_id_the_strategy_never_submitted_is_refused() -> None:
    node = started_node(strategy_spec(Recording))
    (strategy,) = recorders(node)
    with pytest.raises(StrategyError, match="has no order 'O-404'"):
        strategy.cancel_order("O-404")
