"""When a held order fires: pure functions of a price and the order's state, so they can be proven alone.

Prices are what the order's side watches: a buy watches prices going up (trade price, the ask, a
bar's high), a sell prices going down (trade price, the bid, a bar's low).

- Stop: a buy fires at ``price >= stop_price``, a sell at ``price <= stop_price``.
- Trailing stop, ``callback_rate`` in percent: a sell activates at ``price >= activation_price`` (at
  the first price if it has none), then follows the highest price seen since (the activating one
  included) and fires at ``price <= peak * (1 - rate / 100)``. A buy mirrors it: activates at
  ``price <= activation_price``, follows the lowest price and fires at ``price >= trough * (1 + rate / 100)``.
  A price that activates the order or makes a new extreme never fires it.

A band ``(low, high)`` bounds the prices that can change anything: one strictly inside it leaves the
state as it is and fires nothing, so the caller may skip the step (the emulator's per-tick fast path).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from engine.model.enums import OrderSide

_HUNDRED = Decimal(100)
_ABOVE_ALL = Decimal("Infinity")
_BELOW_ALL = Decimal("-Infinity")
EVERY_PRICE_MATTERS = (_ABOVE_ALL, _BELOW_ALL)
NO_PRICE_MATTERS = (_BELOW_ALL, _ABOVE_ALL)


class TrailingState(NamedTuple):
    """Where a trailing stop stands: its extreme (``None`` until active) and the price that fires it."""

    extreme: Decimal | None = None
    trigger_price: Decimal = Decimal(0)

    @property
    def active(self) -> bool:
        return self.extreme is not None


INACTIVE = TrailingState()


def stop_triggered(side: OrderSide, stop_price: Decimal, price: Decimal) -> bool:
    return price >= stop_price if side is OrderSide.BUY else price <= stop_price


def trailing_trigger_price(side: OrderSide, extreme: Decimal, callback_rate: Decimal) -> Decimal:
    """The price at which a trailing stop fires, ``callback_rate`` percent back from its extreme."""
    if side is OrderSide.SELL:
        return extreme * (1 - callback_rate / _HUNDRED)
    return extreme * (1 + callback_rate / _HUNDRED)


def trailing_step(
    side: OrderSide,
    callback_rate: Decimal,
    activation_price: Decimal | None,
    state: TrailingState,
    price: Decimal,
) -> tuple[TrailingState, bool]:
    """Observe one price: the new state, and whether the order fires at this price."""
    extreme = state.extreme
    if extreme is None:
        if activation_price is not None and not _at_or_beyond(side, price, activation_price):
            return state, False
        return TrailingState(price, trailing_trigger_price(side, price, callback_rate)), False
    if _at_or_beyond(side, price, extreme):
        if price == extreme:
            return state, False
        return TrailingState(price, trailing_trigger_price(side, price, callback_rate)), False
    return state, stop_triggered(side, state.trigger_price, price)


def stop_band(side: OrderSide, stop_price: Decimal) -> tuple[Decimal, Decimal]:
    """Prices strictly inside cannot fire the stop."""
    return (_BELOW_ALL, stop_price) if side is OrderSide.BUY else (stop_price, _ABOVE_ALL)


def trailing_band(
    side: OrderSide, activation_price: Decimal | None, state: TrailingState
) -> tuple[Decimal, Decimal]:
    """Prices strictly inside neither activate the trailing stop, nor move its extreme, nor fire it."""
    extreme = state.extreme
    if extreme is None:
        if activation_price is None:
            return EVERY_PRICE_MATTERS
        return (activation_price, _ABOVE_ALL) if side is OrderSide.BUY else (_BELOW_ALL, activation_price)
    if side is OrderSide.BUY:
        return extreme, state.trigger_price
    return state.trigger_price, extreme


def _at_or_beyond(side: OrderSide, price: Decimal, level: Decimal) -> bool:
    """For a sell, at or above ``level``; for a buy, at or below (the way a trailing stop follows)."""
    return price >= level if side is OrderSide.SELL else price <= level
