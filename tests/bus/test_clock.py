"""Timers fire in due-time order with the due time as ts_event, on data time and on wall time alike."""

from __future__ import annotations

import itertools
import time

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.clock import ClockError, LiveClock, SimulatedClock
from engine.messages import TimerEvent

MS = 1_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_simulated_clock_reads_the_time_it_was_advanced_to() -> None:
    clock = SimulatedClock(start_ns=5)
    assert clock.timestamp_ns() == 5
    clock.advance_to(7)
    clock.advance_to(7)
    assert clock.timestamp_ns() == 7


def test_simulated_clock_never_goes_back() -> None:
    clock = SimulatedClock(start_ns=10)
    with pytest.raises(ClockError, match="cannot go back"):
        clock.advance_to(9)


def test_repeating_timer_fires_at_each_due_time_with_the_clock_at_that_time() -> None:
    clock = SimulatedClock(start_ns=1_000)
    fired: list[tuple[TimerEvent, int]] = []
    clock.set_timer("bar", 100, lambda e: fired.append((e, clock.timestamp_ns())))
    clock.advance_to(1_350)
    assert fired == [
        (TimerEvent(ts_event=due, ts_init=due, name="bar"), due) for due in (1_100, 1_200, 1_300)
    ]
    assert clock.timestamp_ns() == 1_350


def test_timers_fire_in_time_order_and_ties_by_name() -> None:
    clock, fired = SimulatedClock(), []
    clock.set_timer("b", 20, lambda e: fired.append((e.ts_event, e.name)))
    clock.set_timer("a", 20, lambda e: fired.append((e.ts_event, e.name)))
    clock.set_timer("c", 30, lambda e: fired.append((e.ts_event, e.name)))
    clock.advance_to(60)
    assert fired == [(20, "a"), (20, "b"), (30, "c"), (40, "a"), (40, "b"), (60, "a"), (60, "b"), (60, "c")]


def test_start_and_stop_bound_a_repeating_timer() -> None:
    clock, fired = SimulatedClock(), []
    clock.set_timer("t", 10, lambda e: fired.append(e.ts_event), start_ns=100, stop_ns=130)
    clock.advance_to(1_000)
    assert fired == [110, 120, 130]
    assert clock.timer_names == []


def test_time_alert_fires_once() -> None:
    clock, fired = SimulatedClock(), []
    clock.set_time_alert("expire", 50, fired.append)
    clock.advance_to(49)
    assert fired == []
    clock.advance_to(100)
    clock.advance_to(200)
    assert fired == [TimerEvent(ts_event=50, ts_init=50, name="expire")]
    assert clock.timer_names == []


def test_time_alert_in_the_past_fires_late_without_moving_time_back() -> None:
    clock, fired = SimulatedClock(start_ns=100), []
    clock.set_time_alert("late", 40, fired.append)
    clock.advance_to(120)
    assert fired == [TimerEvent(ts_event=40, ts_init=100, name="late")]


def test_cancelled_timer_does_not_fire() -> None:
    clock, fired = SimulatedClock(), []
    clock.set_timer("t", 10, lambda e: fired.append(e.ts_event))
    clock.advance_to(25)
    assert clock.cancel_timer("t") is True
    assert clock.cancel_timer("t") is False
    clock.advance_to(100)
    assert fired == [10, 20]


def test_callback_may_cancel_and_set_timers_that_fire_in_the_same_advance() -> None:
    clock, fired = SimulatedClock(), []

    def on_tick(event: TimerEvent) -> None:
        fired.append((event.ts_event, event.name))
        clock.cancel_timer("tick")
        clock.set_time_alert("follow-up", event.ts_event + 5, lambda e: fired.append((e.ts_event, e.name)))

    clock.set_timer("tick", 10, on_tick)
    clock.advance_to(100)
    assert fired == [(10, "tick"), (15, "follow-up")]


def test_timer_set_again_after_cancel_uses_only_the_new_schedule() -> None:
    clock, fired = SimulatedClock(), []
    clock.set_timer("t", 10, lambda e: fired.append(("old", e.ts_event)))
    clock.cancel_timer("t")
    clock.set_timer("t", 15, lambda e: fired.append(("new", e.ts_event)))
    clock.advance_to(30)
    assert fired == [("new", 15), ("new", 30)]


def test_duplicate_names_and_bad_intervals_are_refused() -> None:
    clock = SimulatedClock()
    clock.set_timer("t", 10, lambda e: None)
    with pytest.raises(ClockError, match="already set"):
        clock.set_time_alert("t", 5, lambda e: None)
    with pytest.raises(ClockError, match="interval must be positive"):
        clock.set_timer("u", 0, lambda e: None)
    with pytest.raises(ClockError, match="before it first fires"):
        clock.set_timer("v", 10, lambda e: None, start_ns=0, stop_ns=5)
    assert clock.timer_names == ["t"]


def test_next_due_skips_cancelled_timers() -> None:
    clock = SimulatedClock()
    assert clock.next_due_ns() is None
    clock.set_timer("a", 10, lambda e: None)
    clock.set_timer("b", 15, lambda e: None)
    clock.cancel_timer("a")
    assert clock.next_due_ns() == 15


@settings(max_examples=100, deadline=None)
@given(
    intervals=st.lists(st.integers(1, 50), min_size=1, max_size=5),
    steps=st.lists(st.integers(0, 60), min_size=1, max_size=10),
)
def test_fires_are_the_same_however_time_is_advanced(intervals: list[int], steps: list[int]) -> None:
    def run(advances: list[int]) -> list[tuple[int, str]]:
        clock, fired = SimulatedClock(), []
        for number, interval in enumerate(intervals):
            clock.set_timer(f"t{number}", interval, lambda e: fired.append((e.ts_event, e.name)))
        now = 0
        for step in advances:
            now += step
            clock.advance_to(now)
        return fired

    in_steps = run(steps)
    at_once = run([sum(steps)])
    assert in_steps == at_once
    assert in_steps == sorted(in_steps)


@pytest.mark.anyio
async def test_live_clock_fires_a_timer_within_a_bounded_time() -> None:
    clock = LiveClock()
    fired: list[TimerEvent] = []
    done = anyio.Event()

    def on_timer(event: TimerEvent) -> None:
        fired.append(event)
        if len(fired) == 3:
            done.set()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(clock.run)
            await anyio.sleep(0.01)  # the loop is asleep with no timers; setting one must wake it
            clock.set_timer("tick", 20 * MS, on_timer)
            await done.wait()
            tg.cancel_scope.cancel()
    assert [e.name for e in fired] == ["tick"] * 3
    assert [b.ts_event - a.ts_event for a, b in itertools.pairwise(fired)] == [20 * MS] * 2
    assert all(e.ts_init >= e.ts_event for e in fired)
    assert fired[0].ts_init - fired[0].ts_event < 500 * MS


@pytest.mark.anyio
async def test_live_clock_time_alert_fires_once_and_cancel_prevents_a_fire() -> None:
    clock = LiveClock()
    fired: list[str] = []
    start = time.time_ns()
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg:
            tg.start_soon(clock.run)
            clock.set_time_alert("once", start + 10 * MS, lambda e: fired.append(e.name))
            clock.set_time_alert("cancelled", start + 20 * MS, lambda e: fired.append(e.name))
            clock.cancel_timer("cancelled")
            await anyio.sleep(0.06)
            tg.cancel_scope.cancel()
    assert fired == ["once"]
    assert clock.timer_names == []
