"""The OMS creates every order in the Store and sends it where it must go: venue, emulator, or nowhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oms_world import EX, EXEC, EXEC2, T0_NS, World, submit_order
from structlog.testing import capture_logs

from engine.components.execution import DEFAULT_EMULATED, ExecutionEngine
from engine.errors import ConfigError
from engine.messages import CancelOrder, ModifyOrder, OrderDenied, OrderRejected, QueryOrder
from engine.model import OrderStatus, OrderType

D = Decimal


def test_a_submitted_order_is_stored_pending_and_sent_to_the_venue_unchanged() -> None:
    world = World()
    cmd = world.submit()
    order = world.order(cmd.client_order_id)
    assert order.status is OrderStatus.PENDING
    assert (order.execution_id, order.quantity, order.price) == (EXEC, D(1), D(100))
    assert world.venue == [cmd]
    assert world.published == []


@pytest.mark.parametrize("order_type", sorted(DEFAULT_EMULATED))
def test_stop_types_go_to_the_emulator_on_an_exchange_without_configuration(order_type: OrderType) -> None:
    world = World()
    cmd = world.submit(order_type=order_type, stop_price=D(110), trailing_stop_callback_rate=D(1))
    assert world.emulator == [cmd]
    assert world.venue == []


def test_an_exchange_configured_to_emulate_nothing_gets_its_stops_itself() -> None:
    world = World(emulated={EX: frozenset()})
    cmd = world.submit(order_type=OrderType.STOP, stop_price=D(110))
    assert world.venue == [cmd]
    assert world.emulator == []


def test_the_emulator_cannot_be_configured_to_hold_market_or_limit_orders() -> None:
    world = World()
    with pytest.raises(ConfigError, match=r"emulated\.sim"):
        ExecutionEngine(world.bus, world.clock, world.store, emulated={EX: frozenset({OrderType.LIMIT})})


def test_the_venue_never_sees_stop_loss_or_take_profit_because_brackets_are_emulated() -> None:
    world = World()
    cmd = world.submit(stop_loss_price=D(90), take_profit_price=D(120))
    sent = world.venue[0]
    assert (sent.stop_loss_price, sent.take_profit_price) == (None, None)
    order = world.order(cmd.client_order_id)
    assert (order.stop_loss_price, order.take_profit_price) == (D(90), D(120))


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"trading_account_id": "nobody"}, "order.account.unknown"),
        ({"symbol": "DOGEUSDT"}, "order.instrument.unknown"),
        ({"quantity": D(0)}, "order.quantity.positive"),
    ],
)
def test_an_order_the_store_refuses_is_rejected_with_the_constraint_rule(
    changes: dict[str, object], rule: str
) -> None:
    world = World()
    cmd = world.submit(**changes)
    assert world.store.get_order(cmd.client_order_id) is None
    assert world.venue == []
    [event] = world.events()
    assert isinstance(event, OrderRejected)
    assert (event.client_order_id, event.reason_code, event.execution_id) == (cmd.client_order_id, rule, EXEC)
    assert world.errors == []


def test_an_order_without_an_execution_client_is_rejected_no_client() -> None:
    world = World(venue=False)
    cmd = world.submit()
    assert world.order(cmd.client_order_id).status is OrderStatus.REJECTED
    assert world.order(cmd.client_order_id).status_reason == "exec.no_client"
    [event] = world.events()
    assert isinstance(event, OrderRejected) and event.reason_code == "exec.no_client"


def test_a_denied_order_is_stored_rejected_and_its_reason_reaches_the_execution() -> None:
    world = World()
    cmd = submit_order(client_order_id="d-1", execution_id=EXEC2)
    world.execute(
        OrderDenied(
            ts_event=T0_NS, ts_init=T0_NS, command=cmd, reason_code="risk.max_notional", reason="too big"
        )
    )
    order = world.order("d-1")
    assert (order.status, order.status_reason) == (OrderStatus.REJECTED, "risk.max_notional")
    [event] = world.events(EXEC2)
    assert isinstance(event, OrderRejected)
    assert (event.reason_code, event.reason, event.execution_id) == ("risk.max_notional", "too big", EXEC2)
    assert world.venue == []


def test_a_denied_order_the_store_cannot_hold_still_reaches_the_execution_with_the_risk_reason() -> None:
    world = World()
    cmd = submit_order(client_order_id="d-2", symbol="DOGEUSDT")
    world.execute(
        OrderDenied(ts_event=T0_NS, ts_init=T0_NS, command=cmd, reason_code="risk.instrument", reason="?")
    )
    assert world.store.get_order("d-2") is None
    [event] = world.events()
    assert isinstance(event, OrderRejected) and event.reason_code == "risk.instrument"


def test_a_reused_client_order_id_is_counted_and_leaves_the_first_order_alone() -> None:
    world = World()
    first = world.submit(client_order_id="same")
    with capture_logs() as logs:
        world.submit(client_order_id="same", quantity=D(2))
    assert world.oms.duplicate_submits == 1
    assert world.venue == [first]
    assert world.order("same").quantity == D(1)
    assert world.published == []
    assert logs[0]["event"] == "duplicate_client_order_id"


def test_a_cancel_goes_to_the_venue_and_the_order_stays_open_until_the_venue_answers() -> None:
    world = World()
    cmd = world.submit()
    cancel = world.command(CancelOrder, cmd.client_order_id, reason="user")
    assert world.venue[-1] == cancel
    assert world.order(cmd.client_order_id).status is OrderStatus.PENDING
    world.cancelled(cmd.client_order_id, reason="user")
    assert world.order(cmd.client_order_id).status is OrderStatus.CANCELLED


@pytest.mark.parametrize("kind", [CancelOrder, ModifyOrder, QueryOrder])
def test_commands_about_an_emulated_order_go_to_the_emulator(kind: type) -> None:
    world = World()
    cmd = world.submit(order_type=OrderType.STOP, stop_price=D(110))
    command = world.command(kind, cmd.client_order_id)
    assert world.emulator == [cmd, command]
    assert world.venue == []


def test_a_command_about_a_finished_order_goes_nowhere() -> None:
    world = World()
    cmd = world.submit()
    world.filled(cmd.client_order_id, "1")
    world.command(CancelOrder, cmd.client_order_id)
    world.command(CancelOrder, "never-seen")
    assert world.venue == [cmd]


def test_a_venue_update_amends_the_working_order() -> None:
    world = World()
    cmd = world.submit()
    world.command(ModifyOrder, cmd.client_order_id, quantity=D(2), price=D(99))
    assert isinstance(world.venue[-1], ModifyOrder)
    assert world.order(cmd.client_order_id).price == D(100)
    world.updated(cmd.client_order_id, quantity=D(2), price=D(99))
    order = world.order(cmd.client_order_id)
    assert (order.quantity, order.price) == (D(2), D(99))
    assert world.kinds() == ["OrderUpdated"]


def test_an_update_below_the_filled_quantity_is_an_illegal_transition() -> None:
    world = World()
    cmd = world.submit(quantity=D(2))
    world.filled(cmd.client_order_id, "1")
    world.updated(cmd.client_order_id, quantity=D("0.5"))
    assert world.order(cmd.client_order_id).quantity == D(2)
    assert world.oms.illegal_transitions == 1


def test_the_oms_takes_commands_and_events_only_of_the_kinds_it_knows() -> None:
    world = World()
    world.execute("not a command")
    world.says(submit_order())
    assert [error.error_type for error in world.errors] == ["TypeError", "TypeError"]
