"""Portfolio: positions, balances, PnL and margin of every account, booked from order events."""

from engine.components.portfolio.portfolio import ORDER_EVENT_PRIORITY, Portfolio

__all__ = ["ORDER_EVENT_PRIORITY", "Portfolio"]
