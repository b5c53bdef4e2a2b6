"""Performance metrics: each figure matches its written definition on hand-computed examples."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.metrics import (
    NS_PER_DAY,
    ClosedTrade,
    EquitySample,
    compute_metrics,
    daily_returns,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
)

D = Decimal


def curve(*points: tuple[int, str]) -> list[EquitySample]:
    return [EquitySample(ts, D(v)) for ts, v in points]


def test_max_drawdown_is_the_largest_fall_from_a_running_peak() -> None:
    samples = curve((1, "110"), (2, "99"), (3, "120"), (4, "90"), (5, "130"))
    amount, pct = max_drawdown(D(100), samples)
    assert amount == D(30)
    assert pct == D(30) / D(120)


def test_max_drawdown_of_a_rising_curve_is_zero() -> None:
    assert max_drawdown(D(100), curve((1, "101"), (2, "102"))) == (D(0), D(0))


def test_daily_returns_use_the_last_sample_of_each_utc_day() -> None:
    samples = curve((10, "105"), (NS_PER_DAY - 1, "110"), (NS_PER_DAY, "99"), (2 * NS_PER_DAY + 5, "121"))
    returns = daily_returns(D(100), samples)
    assert returns == [0.10, -0.10, float((D(121) - D(99)) / D(99))]


def test_sharpe_is_mean_over_sample_deviation_annualised_by_sqrt_365() -> None:
    returns = [0.01, -0.02, 0.03]
    mean = 0.02 / 3
    sd = math.sqrt(sum((r - mean) ** 2 for r in returns) / 2)
    assert math.isclose(sharpe_ratio(returns) or 0.0, mean / sd * math.sqrt(365), rel_tol=1e-12)


def test_sortino_divides_by_downside_deviation() -> None:
    returns = [0.02, -0.01, 0.03, -0.02]
    downside = math.sqrt((0.01**2 + 0.02**2) / 4)
    assert math.isclose(sortino_ratio(returns) or 0.0, (0.02 / 4) / downside * math.sqrt(365), rel_tol=1e-12)


def test_ratios_need_two_returns_and_some_deviation() -> None:
    assert sharpe_ratio([0.1]) is None
    assert sharpe_ratio([0.1, 0.1]) is None
    assert sortino_ratio([0.1, 0.2]) is None


def test_trade_statistics_win_rate_averages_and_profit_factor() -> None:
    trades = [
        ClosedTrade(opened_ns=0, closed_ns=1, pnl=D("30")),
        ClosedTrade(opened_ns=1, closed_ns=2, pnl=D("-10")),
        ClosedTrade(opened_ns=2, closed_ns=3, pnl=D("10")),
        ClosedTrade(opened_ns=3, closed_ns=4, pnl=D("-20")),
    ]
    metrics = compute_metrics(
        initial_equity=D(1000),
        curve=curve((4, "1010")),
        trades=trades,
        realized_pnl=D(12),
        unrealized_pnl=D(0),
        fees=D(2),
        exposure_ns=3,
        start_ns=0,
        end_ns=4,
    )
    assert (metrics.trades, metrics.wins, metrics.losses) == (4, 2, 2)
    assert metrics.win_rate == D("0.5")
    assert metrics.average_win == D(20)
    assert metrics.average_loss == D(-15)
    assert metrics.profit_factor == D(40) / D(30)
    assert metrics.total_return == D("0.01")
    assert metrics.exposure_time == D("0.75")


def test_no_trades_gives_no_ratios_rather_than_a_division_by_zero() -> None:
    metrics = compute_metrics(
        initial_equity=D(1000),
        curve=[],
        trades=[],
        realized_pnl=D(0),
        unrealized_pnl=D(0),
        fees=D(0),
        exposure_ns=0,
        start_ns=0,
        end_ns=0,
    )
    assert metrics.win_rate is None and metrics.profit_factor is None and metrics.sharpe is None
    assert metrics.final_equity == D(1000) and metrics.total_return == 0


equities = st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=50)


@given(equities)
def test_drawdown_is_between_zero_and_the_peak(values: list[int]) -> None:
    samples = [EquitySample(i, D(v)) for i, v in enumerate(values)]
    amount, pct = max_drawdown(D(values[0]), samples)
    assert D(0) <= amount <= max(values) - min(values)
    assert D(0) <= pct < 1


@given(equities)
def test_one_return_per_day_whatever_the_sampling(values: list[int]) -> None:
    samples = [EquitySample(i * NS_PER_DAY // 3, D(v)) for i, v in enumerate(values)]
    days = {s.ts // NS_PER_DAY for s in samples}
    assert len(daily_returns(D(100), samples)) == len(days)


def _drawdown_by_definition(initial: Decimal, values: list[Decimal]) -> tuple[Decimal, Decimal]:
    """Every sample against the running peak before it: the definition, one division per sample."""
    peak, worst, worst_pct = initial, D(0), D(0)
    for equity in values:
        peak = max(peak, equity)
        fall = peak - equity
        worst = max(worst, fall)
        if peak > 0:
            worst_pct = max(worst_pct, fall / peak)
    return worst, worst_pct


@given(st.integers(-50, 10_000), st.lists(st.integers(-50, 10_000), max_size=60), st.integers(0, 3))
def test_drawdown_matches_its_definition(initial: int, values: list[int], places: int) -> None:
    equities = [D(v).scaleb(-places) for v in values]
    samples = [EquitySample(i, e) for i, e in enumerate(equities)]
    assert max_drawdown(D(initial), samples) == _drawdown_by_definition(D(initial), equities)


@given(st.lists(st.tuples(st.integers(0, 10 * NS_PER_DAY), st.integers(1, 1000)), max_size=40))
def test_daily_returns_match_a_grouping_by_day(points: list[tuple[int, int]]) -> None:
    samples = [EquitySample(ts, D(v)) for ts, v in points]
    closes: list[Decimal] = []
    day = None
    for sample in samples:  # a new close whenever the UTC day differs from the previous sample's
        if sample.ts // NS_PER_DAY != day:
            closes.append(sample.equity)
            day = sample.ts // NS_PER_DAY
        else:
            closes[-1] = sample.equity
    previous, expected = D(100), []
    for close in closes:
        expected.append(float((close - previous) / previous))
        previous = close
    assert daily_returns(D(100), samples) == expected
