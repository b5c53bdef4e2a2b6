"""Time and timers behind one interface, so the same actors run on data time (backtest) and wall time (live).

Both clocks keep the same timer table and fire due timers the same way — in due-time order, ties
by name — so a strategy sees identical timer events in every mode. ``SimulatedClock`` moves only
when the data moves it (``advance_to``); ``LiveClock`` follows the wall clock and fires its timers
from ``run()``, a task the node starts in its task group.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

import anyio

from engine.errors import EngineError
from engine.messages import TimerEvent

TimerCallback = Callable[[TimerEvent], None]
_NEVER = 1 << 62  # later than any nanosecond timestamp we will meet


class ClockError(EngineError):
    """A timer or a time change the clock refuses: duplicate timer name, bad interval, time going back."""


class Clock(ABC):
    """Current time in integer nanoseconds (UTC) and named timers that call back with a ``TimerEvent``.

    A timer's ``TimerEvent`` carries ``ts_event`` = the time it was due and ``ts_init`` = the clock
    time when it fired. A timer due at the same time as another fires after it if its name sorts
    later. Callbacks may set and cancel timers, including their own.
    """

    def __init__(self) -> None:
        self._timers: dict[str, _Timer] = {}
        # (due_ns, name, seq, timer); entries of cancelled or rescheduled timers are skipped lazily.
        self._heap: list[tuple[int, str, int, _Timer]] = []
        self._seq = itertools.count()

    @abstractmethod
    def timestamp_ns(self) -> int:
        """Now, in nanoseconds since the Unix epoch."""

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Fire ``callback`` every ``interval_ns`` from ``start_ns`` (default now), the first time one
        interval after it, the last time at or before ``stop_ns`` (default never)."""
        if interval_ns <= 0:
            raise ClockError(f"timer {name!r}: interval must be positive, got {interval_ns}")
        first = (self.timestamp_ns() if start_ns is None else start_ns) + interval_ns
        if stop_ns is not None and first > stop_ns:
            raise ClockError(f"timer {name!r}: stops at {stop_ns}, before it first fires at {first}")
        self._add(_Timer(name, callback, interval_ns, stop_ns), first)

    def set_time_alert(self, name: str, at_ns: int, callback: TimerCallback) -> None:
        """Fire ``callback`` once at ``at_ns``; a time already past fires at the next chance."""
        self._add(_Timer(name, callback, 0, None), at_ns)

    def cancel_timer(self, name: str) -> bool:
        """Cancel a timer; returns False if no timer has that name (a fired alert is already gone)."""
        return self._timers.pop(name, None) is not None

    @property
    def timer_names(self) -> list[str]:
        return sorted(self._timers)

    def next_due_ns(self) -> int | None:
        """When the next timer is due, or None without timers."""
        heap = self._heap
        while heap:
            due, name, _, timer = heap[0]
            if self._timers.get(name) is timer and timer.due_ns == due:
                return due
            heapq.heappop(heap)
        return None

    def _add(self, timer: _Timer, due_ns: int) -> None:
        if timer.name in self._timers:
            raise ClockError(f"a timer named {timer.name!r} is already set")
        self._timers[timer.name] = timer
        self._schedule(timer, due_ns)

    def _schedule(self, timer: _Timer, due_ns: int) -> None:
        timer.due_ns = due_ns
        heapq.heappush(self._heap, (due_ns, timer.name, next(self._seq), timer))

    def _fire_due(self, until_ns: int) -> None:
        """Fire every timer due at or before ``until_ns``, in (due time, name) order."""
        while (due := self.next_due_ns()) is not None and due <= until_ns:
            _, name, _, timer = heapq.heappop(self._heap)
            next_due = due + timer.interval_ns
            if timer.interval_ns and (timer.stop_ns is None or next_due <= timer.stop_ns):
                self._schedule(timer, next_due)
            else:
                del self._timers[name]
            self._reach(due)
            timer.callback(TimerEvent(ts_event=due, ts_init=self.timestamp_ns(), name=name))

    @abstractmethod
    def _reach(self, due_ns: int) -> None:
        """A timer due at ``due_ns`` is about to fire: a clock whose time does not run moves there."""


class SimulatedClock(Clock):
    """Time advanced by the data: nothing happens between two ``advance_to`` calls."""

    def __init__(self, start_ns: int = 0) -> None:
        super().__init__()
        self._now = start_ns
        # At or before the earliest heap entry (cancelled ones included, so it may be early, never
        # late): until then nothing can be due, and ``advance_to`` is one comparison chain.
        self._due = _NEVER

    def timestamp_ns(self) -> int:
        return self._now

    def advance_to(self, ts_ns: int) -> None:
        """Fire every timer due at or before ``ts_ns``, the clock reading each due time as it fires,
        then set the time to ``ts_ns``. Time never goes back (``ClockError``)."""
        if self._now <= ts_ns < self._due:  # the hot path: called for every input of a backtest
            self._now = ts_ns
            return
        if ts_ns < self._now:
            raise ClockError(f"time cannot go back: now {self._now}, asked for {ts_ns}")
        heap = self._heap
        if heap and heap[0][0] <= ts_ns:
            self._fire_due(ts_ns)
        self._now = ts_ns
        self._due = heap[0][0] if heap else _NEVER

    def _schedule(self, timer: _Timer, due_ns: int) -> None:
        super()._schedule(timer, due_ns)
        self._due = min(self._due, due_ns)

    def _reach(self, due_ns: int) -> None:
        # An alert set in the past fires late, at the current time: the clock never goes back.
        self._now = max(self._now, due_ns)


class LiveClock(Clock):
    """Wall-clock time; ``run()`` fires the timers and must run in the node's task group.

    If the loop falls behind (a callback blocked), the missed due times fire at once, in order,
    each with its own ``ts_event``, as the simulated clock would fire them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._wake: anyio.Event | None = None

    def timestamp_ns(self) -> int:
        return time.time_ns()

    async def run(self) -> None:
        """Sleep until the next timer is due, fire what is due, repeat; a newly set timer wakes it."""
        while True:
            self._fire_due(time.time_ns())
            self._wake = anyio.Event()
            due = self.next_due_ns()
            delay = math.inf if due is None else max(due - time.time_ns(), 0) / 1e9
            with anyio.move_on_after(delay):
                await self._wake.wait()

    def _reach(self, due_ns: int) -> None:
        """Wall time moves by itself."""

    def _schedule(self, timer: _Timer, due_ns: int) -> None:
        super()._schedule(timer, due_ns)
        if self._wake is not None:
            self._wake.set()


class _Timer:
    __slots__ = ("callback", "due_ns", "interval_ns", "name", "stop_ns")

    def __init__(self, name: str, callback: TimerCallback, interval_ns: int, stop_ns: int | None) -> None:
        self.name = name
        self.callback = callback
        self.interval_ns = interval_ns  # 0 for a one-shot alert
        self.stop_ns = stop_ns
        self.due_ns = 0
