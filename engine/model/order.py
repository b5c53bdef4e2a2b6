"""Order: a trading instruction and its lifecycle, moved only through ``ORDER_MACHINE``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from engine.errors import InvalidTransition
from engine.model.enums import OrderSide, OrderStatus, OrderType, PositionSide, TimeInForce
from engine.model.instrument import TradingInstrument
from engine.model.rules import FillError
from engine.model.state import ORDER_MACHINE, transition
from engine.model.timestamps import UtcDatetime


class Order(msgspec.Struct, kw_only=True):
    """The spec's Order, plus what the engine needs to track it.

    Engine additions (not in the spec): ``filled_quantity`` and ``average_fill_price`` (what has
    been executed so far), ``execution_id`` (the StrategyExecution that placed it, ``""`` for the
    operator), ``expire_time`` (GTD), ``post_only``, ``reduce_only``, ``status_reason`` (why it was
    cancelled or rejected), ``leverage`` and ``position_side`` (hedge-mode futures), ``in_doubt``
    (the venue's answer to a request was lost: the OMS flags it until a report or event settles it).

    Every method is pure and all-or-nothing: an illegal move raises and leaves the order unchanged.
    """

    order_id: str
    instrument: TradingInstrument
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    trading_account_id: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    exchange_order_id: str = ""
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    status: OrderStatus = OrderStatus.PENDING
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    trailing_stop_callback_rate: Decimal | None = None
    trailing_stop_activation_price: Decimal | None = None
    # engine additions
    filled_quantity: Decimal = Decimal(0)
    average_fill_price: Decimal | None = None
    execution_id: str = ""
    expire_time: UtcDatetime | None = None
    post_only: bool = False
    reduce_only: bool = False
    status_reason: str = ""
    leverage: int | None = None
    position_side: PositionSide | None = None
    in_doubt: bool = False

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def is_open(self) -> bool:
        """Not in a terminal status yet: it can still be filled or cancelled."""
        return not ORDER_MACHINE.is_terminal(self.status)

    @property
    def is_terminal(self) -> bool:
        return ORDER_MACHINE.is_terminal(self.status)

    def apply_fill(self, quantity: Decimal, price: Decimal, ts: datetime) -> None:
        """Record one fill: quantities, quantity-weighted average price, and ``partial`` or ``filled``."""
        if not quantity.is_finite() or quantity <= 0:
            raise FillError("order.fill.quantity", quantity, "fill quantity must be > 0")
        if not price.is_finite() or price <= 0:
            raise FillError("order.fill.price", price, "fill price must be > 0")
        filled = self.filled_quantity + quantity
        if filled > self.quantity:
            raise FillError(
                "order.fill.overfill", quantity, f"{self.order_id}: {filled} filled of {self.quantity}"
            )
        target = OrderStatus.FILLED if filled == self.quantity else OrderStatus.PARTIAL
        # Further fills while partial stay partial: that is not a move of the machine (ARCHITECTURE).
        if not (self.status is OrderStatus.PARTIAL and target is OrderStatus.PARTIAL):
            self.status = transition(ORDER_MACHINE, self.status, target)
        previous_value = (self.average_fill_price or Decimal(0)) * self.filled_quantity
        self.average_fill_price = (previous_value + price * quantity) / filled
        self.filled_quantity = filled
        self.updated_at = ts

    def accept(self, exchange_order_id: str, ts: datetime) -> None:
        """The venue took the order: it keeps its status and gains its ``exchange_order_id``."""
        if self.is_terminal:
            raise InvalidTransition(ORDER_MACHINE.name, self.status, "accepted")
        self.exchange_order_id = exchange_order_id
        self.updated_at = ts

    def cancel(self, reason: str, ts: datetime) -> None:
        self.status = transition(ORDER_MACHINE, self.status, OrderStatus.CANCELLED)
        self.status_reason = reason
        self.updated_at = ts

    def reject(self, reason: str, ts: datetime) -> None:
        self.status = transition(ORDER_MACHINE, self.status, OrderStatus.REJECTED)
        self.status_reason = reason
        self.updated_at = ts
