"""Venue events move orders only as the state machine allows; a confused venue never breaks the OMS."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oms_world import EXEC, EXEC2, World, fill, position
from structlog.testing import capture_logs

from engine import topics
from engine.messages import CancelOrder, OrderAccepted, OrderCancelled, OrderFilled
from engine.model import OrderSide, OrderStatus, OrderType, PositionSide

D = Decimal


def test_an_accepted_order_stays_pending_with_its_exchange_order_id_and_is_announced() -> None:
    world = World()
    cmd = world.submit()
    world.accepted(cmd.client_order_id, "v-77")
    order = world.order(cmd.client_order_id)
    assert (order.status, order.exchange_order_id) == (OrderStatus.PENDING, "v-77")
    [(topic, event)] = world.published
    assert topic == topics.order_events(EXEC)
    assert isinstance(event, OrderAccepted) and event.execution_id == EXEC


def test_fills_move_the_order_and_go_out_on_the_orders_own_execution_topic() -> None:
    world = World()
    cmd = world.submit(execution_id=EXEC2, quantity=D(2))
    world.filled(cmd.client_order_id, "0.5", "100")
    world.filled(cmd.client_order_id, "1.5", "104")
    order = world.order(cmd.client_order_id)
    assert (order.status, order.filled_quantity, order.average_fill_price) == (
        OrderStatus.FILLED,
        D(2),
        D(103),
    )
    assert world.kinds(EXEC2) == ["OrderFilled", "OrderFilled"]
    assert world.events(EXEC) == []
    assert all(event.execution_id == EXEC2 for event in world.events(EXEC2))


def test_the_same_fill_reported_twice_is_applied_once() -> None:
    world = World()
    cmd = world.submit(quantity=D(2))
    world.filled(cmd.client_order_id, "1", fill_id="T-1")
    world.filled(cmd.client_order_id, "1", fill_id="T-1")
    order = world.order(cmd.client_order_id)
    assert (order.status, order.filled_quantity) == (OrderStatus.PARTIAL, D(1))
    assert world.oms.duplicates_ignored == 1
    assert world.kinds() == ["OrderFilled"]


def test_a_fill_after_a_cancel_request_is_applied_and_the_order_stays_open_until_cancelled() -> None:
    world = World()
    cmd = world.submit(quantity=D(2))
    world.command(CancelOrder, cmd.client_order_id, reason="user")
    world.filled(cmd.client_order_id, "0.5")
    assert world.order(cmd.client_order_id).status is OrderStatus.PARTIAL
    world.cancelled(cmd.client_order_id, reason="user")
    order = world.order(cmd.client_order_id)
    assert (order.status, order.filled_quantity, order.status_reason) == (
        OrderStatus.CANCELLED,
        D("0.5"),
        "user",
    )
    assert world.kinds() == ["OrderFilled", "OrderCancelled"]


@pytest.mark.parametrize("reason", ["expired", "ioc remainder", "fok unfilled", "user"])
def test_a_cancellation_keeps_the_venues_reason(reason: str) -> None:
    world = World()
    cmd = world.submit()
    world.cancelled(cmd.client_order_id, reason=reason)
    assert world.order(cmd.client_order_id).status_reason == reason
    [event] = world.events()
    assert isinstance(event, OrderCancelled) and event.reason == reason


def test_a_definitive_venue_rejection_rejects_the_order_with_its_code() -> None:
    world = World()
    cmd = world.submit()
    world.rejected(cmd.client_order_id, "venue.-2019")
    order = world.order(cmd.client_order_id)
    assert (order.status, order.status_reason) == (OrderStatus.REJECTED, "venue.-2019")
    assert world.kinds() == ["OrderRejected"]


def test_an_event_for_an_unknown_order_is_logged_and_kept_for_reconciliation() -> None:
    world = World()
    with capture_logs() as logs:
        world.filled("ghost", "1")
        world.cancelled("ghost")
    assert world.oms.unmatched_events == 2
    assert [type(event) for event in world.oms.unmatched] == [OrderFilled, OrderCancelled]
    assert [(log["event"], log["log_level"]) for log in logs] == [("event_for_unknown_order", "warning")] * 2
    assert world.published == []
    assert world.errors == []


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("cancel", "fill"),
        ("fill", "cancel"),
        ("fill", "reject"),
        ("reject", "accept"),
        ("reject", "cancel"),
    ],
)
def test_an_illegal_transition_is_logged_and_counted_and_changes_nothing(first: str, then: str) -> None:
    world = World()
    cid = world.submit().client_order_id
    act = {
        "cancel": lambda: world.cancelled(cid),
        "fill": lambda: world.filled(cid, "1"),
        "reject": lambda: world.rejected(cid),
        "accept": lambda: world.accepted(cid),
    }
    act[first]()
    before = (world.order(cid).status, world.order(cid).filled_quantity, len(world.published))
    with capture_logs() as logs:
        act[then]()
    assert (world.order(cid).status, world.order(cid).filled_quantity, len(world.published)) == before
    assert world.oms.illegal_transitions == 1
    [log] = logs
    assert (log["event"], log["client_order_id"], log["log_level"]) == (
        "illegal_order_transition",
        cid,
        "error",
    )
    assert world.errors == []


def test_an_overfill_is_an_illegal_transition_not_a_crash() -> None:
    world = World()
    cid = world.submit(quantity=D(1)).client_order_id
    world.filled(cid, "0.6")
    world.filled(cid, "0.6")
    assert world.order(cid).filled_quantity == D("0.6")
    assert world.oms.illegal_transitions == 1


def test_a_liquidation_fill_creates_an_order_owned_by_the_liquidated_positions_execution() -> None:
    world = World()
    world.store.add_position(position(execution_id=EXEC2, side=PositionSide.LONG, quantity=D("0.5")))
    world.says(
        fill("", "0.5", "80", "L-1", side=OrderSide.SELL, liquidation=True, exchange_order_id="autoclose-1")
    )
    order = world.order("liq-L-1")
    assert (order.execution_id, order.status, order.order_type, order.reduce_only) == (
        EXEC2,
        OrderStatus.FILLED,
        OrderType.MARKET,
        True,
    )
    [event] = world.events(EXEC2)
    assert isinstance(event, OrderFilled)
    assert (event.client_order_id, event.liquidation, event.execution_id) == ("liq-L-1", True, EXEC2)
    world.says(fill("", "0.5", "80", "L-1", side=OrderSide.SELL, liquidation=True))
    assert world.oms.duplicates_ignored == 1


def test_a_liquidation_fill_without_a_known_position_belongs_to_the_external_execution() -> None:
    world = World()
    world.says(fill("autoclose-9", "0.5", "120", "L-2", side=OrderSide.BUY, liquidation=True))
    assert world.order("autoclose-9").execution_id == topics.EXTERNAL_EXECUTION
    assert [type(e) for e in world.events(topics.EXTERNAL_EXECUTION)] == [OrderFilled]
    assert world.oms.unmatched == []


@pytest.mark.parametrize("first", ["fill", "cancel"])
def test_an_acknowledgement_after_the_fill_or_cancel_records_the_venue_id_quietly(first: str) -> None:
    # the venue's fill or cancel can overtake its acknowledgement: normal, not an illegal move
    world = World()
    cid = world.submit().client_order_id
    if first == "fill":
        world.filled(cid, "1", exchange_order_id="")
    else:
        world.cancelled(cid)
    before = (world.order(cid).status, world.order(cid).filled_quantity, len(world.published))
    with capture_logs() as logs:
        world.accepted(cid, "v-late")
    order = world.order(cid)
    assert (order.status, order.filled_quantity, len(world.published)) == before
    assert order.exchange_order_id == "v-late"
    assert world.oms.illegal_transitions == 0
    assert [(log["event"], log["log_level"]) for log in logs] == [("late_acknowledgement_ignored", "debug")]


def test_a_fill_names_the_venues_order_when_the_acknowledgement_was_lost() -> None:
    world = World()
    cid = world.submit(quantity=D(2)).client_order_id
    world.filled(cid, "1", exchange_order_id="v-9")
    assert world.order(cid).exchange_order_id == "v-9"
    world.filled(cid, "1", exchange_order_id="v-other")  # the first id the venue gave stays
    assert world.order(cid).exchange_order_id == "v-9"
