"""RSI mean reversion on bars: fade a move once RSI leaves its band, with a stop-loss/take-profit bracket.

Definitions (the test recomputes them independently):

- RSI with Wilder's smoothing, in Decimal. A bar's change is ``close - previous close``; its gain is
  ``max(change, 0)``, its loss ``max(-change, 0)``. The first averages are the simple means of the
  first ``period`` gains and losses (so the first RSI comes on bar ``period + 1``); after that
  ``avg = (avg * (period - 1) + x) / period``. ``RSI = 100 - 100 / (1 + avg_gain / avg_loss)``, and
  ``RSI = 100`` when ``avg_loss`` is 0.
- A cross compares two consecutive RSI values: below ``oversold`` when ``prev >= oversold > rsi``,
  above ``overbought`` when ``prev <= overbought < rsi``. RSI is updated on every bar, in a position
  or not; a cross that happens while not flat is ignored, not remembered.
- Flat means: no position of this execution on the instrument and no open order (the entry and both
  bracket exits have ended), as the strategy knows it in ``on_bar``. Only then does a cross trade, so
  there is one position at a time. An exit filled by a bar reaches the strategy after that bar's
  ``on_bar`` (the bus delivers the fill once every handler of the bar has run), so a cross on the very
  bar that closes the position is not traded.
- Cross below ``oversold``: market buy ``size`` with ``stop_loss_price = close * (1 - stop_loss_pct/100)``
  and ``take_profit_price = close * (1 + take_profit_pct/100)``. Cross above ``overbought``: market
  sell ``size`` with ``stop_loss_price = close * (1 + stop_loss_pct/100)`` and
  ``take_profit_price = close * (1 - take_profit_pct/100)``. Both prices are rounded to the
  instrument's tick AWAY from the close (long: stop down, target up; short: stop up, target down), so
  they stay on the tick grid, on the correct side of the entry, and never tighter than asked.

The OrderEmulator turns the bracket into a reduce-only stop ``<id>-SL`` and limit ``<id>-TP`` once the
entry fills, one cancelling the other. On the simulated exchange with bars only, the entry fills at the
signal bar's close, the take-profit at its own price, and the stop at its own price too (or at the
open of a bar that gapped through it).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import msgspec

from engine.messages import Bar
from engine.model import OrderSide
from engine.strategy import Strategy

_HUNDRED = Decimal(100)


class RsiReversionParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    period: int = 14
    oversold: Decimal = Decimal(30)
    overbought: Decimal = Decimal(70)
    size: Decimal = Decimal(1)
    stop_loss_pct: Decimal = Decimal(1)  # percent: 1 is 1 %
    take_profit_pct: Decimal = Decimal(2)
    interval: str = "1m"

    def __post_init__(self) -> None:
        if self.period < 1:
            raise ValueError(f"period must be >= 1, got {self.period}")
        if not 0 <= self.oversold < self.overbought <= _HUNDRED:
            raise ValueError(
                f"need 0 <= oversold < overbought <= 100, got oversold={self.oversold} "
                f"overbought={self.overbought}"
            )
        if not (self.size.is_finite() and self.size > 0):
            raise ValueError(f"size must be positive, got {self.size}")
        for name in ("stop_loss_pct", "take_profit_pct"):
            value: Decimal = getattr(self, name)
            if not (value.is_finite() and 0 < value < _HUNDRED):
                raise ValueError(f"{name} must be in (0, 100) percent, got {value}")


class WilderRsi:
    """RSI over ``period`` changes with Wilder's smoothing; ``update`` returns None until it has one."""

    def __init__(self, period: int) -> None:
        self.period = period
        self.previous: Decimal | None = None
        self.changes = 0
        self.avg_gain = Decimal(0)  # within the seed window: the running sums
        self.avg_loss = Decimal(0)

    def update(self, close: Decimal) -> Decimal | None:
        previous, self.previous = self.previous, close
        if previous is None:
            return None
        change = close - previous
        gain, loss = max(change, Decimal(0)), max(-change, Decimal(0))
        n = self.period
        self.changes += 1
        if self.changes <= n:
            self.avg_gain += gain
            self.avg_loss += loss
            if self.changes < n:
                return None
            self.avg_gain /= n
            self.avg_loss /= n
        else:
            self.avg_gain = (self.avg_gain * (n - 1) + gain) / n
            self.avg_loss = (self.avg_loss * (n - 1) + loss) / n
        if self.avg_loss == 0:
            return _HUNDRED
        return _HUNDRED - _HUNDRED / (1 + self.avg_gain / self.avg_loss)


def to_tick(price: Decimal, tick: Decimal, rounding: str) -> Decimal:
    """``price`` on the tick grid, rounded with ``ROUND_FLOOR`` or ``ROUND_CEILING``."""
    return (price / tick).to_integral_value(rounding) * tick


class RsiReversion(Strategy):
    """Buys an RSI cross below ``oversold``, sells one above ``overbought``, each with an SL/TP bracket."""

    Params = RsiReversionParams

    def on_start(self) -> None:
        self.rsi = WilderRsi(self.p.period)
        self.last_rsi: Decimal | None = None
        self.subscribe_bars(self.p.interval)

    def on_bar(self, bar: Bar) -> None:
        rsi, previous = self.rsi.update(bar.close), self.last_rsi
        self.last_rsi = rsi
        if rsi is None or previous is None or not self.is_flat():
            return
        if previous >= self.p.oversold > rsi:
            self.enter(OrderSide.BUY, bar.close)
        elif previous <= self.p.overbought < rsi:
            self.enter(OrderSide.SELL, bar.close)

    def is_flat(self) -> bool:
        return self.net_quantity() == 0 and not self.orders(open_only=True)

    def enter(self, side: OrderSide, close: Decimal) -> None:
        tick = self.instrument.tick_size
        stop, target = self.p.stop_loss_pct / _HUNDRED, self.p.take_profit_pct / _HUNDRED
        if side is OrderSide.BUY:
            stop_loss = to_tick(close * (1 - stop), tick, ROUND_FLOOR)
            take_profit = to_tick(close * (1 + target), tick, ROUND_CEILING)
        else:
            stop_loss = to_tick(close * (1 + stop), tick, ROUND_CEILING)
            take_profit = to_tick(close * (1 - target), tick, ROUND_FLOOR)
        self.submit_order(side, self.p.size, stop_loss_price=stop_loss, take_profit_price=take_profit)
