"""Brackets: an entry gets a stop-loss and a take-profit; one exit's fill shrinks or cancels the other."""

from __future__ import annotations

from decimal import Decimal

from emulator_world import EXEC, World

from engine.messages import CancelOrder, ModifyOrder, SubmitOrder
from engine.model import OrderSide, OrderStatus, OrderType

D = Decimal


def _entry(world: World, side: OrderSide = OrderSide.BUY, **changes: object) -> str:
    """A limit entry of 1 BTC at 100 with a stop-loss at 90 and a take-profit at 120 (mirrored for a sell)."""
    stop_loss, take_profit = (D(90), D(120)) if side is OrderSide.BUY else (D(110), D(80))
    fields: dict[str, object] = {
        "side": side,
        "order_type": OrderType.LIMIT,
        "price": D(100),
        "stop_price": None,
        "stop_loss_price": stop_loss,
        "take_profit_price": take_profit,
    }
    cid = world.submit(**(fields | changes)).client_order_id
    world.accepts(cid)
    return cid


def _bracketed(world: World, quantity: str = "1") -> str:
    cid = _entry(world)
    world.fills(cid, quantity, "100")
    return cid


def test_a_filled_entry_gets_a_held_stop_loss_and_a_take_profit_at_the_venue() -> None:
    world = World()
    cid = _bracketed(world)
    stop_loss, take_profit = world.order(f"{cid}-SL"), world.order(f"{cid}-TP")
    assert (stop_loss.order_type, stop_loss.side, stop_loss.stop_price, stop_loss.quantity) == (
        OrderType.STOP,
        OrderSide.SELL,
        D(90),
        D(1),
    )
    assert (take_profit.order_type, take_profit.side, take_profit.price, take_profit.quantity) == (
        OrderType.LIMIT,
        OrderSide.SELL,
        D(120),
        D(1),
    )
    assert stop_loss.reduce_only and take_profit.reduce_only
    assert (stop_loss.execution_id, take_profit.execution_id) == (EXEC, EXEC)
    assert world.emulator.held == [f"{cid}-SL"]
    assert [m.client_order_id for m in world.sent(SubmitOrder)] == [cid, f"{cid}-TP"]
    assert world.emulator.brackets_placed == 1


def test_a_sell_entrys_exits_are_buys_on_the_other_side_of_the_price() -> None:
    world = World()
    cid = _entry(world, OrderSide.SELL)
    world.fills(cid, "1", "100")
    stop_loss, take_profit = world.order(f"{cid}-SL"), world.order(f"{cid}-TP")
    assert (stop_loss.side, stop_loss.stop_price) == (OrderSide.BUY, D(110))
    assert (take_profit.side, take_profit.price) == (OrderSide.BUY, D(80))


def test_exits_wait_until_the_entry_is_completely_filled() -> None:
    world = World()
    cid = _entry(world)
    world.fills(cid, "0.4", "100")
    assert world.store.get_order(f"{cid}-SL") is None
    world.fills(cid, "0.6", "100")
    assert world.order(f"{cid}-SL").quantity == D(1)
    assert world.order(f"{cid}-TP").quantity == D(1)


def test_an_entry_cancelled_after_a_partial_fill_protects_the_filled_part() -> None:
    world = World()
    cid = _entry(world)
    world.fills(cid, "0.4", "100")
    world.cancels(cid, "user")
    assert world.order(f"{cid}-SL").quantity == D("0.4")
    assert world.order(f"{cid}-TP").quantity == D("0.4")


def test_an_entry_cancelled_without_a_fill_gets_no_exits() -> None:
    world = World()
    cid = _entry(world)
    world.cancels(cid)
    assert world.store.get_order(f"{cid}-SL") is None
    assert world.emulator.brackets_placed == 0


def test_a_fill_of_the_take_profit_cancels_the_stop_loss() -> None:
    world = World()
    cid = _bracketed(world)
    world.accepts(f"{cid}-TP")
    world.fills(f"{cid}-TP", "1", "120")
    stop_loss = world.order(f"{cid}-SL")
    assert (stop_loss.status, stop_loss.status_reason) == (OrderStatus.CANCELLED, "oco")
    assert world.emulator.held == []
    assert not world.subscribed()


def test_a_triggered_and_filled_stop_loss_cancels_the_take_profit_at_the_venue() -> None:
    world = World()
    cid = _bracketed(world)
    world.trade("90")
    [released] = [m for m in world.sent(SubmitOrder) if m.client_order_id == f"{cid}-SL"]
    assert (released.order_type, released.quantity, released.reduce_only) == (OrderType.MARKET, D(1), True)
    world.fills(f"{cid}-SL", "1", "89.90")
    [cancel] = world.sent(CancelOrder)
    assert (cancel.client_order_id, cancel.reason) == (f"{cid}-TP", "oco")
    assert world.order(f"{cid}-TP").is_open  # until the venue confirms
    world.cancels(f"{cid}-TP", "oco")
    assert world.order(f"{cid}-TP").status is OrderStatus.CANCELLED


def test_a_partial_take_profit_fill_shrinks_the_stop_loss_to_what_is_left() -> None:
    world = World()
    cid = _bracketed(world)
    world.fills(f"{cid}-TP", "0.3", "120")
    assert world.order(f"{cid}-SL").quantity == D("0.7")
    world.fills(f"{cid}-TP", "0.2", "120")
    assert world.order(f"{cid}-SL").quantity == D("0.5")
    world.trade("90")
    [released] = [m for m in world.sent(SubmitOrder) if m.client_order_id == f"{cid}-SL"]
    assert released.quantity == D("0.5")


def test_a_partial_stop_loss_fill_asks_the_venue_to_shrink_the_take_profit() -> None:
    world = World()
    cid = _bracketed(world)
    world.trade("90")
    world.fills(f"{cid}-SL", "0.25", "89.90")
    [modify] = world.sent(ModifyOrder)
    assert (modify.client_order_id, modify.quantity) == (f"{cid}-TP", D("0.75"))


def test_a_bracket_with_only_a_stop_loss_places_only_the_stop_loss() -> None:
    world = World()
    cid = _entry(world, take_profit_price=None)
    world.fills(cid, "1", "100")
    assert world.emulator.held == [f"{cid}-SL"]
    assert world.store.get_order(f"{cid}-TP") is None


def test_an_emulated_stop_entry_gets_its_exits_once_released_and_filled() -> None:
    world = World()
    cid = world.submit(stop_price=D(110), stop_loss_price=D(100), take_profit_price=D(130)).client_order_id
    world.trade("110")
    [released] = world.sent(SubmitOrder)
    assert (released.stop_loss_price, released.take_profit_price) == (None, None)
    world.fills(cid, "1", "110.20")
    assert world.emulator.held == [f"{cid}-SL"]
    assert world.order(f"{cid}-TP").price == D(130)
    assert world.errors == []
