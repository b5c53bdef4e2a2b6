"""Instruments and accounts for the accounting tests: BTCUSDT on Binance, spot or linear futures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import spec_entities as entities

from engine.model import TradingAccount, TradingInstrument, TradingType
from engine.model.accounting import Ledger

D = Decimal
T0 = entities.T0
T1 = datetime(2024, 1, 1, 0, 1, tzinfo=UTC)


def futures_instrument(**specs: Any) -> TradingInstrument:
    """BTCUSDT perpetual: up to 20x, maintenance margin 0.5 %, taker 0.04 %, maker 0.02 %."""
    fields: dict[str, Any] = {
        "maintenance_margin_rate": D("0.005"),
        "taker_fee": D("0.0004"),
        "maker_fee": D("0.0002"),
    }
    return entities.instrument(fields | specs, trading_types=[TradingType.FUTURES])


def spot_instrument(**specs: Any) -> TradingInstrument:
    """BTCUSDT spot: taker 0.1 %, maker 0.1 %."""
    fields: dict[str, Any] = {"max_leverage": 1, "taker_fee": D("0.001"), "maker_fee": D("0.001")}
    return entities.instrument(fields | specs, trading_types=[TradingType.SPOT])


def account(account_type: TradingType = TradingType.FUTURES, **balance: Decimal) -> TradingAccount:
    """Account ``acc-1`` with ``balance`` (default 10000 USDT)."""
    return entities.account(
        account_type=account_type, balance=dict(balance) if balance else {"USDT": D(10000)}
    )


def futures_ledger(*, hedge_mode: bool = False, **balance: Decimal) -> Ledger:
    return Ledger(account(TradingType.FUTURES, **balance), hedge_mode=hedge_mode)


def spot_ledger(**balance: Decimal) -> Ledger:
    return Ledger(account(TradingType.SPOT, **balance))
