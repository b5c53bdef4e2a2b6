"""The entities carry every attribute the spec names, with exact money and UTC times, and keep secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import msgspec
import pytest

from engine.model import (
    ContractSpecifications,
    Exchange,
    ExecutionStatus,
    Order,
    OrderStatus,
    Position,
    PositionStatus,
    Secret,
    StrategyExecution,
    TradingAccount,
    TradingInstrument,
    TradingStrategy,
    TradingType,
)

if TYPE_CHECKING:
    from tests.model.conftest import Make

T0 = datetime(2024, 1, 1, tzinfo=UTC)

# Copied from spec/data-model.md, "Attributes" of each entity.
SPEC_ATTRIBUTES: dict[type[msgspec.Struct], tuple[str, ...]] = {
    Exchange: (
        "id", "name", "api_endpoint", "web_socket_endpoint", "rate_limit", "supported_trading_types",
        "supported_futures_types", "status", "api_key", "api_secret",
    ),
    TradingInstrument: (
        "symbol", "base_currency", "quote_currency", "min_order_size", "max_order_size", "price_precision",
        "quantity_precision", "tick_size", "exchange_id", "trading_types", "contract_specifications",
    ),
    Order: (
        "order_id", "exchange_order_id", "instrument", "side", "order_type", "quantity", "price",
        "stop_price", "time_in_force", "status", "created_at", "updated_at", "stop_loss_price",
        "take_profit_price", "trailing_stop_callback_rate", "trailing_stop_activation_price",
        "trading_account_id",
    ),
    Position: (
        "position_id", "instrument", "side", "quantity", "entry_price", "current_price", "unrealized_pnl",
        "realized_pnl", "liquidation_price", "leverage", "margin_used", "created_at", "updated_at",
        "trading_account_id",
    ),
    TradingAccount: (
        "account_id", "user_id", "exchange_id", "account_name", "account_type", "permissions", "balance",
        "available_balance", "used_balance", "total_pnl", "created_at", "updated_at",
    ),
    TradingStrategy: (
        "strategy_id", "name", "description", "parameters", "risk_controls", "created_at", "updated_at",
        "user_id",
    ),
    StrategyExecution: (
        "execution_id", "strategy_id", "trading_account_id", "status", "start_time", "end_time",
        "performance_metrics",
    ),
}  # fmt: skip


@pytest.mark.parametrize("entity", SPEC_ATTRIBUTES, ids=lambda cls: cls.__name__)
def test_entity_has_every_attribute_the_spec_lists(entity: type[msgspec.Struct]) -> None:
    missing = set(SPEC_ATTRIBUTES[entity]) - set(entity.__struct_fields__)
    assert not missing


def test_order_starts_pending_and_unfilled(make: type[Make]) -> None:
    order = make.order()
    assert order.status is OrderStatus.PENDING
    assert order.filled_quantity == 0
    assert order.average_fill_price is None
    assert order.remaining_quantity == order.quantity
    assert order.exchange_order_id == ""


def test_position_starts_open(make: type[Make]) -> None:
    assert make.position().status is PositionStatus.OPEN


def test_execution_starts_stopped_never_started(make: type[Make]) -> None:
    execution = make.execution()
    assert execution.status is ExecutionStatus.STOPPED
    assert execution.start_time is None
    assert execution.end_time is None


def test_account_has_no_permission_unless_granted() -> None:
    account = TradingAccount(
        account_id="a",
        user_id="u",
        exchange_id="binance",
        account_type=TradingType.SPOT,
        created_at=T0,
        updated_at=T0,
    )
    assert account.permissions == []


def test_contract_specifications_default_to_an_unleveraged_linear_contract() -> None:
    specs = ContractSpecifications()
    assert specs.max_leverage == 1
    assert specs.contract_size == 1
    assert specs.maker_fee == specs.taker_fee == specs.maintenance_margin_rate == specs.min_notional == 0
    assert specs.is_inverse is False
    assert specs.futures_type is None
    assert specs.extra == {}


@pytest.mark.parametrize(("precision", "step"), [(0, "1"), (3, "0.001"), (8, "0.00000001")])
def test_quantity_step_is_one_unit_of_the_last_decimal(make: type[Make], precision: int, step: str) -> None:
    assert make.instrument(quantity_precision=precision).quantity_step == Decimal(step)


def test_order_round_trips_through_json_exactly(make: type[Make]) -> None:
    order = make.order(price=Decimal("65000.10"), stop_loss_price=Decimal("64000.00"))
    data = msgspec.json.encode(order)
    assert b'"65000.10"' in data  # Decimal travels as a string, never a float
    assert msgspec.json.decode(data, type=Order) == order


def test_decoding_refuses_a_naive_timestamp(make: type[Make]) -> None:
    raw = msgspec.to_builtins(make.order())
    raw["created_at"] = "2024-01-01T00:00:00"
    with pytest.raises(msgspec.ValidationError, match="timezone"):
        msgspec.convert(raw, Order)


@pytest.mark.parametrize("render", [repr, str, "{}".format], ids=["repr", "str", "format"])
def test_secret_never_shows_its_value(render: Callable[[object], str]) -> None:
    assert render(Secret("ciphertext-abc")) == "Secret('***')"


def test_exchange_repr_hides_credentials(make: type[Make]) -> None:
    exchange = make.exchange(api_key=Secret("key-abc"), api_secret=Secret("secret-xyz"))
    text = repr(exchange)
    assert "key-abc" not in text
    assert "secret-xyz" not in text
    assert "Secret('***')" in text


def test_secret_rich_repr_hides_its_value() -> None:
    assert "abc" not in repr(list(Secret("abc").__rich_repr__()))


def test_exchange_credentials_default_to_empty() -> None:
    assert Secret().ciphertext == ""
