"""Equity over time per account: where the UTC day started and the peak, to measure loss and drawdown."""

from __future__ import annotations

from decimal import Decimal

from engine.model import Position, PositionSide


def position_equity(position: Position, spot: bool, price: Decimal | None) -> Decimal:
    """What an open position adds to equity at ``price`` (``None``: its ``current_price``).

    Spot: its market value, since the cash paid for it has left the balance. Futures: its unrealized
    PnL, as ``engine.model.accounting`` marks it (inverse contracts: the Portfolio's last mark).
    """
    specs = position.instrument.contract_specifications
    if specs.is_inverse:
        return position.unrealized_pnl
    value = (position.current_price if price is None else price) * position.quantity * specs.contract_size
    long = position.side is PositionSide.LONG
    if spot:
        return value if long else -value
    cost = position.entry_price * position.quantity * specs.contract_size
    return value - cost if long else cost - value


class EquityWatch:
    """Each account's equity at the start of the UTC day and at its peak, to measure loss and drawdown."""

    def __init__(self) -> None:
        self._day: int | None = None
        self._last: dict[str, Decimal] = {}
        self._day_start: dict[str, Decimal] = {}
        self._peak: dict[str, Decimal] = {}

    def new_day(self, day: int) -> bool:
        """Start ``day`` from the last equity seen before it; False if ``day`` is the current one."""
        if day == self._day:
            return False
        self._day = day
        self._day_start = dict(self._last)
        return True

    def rebase(self) -> None:
        """Measure from now on: today's loss and the drawdown restart at zero."""
        self._day_start = dict(self._last)
        self._peak = dict(self._last)

    def update(self, account_id: str, equity: Decimal) -> tuple[Decimal, Decimal]:
        """Record the equity; return the loss since the day started and the drawdown from the peak (%)."""
        self._last[account_id] = equity
        start = self._day_start.setdefault(account_id, equity)
        peak = self._peak.get(account_id)
        if peak is None or equity > peak:
            peak = self._peak[account_id] = equity
        drawdown_pct = (peak - equity) * 100 / peak if peak > 0 else Decimal(0)
        return start - equity, drawdown_pct
