"""A small node for the emulator tests: DataEngine, OMS and OrderEmulator on a real bus and Store.

The venue is a recording endpoint at ``exec_client("sim")``; the test plays it by sending events to
``EXEC_ENGINE_EVENTS``. Market data enters through the DataEngine, as in a backtest.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import spec_entities as entities

from engine import topics
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.data import DataEngine
from engine.components.emulator import OrderEmulator
from engine.components.execution import ClientOrderIdGenerator, ExecutionEngine
from engine.messages import (
    Bar,
    OrderAccepted,
    OrderCancelled,
    OrderEvent,
    OrderFilled,
    QuoteTick,
    SubmitOrder,
    TradeTick,
)
from engine.model import (
    LiquiditySide,
    Order,
    OrderSide,
    OrderType,
    Store,
    TradingType,
    ns_from_datetime,
)

D = Decimal
EX, SYM, ACC, EXEC = "sim", "BTCUSDT", "acc-1", "exec-1"
T0 = entities.T0
T0_NS = ns_from_datetime(T0)
SECOND = 1_000_000_000


def make_store() -> Store:
    """Exchange ``sim``, BTCUSDT (tick 0.01, 0.001..100 BTC, 20x), futures account ``acc-1``, ``exec-1``."""
    store = Store()
    store.add_exchange(entities.exchange(id=EX, supported_trading_types=[TradingType.FUTURES]))
    store.add_instrument(entities.instrument(exchange_id=EX, trading_types=[TradingType.FUTURES]))
    store.add_account(entities.account(account_id=ACC, exchange_id=EX, account_type=TradingType.FUTURES))
    store.add_strategy(entities.strategy())
    store.add_execution(entities.execution(execution_id=EXEC, trading_account_id=ACC))
    return store


class World:
    """DataEngine, ExecutionEngine and OrderEmulator, started, with a recording venue."""

    def __init__(self) -> None:
        self.clock = SimulatedClock(T0_NS)
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.store = make_store()
        self.ids = ClientOrderIdGenerator("e")
        self.data = DataEngine(self.bus, self.clock)
        self.oms = ExecutionEngine(self.bus, self.clock, self.store, ids=self.ids)
        self.emulator = OrderEmulator(self.bus, self.clock, self.store)
        for actor in (self.data, self.oms, self.emulator):
            actor.start()
        self.venue: list[Any] = []
        self.bus.register_endpoint(topics.exec_client(EX), self.venue.append)
        self.published: list[OrderEvent] = []
        self.errors: list[Any] = []
        self.bus.subscribe("events.order.*", self.published.append)
        self.bus.subscribe(topics.ERRORS, self.errors.append)
        self._fills = 0

    # -- strategy side ---------------------------------------------------------------------

    def submit(self, **changes: Any) -> SubmitOrder:
        """Through the OMS, as the RiskEngine would: by default a stop buy of 1 BTC at 110."""
        fields: dict[str, Any] = {
            "ts_event": self.clock.timestamp_ns(),
            "ts_init": self.clock.timestamp_ns(),
            "execution_id": EXEC,
            "trading_account_id": ACC,
            "exchange_id": EX,
            "symbol": SYM,
            "client_order_id": self.ids.next_id(EXEC),
            "side": OrderSide.BUY,
            "order_type": OrderType.STOP,
            "quantity": D(1),
            "stop_price": D(110),
        }
        cmd = SubmitOrder(**(fields | changes))
        self.bus.send(topics.EXEC_ENGINE, cmd)
        return cmd

    def command(self, kind: type[Any], cid: str, **fields: Any) -> None:
        now = self.clock.timestamp_ns()
        self.bus.send(
            topics.EXEC_ENGINE,
            kind(
                ts_event=now,
                ts_init=now,
                execution_id=EXEC,
                trading_account_id=ACC,
                exchange_id=EX,
                symbol=SYM,
                client_order_id=cid,
                **fields,
            ),
        )

    # -- market ----------------------------------------------------------------------------

    def advance(self, seconds: int = 1) -> int:
        now = self.clock.timestamp_ns() + seconds * SECOND
        self.clock.advance_to(now)
        return now

    def trade(self, price: str | Decimal) -> None:
        now = self.advance()
        self.data.process(
            TradeTick(ts_event=now, ts_init=now, exchange_id=EX, symbol=SYM, price=D(price), quantity=D(1))
        )

    def quote(self, bid: str | Decimal, ask: str | Decimal) -> None:
        now = self.advance()
        self.data.process(
            QuoteTick(
                ts_event=now,
                ts_init=now,
                exchange_id=EX,
                symbol=SYM,
                bid_price=D(bid),
                bid_size=D(1),
                ask_price=D(ask),
                ask_size=D(1),
            )
        )

    def bar(
        self,
        low: str | Decimal,
        high: str | Decimal,
        interval: str = "1m",
        closed_at: int | None = None,
        open: str | Decimal | None = None,
    ) -> None:
        """A bar closing a minute from now (or at ``closed_at``, not moving the clock); it opens at
        ``open`` (default: its low) and closes at its high."""
        now = self.advance(60) if closed_at is None else closed_at
        self.data.process(
            Bar(
                ts_event=now,
                ts_init=now,
                exchange_id=EX,
                symbol=SYM,
                interval=interval,
                open=D(low if open is None else open),
                high=D(high),
                low=D(low),
                close=D(high),
                volume=D(1),
            )
        )

    # -- the venue -------------------------------------------------------------------------

    def accepts(self, cid: str) -> None:
        self.bus.send(
            topics.EXEC_ENGINE_EVENTS, OrderAccepted(**self._ids(cid), exchange_order_id=f"v-{cid}")
        )

    def fills(self, cid: str, quantity: str | Decimal, price: str | Decimal) -> None:
        order = self.order(cid)
        self._fills += 1
        self.bus.send(
            topics.EXEC_ENGINE_EVENTS,
            OrderFilled(
                **self._ids(cid),
                exchange_order_id=f"v-{cid}",
                fill_id=f"f{self._fills}",
                side=order.side,
                price=D(price),
                quantity=D(quantity),
                fee=D(0),
                fee_currency="USDT",
                liquidity_side=LiquiditySide.TAKER,
            ),
        )

    def cancels(self, cid: str, reason: str = "") -> None:
        self.bus.send(topics.EXEC_ENGINE_EVENTS, OrderCancelled(**self._ids(cid), reason=reason))

    def _ids(self, cid: str) -> dict[str, Any]:
        now = self.clock.timestamp_ns()
        return {
            "ts_event": now,
            "ts_init": now,
            "client_order_id": cid,
            "trading_account_id": ACC,
            "exchange_id": EX,
            "symbol": SYM,
        }

    # -- reading ---------------------------------------------------------------------------

    def order(self, cid: str) -> Order:
        found = self.store.get_order(cid)
        assert found is not None, cid
        return found

    def sent(self, kind: type[Any]) -> list[Any]:
        """What reached the venue, of one message type."""
        return [msg for msg in self.venue if isinstance(msg, kind)]

    def subscribed(self) -> bool:
        """Whether anyone asked the DataEngine for this instrument's trades."""
        return (EX, SYM, "trade", "") in self.data.subscriptions
