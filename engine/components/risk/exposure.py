"""What each account has open, orders and positions, indexed so a pre-trade check never scans the Store.

The Store lists an account's orders by walking every order of the run, so a check that asked it
would slow down as the run goes on. ``Exposure`` keeps only the open ones, by account. Their ids
come from the Store at start (recovery), from the orders the RiskEngine approves, and from order
and position events (orders placed around the RiskEngine: bracket children, external orders).

An approved order is held as its candidate ``Order`` until the OMS has stored the real one, so two
orders sent from one handler see each other. Closed positions are dropped when read.

An order counts as far as its published events go, not as far as the Store's ``Order`` does: the
OMS moves that object on a fill at once, but the Portfolio books the fill into the position only
when the fill's event is published, a few bus hops later. Read in between, the Store's order would
say the quantity is gone while the position does not hold it yet, and a check would miss it. So an
order stays open until its terminal event is seen, and its remaining quantity is what its seen fills
leave (the Portfolio books before the RiskEngine hears: it subscribes with a higher priority).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.messages import OrderCancelled, OrderEvent, OrderFilled, OrderRejected, OrderStatusReport
from engine.model import ORDER_MACHINE, Order, OrderStatus, Position, PositionStatus, Store

_ZERO = Decimal(0)


class Exposure:
    """Open orders and open positions per account, read from the Store by id."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._orders: dict[str, dict[str, Order]] = {}  # account -> order id -> stored order
        self._in_flight: dict[str, dict[str, Order]] = {}  # account -> order id -> candidate order
        self._positions: dict[str, dict[str, Position]] = {}  # account -> position id -> stored position
        self._booked: dict[str, Decimal] = {}  # open order id -> quantity its published fills carried

    def load(self) -> None:
        """Index what the Store already holds open (a restart after recovery)."""
        for order in self._store.list_orders():
            if order.is_open:
                self._orders.setdefault(order.trading_account_id, {})[order.order_id] = order
                self._booked[order.order_id] = order.filled_quantity
        for position in self._store.list_positions():
            if position.status is PositionStatus.OPEN:
                self._positions.setdefault(position.trading_account_id, {})[position.position_id] = position

    def approved(self, candidate: Order) -> None:
        """An order left for the OMS: count it as open until the Store holds it."""
        in_flight = self._in_flight.setdefault(candidate.trading_account_id, {})
        if in_flight:
            self._settle(candidate.trading_account_id, in_flight)
        in_flight[candidate.order_id] = candidate

    def order_seen(self, event: OrderEvent) -> None:
        """An order event was published: count its fill, drop the order at its end, index a new one."""
        account_id, order_id = event.trading_account_id, event.client_order_id
        stored = self._store.get_order(order_id)
        if stored is None:
            return
        in_flight = self._in_flight.get(account_id)
        if in_flight:
            in_flight.pop(order_id, None)
        booked = self._booked.get(order_id, _ZERO)
        if type(event) is OrderFilled:
            booked += event.quantity
        if _ends(event, stored, booked):
            self._orders.get(account_id, {}).pop(order_id, None)
            self._booked.pop(order_id, None)
        else:  # open as far as its events go, whatever the OMS has applied since
            self._orders.setdefault(account_id, {})[order_id] = stored
            self._booked[order_id] = booked

    def position_seen(self, account_id: str, position_id: str) -> None:
        stored = self._store.get_position(position_id)
        if stored is not None and stored.status is PositionStatus.OPEN:
            self._positions.setdefault(account_id, {})[position_id] = stored

    def open_orders(self, account_id: str) -> list[Order]:
        """The account's open orders as far as their published events go (see the module docstring):
        stored ones first, then those still on their way to the OMS."""
        in_flight = self._in_flight.get(account_id)
        if in_flight:
            self._settle(account_id, in_flight)
        booked = self._booked
        views = []
        for order_id, stored in self._orders.setdefault(account_id, {}).items():
            seen = booked[order_id]
            if stored.filled_quantity == seen and stored.is_open:
                views.append(stored)
            else:  # the OMS has moved on; the Portfolio has not booked it yet
                status = OrderStatus.PARTIAL if seen else OrderStatus.PENDING
                views.append(msgspec.structs.replace(stored, filled_quantity=seen, status=status))
        return [*views, *(in_flight.values() if in_flight else ())]

    def _settle(self, account_id: str, in_flight: dict[str, Order]) -> None:
        """Swap each candidate the OMS has stored meanwhile for the stored order."""
        orders = self._orders.setdefault(account_id, {})
        for order_id in list(in_flight):
            stored = self._store.get_order(order_id)
            if stored is not None:
                del in_flight[order_id]
                orders[order_id] = stored
                self._booked.setdefault(order_id, _ZERO)

    def open_positions(self, account_id: str) -> list[Position]:
        positions = self._positions.get(account_id)
        if not positions:
            return []
        for position_id in [i for i, p in positions.items() if p.status is not PositionStatus.OPEN]:
            del positions[position_id]
        return list(positions.values())

    def in_flight(self) -> list[Order]:
        """Approved orders the Store does not hold yet, all accounts, oldest first per account."""
        return [order for orders in self._in_flight.values() for order in orders.values()]


def _ends(event: OrderEvent, stored: Order, booked: Decimal) -> bool:
    """Whether this event is the order's last: a cancel, a rejection, the fill that completes it, or a
    report of an end (the OMS applies a report's fill and cancel before publishing the report)."""
    if type(event) is OrderFilled:
        return booked >= stored.quantity
    if isinstance(event, OrderCancelled | OrderRejected):
        return stored.is_terminal
    if isinstance(event, OrderStatusReport):
        return ORDER_MACHINE.is_terminal(event.status) and stored.is_terminal
    return False
