"""Exchange: a venue with its endpoints, limits, supported trading types and credentials."""

from __future__ import annotations

import msgspec

from engine.model.enums import ExchangeStatus, FuturesType, TradingType


class Secret(msgspec.Struct, frozen=True):
    """A credential that can never reach a log line: every text form of it is ``Secret('***')``.

    The spec wants API keys and secrets encrypted at rest, so ``ciphertext`` holds the
    encrypted value (or ``""`` when no credential is configured), never the plain text;
    only the adapter that signs requests decrypts it, in memory.
    """

    ciphertext: str = ""

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, str]]:
        # msgspec gives every Struct a rich repr listing its fields; this one must hide them.
        return [("ciphertext", "***")]


class Exchange(msgspec.Struct, kw_only=True):
    """A venue such as Binance or Bybit; accounts and instruments reference it by ``id``."""

    id: str
    name: str
    api_endpoint: str
    web_socket_endpoint: str
    rate_limit: int
    supported_trading_types: list[TradingType]
    supported_futures_types: list[FuturesType] = msgspec.field(default_factory=list)
    status: ExchangeStatus = ExchangeStatus.ONLINE
    api_key: Secret = Secret()
    api_secret: Secret = Secret()
