"""Instruments and accounts for the accounting tests: BTCUSDT on Binance, spot or linear futures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine.model import ContractSpecifications, TradingAccount, TradingInstrument, TradingType
from engine.model.accounting import Ledger

D = Decimal
T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 1, 1, 0, 1, tzinfo=UTC)


def futures_instrument(**specs: Any) -> TradingInstrument:
    """BTCUSDT perpetual: up to 20x, maintenance margin 0.5 %, taker 0.04 %, maker 0.02 %."""
    fields: dict[str, Any] = {
        "max_leverage": 20,
        "maintenance_margin_rate": D("0.005"),
        "taker_fee": D("0.0004"),
        "maker_fee": D("0.0002"),
    }
    return TradingInstrument(
        symbol="BTCUSDT",
        base_currency="BTC",
        quote_currency="USDT",
        min_order_size=D("0.001"),
        max_order_size=D("100"),
        price_precision=2,
        quantity_precision=3,
        tick_size=D("0.01"),
        exchange_id="binance",
        trading_types=[TradingType.FUTURES],
        contract_specifications=ContractSpecifications(**(fields | specs)),
    )


def spot_instrument(**specs: Any) -> TradingInstrument:
    """BTCUSDT spot: taker 0.1 %, maker 0.1 %."""
    fields: dict[str, Any] = {"taker_fee": D("0.001"), "maker_fee": D("0.001")}
    return TradingInstrument(
        symbol="BTCUSDT",
        base_currency="BTC",
        quote_currency="USDT",
        min_order_size=D("0.001"),
        max_order_size=D("100"),
        price_precision=2,
        quantity_precision=3,
        tick_size=D("0.01"),
        exchange_id="binance",
        trading_types=[TradingType.SPOT],
        contract_specifications=ContractSpecifications(**(fields | specs)),
    )


def account(account_type: TradingType = TradingType.FUTURES, **balance: Decimal) -> TradingAccount:
    """Account ``acc-1`` with ``balance`` (default 10000 USDT)."""
    return TradingAccount(
        account_id="acc-1",
        user_id="user-1",
        exchange_id="binance",
        account_type=account_type,
        created_at=T0,
        updated_at=T0,
        balance=dict(balance) if balance else {"USDT": D(10000)},
    )


def futures_ledger(*, hedge_mode: bool = False, **balance: Decimal) -> Ledger:
    return Ledger(account(TradingType.FUTURES, **balance), hedge_mode=hedge_mode)


def spot_ledger(**balance: Decimal) -> Ledger:
    return Ledger(account(TradingType.SPOT, **balance))
