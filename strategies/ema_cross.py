"""EMA cross on bars: long while the fast EMA is above the slow one, short once it falls below.

Definitions (the yardstick test recomputes them independently): each EMA is seeded with the
first close and updated with ``ema += alpha * (close - ema)``, ``alpha = 2 / (n + 1)``, in
Decimal. After every bar, ``above = fast > slow``; a change of ``above`` from one bar to the
next is a cross (the seed bar counts as not above). On a cross the strategy sends one market
order that takes it to ``+size`` (cross up) or ``-size`` (cross down): ``size`` from flat,
``2 * size`` when flipping.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.messages import Bar
from engine.model import OrderSide
from engine.strategy import Strategy


class EmaCrossParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    fast: int = 10
    slow: int = 20
    size: Decimal = Decimal(1)
    interval: str = "1m"

    def __post_init__(self) -> None:
        if not 0 < self.fast < self.slow:
            raise ValueError(f"need 0 < fast < slow, got fast={self.fast} slow={self.slow}")
        if self.size <= 0:
            raise ValueError(f"size must be positive, got {self.size}")


class EmaCross(Strategy):
    """Flips between long and short ``size`` on each cross of EMA(fast) and EMA(slow) of closes."""

    Params = EmaCrossParams

    def on_start(self) -> None:
        self.alpha_fast = Decimal(2) / (self.p.fast + 1)
        self.alpha_slow = Decimal(2) / (self.p.slow + 1)
        self.ema_fast: Decimal | None = None
        self.ema_slow = Decimal(0)
        self.above = False
        self.target = Decimal(0)
        self.subscribe_bars(self.p.interval)

    def on_bar(self, bar: Bar) -> None:
        close = bar.close
        if self.ema_fast is None:
            self.ema_fast = self.ema_slow = close
            return
        self.ema_fast += self.alpha_fast * (close - self.ema_fast)
        self.ema_slow += self.alpha_slow * (close - self.ema_slow)
        above = self.ema_fast > self.ema_slow
        if above == self.above:
            return
        self.above = above
        target = self.p.size if above else -self.p.size
        delta = target - self.target
        self.target = target
        self.submit_order(OrderSide.BUY if delta > 0 else OrderSide.SELL, abs(delta))
