"""A small, real walk through the foundation (bus, DataEngine, model, rules, store, order FSM).

It is the main job until the backtest exists: an EMA-cross actor reacts to real bars and every
order it makes is validated by the spec's rules, kept in the store and filled through its
state machine at the bar's close.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec

from engine.actor import Actor
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.data import DataEngine
from engine.messages import Bar
from engine.model import (
    ContractSpecifications,
    Exchange,
    Order,
    OrderSide,
    OrderType,
    Permission,
    Store,
    TradingAccount,
    TradingInstrument,
    TradingType,
    datetime_from_ns,
    validate_order,
)

EXCHANGE = "binance"
SYMBOL = "BTCUSDT"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DemoSummary(msgspec.Struct, frozen=True):
    bars: int
    crosses: int
    orders_filled: int
    position: Decimal
    last_close: Decimal
    deliveries: int


class EmaCrossDemo(Actor):
    """Flips one unit long/short on each cross of EMA(fast) and EMA(slow) of bar closes."""

    def __init__(self, bus: MessageBus, clock: SimulatedClock, store: Store, fast: int, slow: int) -> None:
        super().__init__("EmaCrossDemo", bus, clock)
        self.store = store
        self.instrument = store.get_instrument(EXCHANGE, SYMBOL)
        self.alpha_fast = Decimal(2) / (fast + 1)
        self.alpha_slow = Decimal(2) / (slow + 1)
        self.fast: Decimal | None = None
        self.slow: Decimal | None = None
        self.bars = 0
        self.crosses = 0
        self.position = Decimal(0)
        self.last_close = Decimal(0)

    def on_start(self) -> None:
        self.subscribe(f"data.bar.{EXCHANGE}.{SYMBOL}.*", self.on_bar)

    def on_bar(self, bar: Bar) -> None:
        self.bars += 1
        self.last_close = close = bar.close
        if self.fast is None or self.slow is None:
            self.fast = self.slow = close
            return
        was_above = self.fast > self.slow
        self.fast += self.alpha_fast * (close - self.fast)
        self.slow += self.alpha_slow * (close - self.slow)
        if (self.fast > self.slow) != was_above and self.fast != self.slow:
            self.crosses += 1
            target = Decimal(1) if self.fast > self.slow else Decimal(-1)
            self._trade(target - self.position, bar)

    def _trade(self, delta: Decimal, bar: Bar) -> None:
        assert self.instrument is not None
        now = datetime_from_ns(bar.ts_event)
        order = Order(
            order_id=f"demo-{self.crosses}",
            instrument=self.instrument,
            side=OrderSide.BUY if delta > 0 else OrderSide.SELL,
            order_type=OrderType.MARKET,
            quantity=abs(delta),
            trading_account_id="demo-account",
            created_at=now,
            updated_at=now,
        )
        validate_order(order, market_price=bar.close)
        self.store.add_order(order)
        order.apply_fill(order.quantity, bar.close, now)
        self.position += delta


class DemoNode:
    """Wires the foundation together for one instrument and feeds it bars."""

    def __init__(self, fast: int = 10, slow: int = 20) -> None:
        self.store = _demo_store()
        self.clock = SimulatedClock()
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.data = DataEngine(self.bus, self.clock)
        self.strategy = EmaCrossDemo(self.bus, self.clock, self.store, fast, slow)
        self.data.start()
        self.strategy.start()

    def process(self, bar: Bar) -> None:
        self.clock.advance_to(bar.ts_event)
        self.data.process(bar)

    def summary(self) -> DemoSummary:
        filled = sum(1 for order in self.store.list_orders() if order.status == "filled")
        return DemoSummary(
            bars=self.strategy.bars,
            crosses=self.strategy.crosses,
            orders_filled=filled,
            position=self.strategy.position,
            last_close=self.strategy.last_close,
            deliveries=self.bus.delivered,
        )


def _demo_store() -> Store:
    store = Store()
    store.add_exchange(
        Exchange(
            id=EXCHANGE,
            name="Binance",
            api_endpoint="https://fapi.binance.com",
            web_socket_endpoint="wss://fstream.binance.com",
            rate_limit=2400,
            supported_trading_types=[TradingType.SPOT, TradingType.FUTURES],
        )
    )
    store.add_instrument(
        TradingInstrument(
            symbol=SYMBOL,
            base_currency="BTC",
            quote_currency="USDT",
            min_order_size=Decimal("0.001"),
            max_order_size=Decimal("1000"),
            price_precision=2,
            quantity_precision=3,
            tick_size=Decimal("0.01"),
            exchange_id=EXCHANGE,
            trading_types=[TradingType.FUTURES],
            contract_specifications=ContractSpecifications(max_leverage=125),
        )
    )
    store.add_account(
        TradingAccount(
            account_id="demo-account",
            user_id="demo",
            exchange_id=EXCHANGE,
            account_type=TradingType.FUTURES,
            permissions=[Permission.READ, Permission.TRADE],
            balance={"USDT": Decimal(100_000)},
            created_at=_EPOCH,
            updated_at=_EPOCH,
        )
    )
    return store
