"""CancelAllOrders and ClosePosition: the OMS expands them into ordinary cancels and reduce-only orders."""

from __future__ import annotations

from decimal import Decimal

from oms_world import ACC, EX, EXEC, EXEC2, SYM, T0_NS, World, instrument, position
from structlog.testing import capture_logs

from engine import topics
from engine.messages import CancelAllOrders, CancelOrder, ClosePosition, SubmitOrder
from engine.model import OrderSide, OrderType, PositionSide

D = Decimal


def _cancel_all(execution_id: str = EXEC, symbol: str = "") -> CancelAllOrders:
    return CancelAllOrders(
        ts_event=T0_NS,
        ts_init=T0_NS,
        execution_id=execution_id,
        trading_account_id=ACC,
        exchange_id=EX,
        symbol=symbol,
        reason="kill",
    )


def _close(execution_id: str = EXEC, position_side: PositionSide | None = None) -> ClosePosition:
    return ClosePosition(
        ts_event=T0_NS,
        ts_init=T0_NS,
        execution_id=execution_id,
        trading_account_id=ACC,
        exchange_id=EX,
        symbol=SYM,
        position_side=position_side,
    )


def _cancels(world: World) -> list[tuple[str, str]]:
    return [(m.client_order_id, m.reason) for m in world.venue + world.emulator if isinstance(m, CancelOrder)]


def test_cancel_all_sends_one_cancel_per_open_order_of_the_execution() -> None:
    world = World()
    open_1 = world.submit().client_order_id
    stop_1 = world.submit(order_type=OrderType.STOP, stop_price=D(110)).client_order_id
    done_1 = world.submit().client_order_id
    world.filled(done_1, "1")
    world.submit(execution_id=EXEC2)
    world.execute(_cancel_all())
    assert _cancels(world) == [(open_1, "kill"), (stop_1, "kill")]
    assert world.emulator[-1].client_order_id == stop_1


def test_cancel_all_with_a_symbol_leaves_other_instruments_alone() -> None:
    world = World()
    world.store.add_instrument(instrument("ETHUSDT"))
    btc = world.submit().client_order_id
    world.submit(symbol="ETHUSDT")
    world.execute(_cancel_all(symbol=SYM))
    assert _cancels(world) == [(btc, "kill")]


def test_cancel_all_for_all_executions_cancels_every_open_order_on_the_account() -> None:
    world = World()
    first = world.submit().client_order_id
    second = world.submit(execution_id=EXEC2).client_order_id
    world.execute(_cancel_all(topics.ALL_EXECUTIONS))
    assert _cancels(world) == [(first, "kill"), (second, "kill")]
    assert [m.execution_id for m in world.venue if isinstance(m, CancelOrder)] == [EXEC, EXEC2]


def test_close_position_sends_a_reduce_only_market_order_for_the_whole_position() -> None:
    world = World()
    world.store.add_position(position(side=PositionSide.LONG, quantity=D("0.5")))
    world.execute(_close())
    [order] = world.venue
    assert isinstance(order, SubmitOrder)
    assert (order.side, order.order_type, order.quantity, order.reduce_only, order.execution_id) == (
        OrderSide.SELL,
        OrderType.MARKET,
        D("0.5"),
        True,
        EXEC,
    )
    assert order.client_order_id == "t-1"
    assert world.order("t-1").reduce_only


def test_close_position_of_a_short_in_hedge_mode_buys_on_the_short_slot() -> None:
    world = World()
    world.store.add_position(position(position_id="pos-l", side=PositionSide.LONG))
    world.store.add_position(position(position_id="pos-s", side=PositionSide.SHORT, quantity=D("0.2")))
    world.execute(_close(position_side=PositionSide.SHORT))
    [order] = world.venue
    assert (order.side, order.quantity, order.position_side) == (OrderSide.BUY, D("0.2"), PositionSide.SHORT)


def test_close_position_without_an_open_position_is_logged_and_sends_nothing() -> None:
    world = World()
    world.store.add_position(position(execution_id=EXEC2))
    with capture_logs() as logs:
        world.execute(_close())
    assert world.venue == []
    assert logs[0]["event"] == "close_position_without_position"
