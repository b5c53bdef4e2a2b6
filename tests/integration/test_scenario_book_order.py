"""A book update reaches the venue before the strategies: an order sent in ``on_book`` meets the new book.

The DataEngine derives a ``QuoteTick`` from every book update that moves the top and publishes it
before the book update itself; the simulated exchange matches against quotes, so by the time a
strategy reacts in ``on_book`` the venue already knows the new top. ``JoinTheBid`` places a post-only
limit buy at the best bid of every snapshot: a maker order that must rest, never be refused as
``post_only_would_take`` against the previous top of book.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from scenario_world import ACC, EX, SYM, D, at, node_config, run

from engine.messages import BookLevel, OrderBookDelta, OrderBookSnapshot, OrderEvent
from engine.model import OrderSide, OrderStatus, OrderType
from engine.strategy import Strategy


class JoinTheBid(Strategy):
    """On every book snapshot, a post-only limit buy of ``quantity`` at the snapshot's best bid."""

    class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        quantity: Decimal = Decimal("0.1")

    def on_start(self) -> None:
        self.joined: list[tuple[Decimal, str]] = []  # (bid price, client order id)
        self.order_events: list[OrderEvent] = []
        self.subscribe_book()

    def on_book(self, update: OrderBookSnapshot | OrderBookDelta) -> None:
        if not isinstance(update, OrderBookSnapshot) or not update.bids:
            return
        best_bid = max(level.price for level in update.bids)
        client_order_id = self.submit_order(
            OrderSide.BUY, self.p.quantity, order_type=OrderType.LIMIT, price=best_bid, post_only=True
        )
        self.joined.append((best_bid, client_order_id))

    def on_order(self, event: OrderEvent) -> None:
        self.order_events.append(event)


def snapshot(seconds: float, sequence: int, bid: str, ask: str) -> OrderBookSnapshot:
    ts = at(seconds)
    return OrderBookSnapshot(
        ts_event=ts,
        ts_init=ts,
        exchange_id=EX,
        symbol=SYM,
        bids=(BookLevel(D(bid), D(5)),),
        asks=(BookLevel(D(ask), D(5)),),
        sequence=sequence,
    )


def join_the_bid() -> dict[str, Any]:
    return {
        "strategy": f"{__name__}:JoinTheBid",
        "strategy_id": "joiner",
        "execution_id": "s1",
        "account_id": ACC,
        "exchange_id": EX,
        "symbol": SYM,
        "params": {},
    }


def test_a_post_only_order_at_the_new_best_bid_rests_after_the_book_moved_up():
    # 100 / 101, then the whole book moves up to 102 / 103: a buy at 102 joins the new bid (maker);
    # against the old top (ask 101) it would have crossed and been refused post-only.
    scenario = run(node_config(join_the_bid()), [snapshot(1, 1, "100", "101"), snapshot(2, 2, "102", "103")])
    strategy = scenario.node.strategies[0]
    assert isinstance(strategy, JoinTheBid)
    assert [price for price, _ in strategy.joined] == [D(100), D(102)]

    for price, client_order_id in strategy.joined:
        order = scenario.node.store.get_order(client_order_id)
        assert order is not None
        assert (order.price, order.status, order.filled_quantity) == (price, OrderStatus.PENDING, D(0))
        assert order.exchange_order_id.startswith("SIM-")
        events = [type(e).__name__ for e in strategy.order_events if e.client_order_id == client_order_id]
        assert events == ["OrderAccepted"]
        assert scenario.node.clients[0].order(client_order_id).status is OrderStatus.PENDING  # resting
    scenario.assert_healthy()
