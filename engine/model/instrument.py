"""TradingInstrument: a tradeable pair on one exchange, with the trading rules orders must respect."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.model.enums import FuturesType, TradingType


class ContractSpecifications(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The spec's ``contract_specifications`` dict, typed: what risk and portfolio need to price a contract.

    ``maker_fee`` / ``taker_fee`` are rates (``0.001`` is 0.1 %) and may be negative (maker rebates).
    ``extra`` keeps venue fields the engine does not interpret yet.
    """

    max_leverage: int = 1
    maintenance_margin_rate: Decimal = Decimal(0)
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    contract_size: Decimal = Decimal(1)
    min_notional: Decimal = Decimal(0)
    is_inverse: bool = False
    futures_type: FuturesType | None = None
    extra: dict[str, str] = msgspec.field(default_factory=dict)


class TradingInstrument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A pair such as BTCUSDT on one exchange; ``(exchange_id, symbol)`` identifies it."""

    symbol: str
    base_currency: str
    quote_currency: str
    min_order_size: Decimal
    max_order_size: Decimal
    price_precision: int
    quantity_precision: int
    tick_size: Decimal
    exchange_id: str
    trading_types: list[TradingType]
    contract_specifications: ContractSpecifications = msgspec.field(default_factory=ContractSpecifications)

    @property
    def quantity_step(self) -> Decimal:
        """The smallest quantity increment ``quantity_precision`` allows (3 -> ``0.001``)."""
        return Decimal(1).scaleb(-self.quantity_precision)
