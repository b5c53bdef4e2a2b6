"""Text to engine values, exactly: timestamps to integer ns, interval lengths to names, and the words that
explain why a row is bad."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from engine.components.data.bars import time_interval_ns

_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# ``datetime.fromisoformat`` keeps six fractional digits and silently drops the rest (CPython 3.11+),
# so digits 7 to 9 are read here.
_SUB_MICROSECOND = re.compile(r"[.,]\d{6}(\d+)")
_UNITS = (("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000))
_ZERO = Decimal(0)


class BadRow(Exception):
    """Why a row is bad, in words for the ``DataFileError`` (internal: never leaves the package)."""


def iso_ns(text: str) -> int:
    """An ISO 8601 date-time to ns since the epoch; naive means UTC. Up to 9 fractional digits, exactly."""
    moment = datetime.fromisoformat(text)
    ns = (moment - (_EPOCH if moment.tzinfo is None else _EPOCH_UTC)) // _MICROSECOND * 1000
    if len(text) <= 26 and text[19:20] == ".":  # "YYYY-MM-DD HH:MM:SS.ffffff" or shorter: no room for more
        return ns
    extra = _SUB_MICROSECOND.search(text)
    if extra is None:
        return ns
    digits = extra[1]
    if len(digits) > 3:
        raise ValueError(f"{text!r} has more than 9 fractional digits")
    return ns + int(digits.ljust(3, "0"))


def epoch_unit_ns(value: int) -> int:
    """Nanoseconds per unit of an integer epoch timestamp, told by its magnitude.

    Milliseconds from 1e11 (1973) to 1e14 (year 5138), microseconds from 1e14 to 1e17, nanoseconds
    above: the ranges do not overlap for any date since 1973. Smaller values (seconds, or a 1970s
    millisecond) are refused rather than guessed.
    """
    if value >= 100_000_000_000_000_000:
        return 1
    if value >= 100_000_000_000_000:
        return 1_000
    if value >= 100_000_000_000:
        return 1_000_000
    raise ValueError(f"{value} is too small to be epoch milliseconds, microseconds or nanoseconds")


def epoch_ns(text: str) -> int:
    """An integer epoch timestamp in ms, us or ns (see ``epoch_unit_ns``) or an ISO 8601 string, to ns."""
    if text.isdigit():
        value = int(text)
        return value * epoch_unit_ns(value)
    return iso_ns(text)


def interval_name(length_ns: int) -> str:
    """The interval string (``"1m"``, ``"4h"``) of a bar length; ``ValueError`` if the engine has none."""
    for unit, size in _UNITS:
        if length_ns > 0 and length_ns % size == 0:
            name = f"{length_ns // size}{unit}"
            time_interval_ns(name)  # refuses intervals over 1d, as the engine does
            return name
    raise ValueError(f"{length_ns} ns is not a whole number of seconds > 0")


def column(row: Sequence[str], index: int, name: str, parse: Callable[[str], int], what: str) -> int:
    """``parse(row[index])``, or ``BadRow`` saying column ``name`` is not ``what``."""
    text = row[index]
    try:
        return parse(text)
    except ValueError:
        raise BadRow(f"column {name!r}: {text!r} is not {what}") from None


def number(row: Sequence[str], index: int, name: str) -> Decimal:
    """``row[index]`` as a finite Decimal, or ``BadRow`` naming the column."""
    text = row[index]
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadRow(f"column {name!r}: {text!r} is not a number") from None
    if not value.is_finite():
        raise BadRow(f"column {name!r}: {text!r} is not a finite number")
    return value


def check_columns(row: Sequence[str], count: int, names: str) -> None:
    """``BadRow`` unless ``row`` has at least ``count`` columns."""
    if len(row) < count:
        raise BadRow(f"expected {count} columns ({names}), got {len(row)}")


def check_ohlcv(open_: Decimal, high: Decimal, low: Decimal, close: Decimal, volume: Decimal) -> None:
    """``BadRow`` unless ``0 < low <= open, close <= high`` and ``volume >= 0``: a bar that breaks this is
    corrupt, and a strategy fed one would trade on a price that never was."""
    if low <= _ZERO:
        raise BadRow(f"low {low} is not positive")
    for name, price in (("open", open_), ("close", close)):
        if price > high:
            raise BadRow(f"{name} {price} is above high {high}")
        if price < low:
            raise BadRow(f"{name} {price} is below low {low}")
    if volume < _ZERO:
        raise BadRow(f"volume {volume} is negative")
