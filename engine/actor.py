"""The base of every component: a lifecycle plus bus and clock helpers that clean up after themselves.

Everything an actor subscribes to or sets while running is undone by ``stop()``, so a stopped
actor receives nothing more. Timer fires reach the actor through the bus (topic
``timer.<actor_id>``), queued like every other input, so a run stays reproducible.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog
from structlog.typing import FilteringBoundLogger

from engine.bus import Handler, MessageBus
from engine.clock import Clock, TimerCallback
from engine.errors import InvalidTransition
from engine.messages import TimerEvent


class Actor:
    """A component with a start/stop lifecycle that talks only through the bus.

    ``start()`` on a running actor and ``stop()`` on a stopped one raise ``InvalidTransition``; a
    stopped actor may be started again. Override ``on_start`` / ``on_stop``.
    """

    def __init__(self, actor_id: str, bus: MessageBus, clock: Clock) -> None:
        self.actor_id = actor_id
        self.bus = bus
        self.clock = clock
        self.log: FilteringBoundLogger = structlog.get_logger(type(self).__module__).bind(actor=actor_id)
        self._running = False
        self._subscriptions: list[tuple[str, Handler]] = []
        # clock timer name (the TimerEvent's name) -> (handler, one_shot)
        self._timers: dict[str, tuple[Handler, bool]] = {}
        self._timer_topic = f"timer.{actor_id}"

    @property
    def is_running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._running:
            raise InvalidTransition("actor", "running", "running")
        self._running = True
        try:
            self.on_start()
        except BaseException:
            self._release()
            raise

    def stop(self) -> None:
        """Call ``on_stop``, then cancel the actor's timers and subscriptions (even if ``on_stop`` raised)."""
        if not self._running:
            raise InvalidTransition("actor", "stopped", "stopped")
        try:
            self.on_stop()
        finally:
            self._release()

    def on_start(self) -> None:
        """Hook: subscribe, register endpoints and set timers here."""

    def on_stop(self) -> None:
        """Hook: runs before the actor's subscriptions and timers are removed."""

    def subscribe(self, pattern: str, handler: Handler, priority: int = 0) -> None:
        self.bus.subscribe(pattern, handler, priority)
        self._subscriptions.append((pattern, handler))

    def unsubscribe(self, pattern: str, handler: Handler) -> None:
        self.bus.unsubscribe(pattern, handler)
        if (pattern, handler) in self._subscriptions:
            self._subscriptions.remove((pattern, handler))

    def publish(self, topic: str, msg: Any) -> None:
        self.bus.publish(topic, msg)

    def send(self, endpoint: str, msg: Any) -> None:
        self.bus.send(endpoint, msg)

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        handler: Handler,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Deliver a ``TimerEvent`` named ``<actor_id>.<name>`` to ``handler`` every ``interval_ns``."""
        self.clock.set_timer(self._clock_name(name), interval_ns, self._timer_fired(), start_ns, stop_ns)
        self._add_timer(name, handler, one_shot=False)

    def set_time_alert(self, name: str, at_ns: int, handler: Handler) -> None:
        """Deliver one ``TimerEvent`` named ``<actor_id>.<name>`` to ``handler`` at ``at_ns``."""
        self.clock.set_time_alert(self._clock_name(name), at_ns, self._timer_fired())
        self._add_timer(name, handler, one_shot=True)

    def cancel_timer(self, name: str) -> None:
        """Cancel a timer; a fire already queued on the bus is not delivered either."""
        clock_name = self._clock_name(name)
        self.clock.cancel_timer(clock_name)
        self._timers.pop(clock_name, None)

    def _clock_name(self, name: str) -> str:
        return f"{self.actor_id}.{name}"

    def _timer_fired(self) -> TimerCallback:
        return partial(self.bus.publish, self._timer_topic)

    def _add_timer(self, name: str, handler: Handler, *, one_shot: bool) -> None:
        if (self._timer_topic, self._on_timer) not in self._subscriptions:
            self.subscribe(self._timer_topic, self._on_timer)
        self._timers[self._clock_name(name)] = (handler, one_shot)

    def _on_timer(self, event: TimerEvent) -> None:
        entry = self._timers.get(event.name)
        if entry is None:  # cancelled after this fire was queued
            return
        handler, one_shot = entry
        if one_shot:
            del self._timers[event.name]
        handler(event)

    def _release(self) -> None:
        self._running = False
        for clock_name in self._timers:
            self.clock.cancel_timer(clock_name)
        self._timers.clear()
        for pattern, handler in self._subscriptions:
            self.bus.unsubscribe(pattern, handler)
        self._subscriptions.clear()
