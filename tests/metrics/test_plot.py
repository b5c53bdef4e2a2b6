"""The equity plot: a self-contained page whose curve keeps every extreme of the equity."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.metrics import EquitySample
from engine.plot import render_equity_html, thin


def test_page_is_self_contained_with_an_equity_and_a_drawdown_curve() -> None:
    curve = [EquitySample(i * 60_000_000_000, Decimal(100 + (i % 7))) for i in range(50)]
    page = render_equity_html("EMA <cross>", curve, {"total_return": Decimal("0.05"), "sharpe": 1.23456})
    assert page.startswith("<!doctype html>")
    assert "EMA &lt;cross&gt;" in page
    assert "<script" not in page and "http" not in page
    polylines = re.findall(r'<polyline [^>]*points="([^"]+)"', page)
    assert len(polylines) == 2
    assert all(len(points.split()) == 50 for points in polylines)
    assert "1.2346" in page and "0.05" in page


def test_empty_curve_says_so_instead_of_failing() -> None:
    assert "No equity samples." in render_equity_html("t", [], {})


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=3000), st.integers(30, 300))
def test_thinning_keeps_first_last_min_and_max_in_time_order(values: list[int], limit: int) -> None:
    curve = [EquitySample(i, Decimal(v)) for i, v in enumerate(values)]
    kept = thin(curve, limit)
    assert kept[0] == curve[0] and kept[-1] == curve[-1]
    assert min(s.equity for s in kept) == min(s.equity for s in curve)
    assert max(s.equity for s in kept) == max(s.equity for s in curve)
    assert [s.ts for s in kept] == sorted({s.ts for s in kept})
    assert len(kept) <= max(len(curve) if len(curve) <= limit else limit + 2, 1)
