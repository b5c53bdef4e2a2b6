"""Ambiguity: an order of unknown outcome stays pending and flagged until the venue's report settles it."""

from __future__ import annotations

from decimal import Decimal

from oms_world import EXEC, World
from structlog.testing import capture_logs

from engine.messages import OrderFilled, OrderRejected, OrderStatusReport, QueryOrder
from engine.model import OrderStatus, OrderType

D = Decimal


def _in_doubt_order(world: World, **changes: object) -> str:
    cid = world.submit(**changes).client_order_id
    world.unknown(cid)
    return cid


def test_an_unknown_outcome_keeps_the_order_pending_flags_it_and_asks_the_venue() -> None:
    world = World()
    cid = _in_doubt_order(world)
    order = world.order(cid)
    assert (order.status, order.in_doubt) == (OrderStatus.PENDING, True)
    assert world.oms.in_doubt == [cid]
    query = world.venue[-1]
    assert isinstance(query, QueryOrder) and (query.client_order_id, query.execution_id) == (cid, EXEC)
    assert world.kinds() == ["OrderStatusUnknown"]


def test_a_report_that_the_order_is_working_settles_it_as_accepted() -> None:
    world = World()
    cid = _in_doubt_order(world)
    world.report(cid, OrderStatus.PENDING)
    order = world.order(cid)
    assert (order.status, order.in_doubt, order.exchange_order_id) == (OrderStatus.PENDING, False, f"v-{cid}")
    assert world.oms.in_doubt == []
    assert world.kinds() == ["OrderStatusUnknown", "OrderAccepted", "OrderStatusReport"]


def test_a_report_that_the_venue_never_took_the_order_settles_it_as_rejected() -> None:
    world = World()
    cid = _in_doubt_order(world)
    world.report(cid, OrderStatus.REJECTED, reason="venue.unknown_order")
    order = world.order(cid)
    assert (order.status, order.status_reason, order.in_doubt) == (
        OrderStatus.REJECTED,
        "venue.unknown_order",
        False,
    )
    rejected = world.events()[1]
    assert isinstance(rejected, OrderRejected) and rejected.reason_code == "venue.unknown_order"
    assert world.kinds() == ["OrderStatusUnknown", "OrderRejected", "OrderStatusReport"]


def test_a_report_showing_fills_we_missed_synthesises_them_at_the_reports_average_price() -> None:
    world = World()
    cid = _in_doubt_order(world, quantity=D(2))
    world.report(cid, OrderStatus.FILLED, "2", average_price=D("101.5"))
    order = world.order(cid)
    assert (order.status, order.filled_quantity, order.average_fill_price) == (
        OrderStatus.FILLED,
        D(2),
        D("101.5"),
    )
    fill = world.events()[2]
    assert isinstance(fill, OrderFilled)
    assert (fill.fill_id, fill.quantity, fill.price, fill.fee) == (f"recon-{cid}-2", D(2), D("101.5"), D(0))
    assert world.kinds() == ["OrderStatusUnknown", "OrderAccepted", "OrderFilled", "OrderStatusReport"]


def test_a_missed_fill_is_priced_so_the_orders_average_matches_the_venues() -> None:
    world = World()
    cid = world.submit(quantity=D(2)).client_order_id
    world.filled(cid, "1", "100")
    world.report(cid, OrderStatus.FILLED, "2", average_price=D(101))
    order = world.order(cid)
    assert (order.filled_quantity, order.average_fill_price) == (D(2), D(101))
    assert world.events()[-2].price == D(102)


def test_a_missed_fill_pays_what_the_venue_says_the_order_paid_less_the_fees_we_heard_of() -> None:
    world = World()
    cid = world.submit(quantity=D(3)).client_order_id
    world.filled(cid, "1", "100", fee=D("0.05"))
    world.report(cid, OrderStatus.PARTIAL, "2", average_price=D(100), fee=D("0.12"), fee_currency="USDT")
    first = world.events()[-2]
    assert isinstance(first, OrderFilled) and (first.quantity, first.fee) == (D(1), D("0.07"))

    # a later report counts the reconciliation fill's fee as heard of too
    world.report(cid, OrderStatus.FILLED, "3", average_price=D(100), fee=D("0.2"), fee_currency="USDT")
    second = world.events()[-2]
    assert isinstance(second, OrderFilled) and (second.quantity, second.fee, second.fee_currency) == (
        D(1),
        D("0.08"),
        "USDT",
    )


def test_a_venue_whose_report_has_no_fee_gives_a_fee_less_fill_and_says_so() -> None:
    world = World()
    cid = world.submit(quantity=D(2)).client_order_id
    with capture_logs() as logs:
        world.report(cid, OrderStatus.FILLED, "2", average_price=D(100))
    fill = world.events()[-2]
    assert isinstance(fill, OrderFilled) and fill.fee == D(0)
    warnings = [log["event"] for log in logs if log["log_level"] == "warning"]
    assert warnings == ["reconciliation_fill_fee_unknown"]


def test_a_cancel_saying_more_was_filled_than_we_heard_of_is_held_until_the_report_settles_it() -> None:
    world = World()
    cid = world.submit(quantity=D(3)).client_order_id
    world.accepted(cid)
    world.filled(cid, "1", "100")
    world.cancelled(cid, reason="user", filled_quantity="2")  # the fill of the second one was lost

    order = world.order(cid)
    assert (order.status, order.filled_quantity, order.in_doubt) == (OrderStatus.PARTIAL, D(1), True)
    query = world.venue[-1]
    assert isinstance(query, QueryOrder) and query.client_order_id == cid
    assert world.kinds() == ["OrderAccepted", "OrderFilled"]  # the cancel is not published yet

    world.report(cid, OrderStatus.CANCELLED, "2", average_price=D(101), reason="user")
    assert (order.status, order.filled_quantity, order.average_fill_price, order.in_doubt) == (
        OrderStatus.CANCELLED,
        D(2),
        D(101),
        False,
    )
    assert world.kinds()[2:] == ["OrderFilled", "OrderCancelled", "OrderStatusReport"]


def test_a_cancel_that_agrees_with_the_fills_we_heard_of_ends_the_order_at_once() -> None:
    world = World()
    cid = world.submit(quantity=D(3)).client_order_id
    world.accepted(cid)
    world.filled(cid, "1", "100")
    world.cancelled(cid, reason="user", filled_quantity="1")
    order = world.order(cid)
    assert (order.status, order.in_doubt) == (OrderStatus.CANCELLED, False)


def test_the_same_report_twice_adds_the_missed_fill_once() -> None:
    world = World()
    cid = world.submit(quantity=D(2)).client_order_id
    world.report(cid, OrderStatus.PARTIAL, "1", average_price=D(100))
    world.report(cid, OrderStatus.PARTIAL, "1", average_price=D(100))
    assert world.order(cid).filled_quantity == D(1)
    assert world.kinds().count("OrderFilled") == 1


def test_a_report_of_a_partly_filled_cancelled_order_applies_the_fill_then_the_cancel() -> None:
    world = World()
    cid = _in_doubt_order(world, quantity=D(2))
    world.report(cid, OrderStatus.CANCELLED, "0.5", average_price=D(99), reason="expired")
    order = world.order(cid)
    assert (order.status, order.filled_quantity, order.status_reason) == (
        OrderStatus.CANCELLED,
        D("0.5"),
        "expired",
    )
    assert world.kinds()[-3:] == ["OrderFilled", "OrderCancelled", "OrderStatusReport"]


def test_a_missed_fill_of_a_market_order_without_an_average_price_cannot_be_priced_and_is_counted() -> None:
    world = World()
    cid = world.submit(order_type=OrderType.MARKET, price=None).client_order_id
    world.report(cid, OrderStatus.FILLED, "1")
    assert world.order(cid).filled_quantity == 0
    assert world.oms.illegal_transitions == 1
    assert world.errors == []


def test_a_definitive_event_also_clears_the_doubt() -> None:
    world = World()
    cid = _in_doubt_order(world)
    world.filled(cid, "1")
    assert world.order(cid).in_doubt is False
    assert world.oms.in_doubt == []


def test_an_unknown_outcome_for_a_finished_order_changes_nothing() -> None:
    world = World()
    cid = world.submit().client_order_id
    world.filled(cid, "1")
    world.unknown(cid)
    assert world.order(cid).in_doubt is False
    assert world.kinds() == ["OrderFilled"]
    assert not any(isinstance(msg, QueryOrder) for msg in world.venue)


def test_a_report_on_a_finished_order_is_published_and_changes_nothing() -> None:
    world = World()
    cid = world.submit().client_order_id
    world.cancelled(cid)
    world.report(cid, OrderStatus.FILLED, "1", average_price=D(100))
    assert world.order(cid).status is OrderStatus.CANCELLED
    assert isinstance(world.events()[-1], OrderStatusReport)
