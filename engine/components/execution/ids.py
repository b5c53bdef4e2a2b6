"""Client order ids: unique per node, reproducible in a backtest, never reused by a restarted live node."""

from __future__ import annotations

import re

from engine.errors import ConfigError

# Binance `newClientOrderId` and Bybit `orderLinkId` both take at most 36 characters; Binance allows
# `[.A-Z:/a-z0-9_-]`, Bybit letters, digits, `-` and `_`: we use the common part.
MAX_CLIENT_ORDER_ID_LENGTH = 36
# Room kept free for the OrderEmulator's bracket exits, `<parent>-SL` and `<parent>-TP`.
BRACKET_SUFFIX_LENGTH = 3
_MAX_LENGTH = MAX_CLIENT_ORDER_ID_LENGTH - BRACKET_SUFFIX_LENGTH
_MIN_COUNTER_DIGITS = 9
_PREFIX = re.compile(r"[A-Za-z0-9_]{1,12}")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class ClientOrderIdGenerator:
    """Hands out ``<prefix>-<n>`` (backtest) or ``<prefix>-<start>-<n>`` (live) from one node-wide counter.

    ``start_ns`` is the node's start time (live and paper): written in base 36 milliseconds it makes
    the ids of a restarted node differ from the ones it issued before. Without it the ids depend on
    the call order only, so two runs of the same backtest issue the same ids. Ids are at most 33
    characters, leaving room for a bracket suffix within the venues' 36.
    """

    __slots__ = ("_count", "_stem")

    def __init__(self, prefix: str = "O", *, start_ns: int | None = None) -> None:
        if not _PREFIX.fullmatch(prefix):
            raise ConfigError("client_order_id.prefix", f"{prefix!r}: 1 to 12 letters, digits or '_'")
        if start_ns is not None and start_ns < 0:
            raise ConfigError("client_order_id.start_ns", f"{start_ns} is before the epoch")
        self._stem = prefix if start_ns is None else f"{prefix}-{_base36(start_ns // 1_000_000)}"
        if len(self._stem) + 1 + _MIN_COUNTER_DIGITS > _MAX_LENGTH:
            raise ConfigError("client_order_id.prefix", f"{prefix!r} leaves too little room for a counter")
        self._count = 0

    def next_id(self, execution_id: str = "") -> str:
        """The next id. It does not encode ``execution_id`` (36 characters cannot hold arbitrary
        execution ids); the OMS maps every id it sees back to the execution that submitted it."""
        self._count += 1
        return f"{self._stem}-{self._count}"

    @property
    def issued(self) -> int:
        """How many ids this generator has handed out."""
        return self._count


def _base36(value: int) -> str:
    digits = []
    while True:
        value, digit = divmod(value, 36)
        digits.append(_DIGITS[digit])
        if not value:
            return "".join(reversed(digits))
