"""What a run did, per strategy execution: fills, round-trip trades, exposure and the equity curve.

It listens to the same events a strategy does, so a report is built from what the engine
published, never from a second computation. A trade's PnL is the closed position's realized
PnL minus its fees, both as its ledger booked them (``PositionEvent.fees``: the fills that opened,
grew, reduced and closed it; a flip's fill is the closed trade's; in a liquidation of a position
several executions built, each execution's share).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from engine.actor import Actor
from engine.bus import MessageBus
from engine.clock import Clock
from engine.messages import OrderFilled, PositionClosed, PositionEvent, PositionLiquidated, PositionOpened
from engine.metrics import ClosedTrade, EquitySample
from engine.model import LiquiditySide, OrderSide


class FillRecord(msgspec.Struct, frozen=True, kw_only=True):
    ts_event: int
    client_order_id: str
    symbol: str
    side: OrderSide
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity_side: LiquiditySide


class ExecutionRecord:
    """The running record of one execution."""

    def __init__(self) -> None:
        self.fills: list[FillRecord] = []
        self.trades: list[ClosedTrade] = []
        self.curve: list[EquitySample] = []
        # time with at least one position open: positions that overlap (hedge mode, several
        # instruments) count once, so exposure never exceeds the run
        self.exposure_ns = 0
        self._exposed_since: int | None = None
        self._open_since: dict[str, int] = {}  # position id -> ts opened

    def fill(self, event: OrderFilled) -> None:
        self.fills.append(
            FillRecord(
                ts_event=event.ts_event,
                client_order_id=event.client_order_id,
                symbol=event.symbol,
                side=event.side,
                price=event.price,
                quantity=event.quantity,
                fee=event.fee,
                fee_currency=event.fee_currency,
                liquidity_side=event.liquidity_side,
            )
        )

    def position(self, event: PositionEvent) -> None:
        if isinstance(event, PositionOpened):
            if not self._open_since:
                self._exposed_since = event.ts_event
            self._open_since[event.position_id] = event.ts_event
        elif isinstance(event, PositionClosed | PositionLiquidated):
            opened = self._open_since.pop(event.position_id, event.ts_event)
            if not self._open_since and self._exposed_since is not None:
                self.exposure_ns += event.ts_event - self._exposed_since
                self._exposed_since = None
            self.trades.append(
                ClosedTrade(opened_ns=opened, closed_ns=event.ts_event, pnl=event.realized_pnl - event.fees)
            )

    def open_exposure(self, now: int) -> int:
        """Time with a position open, up to ``now`` (positions still open included)."""
        since = self._exposed_since
        return self.exposure_ns + (now - since if since is not None else 0)


class Recorder(Actor):
    """Collects an ``ExecutionRecord`` per execution id from the order and position topics."""

    def __init__(self, bus: MessageBus, clock: Clock, execution_ids: list[str]) -> None:
        super().__init__("Recorder", bus, clock)
        self.records = {execution_id: ExecutionRecord() for execution_id in execution_ids}

    def on_start(self) -> None:
        for execution_id, record in self.records.items():
            self.subscribe(f"events.order.{execution_id}", self._order_handler(record))
            self.subscribe(f"events.position.{execution_id}", record.position)

    @staticmethod
    def _order_handler(record: ExecutionRecord) -> Callable[[Any], None]:
        def on_order(event: Any) -> None:
            if type(event) is OrderFilled:
                record.fill(event)

        return on_order
