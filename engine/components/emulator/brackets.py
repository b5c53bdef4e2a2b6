"""Brackets as data: the exits an entry's fill calls for, and what a fill of one exit asks of the other.

An entry carrying ``stop_loss_price`` / ``take_profit_price`` gets two reduce-only exits on the
opposite side, both sized to the entry's filled quantity: ``<entry>-SL``, a stop at the stop-loss
price (market once triggered), and ``<entry>-TP``, a limit at the take-profit price. They are one
cancels the other: once one exit has filled ``f`` of the bracket's size ``S``, the other may only
close ``S - f``, so it is shrunk to that, or cancelled when nothing is left for it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.messages import SubmitOrder
from engine.model import Order, OrderType

STOP_LOSS_SUFFIX = "-SL"
TAKE_PROFIT_SUFFIX = "-TP"
CANCEL = Decimal(0)


def exit_orders(entry: Order, quantity: Decimal, now_ns: int) -> list[SubmitOrder]:
    """The entry's exits for ``quantity``: stop-loss first, then take-profit (only those it asks for)."""
    common: dict[str, Any] = {
        "ts_event": now_ns,
        "ts_init": now_ns,
        "execution_id": entry.execution_id,
        "trading_account_id": entry.trading_account_id,
        "exchange_id": entry.instrument.exchange_id,
        "symbol": entry.instrument.symbol,
        "side": entry.side.opposite,
        "quantity": quantity,
        "reduce_only": True,
        "position_side": entry.position_side,
    }
    exits = []
    if entry.stop_loss_price is not None:
        exits.append(
            SubmitOrder(
                **common,
                client_order_id=entry.order_id + STOP_LOSS_SUFFIX,
                order_type=OrderType.STOP,
                stop_price=entry.stop_loss_price,
            )
        )
    if entry.take_profit_price is not None:
        exits.append(
            SubmitOrder(
                **common,
                client_order_id=entry.order_id + TAKE_PROFIT_SUFFIX,
                order_type=OrderType.LIMIT,
                price=entry.take_profit_price,
            )
        )
    return exits


def sibling_quantity(size: Decimal, filled: Decimal, sibling: Order) -> Decimal | None:
    """What one exit having filled ``filled`` of ``size`` asks of its open ``sibling``: the quantity it
    must be modified to, ``CANCEL`` if nothing is left for it, or ``None`` if it is right as it is."""
    target = size - filled
    if target <= sibling.filled_quantity:
        return CANCEL
    return None if target == sibling.quantity else target
