"""One exception tree with a single root, so callers catch what they mean.

Branches: validation (a rule or constraint of the spec refused a value), state
transition (a state machine refused a move), venue-definitive and venue-ambiguous
(the venue said no / we cannot know what the venue did), configuration, journal, data file.
"""

from __future__ import annotations

from os import PathLike


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""


class ValidationError(EngineError):
    """A value broke a validation rule of the spec.

    ``rule`` is a stable machine-readable code (e.g. ``"order.quantity.min"``);
    ``value`` is the offending value. The message always names both.
    """

    def __init__(self, rule: str, value: object, detail: str = "") -> None:
        self.rule = rule
        self.value = value
        self.detail = detail
        text = f"{rule}: {value!r}"
        super().__init__(f"{text} ({detail})" if detail else text)


class ConstraintViolation(ValidationError):
    """A relationship constraint of the spec failed (unknown account, instrument, ...)."""


class InvalidTransition(EngineError):
    """A state machine was asked for a move its table does not contain."""

    def __init__(self, machine: str, from_state: object, to_state: object, detail: str = "") -> None:
        self.machine = machine
        self.from_state = from_state
        self.to_state = to_state
        text = f"{machine}: invalid transition {_name(from_state)} -> {_name(to_state)}"
        super().__init__(f"{text} ({detail})" if detail else text)


class VenueError(EngineError):
    """Something went wrong talking to a venue."""


class VenueRejected(VenueError):
    """The venue definitively refused a request: the order is ``rejected``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"venue rejected [{code}]: {message}")


class VenueAmbiguous(VenueError):
    """The request left us but the outcome is unknown (timeout, 5xx, dropped connection)."""


class ConfigError(EngineError):
    """A configuration value is invalid; the message names the field."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"config `{field}`: {detail}")


class JournalError(EngineError):
    """The event log could not be read or written; the message names file and line."""


class DataFileError(EngineError):
    """A market-data file could not be loaded; the message names the file and, for a bad row, its line."""

    def __init__(self, path: str | PathLike[str], line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = self.path if line is None else f"{self.path}: line {line}"
        super().__init__(f"{where}: {reason}")


def _name(state: object) -> str:
    value = getattr(state, "value", state)
    return str(value)
