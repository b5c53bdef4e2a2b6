"""Factories for the model tests: every entity valid by default, any field overridable by keyword.

They hang off one session-scoped ``make`` fixture so hypothesis tests (which refuse
function-scoped fixtures) and state machines can use them too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.model import (
    ContractSpecifications,
    Exchange,
    Order,
    OrderSide,
    OrderType,
    Permission,
    Position,
    PositionSide,
    Store,
    StrategyExecution,
    TradingAccount,
    TradingInstrument,
    TradingStrategy,
    TradingType,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


class Make:
    """A BTCUSDT world on Binance: tick 0.01, 2 price decimals, quantity 0.001..100 by 0.001, 20x."""

    @staticmethod
    def exchange(**changes: Any) -> Exchange:
        fields: dict[str, Any] = {
            "id": "binance",
            "name": "Binance",
            "api_endpoint": "https://api.binance.com",
            "web_socket_endpoint": "wss://stream.binance.com:9443",
            "rate_limit": 1200,
            "supported_trading_types": [TradingType.SPOT, TradingType.FUTURES],
        }
        return Exchange(**(fields | changes))

    @staticmethod
    def instrument(**changes: Any) -> TradingInstrument:
        fields: dict[str, Any] = {
            "symbol": "BTCUSDT",
            "base_currency": "BTC",
            "quote_currency": "USDT",
            "min_order_size": Decimal("0.001"),
            "max_order_size": Decimal("100"),
            "price_precision": 2,
            "quantity_precision": 3,
            "tick_size": Decimal("0.01"),
            "exchange_id": "binance",
            "trading_types": [TradingType.SPOT, TradingType.FUTURES],
            "contract_specifications": ContractSpecifications(max_leverage=20),
        }
        return TradingInstrument(**(fields | changes))

    @staticmethod
    def account(**changes: Any) -> TradingAccount:
        fields: dict[str, Any] = {
            "account_id": "acc-1",
            "user_id": "user-1",
            "exchange_id": "binance",
            "account_type": TradingType.SPOT,
            "permissions": [Permission.READ, Permission.TRADE],
            "balance": {"USDT": Decimal("10000")},
            "available_balance": {"USDT": Decimal("10000")},
            "used_balance": {"USDT": Decimal("0")},
            "created_at": T0,
            "updated_at": T0,
        }
        return TradingAccount(**(fields | changes))

    @staticmethod
    def order(**changes: Any) -> Order:
        """A limit buy of 1 BTC at 100.00 from ``acc-1``."""
        fields: dict[str, Any] = {
            "order_id": "ord-1",
            "instrument": Make.instrument(),
            "side": OrderSide.BUY,
            "order_type": OrderType.LIMIT,
            "quantity": Decimal("1"),
            "price": Decimal("100.00"),
            "trading_account_id": "acc-1",
            "created_at": T0,
            "updated_at": T0,
        }
        return Order(**(fields | changes))

    @staticmethod
    def position(**changes: Any) -> Position:
        fields: dict[str, Any] = {
            "position_id": "pos-1",
            "instrument": Make.instrument(),
            "side": PositionSide.LONG,
            "quantity": Decimal("1"),
            "entry_price": Decimal("100.00"),
            "current_price": Decimal("100.00"),
            "trading_account_id": "acc-1",
            "created_at": T0,
            "updated_at": T0,
        }
        return Position(**(fields | changes))

    @staticmethod
    def strategy(**changes: Any) -> TradingStrategy:
        fields: dict[str, Any] = {
            "strategy_id": "strat-1",
            "name": "sma-cross",
            "user_id": "user-1",
            "created_at": T0,
            "updated_at": T0,
        }
        return TradingStrategy(**(fields | changes))

    @staticmethod
    def execution(**changes: Any) -> StrategyExecution:
        fields: dict[str, Any] = {
            "execution_id": "exec-1",
            "strategy_id": "strat-1",
            "trading_account_id": "acc-1",
        }
        return StrategyExecution(**(fields | changes))


@pytest.fixture(scope="session")
def make() -> type[Make]:
    return Make


@pytest.fixture
def store() -> Store:
    """A store holding the Binance exchange, BTCUSDT, account ``acc-1`` and strategy ``strat-1``."""
    store = Store()
    store.add_exchange(Make.exchange())
    store.add_instrument(Make.instrument())
    store.add_account(Make.account())
    store.add_strategy(Make.strategy())
    return store
