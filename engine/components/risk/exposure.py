"""What each account has open, orders and positions, indexed so a pre-trade check never scans the Store.

The Store lists an account's orders by walking every order of the run, so a check that asked it
would slow down as the run goes on. ``Exposure`` keeps only the open ones, by account. Their ids
come from the Store at start (recovery), from the orders the RiskEngine approves, and from order
and position events (orders placed around the RiskEngine: bracket children, external orders).

An approved order is held as its candidate ``Order`` until the OMS has stored the real one, so two
orders sent from one handler see each other. Terminal orders and closed positions are dropped when
read: a terminal state is final, so dropping lazily is exact.
"""

from __future__ import annotations

from engine.model import Order, Position, PositionStatus, Store


class Exposure:
    """Open orders and open positions per account, read from the Store by id."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._orders: dict[str, dict[str, Order]] = {}  # account -> order id -> stored order
        self._in_flight: dict[str, dict[str, Order]] = {}  # account -> order id -> candidate order
        self._positions: dict[str, dict[str, Position]] = {}  # account -> position id -> stored position

    def load(self) -> None:
        """Index what the Store already holds open (a restart after recovery)."""
        for order in self._store.list_orders():
            if order.is_open:
                self._orders.setdefault(order.trading_account_id, {})[order.order_id] = order
        for position in self._store.list_positions():
            if position.status is PositionStatus.OPEN:
                self._positions.setdefault(position.trading_account_id, {})[position.position_id] = position

    def approved(self, candidate: Order) -> None:
        """An order left for the OMS: count it as open until the Store holds it."""
        in_flight = self._in_flight.setdefault(candidate.trading_account_id, {})
        if in_flight:
            self._settle(candidate.trading_account_id, in_flight)
        in_flight[candidate.order_id] = candidate

    def order_seen(self, account_id: str, order_id: str) -> None:
        """An order event named this order: index it if the Store holds it open."""
        stored = self._store.get_order(order_id)
        if stored is None:
            return
        in_flight = self._in_flight.get(account_id)
        if in_flight:
            in_flight.pop(order_id, None)
        if stored.is_open:
            self._orders.setdefault(account_id, {})[order_id] = stored
        else:
            self._orders.get(account_id, {}).pop(order_id, None)

    def position_seen(self, account_id: str, position_id: str) -> None:
        stored = self._store.get_position(position_id)
        if stored is not None and stored.status is PositionStatus.OPEN:
            self._positions.setdefault(account_id, {})[position_id] = stored

    def open_orders(self, account_id: str) -> list[Order]:
        """The account's open orders: stored ones first, then those still on their way to the OMS."""
        in_flight = self._in_flight.get(account_id)
        if in_flight:
            self._settle(account_id, in_flight)
        orders = self._orders.setdefault(account_id, {})
        for order_id in [i for i, o in orders.items() if not o.is_open]:
            del orders[order_id]
        return [*orders.values(), *(in_flight.values() if in_flight else ())]

    def _settle(self, account_id: str, in_flight: dict[str, Order]) -> None:
        """Swap each candidate the OMS has stored meanwhile for the stored order."""
        orders = self._orders.setdefault(account_id, {})
        for order_id in list(in_flight):
            stored = self._store.get_order(order_id)
            if stored is not None:
                del in_flight[order_id]
                orders[order_id] = stored

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
