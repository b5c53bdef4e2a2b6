"""Performance metrics of a strategy execution, computed from its equity curve and closed trades.

Definitions (so a user knows exactly what a figure means):

- A *trade* is one position round trip: from opening to closing (a flip closes one and opens
  another). Its PnL is realized PnL net of the fees of its fills.
- ``total_return`` = (final equity - initial equity) / initial equity.
- ``max_drawdown`` is the largest fall of equity from a running peak, in quote currency;
  ``max_drawdown_pct`` is that fall relative to the peak it fell from.
- ``sharpe`` and ``sortino`` use *daily* returns: the equity at the last sample of each UTC day,
  compared with the previous day's (the first day against the initial equity), annualised by
  sqrt(365) because crypto trades every day. The risk-free rate is 0. Sortino's denominator is
  the downside deviation: sqrt(mean(min(r, 0)^2)). Fewer than two daily returns give ``None``,
  as does a zero deviation.
- ``exposure_time`` is the fraction of the run's duration during which at least one position was
  open (overlapping positions count once).

Floats appear only in the ratios that need a square root (Sharpe, Sortino); money stays Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

import msgspec

NS_PER_DAY = 86_400_000_000_000
ANNUALISATION_DAYS = 365


class EquitySample(msgspec.Struct, frozen=True, array_like=True):
    ts: int
    equity: Decimal


class ClosedTrade(msgspec.Struct, frozen=True, kw_only=True):
    opened_ns: int
    closed_ns: int
    pnl: Decimal


class PerformanceMetrics(msgspec.Struct, frozen=True, kw_only=True):
    initial_equity: Decimal
    final_equity: Decimal
    total_return: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    trades: int
    wins: int
    losses: int
    win_rate: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    profit_factor: Decimal | None
    max_drawdown: Decimal
    max_drawdown_pct: Decimal
    sharpe: float | None
    sortino: float | None
    exposure_time: Decimal
    period: str = "daily returns, annualised by sqrt(365), risk-free rate 0"


def compute_metrics(
    *,
    initial_equity: Decimal,
    curve: Sequence[EquitySample],
    trades: Sequence[ClosedTrade],
    realized_pnl: Decimal,
    unrealized_pnl: Decimal,
    fees: Decimal,
    exposure_ns: int,
    start_ns: int,
    end_ns: int,
) -> PerformanceMetrics:
    final_equity = curve[-1].equity if curve else initial_equity
    wins = [t.pnl for t in trades if t.pnl > 0]
    losses = [t.pnl for t in trades if t.pnl < 0]
    gross_win = sum(wins, Decimal(0))
    gross_loss = -sum(losses, Decimal(0))
    drawdown, drawdown_pct = max_drawdown(initial_equity, curve)
    returns = daily_returns(initial_equity, curve)
    duration = end_ns - start_ns
    return PerformanceMetrics(
        initial_equity=initial_equity,
        final_equity=final_equity,
        total_return=(final_equity - initial_equity) / initial_equity if initial_equity else Decimal(0),
        realized_pnl=realized_pnl,
        unrealized_pnl=unrealized_pnl,
        fees=fees,
        trades=len(trades),
        wins=len(wins),
        losses=len(losses),
        win_rate=Decimal(len(wins)) / len(trades) if trades else None,
        average_win=gross_win / len(wins) if wins else None,
        average_loss=-gross_loss / len(losses) if losses else None,
        profit_factor=gross_win / gross_loss if gross_loss else None,
        max_drawdown=drawdown,
        max_drawdown_pct=drawdown_pct,
        sharpe=sharpe_ratio(returns),
        sortino=sortino_ratio(returns),
        exposure_time=Decimal(exposure_ns) / duration if duration > 0 else Decimal(0),
    )


def max_drawdown(initial_equity: Decimal, curve: Sequence[EquitySample]) -> tuple[Decimal, Decimal]:
    """Largest peak-to-trough fall, as an amount and as a fraction of its peak.

    Between two new peaks the deepest fall is at the lowest sample, so each stretch divides once,
    at its trough, rather than at every sample: the curve has a sample per bar.
    """
    peak = trough = initial_equity
    worst = worst_pct = Decimal(0)
    for sample in curve:
        equity = sample.equity
        if equity > peak:
            worst, worst_pct = _deeper(peak, trough, worst, worst_pct)
            peak = trough = equity
        elif equity < trough:
            trough = equity
    return _deeper(peak, trough, worst, worst_pct)


def _deeper(peak: Decimal, trough: Decimal, worst: Decimal, worst_pct: Decimal) -> tuple[Decimal, Decimal]:
    """The worst fall and fraction so far, given one stretch's peak and trough (earlier ties kept)."""
    fall = peak - trough
    worst = max(worst, fall)  # max keeps its first argument on a tie
    if fall and peak > 0:
        worst_pct = max(worst_pct, fall / peak)
    return worst, worst_pct


def daily_returns(initial_equity: Decimal, curve: Sequence[EquitySample]) -> list[float]:
    """Return per UTC day, from the last equity sample of each day."""
    closes: list[Decimal] = []
    day_start = day_end = 0  # the current sample's UTC day, [start, end): no division per sample
    for sample in curve:
        ts = sample.ts
        if not closes or ts >= day_end or ts < day_start:
            closes.append(sample.equity)
            day_start = ts - ts % NS_PER_DAY
            day_end = day_start + NS_PER_DAY
        else:
            closes[-1] = sample.equity
    previous = initial_equity
    returns: list[float] = []
    for close in closes:
        returns.append(float((close - previous) / previous) if previous else 0.0)
        previous = close
    return returns


def sharpe_ratio(returns: Sequence[float]) -> float | None:
    if len(returns) < 2:
        return None
    mean = sum(returns) / len(returns)
    variance = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    if variance <= 0:
        return None
    return mean / math.sqrt(variance) * math.sqrt(ANNUALISATION_DAYS)


def sortino_ratio(returns: Sequence[float]) -> float | None:
    if len(returns) < 2:
        return None
    mean = sum(returns) / len(returns)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    if downside <= 0:
        return None
    return mean / downside * math.sqrt(ANNUALISATION_DAYS)
