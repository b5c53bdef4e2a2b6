"""What a simulated exchange is told to do, as frozen msgspec structs a TOML table decodes into.

Decode a config with ``msgspec.convert(table, SimConfig)``: unknown fields are refused, and
``__post_init__`` refuses values that make no sense with a ``ConfigError`` naming the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, TypeAlias

import msgspec

from engine.errors import ConfigError

BarExecution: TypeAlias = Literal["close", "next_open"]

MisbehaviourAction: TypeAlias = Literal[
    "reject",  # the venue refuses the order (OrderRejected with the rule's reason_code)
    "delay_ack",  # OrderAccepted arrives delay_ns later, or with the next input when delay_ns == 0
    "drop_ack",  # OrderAccepted never arrives
    "drop_fill",  # an OrderFilled never arrives (the venue's state still has the fill)
    "duplicate_fill",  # an OrderFilled arrives twice, same fill_id
    "fill_before_ack",  # OrderAccepted arrives right after the order's next event (its fill)
    "ack_unknown",  # OrderStatusUnknown instead of OrderAccepted: the client timed out, the order lives
]

FILL_ACTIONS: frozenset[str] = frozenset({"drop_fill", "duplicate_fill"})
ACK_ACTIONS: frozenset[str] = frozenset({"delay_ack", "drop_ack", "fill_before_ack", "ack_unknown"})


class MisbehaviourRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One scripted or random misbehaviour.

    Which orders: ``order_seq`` (the n-th SubmitOrder this exchange received, from 1) and/or
    ``client_order_id``; with neither, every order. ``probability`` then decides each case with
    the exchange's seeded generator (1.0: always, no draw). Fill actions hit the ``fill_seq``-th
    fill of the order (from 1), or every fill when it is unset.
    """

    action: MisbehaviourAction
    order_seq: int | None = None
    client_order_id: str = ""
    fill_seq: int | None = None
    probability: float = 1.0
    delay_ns: int = 0
    reason_code: str = "sim_rejected"
    reason: str = "rejected by the simulated exchange's misbehaviour script"

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ConfigError("misbehaviour.probability", f"must be in [0, 1], got {self.probability}")
        if self.order_seq is not None and self.order_seq < 1:
            raise ConfigError("misbehaviour.order_seq", f"counts from 1, got {self.order_seq}")
        if self.fill_seq is not None and self.fill_seq < 1:
            raise ConfigError("misbehaviour.fill_seq", f"counts from 1, got {self.fill_seq}")
        if self.fill_seq is not None and self.action not in FILL_ACTIONS:
            raise ConfigError("misbehaviour.fill_seq", f"applies to fill actions, not {self.action!r}")
        if self.delay_ns < 0:
            raise ConfigError("misbehaviour.delay_ns", f"must be >= 0, got {self.delay_ns}")
        if self.delay_ns and self.action != "delay_ack":
            raise ConfigError("misbehaviour.delay_ns", f"applies to delay_ack, not {self.action!r}")


class SimConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the simulated exchange fills orders. Every default is the conservative, common choice.

    - ``bar_execution``: with bars as the only price source, an order arrives at the bar's close
      (``"close"``) or waits for the next bar and arrives at its open (``"next_open"``).
    - ``bar_interval``: the bar interval that drives matching; ``""`` takes the first interval seen
      per instrument (another interval would count the same volume twice). Bars drive matching
      only for an instrument that has no trade or quote ticks: those are finer, and bars built
      from trades would count their volume again.
    - ``fill_on_touch``: a resting limit order also fills when a trade (or bar low/high) is exactly
      at its price, not only through it.
    - ``volume_participation``: the share of each trade's (bar's, top-of-book level's) quantity our
      orders may take; a large order fills over several trades.
    - ``bar_volume_in_quote``: bar volume is in quote units (USDT) rather than base units (BTC).
    - ``latency_ns``: a command reaches the venue this long after it was sent.
    - ``seed`` and ``misbehaviour``: the seeded, scriptable ways a real venue misbehaves.
    """

    bar_execution: BarExecution = "close"
    bar_interval: str = ""
    fill_on_touch: bool = False
    volume_participation: Decimal = Decimal(1)
    bar_volume_in_quote: bool = False
    latency_ns: int = 0
    seed: int = 0
    misbehaviour: tuple[MisbehaviourRule, ...] = ()

    def __post_init__(self) -> None:
        if not (self.volume_participation.is_finite() and 0 < self.volume_participation <= 1):
            raise ConfigError("volume_participation", f"must be in (0, 1], got {self.volume_participation}")
        if self.latency_ns < 0:
            raise ConfigError("latency_ns", f"must be >= 0, got {self.latency_ns}")
