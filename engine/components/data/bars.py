"""Bar aggregators turn trade ticks into OHLCV bars, so strategies can ask for bars no venue sends.

Three kinds, named by the interval string a subscription carries:

- time bars ``<n>s|m|h|d`` (``n >= 1``, from 1s to 1d inclusive), aligned to the UTC epoch: bar ``k``
  covers ``[k * length, (k + 1) * length)`` ns and its ``ts_event`` is its end. A bar closes when a
  tick at or after its end arrives, or when ``close_at(ts)`` is called with ``ts`` at or after its
  end (the DataEngine's clock alert), whichever comes first: exactly once either way. An interval
  without trades produces no bar (no empty or carried-forward bars): a strategy sees only prices that
  traded.
- tick bars ``<n>-tick``: close on the ``n``-th tick; ``ts_event`` is that tick's.
- volume bars ``<v>-volume`` (``v`` a positive decimal): close on the tick that brings the bar's
  volume to ``>= v``. The whole tick belongs to that bar (ticks are never split), so a bar's volume
  may exceed ``v``; ``ts_event`` is that tick's.

Ticks are expected in time order. A late tick (live feeds) is added to the open bar, or, if the
clock already closed its bar, opens the next one: time bars never repeat or go back. ``flush(ts)`` returns the
open (partial) bar, if any, with ``ts_event = ts`` (for a time bar, at most its end).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from engine.messages import Bar, TradeTick

_NS_PER_UNIT = {"s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000}
_MAX_TIME_NS = _NS_PER_UNIT["d"]
_TIME = re.compile(r"([1-9][0-9]*)([smhd])")
_TICK = re.compile(r"([1-9][0-9]*)-tick")
_VOLUME = re.compile(r"([0-9]+(?:\.[0-9]+)?)-volume")
_ZERO = Decimal(0)


def time_interval_ns(interval: str) -> int:
    """Length in ns of a time-bar interval such as ``"15m"``; ``ValueError`` naming it if invalid."""
    match = _TIME.fullmatch(interval)
    if match is None:
        raise ValueError(f"invalid bar interval {interval!r}: expected <n>s|m|h|d, <n>-tick or <v>-volume")
    length = int(match[1]) * _NS_PER_UNIT[match[2]]
    if length > _MAX_TIME_NS:
        raise ValueError(f"invalid bar interval {interval!r}: time bars are at most 1d")
    return length


class _Aggregator:
    """The open bar's OHLCV state, shared by every kind; subclasses decide when it closes."""

    __slots__ = (
        "_close",
        "_high",
        "_low",
        "_open",
        "_volume",
        "exchange_id",
        "interval",
        "is_open",
        "symbol",
    )

    def __init__(self, exchange_id: str, symbol: str, interval: str) -> None:
        self.exchange_id = exchange_id
        self.symbol = symbol
        self.interval = interval
        self.is_open = False
        self._open = self._high = self._low = self._close = self._volume = _ZERO

    def _start(self, tick: TradeTick) -> None:
        price = tick.price
        self._open = self._high = self._low = self._close = price
        self._volume = tick.quantity
        self.is_open = True

    def _add(self, tick: TradeTick) -> None:
        price = tick.price
        if price > self._high:
            self._high = price
        elif price < self._low:
            self._low = price
        self._close = price
        self._volume += tick.quantity

    def _bar(self, ts_event: int, ts_init: int) -> Bar:
        self.is_open = False
        return Bar(
            ts_event=ts_event,
            ts_init=ts_init,
            exchange_id=self.exchange_id,
            symbol=self.symbol,
            interval=self.interval,
            open=self._open,
            high=self._high,
            low=self._low,
            close=self._close,
            volume=self._volume,
        )

    def close_at(self, ts: int) -> Bar | None:
        """Close the open bar if it is due at ``ts``; only time bars are ever due."""
        return None

    def flush(self, ts: int) -> Bar | None:
        """The partial bar (``ts_event = ts``), or ``None`` if no bar is open."""
        return self._bar(ts, ts) if self.is_open else None


class TimeBarAggregator(_Aggregator):
    """Epoch-aligned time bars. ``on_open(end_ns)`` is called when a bar opens (to set a clock alert)."""

    __slots__ = ("_end", "_length", "_on_open", "_open_until")

    def __init__(
        self, exchange_id: str, symbol: str, interval: str, on_open: Callable[[int], None] | None = None
    ) -> None:
        super().__init__(exchange_id, symbol, interval)
        self._length = time_interval_ns(interval)
        self._end = 0
        self._open_until = -1  # the open bar's end, -1 while none is open: one compare per tick
        self._on_open = on_open

    @property
    def bar_end(self) -> int:
        """End (exclusive, ns) of the open bar, or of the last one once it closed."""
        return self._end

    def handle(self, tick: TradeTick) -> Bar | None:
        if tick.ts_event < self._open_until:  # the hot path, ``_add`` inlined
            price = tick.price
            if price > self._high:
                self._high = price
            elif price < self._low:
                self._low = price
            self._close = price
            self._volume += tick.quantity
            return None
        bar = self._close_bar(self._end, tick.ts_init) if self.is_open else None
        self._open_bar(tick)
        return bar

    def _open_bar(self, tick: TradeTick) -> None:
        ts, length = tick.ts_event, self._length
        # a tick older than the last closed bar's end goes into the next bar: bars never repeat
        self._end = self._open_until = max(ts - ts % length, self._end) + length
        self._start(tick)
        if self._on_open is not None:
            self._on_open(self._end)

    def _close_bar(self, ts_event: int, ts_init: int) -> Bar:
        self._open_until = -1
        return self._bar(ts_event, ts_init)

    def close_at(self, ts: int) -> Bar | None:
        """Close the open bar if ``ts`` is at or after its end (a timer); ``None`` otherwise."""
        if self.is_open and ts >= self._end:
            return self._close_bar(self._end, ts)
        return None

    def flush(self, ts: int) -> Bar | None:
        return self._close_bar(min(ts, self._end), ts) if self.is_open else None


class TickBarAggregator(_Aggregator):
    """A bar every ``n`` ticks."""

    __slots__ = ("_count", "_size")

    def __init__(self, exchange_id: str, symbol: str, interval: str) -> None:
        super().__init__(exchange_id, symbol, interval)
        match = _TICK.fullmatch(interval)
        if match is None:
            raise ValueError(f"invalid tick bar interval {interval!r}: expected <n>-tick with n >= 1")
        self._size = int(match[1])
        self._count = 0

    def handle(self, tick: TradeTick) -> Bar | None:
        if self.is_open:
            self._add(tick)
            self._count += 1
        else:
            self._start(tick)
            self._count = 1
        if self._count >= self._size:
            return self._bar(tick.ts_event, tick.ts_init)
        return None


class VolumeBarAggregator(_Aggregator):
    """A bar each time traded volume reaches the threshold; the closing tick is never split."""

    __slots__ = ("_threshold",)

    def __init__(self, exchange_id: str, symbol: str, interval: str) -> None:
        super().__init__(exchange_id, symbol, interval)
        match = _VOLUME.fullmatch(interval)
        threshold = _ZERO if match is None else Decimal(match[1])
        if threshold <= _ZERO:
            raise ValueError(f"invalid volume bar interval {interval!r}: expected <v>-volume with v > 0")
        self._threshold = threshold

    def handle(self, tick: TradeTick) -> Bar | None:
        if self.is_open:
            self._add(tick)
        else:
            self._start(tick)
        if self._volume >= self._threshold:
            return self._bar(tick.ts_event, tick.ts_init)
        return None


BarAggregator = TimeBarAggregator | TickBarAggregator | VolumeBarAggregator


def bar_aggregator(
    exchange_id: str, symbol: str, interval: str, on_open: Callable[[int], None] | None = None
) -> BarAggregator:
    """The aggregator an interval string names; ``ValueError`` naming the interval if it names none.

    ``on_open`` is only used by time bars (see ``TimeBarAggregator``).
    """
    if interval.endswith("-tick"):
        return TickBarAggregator(exchange_id, symbol, interval)
    if interval.endswith("-volume"):
        return VolumeBarAggregator(exchange_id, symbol, interval)
    return TimeBarAggregator(exchange_id, symbol, interval, on_open)
