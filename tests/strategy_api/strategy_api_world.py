"""A small real node for the strategy API tests, and the strategies those tests load by import path.

The world: one simulated exchange ``sim`` with two USD-M perpetuals (BTCUSDT, ETHUSDT: quantity
0.001..1000 by 0.001, tick 0.01, taker fee 0.05 %, maker 0.02 %) and one futures account ``acc``
holding 10,000 USDT. Strategies are named in the config as ``strategy_api_world:<Class>``, so every
test goes through the node's real loader, bus, clock, components and simulated exchange.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from engine import sizing, topics
from engine.config import NodeConfig, config_from_dict
from engine.messages import (
    Bar,
    ControlCommand,
    HandlerError,
    OrderEvent,
    OrderFilled,
    PositionEvent,
    TradeTick,
)
from engine.node import Node
from engine.strategy import Strategy, StrategyContext

D = Decimal
Number = Decimal | int | str
EX = "sim"
BTC = "BTCUSDT"
ETH = "ETHUSDT"
ACCOUNT = "acc"
MIN = 60_000_000_000


def instrument(symbol: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "base_currency": symbol.removesuffix("USDT"),
        "quote_currency": "USDT",
        "min_order_size": "0.001",
        "max_order_size": "1000",
        "price_precision": 2,
        "quantity_precision": 3,
        "tick_size": "0.01",
        "exchange_id": EX,
        "trading_types": ["futures"],
        "contract_specifications": {
            "max_leverage": 20,
            "maintenance_margin_rate": "0.004",
            "maker_fee": "0.0002",
            "taker_fee": "0.0005",
            "futures_type": "usd_m",
        },
    }


def strategy_spec(strategy: str | type, symbol: str = BTC, **fields: Any) -> dict[str, Any]:
    """One ``[[strategies]]`` table: a class is named by its import path, a string is taken as is."""
    name = strategy if isinstance(strategy, str) else f"{strategy.__module__}:{strategy.__qualname__}"
    return {"strategy": name, "account_id": ACCOUNT, "exchange_id": EX, "symbol": symbol, **fields}


def config(*strategies: dict[str, Any]) -> NodeConfig:
    return config_from_dict(
        {
            "exchanges": [{"id": EX, "name": "Simulated"}],
            "instruments": [instrument(BTC), instrument(ETH)],
            "accounts": [
                {
                    "account_id": ACCOUNT,
                    "exchange_id": EX,
                    "account_type": "futures",
                    "balance": {"USDT": "10000"},
                }
            ],
            "strategies": list(strategies),
        },
        source="strategy api world",
    )


def started_node(*strategies: dict[str, Any]) -> Node:
    """A node at time 0 whose executions were all started by ``Node.start``."""
    node = Node(config(*strategies), start_ns=0)
    node.start()
    return node


def recorders(node: Node) -> list[Recording]:
    """The node's strategies, all of them ``Recording`` ones in these tests."""
    found = [s for s in node.strategies if isinstance(s, Recording)]
    assert len(found) == len(node.strategies)
    return found


def bar(
    minute: int,
    close: Number,
    symbol: str = BTC,
    *,
    open: Number | None = None,
    low: Number | None = None,
    high: Number | None = None,
) -> Bar:
    """A one-minute bar closing at ``minute``; open, low and high default to the close."""
    c = D(close)
    o = c if open is None else D(open)
    return Bar(
        ts_event=minute * MIN,
        ts_init=minute * MIN,
        exchange_id=EX,
        symbol=symbol,
        interval="1m",
        open=o,
        high=max(o, c) if high is None else D(high),
        low=min(o, c) if low is None else D(low),
        close=c,
        volume=D(1000),
    )


def trade(ts_ns: int, price: Number, symbol: str = BTC, quantity: Number = "10") -> TradeTick:
    return TradeTick(
        ts_event=ts_ns, ts_init=ts_ns, exchange_id=EX, symbol=symbol, price=D(price), quantity=D(quantity)
    )


def control(node: Node, command: type[ControlCommand], strategy: Strategy) -> None:
    """What an operator does: one control message to one execution, stamped with the node's time."""
    now = node.clock.timestamp_ns()
    node.control(command(execution_id=strategy.execution_id, ts_event=now, ts_init=now))


def published_errors(node: Node) -> list[HandlerError]:
    """Every ``HandlerError`` published on ``events.error`` from now on."""
    seen: list[HandlerError] = []
    node.bus.subscribe(topics.ERRORS, seen.append)
    return seen


# ------------------------------------------------------------------ strategies the tests load


class Recording(Strategy):
    """Subscribes to bars (or trades) of its instrument and records everything it is handed."""

    class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        interval: str = "1m"
        trades: bool = False
        size: Decimal = Decimal("0.1")

    def __init__(self, context: StrategyContext, params: msgspec.Struct | None = None) -> None:
        super().__init__(context, params)
        self.bars: list[Bar] = []
        self.ticks: list[TradeTick] = []
        self.order_events: list[OrderEvent] = []
        self.position_events: list[PositionEvent] = []
        self.handler_errors: list[HandlerError] = []

    def on_start(self) -> None:
        if self.p.trades:
            self.subscribe_trades()
        else:
            self.subscribe_bars(self.p.interval)

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)

    def on_trade(self, tick: TradeTick) -> None:
        self.ticks.append(tick)

    def on_order(self, event: OrderEvent) -> None:
        self.order_events.append(event)

    def on_position(self, event: PositionEvent) -> None:
        self.position_events.append(event)

    def on_error(self, error: HandlerError) -> None:
        self.handler_errors.append(error)

    def of_type(self, kind: type[OrderEvent]) -> list[Any]:
        return [e for e in self.order_events if isinstance(e, kind)]


class BuyFirst(Recording):
    """Buys ``size`` at market on the first bar or trade it sees, then only watches."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if len(self.bars) == 1:
            self.buy(self.p.size)

    def on_trade(self, tick: TradeTick) -> None:
        super().on_trade(tick)
        if len(self.ticks) == 1:
            self.buy(self.p.size)


class BuyEveryBar(Recording):
    """Buys ``size`` at market on every bar."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        self.buy(self.p.size)


class RestingBid(Recording):
    """Bids ``size`` at ``bid`` on its first bar; when filled, offers it at ``ask`` (its take-profit)."""

    class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        interval: str = "1m"
        trades: bool = False
        size: Decimal = Decimal("0.1")
        bid: Decimal = Decimal(95)
        ask: Decimal = Decimal(105)

    def __init__(self, context: StrategyContext, params: msgspec.Struct | None = None) -> None:
        super().__init__(context, params)
        self.bid_id = ""
        self.take_profit_id = ""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if not self.bid_id:
            self.bid_id = self.buy(self.p.size, price=self.p.bid)

    def on_order(self, event: OrderEvent) -> None:
        super().on_order(event)
        if isinstance(event, OrderFilled) and event.client_order_id == self.bid_id:
            self.take_profit_id = self.sell(self.p.size, price=self.p.ask)


class Exploding(Recording):
    """Every ``on_bar`` raises after recording the bar."""

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        raise RuntimeError(f"boom at close {bar.close}")


class FailsToStart(Recording):
    """Its ``on_start`` subscribes, then raises."""

    def on_start(self) -> None:
        super().on_start()
        raise RuntimeError("no warm-up data")


class FailsOnFill(BuyEveryBar):
    """Its ``on_order`` raises on every fill."""

    def on_order(self, event: OrderEvent) -> None:
        super().on_order(event)
        if isinstance(event, OrderFilled):
            raise ValueError(f"cannot handle {event.client_order_id}")


class Tunable(Recording):
    """Declares one parameter of each kind a ``--param`` string must be converted to."""

    class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        fast: int = 10
        ratio: Decimal = Decimal("0.5")
        enabled: bool = True
        interval: str = "1m"
        trades: bool = False

        def __post_init__(self) -> None:
            if not 0 < self.ratio <= 1:
                raise ValueError(f"ratio must be in (0, 1], got {self.ratio}")


class PercentSizer(Recording):
    """On its first bar, buys a notional of ``percent`` % of its account's USDT (times leverage)."""

    class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        interval: str = "1m"
        trades: bool = False
        percent: Decimal = Decimal(1)
        leverage: int = 1

    def __init__(self, context: StrategyContext, params: msgspec.Struct | None = None) -> None:
        super().__init__(context, params)
        self.sized: list[Decimal] = []

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        if self.sized:
            return
        account = self.account()
        assert account is not None
        quantity = sizing.percent_of_equity(
            self.p.percent, account.balance["USDT"], bar.close, self.instrument, self.p.leverage
        )
        self.sized.append(quantity)
        if quantity:
            self.buy(quantity, leverage=self.p.leverage)


class NotAStrategy:
    """A class that is no ``Strategy``: the loader must refuse it."""
