"""An actor's lifecycle and helpers: what it sets up while running is gone once it stops."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from engine.actor import Actor
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.errors import InvalidTransition
from engine.messages import TimerEvent


class Probe(Actor):
    """Subscribes to trades and sets a timer when started; records everything it sees."""

    def __init__(self, bus: MessageBus, clock: SimulatedClock) -> None:
        super().__init__("probe", bus, clock)
        self.seen: list[Any] = []

    def on_start(self) -> None:
        self.seen.append("on_start")
        self.subscribe("data.trade.*.*", self.on_trade)
        self.set_timer("heartbeat", 100, self.on_heartbeat)

    def on_stop(self) -> None:
        self.seen.append("on_stop")
        self.publish("events.probe.stopped", "bye")  # the bus is still usable in on_stop

    def on_trade(self, msg: Any) -> None:
        self.seen.append(("trade", msg))

    def on_heartbeat(self, event: TimerEvent) -> None:
        self.seen.append(("timer", event.name, event.ts_event))


@pytest.fixture
def setup() -> tuple[MessageBus, SimulatedClock, Probe]:
    clock = SimulatedClock()
    bus = MessageBus(clock.timestamp_ns)
    return bus, clock, Probe(bus, clock)


def test_start_and_stop_call_the_hooks(setup: tuple[MessageBus, SimulatedClock, Probe]) -> None:
    bus, _, probe = setup
    said: list[Any] = []
    bus.subscribe("events.probe.stopped", said.append)
    assert not probe.is_running
    probe.start()
    assert probe.is_running
    probe.stop()
    assert not probe.is_running
    assert probe.seen == ["on_start", "on_stop"]
    assert said == ["bye"]


def test_double_start_and_stop_when_stopped_are_refused(
    setup: tuple[MessageBus, SimulatedClock, Probe],
) -> None:
    _, _, probe = setup
    with pytest.raises(InvalidTransition):
        probe.stop()
    probe.start()
    with pytest.raises(InvalidTransition):
        probe.start()
    probe.stop()
    probe.start()  # a stopped actor may start again
    assert probe.is_running


def test_subscriptions_are_removed_on_stop(setup: tuple[MessageBus, SimulatedClock, Probe]) -> None:
    bus, _, probe = setup
    probe.start()
    bus.publish("data.trade.binance.BTCUSDT", 1)
    probe.stop()
    bus.publish("data.trade.binance.BTCUSDT", 2)
    assert probe.seen == ["on_start", ("trade", 1), "on_stop"]


def test_timer_fires_through_the_bus(setup: tuple[MessageBus, SimulatedClock, Probe]) -> None:
    bus, clock, probe = setup
    on_bus: list[TimerEvent] = []
    bus.subscribe("timer.probe", on_bus.append)
    probe.start()
    clock.advance_to(250)
    assert probe.seen[1:] == [("timer", "probe.heartbeat", 100), ("timer", "probe.heartbeat", 200)]
    assert [e.name for e in on_bus] == ["probe.heartbeat"] * 2


def test_timer_fire_is_queued_behind_the_message_being_handled() -> None:
    clock = SimulatedClock()
    bus = MessageBus(clock.timestamp_ns)
    actor = Actor("a", bus, clock)
    order: list[str] = []
    actor.set_timer("t", 10, lambda e: order.append("timer"))

    def on_data(msg: Any) -> None:  # a data handler that moves the clock, as a replay driver might
        clock.advance_to(msg)
        order.append(f"data {msg}")

    bus.subscribe("data.x", on_data)
    bus.publish("data.x", 10)
    assert order == ["data 10", "timer"]


def test_timers_are_cancelled_on_stop(setup: tuple[MessageBus, SimulatedClock, Probe]) -> None:
    _, clock, probe = setup
    probe.start()
    assert clock.timer_names == ["probe.heartbeat"]
    probe.stop()
    assert clock.timer_names == []
    clock.advance_to(1_000)
    assert probe.seen == ["on_start", "on_stop"]


def test_time_alert_is_delivered_once_and_cancel_timer_stops_a_timer() -> None:
    clock = SimulatedClock()
    bus = MessageBus(clock.timestamp_ns)
    actor = Actor("a", bus, clock)
    fired: list[tuple[str, int]] = []
    actor.start()
    actor.set_time_alert("expiry", 50, lambda e: fired.append((e.name, e.ts_event)))
    actor.set_timer("poll", 30, lambda e: fired.append((e.name, e.ts_event)))
    clock.advance_to(70)
    actor.cancel_timer("poll")
    clock.advance_to(200)
    assert fired == [("a.poll", 30), ("a.expiry", 50), ("a.poll", 60)]


def test_fire_queued_before_cancel_is_not_delivered() -> None:
    clock = SimulatedClock()
    bus = MessageBus(clock.timestamp_ns)
    actor = Actor("a", bus, clock)
    fired: list[int] = []
    actor.set_timer("t", 10, lambda e: fired.append(e.ts_event))

    def on_data(msg: Any) -> None:
        clock.advance_to(10)  # the fire is queued behind this handler...
        actor.cancel_timer("t")  # ...and cancelled before it is handled

    bus.subscribe("data.x", on_data)
    bus.publish("data.x", None)
    assert fired == []


def test_failing_on_start_leaves_nothing_behind() -> None:
    clock = SimulatedClock()
    bus = MessageBus(clock.timestamp_ns)

    class Broken(Probe):
        def on_start(self) -> None:
            super().on_start()
            raise RuntimeError("cannot start")

    broken = Broken(bus, clock)
    with pytest.raises(RuntimeError):
        broken.start()
    assert not broken.is_running
    assert clock.timer_names == []
    bus.publish("data.trade.binance.BTCUSDT", 1)
    assert bus.delivered == 0


def test_log_is_bound_to_the_actor(setup: tuple[MessageBus, SimulatedClock, Probe]) -> None:
    _, _, probe = setup
    with capture_logs() as logs:
        probe.log.info("hello")
    assert logs == [{"event": "hello", "actor": "probe", "log_level": "info"}]
