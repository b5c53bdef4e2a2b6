"""What several components agree on about orders, written once: the Order a command makes, and how an
order held by the OrderEmulator is told apart from one a venue holds.

The RiskEngine judges the Order a ``SubmitOrder`` would become before it exists; the OMS creates that
same Order. The OrderEmulator acknowledges the orders it holds with an exchange order id starting
``EMULATED_PREFIX``: the OMS replaces that placeholder with the venue's id once the order is released,
and the Portfolio reserves nothing for a reduce-only exit the emulator merely holds.
"""

from __future__ import annotations

from datetime import datetime

from engine.messages import SubmitOrder
from engine.model import Order, TradingInstrument, datetime_from_ns

EMULATED_PREFIX = "emulated-"


def order_from_command(cmd: SubmitOrder, instrument: TradingInstrument, created_at: datetime) -> Order:
    """The ``pending`` Order a ``SubmitOrder`` for ``instrument`` becomes (not validated, not stored)."""
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


def is_emulated(exchange_order_id: str) -> bool:
    """Whether an exchange order id is the OrderEmulator's placeholder for an order it holds."""
    return exchange_order_id.startswith(EMULATED_PREFIX)
