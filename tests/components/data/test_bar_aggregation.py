"""Bar aggregation: epoch-aligned time bars, tick bars and volume bars built from trade ticks."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.components.data import (
    TickBarAggregator,
    TimeBarAggregator,
    VolumeBarAggregator,
    bar_aggregator,
    time_interval_ns,
)
from engine.messages import Bar, TradeTick

D = Decimal
S = 1_000_000_000
MIN = 60 * S


def tick(ts: int, price: str, qty: str = "1") -> TradeTick:
    return TradeTick(
        ts_event=ts, ts_init=ts, exchange_id="binance", symbol="BTCUSDT", price=D(price), quantity=D(qty)
    )


def ohlcv(bar: Bar) -> tuple[int, str, str, str, str, str]:
    return (bar.ts_event, str(bar.open), str(bar.high), str(bar.low), str(bar.close), str(bar.volume))


# -- intervals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "ns"),
    [
        ("1s", S),
        ("59s", 59 * S),
        ("1m", MIN),
        ("15m", 15 * MIN),
        ("4h", 240 * MIN),
        ("1d", 1440 * MIN),
        ("86400s", 1440 * MIN),
        ("1440m", 1440 * MIN),
        ("24h", 1440 * MIN),
    ],
)
def test_time_intervals_from_1s_to_1d_are_accepted(interval: str, ns: int) -> None:
    assert time_interval_ns(interval) == ns


@pytest.mark.parametrize(
    "interval",
    [
        "",
        "0s",
        "0m",
        "2d",
        "25h",
        "1441m",
        "86401s",
        "1w",
        "m",
        "1.5m",
        "-1m",
        " 1m",
        "1M",
        "01-x",
        "0-tick",
        "-tick",
        "1.5-tick",
        "0-volume",
        "0.0-volume",
        "x-volume",
        "1e3-volume",
    ],
)
def test_invalid_interval_raises_value_error_naming_it(interval: str) -> None:
    with pytest.raises(ValueError, match=repr(interval).replace(".", r"\.").replace("+", r"\+")):
        bar_aggregator("binance", "BTCUSDT", interval)


def test_interval_string_picks_the_aggregator_kind() -> None:
    assert isinstance(bar_aggregator("b", "S", "1m"), TimeBarAggregator)
    assert isinstance(bar_aggregator("b", "S", "100-tick"), TickBarAggregator)
    assert isinstance(bar_aggregator("b", "S", "0.5-volume"), VolumeBarAggregator)


# -- time bars ---------------------------------------------------------------------------------


def test_time_bar_is_aligned_to_the_epoch_and_closes_on_the_first_tick_at_or_after_its_end() -> None:
    agg = TimeBarAggregator("binance", "BTCUSDT", "1m")
    assert agg.handle(tick(10 * MIN + 5 * S, "100", "1")) is None
    assert agg.handle(tick(10 * MIN + 20 * S, "103", "2")) is None
    assert agg.handle(tick(10 * MIN + 40 * S, "99", "0.5")) is None
    assert agg.handle(tick(11 * MIN - 1, "101", "1.5")) is None
    bar = agg.handle(tick(11 * MIN, "200", "7"))  # exactly at the end: belongs to the next bar
    assert bar is not None
    assert ohlcv(bar) == (11 * MIN, "100", "103", "99", "101", "5.0")
    assert (bar.exchange_id, bar.symbol, bar.interval, bar.ts_init) == ("binance", "BTCUSDT", "1m", 11 * MIN)
    partial = agg.flush(11 * MIN + 30 * S)
    assert partial is not None
    assert ohlcv(partial) == (11 * MIN + 30 * S, "200", "200", "200", "200", "7")


def test_time_intervals_without_trades_produce_no_bar() -> None:
    agg = TimeBarAggregator("binance", "BTCUSDT", "1m")
    agg.handle(tick(1 * MIN + 1, "10"))
    bar = agg.handle(tick(5 * MIN + 1, "20"))  # minutes 2, 3, 4 had no trades
    assert bar is not None and bar.ts_event == 2 * MIN
    assert agg.close_at(5 * MIN) is None
    bar = agg.close_at(6 * MIN)
    assert bar is not None and ohlcv(bar) == (6 * MIN, "20", "20", "20", "20", "1")


@pytest.mark.parametrize("timer_first", [True, False])
def test_time_bar_closes_exactly_once_when_timer_and_tick_share_the_end(timer_first: bool) -> None:
    agg = TimeBarAggregator("binance", "BTCUSDT", "1s")
    agg.handle(tick(0, "1"))
    if timer_first:
        results = [agg.close_at(S), agg.handle(tick(S, "2"))]
    else:
        results = [agg.handle(tick(S, "2")), agg.close_at(S)]
    closed = [bar for bar in results if bar is not None]
    assert [(b.ts_event, b.close) for b in closed] == [(S, D(1))]


def test_late_tick_after_the_timer_closed_its_bar_goes_into_the_next_bar() -> None:
    agg = TimeBarAggregator("binance", "BTCUSDT", "1m")
    agg.handle(tick(10, "1"))
    assert agg.close_at(MIN) is not None
    assert agg.handle(tick(MIN - 5, "2")) is None  # exchange time before the closed bar's end
    bar = agg.close_at(2 * MIN)
    assert bar is not None and ohlcv(bar) == (2 * MIN, "2", "2", "2", "2", "1")


def test_close_at_before_the_bar_end_keeps_the_bar_open() -> None:
    agg = TimeBarAggregator("binance", "BTCUSDT", "1m")
    agg.handle(tick(5, "1"))
    assert agg.close_at(MIN - 1) is None
    assert agg.is_open


def test_time_bar_reports_each_opening_with_its_end() -> None:
    ends: list[int] = []
    agg = TimeBarAggregator("binance", "BTCUSDT", "1h", on_open=ends.append)
    for ts in (1, 2, 3600 * S + 1, 3 * 3600 * S):
        agg.handle(tick(ts, "1"))
    assert ends == [3600 * S, 7200 * S, 4 * 3600 * S]


def test_flush_of_a_time_bar_past_its_end_is_stamped_at_the_end() -> None:
    agg = TimeBarAggregator("binance", "BTCUSDT", "1m")
    agg.handle(tick(1, "1"))
    bar = agg.flush(5 * MIN)
    assert bar is not None and bar.ts_event == MIN
    assert agg.flush(6 * MIN) is None


# -- tick and volume bars ----------------------------------------------------------------------


def test_tick_bar_closes_on_the_nth_tick() -> None:
    agg = TickBarAggregator("binance", "BTCUSDT", "3-tick")
    prices = ["10", "12", "9", "11", "11.5"]
    bars = [b for i, p in enumerate(prices) if (b := agg.handle(tick(i + 1, p, "0.1"))) is not None]
    assert [ohlcv(b) for b in bars] == [(3, "10", "12", "9", "9", "0.3")]
    partial = agg.flush(10)
    assert partial is not None and ohlcv(partial) == (10, "11", "11.5", "11", "11.5", "0.2")


def test_one_tick_bars_are_the_ticks() -> None:
    agg = TickBarAggregator("binance", "BTCUSDT", "1-tick")
    bar = agg.handle(tick(7, "5", "2"))
    assert bar is not None and ohlcv(bar) == (7, "5", "5", "5", "5", "2")
    assert agg.flush(8) is None


def test_volume_bar_closes_on_the_tick_reaching_the_threshold_and_keeps_the_whole_tick() -> None:
    agg = VolumeBarAggregator("binance", "BTCUSDT", "10-volume")
    assert agg.handle(tick(1, "100", "4")) is None
    assert agg.handle(tick(2, "101", "5")) is None
    bar = agg.handle(tick(3, "99", "6"))  # 4 + 5 + 6 = 15 >= 10: not split
    assert bar is not None and ohlcv(bar) == (3, "100", "101", "99", "99", "15")
    bar = agg.handle(tick(4, "98", "10"))  # exactly the threshold
    assert bar is not None and ohlcv(bar) == (4, "98", "98", "98", "98", "10")
    assert agg.flush(5) is None


def test_volume_bar_threshold_may_be_fractional() -> None:
    agg = VolumeBarAggregator("binance", "BTCUSDT", "0.5-volume")
    assert agg.handle(tick(1, "1", "0.25")) is None
    bar = agg.handle(tick(2, "2", "0.25"))
    assert bar is not None and bar.volume == D("0.50")


# -- properties --------------------------------------------------------------------------------


def _ticks(rows: list[tuple[int, int, int]]) -> list[TradeTick]:
    ts, out = 1_700_000_000 * S, []
    for step, cents, milli in rows:
        ts += step
        out.append(tick(ts, str(D(cents) / 100), str(D(milli) / 1000)))
    return out


tick_streams = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5 * MIN),  # time step
        st.integers(min_value=1, max_value=10_000),  # price in cents
        st.integers(min_value=1, max_value=500),  # quantity in thousandths
    ),
    max_size=60,
).map(_ticks)


@settings(max_examples=100, deadline=None)
@given(
    tick_streams,
    st.sampled_from(["1s", "7s", "1m", "5m", "1h", "3-tick", "1-tick", "2.5-volume", "1-volume"]),
    st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_bars_partition_the_ticks_and_keep_ohlc_consistent(
    ticks: list[TradeTick], interval: str, timer_first: list[bool]
) -> None:
    agg = bar_aggregator("binance", "BTCUSDT", interval)
    bars: list[Bar] = []
    for t, timer in zip(ticks, timer_first, strict=False):
        # a timer may fire before the tick is handled, even ahead of the tick's time (live feed lag)
        if timer and (bar := agg.close_at(t.ts_event + MIN // 2)) is not None:
            bars.append(bar)
        if (bar := agg.handle(t)) is not None:
            bars.append(bar)
    end = ticks[-1].ts_event + 1 if ticks else 0
    partial = agg.flush(end)

    assert sum((b.volume for b in bars), D(0)) + (partial.volume if partial else 0) == sum(
        (t.quantity for t in ticks), D(0)
    )
    for b in [*bars, *([partial] if partial else [])]:
        assert b.high >= max(b.open, b.close) and b.low <= min(b.open, b.close)
        assert b.low > 0
    if isinstance(agg, TimeBarAggregator):
        length = time_interval_ns(interval)
        assert all(b.ts_event % length == 0 for b in bars)
        assert all(a.ts_event < b.ts_event for a, b in pairwise(bars))
