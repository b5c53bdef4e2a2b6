"""The RiskEngine's limits as frozen structs that refuse unknown fields, so a typo fails at load time.

``OrderLimits`` holds the limits a strategy may also set in its ``risk_controls`` (the stricter of
node and strategy wins); ``RiskConfig`` adds the node-wide ones. Every limit is optional: ``None``
switches it off.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, TypeVar

import msgspec

_SECOND_NS = 1_000_000_000

T = TypeVar("T", Decimal, int)


class OrderLimits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Limits checked against one order; they are also the keys a strategy's ``risk_controls`` may set.

    - ``max_order_notional``: quantity x price (x contract size), in the quote currency.
    - ``max_position_size``: absolute base quantity of the account's position in the instrument after
      the order, counting its open orders on the same side.
    - ``max_open_orders``: open orders of the account, the new one included.
    """

    max_order_notional: Decimal | None = None
    max_position_size: Decimal | None = None
    max_open_orders: Annotated[int, msgspec.Meta(ge=1)] | None = None

    def __post_init__(self) -> None:
        _require_positive("max_order_notional", self.max_order_notional)
        _require_positive("max_position_size", self.max_position_size)

    def stricter(self, other: OrderLimits) -> OrderLimits:
        """Each limit is the smaller of the two; a limit set on one side only applies as it is."""
        return OrderLimits(
            max_order_notional=_smaller(self.max_order_notional, other.max_order_notional),
            max_position_size=_smaller(self.max_position_size, other.max_position_size),
            max_open_orders=_smaller(self.max_open_orders, other.max_open_orders),
        )


class RiskConfig(OrderLimits, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Node-wide limits on top of ``OrderLimits``.

    - ``max_orders_per_interval`` / ``interval_ns``: approved submissions in any sliding window of
      ``interval_ns`` of clock time, all accounts together; one more is denied.
    - ``daily_loss_limit``: fall of an account's equity since the start of the UTC day, in
      ``equity_currency``; reaching it moves trading to reduce-only (reset at the next UTC day).
    - ``max_drawdown_pct``: fall of an account's equity from its peak, in percent (``10`` = 10 %);
      reaching it moves trading to reduce-only until the operator sets the state again.
    - ``equity_currency``: the settlement currency equity is measured in.
    """

    max_orders_per_interval: Annotated[int, msgspec.Meta(ge=1)] | None = None
    interval_ns: Annotated[int, msgspec.Meta(ge=1)] = _SECOND_NS
    daily_loss_limit: Decimal | None = None
    max_drawdown_pct: Decimal | None = None
    equity_currency: str = "USDT"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_positive("daily_loss_limit", self.daily_loss_limit)
        _require_positive("max_drawdown_pct", self.max_drawdown_pct)
        if self.max_drawdown_pct is not None and self.max_drawdown_pct > 100:
            raise ValueError(f"max_drawdown_pct must be <= 100, got {self.max_drawdown_pct}")

    @property
    def order_limits(self) -> OrderLimits:
        return OrderLimits(
            max_order_notional=self.max_order_notional,
            max_position_size=self.max_position_size,
            max_open_orders=self.max_open_orders,
        )


def _require_positive(name: str, value: Decimal | None) -> None:
    # msgspec raises a ValidationError naming the struct for a ValueError raised here.
    if value is not None and not (value.is_finite() and value > 0):
        raise ValueError(f"{name} must be > 0, got {value}")


def _smaller(a: T | None, b: T | None) -> T | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
