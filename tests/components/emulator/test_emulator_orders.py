"""Held orders: accepted locally, released to the venue with the same id at their exact trigger price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from emulator_world import T0_NS, World
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.components.emulator import TrailingState, stop_triggered, trailing_step
from engine.messages import (
    CancelOrder,
    ModifyOrder,
    OrderAccepted,
    OrderCancelled,
    OrderStatusReport,
    QueryOrder,
    SubmitOrder,
    encode_json,
)
from engine.model import OrderSide, OrderStatus, OrderType, TimeInForce

D = Decimal
SECOND = 1_000_000_000


def test_a_held_order_is_accepted_locally_and_the_venue_sees_nothing() -> None:
    world = World()
    cid = world.submit().client_order_id
    order = world.order(cid)
    assert (order.status, order.exchange_order_id) == (OrderStatus.PENDING, f"emulated-{cid}")
    assert [type(e) for e in world.published] == [OrderAccepted]
    assert world.emulator.held == [cid]
    assert world.venue == []


def test_a_buy_stop_is_released_as_a_market_order_with_the_same_id_exactly_at_its_stop_price() -> None:
    world = World()
    cmd = world.submit(side=OrderSide.BUY, stop_price=D(110))
    world.trade("109.99")
    assert world.venue == []
    world.trade("110")
    [released] = world.sent(SubmitOrder)
    assert (released.client_order_id, released.order_type, released.side, released.quantity) == (
        cmd.client_order_id,
        OrderType.MARKET,
        OrderSide.BUY,
        D(1),
    )
    assert (released.stop_price, released.price) == (None, None)
    assert world.emulator.held == []


def test_a_sell_stop_fires_at_or_below_its_stop_price() -> None:
    world = World()
    world.submit(side=OrderSide.SELL, stop_price=D(90))
    world.trade("90.01")
    assert world.venue == []
    world.trade("90")
    assert [m.order_type for m in world.sent(SubmitOrder)] == [OrderType.MARKET]


def test_a_stop_limit_is_released_as_a_limit_at_its_price() -> None:
    world = World()
    world.submit(order_type=OrderType.STOP_LIMIT, stop_price=D(110), price=D("110.50"))
    world.trade("110")
    [released] = world.sent(SubmitOrder)
    assert (released.order_type, released.price, released.stop_price) == (OrderType.LIMIT, D("110.50"), None)


def test_a_sell_trailing_stop_is_released_exactly_at_the_callback_from_the_highest_trade() -> None:
    world = World()
    submit_trailing_sell(world, D(10), trailing_stop_activation_price=D(105))
    for price in ("100", "90", "105", "110", "99.01"):
        world.trade(price)
    assert world.venue == []
    world.trade("99")
    [released] = world.sent(SubmitOrder)
    assert (released.order_type, released.trailing_stop_callback_rate) == (OrderType.MARKET, None)


def test_quotes_trigger_a_buy_on_the_ask_and_a_sell_on_the_bid() -> None:
    world = World()
    buy = world.submit(side=OrderSide.BUY, stop_price=D(110)).client_order_id
    sell = world.submit(side=OrderSide.SELL, stop_price=D(90)).client_order_id
    world.quote(bid="109", ask="109.99")
    world.quote(bid="90.01", ask="110")
    world.quote(bid="90", ask="91")
    assert [m.client_order_id for m in world.sent(SubmitOrder)] == [buy, sell]


def submit_trailing_sell(world: World, callback_rate: Decimal, **changes: Any) -> str:
    """A trailing-stop sell of 1 following the price down by ``callback_rate`` percent."""
    command = world.submit(
        side=OrderSide.SELL,
        order_type=OrderType.TRAILING_STOP,
        stop_price=None,
        trailing_stop_callback_rate=callback_rate,
        **changes,
    )
    return command.client_order_id


def test_a_bar_triggers_with_its_extremes_when_no_ticks_arrive() -> None:
    world = World()
    world.submit(side=OrderSide.SELL, stop_price=D(90))
    world.bar(low="90.01", high="95")
    assert world.venue == []
    world.bar(low="89", high="95")
    assert len(world.sent(SubmitOrder)) == 1


def test_a_bar_offers_a_trailing_stop_its_best_price_before_its_worst() -> None:
    world = World()
    submit_trailing_sell(world, D(10))
    world.bar(low="100", high="100")
    world.bar(low="100", high="120")  # peak 120 first, trigger 108: the low of 100 fires it
    assert len(world.sent(SubmitOrder)) == 1


def test_a_stop_a_bar_fires_says_where_it_met_the_market_its_level_or_the_open_past_it() -> None:
    world = World()
    through = world.submit(side=OrderSide.SELL, stop_price=D(90)).client_order_id
    gapped = world.submit(side=OrderSide.BUY, stop_price=D(96)).client_order_id
    world.bar(open="95", low="89", high="95")  # falls through 90; opens below 96, never reaches it
    world.bar(open="97", low="96.5", high="98")  # opens above 96: a gap through the buy stop
    released = {m.client_order_id: m for m in world.sent(SubmitOrder)}
    assert (released[through].order_type, released[through].trigger_price) == (OrderType.MARKET, D(90))
    assert released[gapped].trigger_price == D(97)


def test_a_trailing_level_a_bar_set_and_crossed_is_where_it_met_the_market_even_below_the_open() -> None:
    world = World()
    submit_trailing_sell(world, D(10))
    world.bar(open="100", low="100", high="100")  # activates: peak 100, level 90
    world.bar(open="95", low="94", high="120")  # new peak 120, level 108, then the low of 94 fires it
    [released] = world.sent(SubmitOrder)
    assert released.trigger_price == D("108.0")  # the level stood only after the open: no gap


def test_a_stop_a_trade_fires_carries_no_trigger_price() -> None:
    world = World()
    world.submit(side=OrderSide.SELL, stop_price=D(90))
    world.trade("89")
    [released] = world.sent(SubmitOrder)
    assert released.trigger_price is None


def test_bars_are_ignored_once_ticks_arrive_because_they_repeat_them() -> None:
    world = World()
    world.submit(side=OrderSide.SELL, stop_price=D(90))
    world.trade("95")
    world.bar(low="89", high="95")
    assert world.venue == []


def test_a_bar_that_closed_before_the_order_was_held_cannot_trigger_it() -> None:
    world = World()
    world.submit(side=OrderSide.SELL, stop_price=D(90))
    world.bar(low="80", high="95", closed_at=T0_NS)
    assert world.venue == []


def test_the_emulator_listens_to_an_instrument_only_while_it_holds_an_order_for_it() -> None:
    world = World()
    assert not world.subscribed()
    first = world.submit(stop_price=D(110)).client_order_id
    second = world.submit(stop_price=D(120)).client_order_id
    assert world.subscribed()
    world.trade("110")
    assert world.subscribed()
    world.command(CancelOrder, second)
    assert not world.subscribed()
    world.trade("130")
    assert [m.client_order_id for m in world.sent(SubmitOrder)] == [first]


def test_a_held_order_is_cancelled_by_the_emulator_itself() -> None:
    world = World()
    cid = world.submit().client_order_id
    world.command(CancelOrder, cid, reason="user")
    order = world.order(cid)
    assert (order.status, order.status_reason) == (OrderStatus.CANCELLED, "user")
    assert isinstance(world.published[-1], OrderCancelled)
    assert world.venue == []


def test_a_cancel_after_release_goes_on_to_the_venue() -> None:
    world = World()
    cid = world.submit().client_order_id
    world.trade("110")
    world.command(CancelOrder, cid)
    assert [type(m) for m in world.venue] == [SubmitOrder, CancelOrder]
    assert world.order(cid).status is OrderStatus.PENDING


def test_a_modified_held_stop_fires_at_its_new_price_and_quantity() -> None:
    world = World()
    cid = world.submit(stop_price=D(110)).client_order_id
    world.command(ModifyOrder, cid, stop_price=D(105), quantity=D(2))
    order = world.order(cid)
    assert (order.stop_price, order.quantity) == (D(105), D(2))
    world.trade("105")
    [released] = world.sent(SubmitOrder)
    assert released.quantity == D(2)


def test_a_held_order_is_reported_pending_when_queried() -> None:
    world = World()
    cid = world.submit().client_order_id
    world.command(QueryOrder, cid)
    report = world.published[-1]
    assert isinstance(report, OrderStatusReport)
    assert (report.status, report.exchange_order_id) == (OrderStatus.PENDING, f"emulated-{cid}")


def test_a_held_gtd_order_expires_at_its_expire_time() -> None:
    world = World()
    cid = world.submit(time_in_force=TimeInForce.GTD, expire_time=T0_NS + 10 * SECOND).client_order_id
    world.clock.advance_to(T0_NS + 9 * SECOND)
    assert world.order(cid).is_open
    world.clock.advance_to(T0_NS + 10 * SECOND)
    order = world.order(cid)
    assert (order.status, order.status_reason) == (OrderStatus.CANCELLED, "expired")
    assert not world.subscribed()


def test_a_stop_without_a_stop_price_is_rejected_by_the_emulator() -> None:
    world = World()
    cid = world.submit(stop_price=None).client_order_id
    order = world.order(cid)
    assert (order.status, order.status_reason) == (OrderStatus.REJECTED, "order.stop_price.missing")


ORDERS = [
    {"side": OrderSide.BUY, "order_type": OrderType.STOP, "stop_price": D(105)},
    {"side": OrderSide.SELL, "order_type": OrderType.STOP_LIMIT, "stop_price": D(97), "price": D(96)},
    {"side": OrderSide.SELL, "order_type": OrderType.TRAILING_STOP, "trailing_stop_callback_rate": D(2)},
    {
        "side": OrderSide.BUY,
        "order_type": OrderType.TRAILING_STOP,
        "trailing_stop_callback_rate": D(3),
        "trailing_stop_activation_price": D(98),
    },
]
TRADE_PRICES = st.lists(st.integers(9_000, 11_000).map(lambda n: D(n) / 100), max_size=40)


def _fires_at(order: dict[str, Any], prices: list[Decimal]) -> int | None:
    """The rules themselves, price by price: the index of the trade that fires ``order``."""
    state = TrailingState()
    for index, price in enumerate(prices):
        if order["order_type"] is OrderType.TRAILING_STOP:
            state, fired = trailing_step(
                order["side"],
                order["trailing_stop_callback_rate"],
                order.get("trailing_stop_activation_price"),
                state,
                price,
            )
        else:
            fired = stop_triggered(order["side"], order["stop_price"], price)
        if fired:
            return index
    return None


@settings(max_examples=40, deadline=None)
@given(prices=TRADE_PRICES)
def test_the_emulator_releases_each_order_at_the_trade_its_rule_fires_it(prices: list[Decimal]) -> None:
    world = World()
    cids = [world.submit(**({"stop_price": None} | order)).client_order_id for order in ORDERS]
    released_at: dict[str, int] = {}
    for index, price in enumerate(prices):
        world.trade(price)
        for msg in world.sent(SubmitOrder):
            released_at.setdefault(msg.client_order_id, index)
    expected = {cid: _fires_at(order, prices) for cid, order in zip(cids, ORDERS, strict=True)}
    assert released_at == {cid: index for cid, index in expected.items() if index is not None}


@settings(max_examples=20, deadline=None)
@given(prices=TRADE_PRICES)
def test_two_runs_on_the_same_prices_release_the_same_orders(prices: list[Decimal]) -> None:
    def run() -> list[bytes]:
        world = World()
        world.submit(stop_price=D(105))
        world.submit(side=OrderSide.SELL, stop_price=D(95))
        world.submit(
            side=OrderSide.SELL, order_type=OrderType.TRAILING_STOP, trailing_stop_callback_rate=D(2)
        )
        for price in prices:
            world.trade(price)
        assert world.errors == []
        return [encode_json(m) for m in world.venue] + [encode_json(e) for e in world.published]

    assert run() == run()
