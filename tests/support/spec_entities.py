"""Spec entities, valid by default, any field overridable by keyword: the tests' worlds start here.

The defaults are one world: exchange ``binance`` (spot and futures), BTCUSDT (quantity 0.001..100 by
0.001, tick 0.01 with 2 decimals, up to 20x, no fees), a spot account ``acc-1`` holding 10,000 USDT,
strategy ``strat-1`` run as ``exec-1``, all created at ``T0``. ``specs`` overrides fields of the
instrument's contract specifications.

It lives in ``tests/support``, which pytest puts on ``sys.path`` (``pythonpath`` in pyproject.toml), so
any test folder imports it as ``import spec_entities as entities``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine.model import (
    ContractSpecifications,
    Exchange,
    Permission,
    StrategyExecution,
    TradingAccount,
    TradingInstrument,
    TradingStrategy,
    TradingType,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


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


def instrument(specs: dict[str, Any] | None = None, **changes: Any) -> TradingInstrument:
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
        "contract_specifications": ContractSpecifications(**({"max_leverage": 20} | (specs or {}))),
    }
    return TradingInstrument(**(fields | changes))


def account(**changes: Any) -> TradingAccount:
    """Unless given, ``available_balance`` is the whole ``balance`` and nothing is used."""
    balance = changes.get("balance", {"USDT": Decimal("10000")})
    fields: dict[str, Any] = {
        "account_id": "acc-1",
        "user_id": "user-1",
        "exchange_id": "binance",
        "account_type": TradingType.SPOT,
        "permissions": [Permission.READ, Permission.TRADE],
        "balance": balance,
        "available_balance": dict(balance),
        "used_balance": {currency: Decimal(0) for currency in balance},
        "created_at": T0,
        "updated_at": T0,
    }
    return TradingAccount(**(fields | changes))


def strategy(**changes: Any) -> TradingStrategy:
    fields: dict[str, Any] = {
        "strategy_id": "strat-1",
        "name": "sma-cross",
        "user_id": "user-1",
        "created_at": T0,
        "updated_at": T0,
    }
    return TradingStrategy(**(fields | changes))


def execution(**changes: Any) -> StrategyExecution:
    fields: dict[str, Any] = {
        "execution_id": "exec-1",
        "strategy_id": "strat-1",
        "trading_account_id": "acc-1",
    }
    return StrategyExecution(**(fields | changes))
