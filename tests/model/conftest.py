"""Factories for the model tests: every entity valid by default, any field overridable by keyword.

They hang off one session-scoped ``make`` fixture so hypothesis tests (which refuse
function-scoped fixtures) and state machines can use them too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import spec_entities as entities

from engine.model import (
    Order,
    OrderSide,
    OrderType,
    Position,
    PositionSide,
    Store,
)

T0 = entities.T0


class Make:
    """A BTCUSDT world on Binance: tick 0.01, 2 price decimals, quantity 0.001..100 by 0.001, 20x."""

    exchange = staticmethod(entities.exchange)
    instrument = staticmethod(entities.instrument)
    account = staticmethod(entities.account)
    strategy = staticmethod(entities.strategy)
    execution = staticmethod(entities.execution)

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
