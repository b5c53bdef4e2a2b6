"""The RiskEngine's pre-trade checks as pure functions, each refusing with a stable reason code.

A check returns ``None`` to let an order through or a ``Denial`` naming the value and the limit.
The engine runs them in the order of ``REASON_CODES``; the first denial wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from engine.errors import ValidationError
from engine.messages import SubmitOrder
from engine.model import (
    ExchangeStatus,
    Order,
    OrderSide,
    OrderType,
    Permission,
    Position,
    PositionSide,
    Store,
    TradingInstrument,
    validate_order,
)

# In the order the engine checks them. ``rule.<code>`` carries a code of ``engine.model.RULE_CODES``.
REASON_CODES: tuple[str, ...] = (
    "risk.halted",  # trading state halted: nothing new goes out
    "risk.trigger_price",  # only the emulator sets trigger_price, on the stops it releases
    "exchange.unknown",
    "exchange.status",  # the exchange is in maintenance or offline
    "account.unknown",
    "account.exchange",  # the account is on another exchange than the command names
    "account.permission",  # the account lacks the trade permission
    "instrument.unknown",  # the instrument is not listed on the exchange
    "instrument.trading_type",  # the instrument does not list the account's trading type
    "rule.<code>",  # a validation rule of the spec (size, precision, tick, leverage, SL/TP side)
    "risk.config",  # the strategy's risk_controls are invalid
    "risk.reduce_only",  # trading state reduce-only and the order does not reduce a position
    "risk.no_market_price",  # a notional limit applies but a market order has no price to value it
    "risk.order_notional",
    "risk.open_orders",
    "risk.position_size",
    "risk.rate",
)

_PRICED_BY_LIMIT = (OrderType.LIMIT, OrderType.STOP_LIMIT)


class Denial(NamedTuple):
    reason_code: str
    reason: str


def check_entities(store: Store, cmd: SubmitOrder) -> TradingInstrument | Denial:
    """The spec's constraints: an online exchange, an account allowed to trade there, a listed instrument.

    Returns the instrument the order will trade.
    """
    exchange = store.get_exchange(cmd.exchange_id)
    if exchange is None:
        return Denial("exchange.unknown", f"exchange {cmd.exchange_id!r} is not in the store")
    if exchange.status is not ExchangeStatus.ONLINE:
        return Denial("exchange.status", f"exchange {exchange.id} is {exchange.status}; orders need online")
    account = store.get_account(cmd.trading_account_id)
    if account is None:
        return Denial("account.unknown", f"account {cmd.trading_account_id!r} is not in the store")
    if account.exchange_id != cmd.exchange_id:
        return Denial(
            "account.exchange", f"account {account.account_id} is on {account.exchange_id}, not {exchange.id}"
        )
    if Permission.TRADE not in account.permissions:
        held = ", ".join(account.permissions) or "none"
        return Denial(
            "account.permission", f"account {account.account_id} lacks the trade permission (has: {held})"
        )
    instrument = store.get_instrument(cmd.exchange_id, cmd.symbol)
    if instrument is None:
        return Denial("instrument.unknown", f"instrument {cmd.symbol} is not listed on {cmd.exchange_id}")
    if account.account_type not in instrument.trading_types:
        listed = ", ".join(instrument.trading_types) or "none"
        return Denial(
            "instrument.trading_type",
            f"{cmd.symbol} on {cmd.exchange_id} trades as [{listed}], not as the account's "
            f"{account.account_type}",
        )
    return instrument


def check_rules(order: Order, market_price: Decimal | None) -> Denial | None:
    """The spec's validation rules (``validate_order``), as ``rule.<rule code>``."""
    try:
        validate_order(order, market_price)
    except ValidationError as exc:
        return Denial(f"rule.{exc.rule}", str(exc))
    return None


def order_notional(order: Order, market_price: Decimal | None) -> Decimal | None:
    """Quote value of the order's remaining quantity; ``None`` when nothing prices it.

    Limit-priced orders use their limit price, stop orders their stop price, the rest the market.
    An inverse contract is worth its contract size in quote whatever the price.
    """
    specs = order.instrument.contract_specifications
    if specs.is_inverse:
        return order.remaining_quantity * specs.contract_size
    if order.order_type in _PRICED_BY_LIMIT:
        price = order.price
    elif order.order_type is OrderType.STOP:
        price = order.stop_price
    else:
        price = market_price
    return None if price is None else order.remaining_quantity * price * specs.contract_size


def check_notional(order: Order, market_price: Decimal | None, limit: Decimal) -> Denial | None:
    notional = order_notional(order, market_price)
    symbol = order.instrument.symbol
    if notional is None:
        return Denial(
            "risk.no_market_price",
            f"no market price seen for {symbol}: cannot value a {order.order_type} order against "
            f"max_order_notional {limit}",
        )
    if notional > limit:
        currency = order.instrument.quote_currency
        return Denial(
            "risk.order_notional", f"order notional {notional} {currency} exceeds max_order_notional {limit}"
        )
    return None


def check_open_orders(account_id: str, open_orders: int, limit: int) -> Denial | None:
    if open_orders >= limit:
        return Denial(
            "risk.open_orders",
            f"account {account_id} has {open_orders} open orders; max_open_orders is {limit}",
        )
    return None


def is_reducing(order: Order, positions: Iterable[Position], open_orders: Iterable[Order]) -> bool:
    """Flagged reduce-only, or against an open position and, with the other open orders on its side,
    no larger than it.

    ``positions`` are the account's open positions in the order's instrument. In hedge mode the
    order's ``position_side`` names the position; in one-way mode a sell can reduce a long and a buy
    a short. Counting the open orders on the same side keeps two sells of a whole long from
    flipping it short.
    """
    if order.reduce_only:
        return True
    target = order.position_side or (
        PositionSide.LONG if order.side is OrderSide.SELL else PositionSide.SHORT
    )
    if order.side is not (OrderSide.SELL if target is PositionSide.LONG else OrderSide.BUY):
        return False
    held = next((p.quantity for p in positions if p.side is target), None)
    if held is None:
        return False
    return _pending_on_side(order, open_orders, reduce_only_too=True) + order.remaining_quantity <= held


def projected_position(order: Order, positions: Iterable[Position], open_orders: Iterable[Order]) -> Decimal:
    """Signed base quantity (long > 0) once the order and the open orders on its side all fill.

    Counts the position (in hedge mode the order's slot only) and the other open orders of the
    instrument on the same side that could add to it (reduce-only ones cannot).
    """
    slot = order.position_side
    held = Decimal(0)
    for p in positions:
        if slot is None or p.side is slot:
            held += p.quantity if p.side is PositionSide.LONG else -p.quantity
    pending = _pending_on_side(order, open_orders, reduce_only_too=False)
    return held + order.side.sign * (pending + order.remaining_quantity)


def _pending_on_side(order: Order, open_orders: Iterable[Order], *, reduce_only_too: bool) -> Decimal:
    """Remaining quantity of the other open orders of the instrument on the order's side and slot."""
    instrument = order.instrument
    pending = Decimal(0)
    for o in open_orders:
        if (
            o.side is order.side
            and o.position_side is order.position_side
            and (reduce_only_too or not o.reduce_only)
            and o.order_id != order.order_id
            and o.instrument.symbol == instrument.symbol
            and o.instrument.exchange_id == instrument.exchange_id
        ):
            pending += o.remaining_quantity
    return pending


def check_position_size(order: Order, projected: Decimal, limit: Decimal) -> Denial | None:
    if abs(projected) > limit:
        return Denial(
            "risk.position_size",
            f"{order.instrument.symbol} position would reach {abs(projected)} with this order and the open "
            f"ones on its side; max_position_size is {limit}",
        )
    return None
