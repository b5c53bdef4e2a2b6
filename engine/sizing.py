"""Position sizing the way strategy authors expect it, always landing on a tradable quantity.

Every helper rounds *down* to the instrument's quantity step (never risk more than asked),
caps at ``max_order_size``, and returns ``Decimal(0)`` when the result is below
``min_order_size``: zero means "too small to trade", which a strategy checks before submitting.
Percentages are percents: ``percent=2`` is 2 %.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from engine.errors import ValidationError
from engine.model import TradingInstrument

_HUNDRED = Decimal(100)


def tradable(quantity: Decimal, instrument: TradingInstrument) -> Decimal:
    """Round down to the step, cap at the maximum, zero below the minimum."""
    if quantity <= 0:
        return Decimal(0)
    stepped = quantity.quantize(instrument.quantity_step, rounding=ROUND_DOWN)
    stepped = min(stepped, instrument.max_order_size)
    return stepped if stepped >= instrument.min_order_size else Decimal(0)


def fixed_base(quantity: Decimal, instrument: TradingInstrument) -> Decimal:
    """A fixed quantity of the base currency (``0.01`` BTC)."""
    return tradable(quantity, instrument)


def fixed_quote(amount: Decimal, price: Decimal, instrument: TradingInstrument) -> Decimal:
    """As much base as ``amount`` of quote currency buys at ``price`` (``1000`` USDT of BTC)."""
    _require_positive("price", price)
    return tradable(amount / (price * instrument.contract_specifications.contract_size), instrument)


def percent_of_equity(
    percent: Decimal, equity: Decimal, price: Decimal, instrument: TradingInstrument, leverage: int = 1
) -> Decimal:
    """A position whose notional is ``percent`` of equity (times leverage)."""
    return fixed_quote(equity * percent / _HUNDRED * leverage, price, instrument)


def risk_based(
    percent: Decimal,
    equity: Decimal,
    entry_price: Decimal,
    stop_price: Decimal,
    instrument: TradingInstrument,
) -> Decimal:
    """A position that loses ``percent`` of equity if the stop-loss at ``stop_price`` is hit."""
    distance = abs(entry_price - stop_price)
    _require_positive("stop distance", distance)
    risk = equity * percent / _HUNDRED
    return tradable(risk / (distance * instrument.contract_specifications.contract_size), instrument)


def _require_positive(name: str, value: Decimal) -> None:
    if value <= 0:
        raise ValidationError("sizing.positive", value, f"{name} must be positive")
