"""A node's configuration: TOML decoded into msgspec structs, refused at start-up naming the field.

The schema mirrors the spec's entities (exchanges, instruments, accounts, strategies) plus the
node's own limits. Unknown fields are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import msgspec

from engine.components.risk import RiskConfig
from engine.errors import ConfigError
from engine.model import (
    ExchangeStatus,
    FuturesType,
    OrderType,
    Permission,
    TradingInstrument,
    TradingType,
)
from engine.strategy import ErrorPolicy

Mode = Literal["backtest", "paper", "live"]


class ExchangeConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An exchange and the execution client that trades on it (``package.module:factory``)."""

    id: str
    name: str = ""
    api_endpoint: str = ""
    web_socket_endpoint: str = ""
    rate_limit: int = 1200
    supported_trading_types: list[TradingType] = msgspec.field(
        default_factory=lambda: [TradingType.SPOT, TradingType.FUTURES]
    )
    supported_futures_types: list[FuturesType] = msgspec.field(default_factory=list)
    status: ExchangeStatus = ExchangeStatus.ONLINE
    client: str = "adapters.sim:create_client"
    client_options: dict[str, Any] = msgspec.field(default_factory=dict)
    emulated_order_types: list[OrderType] | None = None


class AccountConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: str
    exchange_id: str
    account_type: TradingType
    user_id: str = "local"
    account_name: str = ""
    permissions: list[Permission] = msgspec.field(default_factory=lambda: [Permission.READ, Permission.TRADE])
    balance: dict[str, Decimal] = msgspec.field(default_factory=dict)
    hedge_mode: bool = False


class StrategyConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One strategy execution: which class, with which parameters, trading where."""

    strategy: str
    account_id: str
    exchange_id: str
    symbol: str
    strategy_id: str = ""
    execution_id: str = ""
    name: str = ""
    description: str = ""
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    risk_controls: dict[str, Any] = msgspec.field(default_factory=dict)
    on_error: ErrorPolicy = ErrorPolicy.PAUSE
    cancel_orders_on_stop: bool = True
    close_positions_on_stop: bool = False


class NodeConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    node_id: str = "node"
    mode: Mode = "backtest"
    order_id_prefix: str = "O"
    emit_partial_bars_at_end: bool = False
    exchanges: list[ExchangeConfig] = msgspec.field(default_factory=list)
    instruments: list[TradingInstrument] = msgspec.field(default_factory=list)
    accounts: list[AccountConfig] = msgspec.field(default_factory=list)
    strategies: list[StrategyConfig] = msgspec.field(default_factory=list)
    risk: RiskConfig = msgspec.field(default_factory=RiskConfig)


def load_config(path: Path) -> NodeConfig:
    """Read a TOML file; any problem raises ``ConfigError`` naming the file and the field."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    return config_from_dict(table, source=str(path))


def config_from_dict(table: dict[str, Any], source: str = "config") -> NodeConfig:
    try:
        config = msgspec.convert(table, NodeConfig, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_field_of(exc), f"{exc} (in {source})") from None
    _check_references(config)
    return config


def _field_of(exc: msgspec.ValidationError) -> str:
    """msgspec says ``... - at `$.accounts[0].balance` ``: the path is the field a user must fix."""
    text = str(exc)
    marker = "at `$."
    if marker in text:
        return text.split(marker, 1)[1].split("`", 1)[0]
    return "config"


def _check_references(config: NodeConfig) -> None:
    exchanges = {e.id for e in config.exchanges}
    instruments = {(i.exchange_id, i.symbol) for i in config.instruments}
    accounts = {a.account_id for a in config.accounts}
    for n, instrument in enumerate(config.instruments):
        if instrument.exchange_id not in exchanges:
            raise ConfigError(f"instruments[{n}].exchange_id", f"unknown exchange {instrument.exchange_id!r}")
    for n, account in enumerate(config.accounts):
        if account.exchange_id not in exchanges:
            raise ConfigError(f"accounts[{n}].exchange_id", f"unknown exchange {account.exchange_id!r}")
    for n, strategy in enumerate(config.strategies):
        if strategy.account_id not in accounts:
            raise ConfigError(f"strategies[{n}].account_id", f"unknown account {strategy.account_id!r}")
        if (strategy.exchange_id, strategy.symbol) not in instruments:
            raise ConfigError(
                f"strategies[{n}].symbol",
                f"no instrument {strategy.symbol!r} on exchange {strategy.exchange_id!r}",
            )


def default_backtest_config(
    strategy: str,
    params: dict[str, Any] | None = None,
    *,
    exchange_id: str = "binance",
    symbol: str = "BTCUSDT",
    balance: Decimal = Decimal(1_000_000),
    fees: bool = True,
) -> NodeConfig:
    """What ``backtest`` runs without ``--config``: a Binance-like USD-M perpetual and a futures
    account of ``balance`` USDT on the simulated exchange, fees at Binance's base tier
    (maker 0.02 %, taker 0.05 %; none with ``fees=False``), maintenance margin 0.4 %, leverage up
    to 125x."""
    base = symbol.removesuffix("USDT") or symbol
    return config_from_dict(
        {
            "exchanges": [{"id": exchange_id, "name": exchange_id.capitalize()}],
            "instruments": [
                {
                    "symbol": symbol,
                    "base_currency": base,
                    "quote_currency": "USDT",
                    "min_order_size": "0.001",
                    "max_order_size": "1000",
                    "price_precision": 2,
                    "quantity_precision": 3,
                    "tick_size": "0.01",
                    "exchange_id": exchange_id,
                    "trading_types": ["futures"],
                    "contract_specifications": {
                        "max_leverage": 125,
                        "maintenance_margin_rate": "0.004",
                        "maker_fee": "0.0002" if fees else "0",
                        "taker_fee": "0.0005" if fees else "0",
                        "futures_type": "usd_m",
                    },
                }
            ],
            "accounts": [
                {
                    "account_id": "main",
                    "exchange_id": exchange_id,
                    "account_type": "futures",
                    "balance": {"USDT": str(balance)},
                }
            ],
            "strategies": [
                {
                    "strategy": strategy,
                    "account_id": "main",
                    "exchange_id": exchange_id,
                    "symbol": symbol,
                    "params": params or {},
                }
            ],
        },
        source="default backtest config",
    )
