"""Real venues misbehave; the simulated one does too, on purpose, seeded and scripted, so the OMS and
strategies are tested against it.

``Misbehaviour`` decides, from the ``SimConfig.misbehaviour`` rules and one ``random.Random(seed)``,
whether an order is rejected and what becomes of its acknowledgement and fills. ``Outbox`` carries
the venue's events to the OMS and applies those decisions: drop, duplicate, delay, reorder. The
venue's own state never misbehaves: a dropped fill still happened, and a ``QueryOrder`` is answered
truthfully, which is how the OMS recovers.

Draws happen only for rules with ``probability < 1``, in the order events are produced, so the same
inputs and seed give the same events.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence
from typing import Any

from adapters.sim.config import ACK_ACTIONS, FILL_ACTIONS, MisbehaviourRule
from engine.messages import OrderAccepted, OrderEvent, OrderFilled, OrderStatusUnknown


class Misbehaviour:
    """Which rule, if any, fires for an order's submission, acknowledgement or fill."""

    __slots__ = ("_acks", "_fills", "_rejects", "_rng")

    def __init__(self, rules: Sequence[MisbehaviourRule], seed: int) -> None:
        self._rng = random.Random(seed)
        self._rejects = tuple(r for r in rules if r.action == "reject")
        self._acks = tuple(r for r in rules if r.action in ACK_ACTIONS)
        self._fills = tuple(r for r in rules if r.action in FILL_ACTIONS)

    # Each asks _first only when it has rules of its kind: a well-behaved venue pays one test per event.

    def rejection(self, order_seq: int, client_order_id: str) -> MisbehaviourRule | None:
        return self._first(self._rejects, order_seq, client_order_id, None) if self._rejects else None

    def on_ack(self, order_seq: int, client_order_id: str) -> MisbehaviourRule | None:
        return self._first(self._acks, order_seq, client_order_id, None) if self._acks else None

    def on_fill(self, order_seq: int, client_order_id: str, fill_seq: int) -> MisbehaviourRule | None:
        return self._first(self._fills, order_seq, client_order_id, fill_seq) if self._fills else None

    def _first(
        self,
        rules: tuple[MisbehaviourRule, ...],
        order_seq: int,
        client_order_id: str,
        fill_seq: int | None,
    ) -> MisbehaviourRule | None:
        for rule in rules:
            if rule.order_seq is not None and rule.order_seq != order_seq:
                continue
            if rule.client_order_id and rule.client_order_id != client_order_id:
                continue
            if rule.fill_seq is not None and rule.fill_seq != fill_seq:
                continue
            if rule.probability >= 1.0 or self._rng.random() < rule.probability:
                return rule
        return None


class Outbox:
    """Delivers the venue's order events, misbehaving as ``Misbehaviour`` decides.

    - ``drop_ack`` / ``drop_fill``: the event is never delivered.
    - ``duplicate_fill``: the fill is delivered twice in a row (same ``fill_id``).
    - ``delay_ack``: held until ``delay_ns`` later (``release_due``), or with ``delay_ns == 0``
      until the venue's next input (``release_next_input``: a command, a data event or a timer).
    - ``fill_before_ack``: held until the order's next event has been delivered (typically its
      first fill), then delivered right after it. An order that never has another event never
      gets its acknowledgement: the OMS must query it.
    - ``ack_unknown``: an ``OrderStatusUnknown`` (reason ``timeout``) instead of the
      acknowledgement, as a client whose request timed out would report; the order lives on.
    """

    __slots__ = ("_after", "_count", "_delayed", "_deliver", "_next_input", "misbehaviour")

    def __init__(self, misbehaviour: Misbehaviour, deliver: Callable[[Any], None]) -> None:
        self.misbehaviour = misbehaviour
        self._deliver = deliver
        self._delayed: list[tuple[int, int, OrderEvent]] = []  # heap of (due, arrival, event)
        self._next_input: list[OrderEvent] = []
        self._after: dict[str, list[OrderEvent]] = {}  # client_order_id -> events held behind its next
        self._count = 0

    @property
    def holds_for_next_input(self) -> bool:
        return bool(self._next_input)

    def next_due(self) -> int | None:
        """When the earliest delayed event is due, or None."""
        return self._delayed[0][0] if self._delayed else None

    def accepted(self, event: OrderAccepted, order_seq: int, now: int) -> None:
        rule = self.misbehaviour.on_ack(order_seq, event.client_order_id)
        if rule is None:
            self.send(event)
        elif rule.action == "delay_ack":
            if rule.delay_ns:
                self._count += 1
                heapq.heappush(self._delayed, (now + rule.delay_ns, self._count, event))
            else:
                self._next_input.append(event)
        elif rule.action == "fill_before_ack":
            self._after.setdefault(event.client_order_id, []).append(event)
        elif rule.action == "ack_unknown":
            self.send(
                OrderStatusUnknown(
                    ts_event=event.ts_event,
                    ts_init=event.ts_init,
                    client_order_id=event.client_order_id,
                    trading_account_id=event.trading_account_id,
                    exchange_id=event.exchange_id,
                    symbol=event.symbol,
                    reason="timeout",
                )
            )
        # drop_ack: never delivered

    def filled(self, event: OrderFilled, order_seq: int, fill_seq: int) -> None:
        rule = self.misbehaviour.on_fill(order_seq, event.client_order_id, fill_seq)
        if rule is None:
            self.send(event)
            return
        if rule.action == "duplicate_fill":
            self._deliver(event)
            self.send(event)
        else:  # drop_fill: only the events held behind it move on
            self._release_after(event.client_order_id)

    def send(self, event: OrderEvent) -> None:
        """Deliver an event as is, then whatever was held to follow the order's next event."""
        self._deliver(event)
        if self._after:
            self._release_after(event.client_order_id)

    def release_due(self, now: int) -> None:
        """Deliver the delayed events due at or before ``now``, in due order."""
        delayed = self._delayed
        while delayed and delayed[0][0] <= now:
            self.send(heapq.heappop(delayed)[2])

    def release_next_input(self) -> None:
        held, self._next_input = self._next_input, []
        for event in held:
            self.send(event)

    def _release_after(self, client_order_id: str) -> None:
        for event in self._after.pop(client_order_id, ()):
            self._deliver(event)
