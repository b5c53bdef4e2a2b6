"""The spec's validation rules as pure functions: each refuses a bad value with a stable rule code.

Every refusal is a ``ValidationError`` subclass whose ``rule`` is one of ``RULE_CODES`` and
whose message names the rule and the offending value. The RiskEngine runs ``validate_order``
before an order leaves the engine; the ``Store`` runs the entity checks when it admits an entity.

"Positive" follows the spec: prices, quantities and sizes must be ``> 0``; balances, margin
and rates may be zero but never negative (an empty wallet is valid); PnL and fees (maker
rebates) may be negative and are not checked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from engine.errors import ValidationError
from engine.model.enums import OrderSide, OrderType, TimeInForce

if TYPE_CHECKING:
    from engine.model.account import TradingAccount
    from engine.model.instrument import TradingInstrument
    from engine.model.order import Order
    from engine.model.position import Position

RULE_CODES: tuple[str, ...] = (
    "amount.positive",
    "amount.non_negative",
    "instrument.order_size.range",
    "instrument.precision.range",
    "instrument.max_leverage.range",
    "order.quantity.min",
    "order.quantity.max",
    "order.quantity.precision",
    "order.price.missing",
    "order.price.positive",
    "order.price.precision",
    "order.price.tick",
    "order.stop_price.missing",
    "order.stop_price.positive",
    "order.stop_price.precision",
    "order.stop_price.tick",
    "order.stop_loss_price.positive",
    "order.stop_loss_price.precision",
    "order.stop_loss_price.tick",
    "order.take_profit_price.positive",
    "order.take_profit_price.precision",
    "order.take_profit_price.tick",
    "order.trailing_stop_activation_price.positive",
    "order.trailing_stop_activation_price.precision",
    "order.trailing_stop_activation_price.tick",
    "order.trailing_stop_callback_rate.missing",
    "order.trailing_stop_callback_rate.range",
    "order.expire_time.missing",
    "order.stop_loss.side",
    "order.take_profit.side",
    "order.fill.quantity",
    "order.fill.price",
    "order.fill.overfill",
    "position.leverage.min",
    "position.leverage.max",
)

PriceField = Literal[
    "price", "stop_price", "stop_loss_price", "take_profit_price", "trailing_stop_activation_price"
]

# Binance USD-M `callbackRate` is a percentage in [0.1, 10]; we accept (0, 10] and let the venue
# refuse finer values, so the same rule serves venues with smaller minimums.
MAX_CALLBACK_RATE = Decimal(10)

_LIMIT_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_STOP_PRICED = (OrderType.STOP, OrderType.STOP_LIMIT)


class AmountError(ValidationError):
    """A monetary value or size is negative, zero where it must be positive, or not finite."""


class InstrumentError(ValidationError):
    """An instrument's own trading rules contradict each other."""


class QuantityError(ValidationError):
    """An order quantity is outside the instrument's limits or finer than its precision."""


class PriceError(ValidationError):
    """A price is not positive, finer than the price precision, or off the tick grid."""


class MissingField(ValidationError):
    """The order type or time in force needs a field the order lacks."""


class TrailingStopError(ValidationError):
    """A trailing stop's callback rate is outside (0, ``MAX_CALLBACK_RATE``] percent."""


class StopLossTakeProfitError(ValidationError):
    """A stop-loss or take-profit sits on the wrong side of the reference price."""


class LeverageError(ValidationError):
    """Leverage is below 1 or above the instrument's ``max_leverage``."""


class FillError(ValidationError):
    """A fill is not positive or would take the order beyond its quantity."""


def require_positive(name: str, value: Decimal) -> None:
    """Prices, quantities and sizes: strictly greater than zero."""
    if not value.is_finite() or value <= 0:
        raise AmountError("amount.positive", value, f"{name} must be > 0")


def require_non_negative(name: str, value: Decimal) -> None:
    """Balances, margin and rates: zero is fine, below zero is not."""
    if not value.is_finite() or value < 0:
        raise AmountError("amount.non_negative", value, f"{name} must be >= 0")


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """Exact test that ``value`` is an integer multiple of ``step`` (no context rounding)."""
    value_num, value_den = value.as_integer_ratio()
    step_num, step_den = step.as_integer_ratio()
    return (value_num * step_den) % (value_den * step_num) == 0


def check_quantity(quantity: Decimal, instrument: TradingInstrument) -> None:
    """Within ``[min_order_size, max_order_size]`` and no finer than ``quantity_precision``."""
    require_positive("quantity", quantity)
    if quantity < instrument.min_order_size:
        raise QuantityError(
            "order.quantity.min", quantity, f"below min_order_size {instrument.min_order_size}"
        )
    if quantity > instrument.max_order_size:
        raise QuantityError(
            "order.quantity.max", quantity, f"above max_order_size {instrument.max_order_size}"
        )
    if not is_multiple(quantity, instrument.quantity_step):
        raise QuantityError(
            "order.quantity.precision", quantity, f"more than {instrument.quantity_precision} decimals"
        )


def check_price(price: Decimal, instrument: TradingInstrument, field: PriceField = "price") -> None:
    """Positive, no finer than ``price_precision``, and a multiple of ``tick_size``."""
    if not price.is_finite() or price <= 0:
        raise PriceError(f"order.{field}.positive", price, f"{field} must be > 0")
    if not is_multiple(price, Decimal(1).scaleb(-instrument.price_precision)):
        raise PriceError(
            f"order.{field}.precision", price, f"{field} has more than {instrument.price_precision} decimals"
        )
    if not is_multiple(price, instrument.tick_size):
        raise PriceError(f"order.{field}.tick", price, f"{field} is not a multiple of {instrument.tick_size}")


def check_leverage(leverage: int, instrument: TradingInstrument) -> None:
    """At least 1 and at most the instrument's ``contract_specifications.max_leverage``."""
    if leverage < 1:
        raise LeverageError("position.leverage.min", leverage, "leverage must be >= 1")
    maximum = instrument.contract_specifications.max_leverage
    if leverage > maximum:
        raise LeverageError("position.leverage.max", leverage, f"above max_leverage {maximum}")


def check_stop_loss_take_profit(
    side: OrderSide, reference: Decimal, stop_loss: Decimal | None, take_profit: Decimal | None
) -> None:
    """A buy needs ``stop_loss < reference < take_profit``; a sell needs the mirror image."""
    sign = side.sign
    if stop_loss is not None and (reference - stop_loss) * sign <= 0:
        relation = "<" if side is OrderSide.BUY else ">"
        raise StopLossTakeProfitError(
            "order.stop_loss.side", stop_loss, f"a {side} needs stop_loss_price {relation} {reference}"
        )
    if take_profit is not None and (take_profit - reference) * sign <= 0:
        relation = ">" if side is OrderSide.BUY else "<"
        raise StopLossTakeProfitError(
            "order.take_profit.side", take_profit, f"a {side} needs take_profit_price {relation} {reference}"
        )


def check_trailing_stop(order: Order) -> None:
    """A callback rate in (0, 10] percent, and an activation price (optional) on the tick grid."""
    rate = order.trailing_stop_callback_rate
    if rate is None:
        raise MissingField("order.trailing_stop_callback_rate.missing", None, "a trailing_stop needs it")
    if not rate.is_finite() or not 0 < rate <= MAX_CALLBACK_RATE:
        raise TrailingStopError(
            "order.trailing_stop_callback_rate.range", rate, f"must be in (0, {MAX_CALLBACK_RATE}] percent"
        )
    if order.trailing_stop_activation_price is not None:
        check_price(order.trailing_stop_activation_price, order.instrument, "trailing_stop_activation_price")


def validate_order(order: Order, market_price: Decimal | None) -> None:
    """Run every rule that applies to ``order`` and raise the first violation.

    The stop-loss / take-profit reference is the limit price for limit and stop-limit orders,
    else ``market_price``; with neither known the side check is skipped (the prices are still
    checked against the tick grid).
    """
    instrument = order.instrument
    check_quantity(order.quantity, instrument)
    if order.order_type in _LIMIT_PRICED:
        if order.price is None:
            raise MissingField("order.price.missing", None, f"a {order.order_type} order needs a price")
        check_price(order.price, instrument, "price")
    if order.order_type in _STOP_PRICED:
        if order.stop_price is None:
            raise MissingField(
                "order.stop_price.missing", None, f"a {order.order_type} order needs a stop_price"
            )
        check_price(order.stop_price, instrument, "stop_price")
    if order.order_type is OrderType.TRAILING_STOP:
        check_trailing_stop(order)
    if order.time_in_force is TimeInForce.GTD and order.expire_time is None:
        raise MissingField("order.expire_time.missing", None, "a GTD order needs an expire_time")
    if order.leverage is not None:
        check_leverage(order.leverage, instrument)
    if order.stop_loss_price is not None:
        check_price(order.stop_loss_price, instrument, "stop_loss_price")
    if order.take_profit_price is not None:
        check_price(order.take_profit_price, instrument, "take_profit_price")
    reference = order.price if order.order_type in _LIMIT_PRICED else market_price
    if reference is not None:
        check_stop_loss_take_profit(order.side, reference, order.stop_loss_price, order.take_profit_price)


def validate_instrument(instrument: TradingInstrument) -> None:
    """An instrument's own rules must make sense before orders are checked against them."""
    require_positive("min_order_size", instrument.min_order_size)
    require_positive("max_order_size", instrument.max_order_size)
    require_positive("tick_size", instrument.tick_size)
    if instrument.max_order_size < instrument.min_order_size:
        raise InstrumentError(
            "instrument.order_size.range",
            instrument.max_order_size,
            f"max_order_size below min_order_size {instrument.min_order_size}",
        )
    for name, precision in (
        ("price_precision", instrument.price_precision),
        ("quantity_precision", instrument.quantity_precision),
    ):
        if precision < 0:
            raise InstrumentError("instrument.precision.range", precision, f"{name} must be >= 0")
    specs = instrument.contract_specifications
    if specs.max_leverage < 1:
        raise InstrumentError(
            "instrument.max_leverage.range", specs.max_leverage, "max_leverage must be >= 1"
        )
    require_positive("contract_size", specs.contract_size)
    require_non_negative("maintenance_margin_rate", specs.maintenance_margin_rate)
    require_non_negative("min_notional", specs.min_notional)


def validate_account(account: TradingAccount) -> None:
    """Every balance, available and used, is zero or more (``total_pnl`` may be negative)."""
    for label, balances in (
        ("balance", account.balance),
        ("available_balance", account.available_balance),
        ("used_balance", account.used_balance),
    ):
        for currency, amount in balances.items():
            require_non_negative(f"{label}[{currency}]", amount)


def validate_position(position: Position) -> None:
    """Prices positive, margin not negative, leverage within the instrument's cap (PnL unchecked)."""
    require_positive("entry_price", position.entry_price)
    require_positive("current_price", position.current_price)
    if position.liquidation_price is not None:
        require_positive("liquidation_price", position.liquidation_price)
    require_non_negative("margin_used", position.margin_used)
    check_leverage(position.leverage, position.instrument)
