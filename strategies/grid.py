"""A grid market maker on the order book: earn the spread with post-only quotes around the mid, within an
inventory limit.

Rules (the test checks them trade by trade):

- It acts on the top of the order book: the ``QuoteTick`` the DataEngine derives from every snapshot or
  delta that moves the best bid or ask (``subscribe_quotes``). That is all a mid-centred grid needs, and
  it is what the simulated venue matches resting orders against, so both see the same book when the
  grid moves. ``mid = (best bid + best ask) / 2``.
- The grid: ``levels`` post-only GTC limit orders of ``size`` on each side. Level ``i`` (from 1) of the
  buy side is at ``mid - i * spacing_ticks * tick`` rounded DOWN to the tick grid, of the sell side at
  ``mid + i * spacing_ticks * tick`` rounded UP: on the grid, never closer to the mid than asked, and a
  buy is always below the best ask, a sell above the best bid (``spacing_ticks >= 1``).
- Re-centring: a grid is wanted on the first quote, on a quote whose mid is MORE than ``recenter_ticks``
  ticks from the mid the working grid was placed around, and on the first quote after any fill of ours
  (the inventory changed). It is cancel, then place: every open order is cancelled, and the new grid is
  placed around the last quote's mid once none of them is open any more (cancelled, or filled first).
- Inventory limit: at placement no other order of ours is open, so with ``net`` this execution's signed
  position, the buy side gets only the levels that could all fill without ``net`` exceeding
  ``+max_inventory`` (``i * size <= max_inventory - net``), the sell side likewise towards
  ``-max_inventory``; a side without room gets none. So ``|net| <= max_inventory`` always holds, even
  when a venue fills an order we are cancelling or reports fills late.
- A post-only order the venue refuses (it would have taken liquidity) is not retried until the next
  placement.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import msgspec

from engine.messages import OrderEvent, OrderFilled, QuoteTick
from engine.model import OrderSide, OrderType
from engine.strategy import Strategy


class GridMakerParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    levels: int = 3  # orders per side
    spacing_ticks: int = 10  # distance between levels, and from the mid to the first one
    size: Decimal = Decimal(1)  # quantity of each order
    recenter_ticks: int = 5  # re-centre once the mid is more than this many ticks away
    max_inventory: Decimal = Decimal(3)  # limit on |position|

    def __post_init__(self) -> None:
        for name in ("levels", "spacing_ticks"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.recenter_ticks < 0:
            raise ValueError(f"recenter_ticks must be >= 0, got {self.recenter_ticks}")
        if not (self.size.is_finite() and self.size > 0):
            raise ValueError(f"size must be positive, got {self.size}")
        if not (self.max_inventory.is_finite() and self.max_inventory >= self.size):
            raise ValueError(f"max_inventory must be at least size ({self.size}), got {self.max_inventory}")


def grid_price(side: OrderSide, mid: Decimal, distance: Decimal, tick: Decimal) -> Decimal:
    """A level ``distance`` away from ``mid``, rounded away from it onto the tick grid."""
    if side is OrderSide.BUY:
        return ((mid - distance) / tick).to_integral_value(ROUND_FLOOR) * tick
    return ((mid + distance) / tick).to_integral_value(ROUND_CEILING) * tick


class GridMaker(Strategy):
    """Quotes ``levels`` post-only orders per side around the book's mid; re-centres on moves and fills."""

    Params = GridMakerParams

    def on_start(self) -> None:
        self.mid: Decimal | None = None  # of the last quote
        self.centre: Decimal | None = None  # the mid the working grid was placed around
        self.filled = False  # one of our orders filled since the grid was placed
        self.regrid = False  # a new grid is wanted: cancel the old one, then place
        self.cancelling: set[str] = set()
        self.subscribe_quotes()

    def on_quote(self, quote: QuoteTick) -> None:
        self.mid = mid = (quote.bid_price + quote.ask_price) / 2
        if (
            self.centre is None
            or self.filled
            or abs(mid - self.centre) > self.p.recenter_ticks * self.instrument.tick_size
        ):
            self.regrid = True
        self.advance()

    def on_order(self, event: OrderEvent) -> None:
        if isinstance(event, OrderFilled):
            self.filled = True
        self.advance()

    def advance(self) -> None:
        """Cancel what is left of the old grid; place the new one once none of it is open."""
        if not self.regrid or self.mid is None:
            return
        working = self.orders(open_only=True)
        if working:
            for order in working:
                if order.order_id not in self.cancelling:
                    self.cancelling.add(order.order_id)
                    self.cancel_order(order.order_id, "regrid")
            return
        self.cancelling.clear()
        self.regrid = self.filled = False
        self.centre = mid = self.mid
        tick = self.instrument.tick_size
        size, limit, net = self.p.size, self.p.max_inventory, self.net_quantity()
        spacing = self.p.spacing_ticks * tick
        for side, room in ((OrderSide.BUY, limit - net), (OrderSide.SELL, limit + net)):
            for level in range(1, min(self.p.levels, int(room // size)) + 1):
                price = grid_price(side, mid, level * spacing, tick)
                self.submit_order(side, size, order_type=OrderType.LIMIT, price=price, post_only=True)
