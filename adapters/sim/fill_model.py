"""The simulated exchange's assumptions about prices and volume, in one place so they can be read and changed.

- A resting limit order fills at its own price (maker) when the market trades through it: a trade
  (or a bar's low/high) strictly beyond the price, or at it with ``fill_on_touch``. A quote whose
  opposite side reaches the price also fills it: a real venue would have matched that quote with
  our order, which sat in the book at that price.
- Fills from market data take at most ``volume_participation`` of the data's quantity (trade size,
  top-of-book size, bar volume), shared by all the orders that event fills, best price first.
- Quantities are cut down to the instrument's quantity step, never rounded up.
- Fees are ``price * quantity * rate`` in the quote currency, exact ``Decimal`` without rounding:
  the venue-side ledger and the Portfolio apply the same number, so nothing drifts.
- A bar is walked as open, low, high, close when it closed up (or flat), else open, high, low,
  close: the common assumption about what happened inside it.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from adapters.sim.config import SimConfig
from engine.messages import Bar

INFINITE = Decimal("Infinity")
ZERO = Decimal(0)


class Liquidity:
    """The quantity one market event offers our orders, in base units or (bar volume) quote units."""

    __slots__ = ("in_quote", "left")

    def __init__(self, left: Decimal, in_quote: bool = False) -> None:
        self.left = left
        self.in_quote = in_quote

    def base_at(self, price: Decimal) -> Decimal:
        """How much base quantity is left for an order filling at ``price``."""
        return self.left / price if self.in_quote else self.left

    def take(self, quantity: Decimal, price: Decimal) -> None:
        self.left -= quantity * price if self.in_quote else quantity


class FillModel:
    """The config's fill assumptions as small, pure methods (see the module docstring)."""

    __slots__ = ("fill_on_touch", "participation", "volume_in_quote")

    def __init__(self, config: SimConfig) -> None:
        self.fill_on_touch = config.fill_on_touch
        self.participation = config.volume_participation
        self.volume_in_quote = config.bar_volume_in_quote

    def buy_trades_through(self, limit: Decimal, price: Decimal) -> bool:
        """A trade at ``price`` fills a resting buy at ``limit``."""
        return price < limit or (self.fill_on_touch and price == limit)

    def sell_trades_through(self, limit: Decimal, price: Decimal) -> bool:
        """A trade at ``price`` fills a resting sell at ``limit``."""
        return price > limit or (self.fill_on_touch and price == limit)

    def trade_liquidity(self, quantity: Decimal) -> Liquidity:
        return Liquidity(quantity * self.participation)

    def bar_liquidity(self, bar: Bar) -> Liquidity:
        return Liquidity(bar.volume * self.participation, self.volume_in_quote)

    def level_liquidity(self, size: Decimal) -> Decimal:
        """What a top-of-book level of ``size`` offers an order that takes it."""
        return size * self.participation


def fill_quantity(remaining: Decimal, available: Decimal, step: Decimal) -> Decimal:
    """The quantity to fill: all that is left if the liquidity allows, else the liquidity cut to the step."""
    if available >= remaining:
        return remaining
    if available <= 0:
        return ZERO
    return (available / step).to_integral_value(ROUND_DOWN) * step


def fee(price: Decimal, quantity: Decimal, rate: Decimal) -> Decimal:
    """Fee in the quote currency, exact (negative for a maker rebate)."""
    return price * quantity * rate


def bar_path(bar: Bar) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The prices a bar is assumed to have passed through, in order."""
    if bar.close >= bar.open:
        return (bar.open, bar.low, bar.high, bar.close)
    return (bar.open, bar.high, bar.low, bar.close)
