"""TradingAccount: a user's account on one exchange, with balances keyed by currency."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.model.enums import Permission, TradingType
from engine.model.timestamps import UtcDatetime


class TradingAccount(msgspec.Struct, kw_only=True):
    """The spec's TradingAccount. Balances map a currency (``"USDT"``) to an amount.

    ``permissions`` defaults to none: an account trades only once ``trade`` is granted. Engine
    addition: ``hedge_mode``, the venue keeps this futures account's positions per side (long and
    short apart) rather than netted; the Portfolio and the simulated venue both read it from here.
    """

    account_id: str
    user_id: str
    exchange_id: str
    account_type: TradingType
    created_at: UtcDatetime
    updated_at: UtcDatetime
    account_name: str = ""
    permissions: list[Permission] = msgspec.field(default_factory=list)
    balance: dict[str, Decimal] = msgspec.field(default_factory=dict)
    available_balance: dict[str, Decimal] = msgspec.field(default_factory=dict)
    used_balance: dict[str, Decimal] = msgspec.field(default_factory=dict)
    total_pnl: Decimal = Decimal(0)
    hedge_mode: bool = False
