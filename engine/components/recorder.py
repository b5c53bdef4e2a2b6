"""What a run did, per strategy execution: fills, round-trip trades, exposure and the equity curve.

It listens to the same events a strategy does, so a report is built from what the engine
published, never from a second computation. A trade's PnL is the closed position's realized
PnL minus the fees of its fills: the one that opened it, any that grew or reduced it, and the
one that closed it. A flip's fill closes one trade and opens the next; its whole fee is the
closed trade's. Fees are kept per slot: per symbol in one-way mode, per symbol and side in hedge
mode (where every fill names its side).
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
from engine.model import LiquiditySide, OrderSide, PositionSide

_ZERO = Decimal(0)


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
        self.fees = Decimal(0)
        # time with at least one position open: positions that overlap (hedge mode, several
        # instruments) count once, so exposure never exceeds the run
        self.exposure_ns = 0
        self._exposed_since: int | None = None
        self._open_since: dict[str, int] = {}  # position id -> ts opened
        # (symbol, the fill's position side) -> fees of fills no closed trade has taken yet; the side
        # is None in one-way mode (a venue's liquidation fill may still name it)
        self._unbooked: dict[tuple[str, PositionSide | None], Decimal] = {}

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
        self.fees += event.fee
        key = (event.symbol, event.position_side)
        self._unbooked[key] = self._unbooked.get(key, _ZERO) + event.fee

    def position(self, event: PositionEvent) -> None:
        # A position event follows the fill that caused it, so that fill's fee is already unbooked:
        # an opening fill's stays there for the new trade, a closing (or flipping) fill's goes to the
        # trade it closes.
        if isinstance(event, PositionOpened):
            if not self._open_since:
                self._exposed_since = event.ts_event
            self._open_since[event.position_id] = event.ts_event
        elif isinstance(event, PositionClosed | PositionLiquidated):
            opened = self._open_since.pop(event.position_id, event.ts_event)
            if not self._open_since and self._exposed_since is not None:
                self.exposure_ns += event.ts_event - self._exposed_since
                self._exposed_since = None
            unbooked = self._unbooked
            fees = unbooked.pop((event.symbol, event.side), _ZERO) + unbooked.pop((event.symbol, None), _ZERO)
            self.trades.append(
                ClosedTrade(opened_ns=opened, closed_ns=event.ts_event, pnl=event.realized_pnl - fees)
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
