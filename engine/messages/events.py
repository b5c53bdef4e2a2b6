"""Events: what happened to orders, positions and accounts."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.messages.base import Message
from engine.messages.commands import SubmitOrder
from engine.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    PositionSide,
    PositionStatus,
    TradingState,
)


class OrderEvent(Message, frozen=True, kw_only=True, gc=False):
    client_order_id: str
    trading_account_id: str
    exchange_id: str
    symbol: str
    execution_id: str = ""


class OrderAccepted(OrderEvent, frozen=True, kw_only=True, gc=False):
    """The venue took the order: it stays ``pending`` and gains its ``exchange_order_id``."""

    exchange_order_id: str


class OrderRejected(OrderEvent, frozen=True, kw_only=True, gc=False):
    """Definitive refusal, by the venue or by the RiskEngine (``reason_code`` is machine-readable)."""

    reason_code: str
    reason: str


class OrderFilled(OrderEvent, frozen=True, kw_only=True, gc=False):
    """One fill, partial or full; ``fill_id`` makes a duplicate report harmless."""

    exchange_order_id: str
    fill_id: str
    side: OrderSide
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity_side: LiquiditySide
    position_side: PositionSide | None = None
    liquidation: bool = False


class OrderDenied(Message, frozen=True, kw_only=True, gc=False):
    """The RiskEngine refused a command before it reached a venue; the OMS turns it into ``rejected``."""

    command: SubmitOrder
    reason_code: str
    reason: str


class ModifyDenied(OrderEvent, frozen=True, kw_only=True, gc=False):
    """The RiskEngine refused a ``ModifyOrder``: the order itself is untouched and stays as it was."""

    reason_code: str
    reason: str


class OrderCancelled(OrderEvent, frozen=True, kw_only=True, gc=False):
    reason: str = ""
    # what the venue had filled of the order when it cancelled it (Binance's ``z``, Bybit's
    # ``cumExecQty``); None when the venue does not say. More than the OMS heard of: a fill was lost.
    filled_quantity: Decimal | None = None


class OrderUpdated(OrderEvent, frozen=True, kw_only=True, gc=False):
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None


class OrderStatusUnknown(OrderEvent, frozen=True, kw_only=True, gc=False):
    """The request left us but no definitive answer came (timeout, 5xx, dropped connection):
    the order stays ``pending``, flagged, until a query or reconciliation settles it."""

    reason: str


class OrderStatusReport(OrderEvent, frozen=True, kw_only=True, gc=False):
    """What the venue says an order's state is, in answer to a query or at reconciliation."""

    exchange_order_id: str
    status: OrderStatus
    filled_quantity: Decimal
    average_price: Decimal | None = None
    reason: str = ""
    # every fee the order has paid so far, when the venue's order query says (Bybit's cumExecFee);
    # None when it does not (Binance's order query has no fee)
    fee: Decimal | None = None
    fee_currency: str = ""


class PositionEvent(Message, frozen=True, kw_only=True, gc=False):
    position_id: str
    trading_account_id: str
    exchange_id: str
    symbol: str
    side: PositionSide
    status: PositionStatus
    quantity: Decimal
    entry_price: Decimal
    current_price: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    execution_id: str = ""
    # the position's fees so far (``Position.fees``): realized_pnl - fees is what a closed one made
    fees: Decimal = Decimal(0)


class PositionOpened(PositionEvent, frozen=True, kw_only=True, gc=False):
    pass


class PositionChanged(PositionEvent, frozen=True, kw_only=True, gc=False):
    pass


class PositionClosed(PositionEvent, frozen=True, kw_only=True, gc=False):
    pass


class PositionLiquidated(PositionEvent, frozen=True, kw_only=True, gc=False):
    pass


class Balance(msgspec.Struct, frozen=True, gc=False):
    currency: str
    total: Decimal
    available: Decimal
    used: Decimal


class AccountState(Message, frozen=True, kw_only=True):
    trading_account_id: str
    exchange_id: str
    balances: tuple[Balance, ...]
    total_pnl: Decimal


class TradingStateChanged(Message, frozen=True, kw_only=True, gc=False):
    state: TradingState
    reason: str
