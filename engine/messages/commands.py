"""Commands: what a strategy (or the operator) asks the engine to do."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from engine.messages.base import Message
from engine.model.enums import DataType, OrderSide, OrderType, PositionSide, TimeInForce, TradingState
from engine.model.instrument import TradingInstrument
from engine.model.order import Order
from engine.model.timestamps import datetime_from_ns


class OrderCommand(Message, frozen=True, kw_only=True, gc=False):
    """Fields every order command shares: who asks, on which account, for which instrument."""

    execution_id: str
    trading_account_id: str
    exchange_id: str
    symbol: str


class SubmitOrder(OrderCommand, frozen=True, kw_only=True, gc=False):
    client_order_id: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_time: int | None = None
    post_only: bool = False
    reduce_only: bool = False
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    trailing_stop_callback_rate: Decimal | None = None
    trailing_stop_activation_price: Decimal | None = None
    leverage: int | None = None
    position_side: PositionSide | None = None
    # Set only by the OrderEmulator on the order a stop releases the moment a bar fires it: where the
    # stop met the market (its level, or the bar's open after a gap). A live venue adapter sends the
    # market (or limit) order without it; the simulated venue, when bars alone drive the instrument,
    # fills there, not at the bar's close.
    trigger_price: Decimal | None = None


class CancelOrder(OrderCommand, frozen=True, kw_only=True, gc=False):
    client_order_id: str
    reason: str = ""


class ModifyOrder(OrderCommand, frozen=True, kw_only=True, gc=False):
    client_order_id: str
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None


class CancelAllOrders(OrderCommand, frozen=True, kw_only=True, gc=False):
    """Cancel every open order of ``execution_id`` on the instrument (``symbol == ""``: all instruments)."""

    reason: str = ""


class QueryOrder(OrderCommand, frozen=True, kw_only=True, gc=False):
    """Ask the venue what became of an order whose outcome is unknown (reconciliation)."""

    client_order_id: str


class ClosePosition(OrderCommand, frozen=True, kw_only=True, gc=False):
    position_side: PositionSide | None = None


class SubscribeData(Message, frozen=True, kw_only=True, gc=False):
    """Ask the data side for a stream; ``interval`` names a bar aggregation (``"1m"``) for bars."""

    exchange_id: str
    symbol: str
    data_type: DataType
    interval: str = ""


class UnsubscribeData(Message, frozen=True, kw_only=True, gc=False):
    exchange_id: str
    symbol: str
    data_type: DataType
    interval: str = ""


class RequestBookSnapshot(Message, frozen=True, kw_only=True, gc=False):
    """Sent to a data client when a book is stale (sequence gap): resync, never trade on a wrong book."""

    exchange_id: str
    symbol: str


class SetTradingState(Message, frozen=True, kw_only=True, gc=False):
    """Operator or kill switch: move the RiskEngine to ``state`` (halted by the kill switch)."""

    state: TradingState
    reason: str = ""
    cancel_all: bool = False


def order_from_command(cmd: SubmitOrder, instrument: TradingInstrument, created_at: datetime) -> Order:
    """The ``pending`` Order a ``SubmitOrder`` for ``instrument`` becomes (not validated, not stored):
    what the RiskEngine judges, what the OMS stores, what a strategy sees while it is on its way."""
    return Order(
        order_id=cmd.client_order_id,
        instrument=instrument,
        side=cmd.side,
        order_type=cmd.order_type,
        quantity=cmd.quantity,
        trading_account_id=cmd.trading_account_id,
        created_at=created_at,
        updated_at=created_at,
        price=cmd.price,
        stop_price=cmd.stop_price,
        time_in_force=cmd.time_in_force,
        stop_loss_price=cmd.stop_loss_price,
        take_profit_price=cmd.take_profit_price,
        trailing_stop_callback_rate=cmd.trailing_stop_callback_rate,
        trailing_stop_activation_price=cmd.trailing_stop_activation_price,
        execution_id=cmd.execution_id,
        expire_time=None if cmd.expire_time is None else datetime_from_ns(cmd.expire_time),
        post_only=cmd.post_only,
        reduce_only=cmd.reduce_only,
        leverage=cmd.leverage,
        position_side=cmd.position_side,
    )
