"""The in-memory store: the one place entities live, admitted only if they keep the spec's constraints."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from engine.errors import ConstraintViolation
from engine.model.account import TradingAccount
from engine.model.enums import PositionStatus
from engine.model.exchange import Exchange
from engine.model.instrument import TradingInstrument
from engine.model.order import Order
from engine.model.position import Position
from engine.model.rules import validate_account, validate_instrument, validate_position
from engine.model.strategy import StrategyExecution, TradingStrategy

K = TypeVar("K")
V = TypeVar("V")

CONSTRAINT_CODES: tuple[str, ...] = (
    "exchange.duplicate",
    "instrument.duplicate",
    "instrument.exchange.unknown",
    "account.duplicate",
    "account.exchange.unknown",
    "strategy.duplicate",
    "execution.duplicate",
    "execution.strategy.unknown",
    "execution.account.unknown",
    "order.duplicate",
    "order.account.unknown",
    "order.instrument.unknown",
    "order.instrument.exchange",
    "order.quantity.positive",
    "position.duplicate",
    "position.account.unknown",
    "position.instrument.unknown",
    "position.instrument.exchange",
    "position.quantity.positive",
)


class DuplicateId(ConstraintViolation):
    """An entity with the same identifier is already stored."""


class UnknownReference(ConstraintViolation):
    """An entity references an exchange, account, instrument or strategy the store does not hold."""


class InstrumentNotOnExchange(ConstraintViolation):
    """The instrument trades on another exchange than the account's."""


class QuantityNotPositive(ConstraintViolation):
    """An order or position quantity is zero, negative or not finite."""


class Store:
    """The single source of truth for entities.

    ``add_*`` checks the spec's constraints (and the entity's own validation rules) before it
    admits anything, and admits nothing on failure. Entities are mutable and held by reference:
    a lifecycle method called on a stored order is the store's state. Orders are admitted whatever
    their validation outcome, because a refused order is kept as ``rejected`` with its reason;
    ``validate_order`` belongs to the RiskEngine.
    """

    def __init__(self) -> None:
        self._exchanges: dict[str, Exchange] = {}
        self._instruments: dict[tuple[str, str], TradingInstrument] = {}
        self._accounts: dict[str, TradingAccount] = {}
        self._strategies: dict[str, TradingStrategy] = {}
        self._executions: dict[str, StrategyExecution] = {}
        self._orders: dict[str, Order] = {}
        self._positions: dict[str, Position] = {}
        # per account, the orders and positions that were open when last looked at: an order or a
        # position never reopens, so each read drops what has ended since and the rest stays exact
        # (a strategy reads its open orders on every bar; the full lists only grow)
        self._open_orders: dict[str, dict[str, Order]] = {}
        self._open_positions: dict[str, dict[str, Position]] = {}

    # -- add --------------------------------------------------------------------------------

    def add_exchange(self, exchange: Exchange) -> None:
        _refuse_duplicate("exchange.duplicate", exchange.id, self._exchanges)
        self._exchanges[exchange.id] = exchange

    def add_instrument(self, instrument: TradingInstrument) -> None:
        key = (instrument.exchange_id, instrument.symbol)
        _refuse_duplicate("instrument.duplicate", key, self._instruments)
        _require("instrument.exchange.unknown", instrument.exchange_id, self._exchanges)
        validate_instrument(instrument)
        self._instruments[key] = instrument

    def add_account(self, account: TradingAccount) -> None:
        _refuse_duplicate("account.duplicate", account.account_id, self._accounts)
        _require("account.exchange.unknown", account.exchange_id, self._exchanges)
        validate_account(account)
        self._accounts[account.account_id] = account

    def add_strategy(self, strategy: TradingStrategy) -> None:
        _refuse_duplicate("strategy.duplicate", strategy.strategy_id, self._strategies)
        self._strategies[strategy.strategy_id] = strategy

    def add_execution(self, execution: StrategyExecution) -> None:
        _refuse_duplicate("execution.duplicate", execution.execution_id, self._executions)
        _require("execution.strategy.unknown", execution.strategy_id, self._strategies)
        _require("execution.account.unknown", execution.trading_account_id, self._accounts)
        self._executions[execution.execution_id] = execution

    def add_order(self, order: Order) -> None:
        _refuse_duplicate("order.duplicate", order.order_id, self._orders)
        self._require_tradable("order", order.trading_account_id, order.instrument)
        if not order.quantity.is_finite() or order.quantity <= 0:
            raise QuantityNotPositive("order.quantity.positive", order.quantity, f"order {order.order_id}")
        self._orders[order.order_id] = order
        if order.is_open:
            self._open_orders.setdefault(order.trading_account_id, {})[order.order_id] = order

    def add_position(self, position: Position) -> None:
        _refuse_duplicate("position.duplicate", position.position_id, self._positions)
        self._require_tradable("position", position.trading_account_id, position.instrument)
        if not position.quantity.is_finite() or position.quantity <= 0:
            raise QuantityNotPositive(
                "position.quantity.positive", position.quantity, f"position {position.position_id}"
            )
        validate_position(position)
        self._positions[position.position_id] = position
        if position.status is PositionStatus.OPEN:
            self._open_positions.setdefault(position.trading_account_id, {})[position.position_id] = position

    def _require_tradable(self, kind: str, account_id: str, instrument: TradingInstrument) -> None:
        """The account exists, the instrument exists, and both are on the same exchange."""
        account = _require(f"{kind}.account.unknown", account_id, self._accounts)
        key = (instrument.exchange_id, instrument.symbol)
        _require(f"{kind}.instrument.unknown", key, self._instruments)
        if instrument.exchange_id != account.exchange_id:
            raise InstrumentNotOnExchange(
                f"{kind}.instrument.exchange",
                key,
                f"account {account_id} trades on {account.exchange_id}",
            )

    # -- get --------------------------------------------------------------------------------

    def get_exchange(self, exchange_id: str) -> Exchange | None:
        return self._exchanges.get(exchange_id)

    def get_instrument(self, exchange_id: str, symbol: str) -> TradingInstrument | None:
        return self._instruments.get((exchange_id, symbol))

    def get_account(self, account_id: str) -> TradingAccount | None:
        return self._accounts.get(account_id)

    def get_strategy(self, strategy_id: str) -> TradingStrategy | None:
        return self._strategies.get(strategy_id)

    def get_execution(self, execution_id: str) -> StrategyExecution | None:
        return self._executions.get(execution_id)

    def get_order(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    def get_position(self, position_id: str) -> Position | None:
        return self._positions.get(position_id)

    # -- list (in insertion order) -----------------------------------------------------------

    def list_exchanges(self) -> list[Exchange]:
        return list(self._exchanges.values())

    def list_instruments(self, exchange_id: str | None = None) -> list[TradingInstrument]:
        return [i for i in self._instruments.values() if exchange_id is None or i.exchange_id == exchange_id]

    def list_accounts(self) -> list[TradingAccount]:
        return list(self._accounts.values())

    def list_strategies(self) -> list[TradingStrategy]:
        return list(self._strategies.values())

    def list_executions(self) -> list[StrategyExecution]:
        return list(self._executions.values())

    def list_orders(self) -> list[Order]:
        return list(self._orders.values())

    def list_positions(self) -> list[Position]:
        return list(self._positions.values())

    def orders_for(self, account_id: str, open_only: bool = False) -> list[Order]:
        """The account's orders; with ``open_only``, those still pending or partially filled."""
        if open_only:
            return _still_open(self._open_orders.get(account_id), lambda o: o.is_open)
        return [o for o in self._orders.values() if o.trading_account_id == account_id]

    def positions_for(self, account_id: str, open_only: bool = False) -> list[Position]:
        """The account's positions; with ``open_only``, those neither closed nor liquidated."""
        if open_only:
            return _still_open(self._open_positions.get(account_id), _position_open)
        return [p for p in self._positions.values() if p.trading_account_id == account_id]


def _position_open(position: Position) -> bool:
    return position.status is PositionStatus.OPEN


def _still_open(candidates: dict[str, V] | None, is_open: Callable[[V], bool]) -> list[V]:
    """What is still open of ``candidates`` (in the order added), dropping the rest from it for good."""
    if not candidates:
        return []
    for key in [k for k, item in candidates.items() if not is_open(item)]:
        del candidates[key]
    return list(candidates.values())


def _refuse_duplicate(rule: str, key: K, stored: Mapping[K, object]) -> None:
    if key in stored:
        raise DuplicateId(rule, key, "already stored")


def _require(rule: str, key: K, stored: Mapping[K, V]) -> V:
    found = stored.get(key)
    if found is None:
        raise UnknownReference(rule, key, "not in the store")
    return found
