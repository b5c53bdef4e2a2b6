"""Control and infrastructure messages: strategy lifecycle, timers, handler errors."""

from __future__ import annotations

from engine.messages.base import Message


class ControlCommand(Message, frozen=True, kw_only=True, gc=False):
    execution_id: str
    reason: str = ""


class StartStrategy(ControlCommand, frozen=True, kw_only=True, gc=False):
    pass


class PauseStrategy(ControlCommand, frozen=True, kw_only=True, gc=False):
    pass


class ResumeStrategy(ControlCommand, frozen=True, kw_only=True, gc=False):
    pass


class StopStrategy(ControlCommand, frozen=True, kw_only=True, gc=False):
    pass


class TimerEvent(Message, frozen=True, kw_only=True, gc=False):
    """A timer fired; ``ts_event`` is the time it was due, not when it was noticed."""

    name: str


class HandlerError(Message, frozen=True, kw_only=True, gc=False):
    """A handler raised; the bus logged it and goes on with the next message."""

    topic: str
    handler: str
    error_type: str
    error: str
