"""Position: what an account holds in one instrument, closed or liquidated through ``POSITION_MACHINE``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from engine.model.enums import PositionSide, PositionStatus
from engine.model.instrument import TradingInstrument
from engine.model.state import POSITION_MACHINE, transition
from engine.model.timestamps import UtcDatetime


class Position(msgspec.Struct, kw_only=True):
    """The spec's Position. ``liquidation_price`` is ``None`` when nothing can liquidate it (spot).

    Engine additions (not in the spec): ``status`` (the spec's position state machine needs a
    state to live in), ``execution_id`` (the StrategyExecution that opened it, ``""`` for none) and
    ``fees`` (what its fills paid, so a round trip's PnL net of fees needs no second bookkeeping).
    """

    position_id: str
    instrument: TradingInstrument
    side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    current_price: Decimal
    trading_account_id: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    unrealized_pnl: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)
    liquidation_price: Decimal | None = None
    leverage: int = 1
    margin_used: Decimal = Decimal(0)
    # engine additions
    status: PositionStatus = PositionStatus.OPEN
    execution_id: str = ""
    # fees, in the quote currency, of the fills booked to it: the one that opened it, any that grew
    # or reduced it, and the one that closed it (a flip's fill is the closed position's)
    fees: Decimal = Decimal(0)

    def close(self, ts: datetime) -> None:
        """An offsetting trade closed it."""
        self.status = transition(POSITION_MACHINE, self.status, PositionStatus.CLOSED)
        self.updated_at = ts

    def liquidate(self, ts: datetime) -> None:
        """The venue (or the simulator) liquidated it for lack of margin."""
        self.status = transition(POSITION_MACHINE, self.status, PositionStatus.LIQUIDATED)
        self.updated_at = ts
