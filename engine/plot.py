"""The equity curve as a self-contained HTML page (inline SVG, no scripts, no network).

A user would rather look at a curve than read a table: the page shows equity over time,
the drawdown below it, and the headline metrics. Long curves are thinned to at most
``max_points`` (keeping each bucket's first, lowest and highest sample) so the file stays small
while drawdowns stay visible.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from engine.metrics import EquitySample

WIDTH, HEIGHT, DD_HEIGHT, PAD = 960, 360, 120, 56


def render_equity_html(
    title: str, curve: Sequence[EquitySample], summary: Mapping[str, object], max_points: int = 2000
) -> str:
    points = thin(curve, max_points)
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in summary.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 18px; }} svg {{ background: #fafafa; border: 1px solid #ddd; }}
table {{ border-collapse: collapse; margin-top: 16px; }}
th, td {{ text-align: left; padding: 3px 12px; border-bottom: 1px solid #eee; }}
th {{ font-weight: 600; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{_equity_svg(points)}
{_drawdown_svg(points)}
<table>{rows}</table>
</body></html>
"""


def thin(curve: Sequence[EquitySample], max_points: int) -> list[EquitySample]:
    """At most about ``max_points`` samples, keeping the extremes of each bucket in time order."""
    if len(curve) <= max_points:
        return list(curve)
    bucket = -(-len(curve) // (max_points // 3))
    kept: list[EquitySample] = []
    for start in range(0, len(curve), bucket):
        chunk = curve[start : start + bucket]
        picks = {0, min(range(len(chunk)), key=lambda i: chunk[i].equity)}
        picks.add(max(range(len(chunk)), key=lambda i: chunk[i].equity))
        kept.extend(chunk[i] for i in sorted(picks))
    if kept[-1] is not curve[-1]:
        kept.append(curve[-1])
    return kept


def _equity_svg(points: Sequence[EquitySample]) -> str:
    if len(points) < 2:
        return "<p>No equity samples.</p>"
    values = [float(p.equity) for p in points]
    return _line_svg(points, values, HEIGHT, "#1f6feb", "equity")


def _drawdown_svg(points: Sequence[EquitySample]) -> str:
    if len(points) < 2:
        return ""
    peak = float("-inf")
    drawdowns = []
    for p in points:
        value = float(p.equity)
        peak = max(peak, value)
        drawdowns.append((value - peak) / peak * 100 if peak > 0 else 0.0)
    return _line_svg(points, drawdowns, DD_HEIGHT, "#d1242f", "drawdown %")


def _line_svg(
    points: Sequence[EquitySample], values: list[float], height: int, colour: str, label: str
) -> str:
    t0, t1 = points[0].ts, points[-1].ts
    low, high = min(values), max(values)
    span_t = (t1 - t0) or 1
    span_v = (high - low) or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD, height - 2 * 20

    def xy(ts: int, value: float) -> str:
        x = PAD + (ts - t0) / span_t * inner_w
        y = 20 + (high - value) / span_v * inner_h
        return f"{x:.1f},{y:.1f}"

    path = " ".join(xy(p.ts, v) for p, v in zip(points, values, strict=True))
    return (
        f'<svg width="{WIDTH}" height="{height}" role="img" aria-label="{label}">'
        f'<text x="4" y="14" font-size="11">{label}</text>'
        f'<text x="4" y="{20 + 4}" font-size="11">{high:,.2f}</text>'
        f'<text x="4" y="{height - 20}" font-size="11">{low:,.2f}</text>'
        f'<text x="{PAD}" y="{height - 4}" font-size="11">{_date(t0)}</text>'
        f'<text x="{WIDTH - PAD}" y="{height - 4}" font-size="11" text-anchor="end">{_date(t1)}</text>'
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.2" points="{path}"/></svg>'
    )


def _date(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)
