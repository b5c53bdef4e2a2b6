"""A venue on a real bus, clock, Store, DataEngine and Ledger; a recorder at EXEC_ENGINE_EVENTS plays the OMS.

World: exchange ``sim``, instrument BTCUSDT (tick 0.01, quantity step 0.001, maker 0.02 %, taker
0.1 %, up to 20x), account ``acc`` (spot by default). Times are in seconds from 0 (``S``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import spec_entities as entities

from adapters.sim import SimConfig, SimulatedExchange
from engine import topics
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.data import DataEngine
from engine.messages import (
    Bar,
    CancelAllOrders,
    CancelOrder,
    ModifyOrder,
    QueryOrder,
    QuoteTick,
    SubmitOrder,
    TradeTick,
)
from engine.model import (
    OrderSide,
    OrderType,
    Store,
    TimeInForce,
    TradingType,
)
from engine.model.accounting import Ledger

D = Decimal
S = 1_000_000_000
EX, SYM, ACC = "sim", "BTCUSDT", "acc"
T0 = entities.T0


class Venue:
    """Drives a started SimulatedExchange the way a backtest does: the clock moves to each message's time."""

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        account_type: TradingType = TradingType.SPOT,
        balance: dict[str, str] | None = None,
        maintenance_margin_rate: str = "0",
        hedge: bool = False,
    ) -> None:
        self.clock = SimulatedClock()
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.store = Store()
        self.store.add_exchange(entities.exchange(id=EX))
        specs = {
            "maintenance_margin_rate": D(maintenance_margin_rate),
            "maker_fee": D("0.0002"),
            "taker_fee": D("0.001"),
        }
        self.store.add_instrument(entities.instrument(specs, exchange_id=EX, max_order_size=D("1000")))
        balances = {k: D(v) for k, v in (balance or {"USDT": "1000"}).items()}
        self.store.add_account(
            entities.account(
                account_id=ACC, exchange_id=EX, account_type=account_type, balance=balances, hedge_mode=hedge
            )
        )
        self.events: list[Any] = []
        self.bus.register_endpoint(topics.EXEC_ENGINE_EVENTS, self.events.append)
        config = config or SimConfig()
        self.data = DataEngine(self.bus, self.clock)
        self.data.start()
        self.exchange = SimulatedExchange(self.bus, self.clock, self.store, EX, config)
        self.exchange.start()
        self._seen = 0

    # -- time and data -------------------------------------------------------------------------

    def at(self, seconds: float) -> Venue:
        self.clock.advance_to(round(seconds * S))
        return self

    def trade(self, seconds: float, price: str, quantity: str = "1") -> None:
        self._feed(
            TradeTick(
                ts_event=round(seconds * S),
                ts_init=round(seconds * S),
                exchange_id=EX,
                symbol=SYM,
                price=D(price),
                quantity=D(quantity),
            )
        )

    def quote(self, seconds: float, bid: str, ask: str, bid_size: str = "10", ask_size: str = "10") -> None:
        self._feed(
            QuoteTick(
                ts_event=round(seconds * S),
                ts_init=round(seconds * S),
                exchange_id=EX,
                symbol=SYM,
                bid_price=D(bid),
                bid_size=D(bid_size),
                ask_price=D(ask),
                ask_size=D(ask_size),
            )
        )

    def bar(
        self, seconds: float, o: str, h: str, low: str, c: str, volume: str = "100", interval: str = "1m"
    ) -> None:
        self._feed(
            Bar(
                ts_event=round(seconds * S),
                ts_init=round(seconds * S),
                exchange_id=EX,
                symbol=SYM,
                interval=interval,
                open=D(o),
                high=D(h),
                low=D(low),
                close=D(c),
                volume=D(volume),
            )
        )

    def _feed(self, msg: Any) -> None:
        self.clock.advance_to(msg.ts_event)
        self.data.process(msg)

    # -- commands ------------------------------------------------------------------------------

    def submit(
        self,
        cid: str,
        side: OrderSide,
        quantity: str,
        price: str | None = None,
        *,
        order_type: OrderType | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        **fields: Any,
    ) -> None:
        kind = order_type or (OrderType.MARKET if price is None else OrderType.LIMIT)
        now = self.clock.timestamp_ns()
        self.bus.send(
            topics.exec_client(EX),
            SubmitOrder(
                ts_event=now,
                ts_init=now,
                execution_id="exec-1",
                trading_account_id=ACC,
                exchange_id=EX,
                symbol=SYM,
                client_order_id=cid,
                side=side,
                order_type=kind,
                quantity=D(quantity),
                price=None if price is None else D(price),
                time_in_force=tif,
                **fields,
            ),
        )

    def buy(self, cid: str, quantity: str, price: str | None = None, **fields: Any) -> None:
        self.submit(cid, OrderSide.BUY, quantity, price, **fields)

    def sell(self, cid: str, quantity: str, price: str | None = None, **fields: Any) -> None:
        self.submit(cid, OrderSide.SELL, quantity, price, **fields)

    def cancel(self, cid: str) -> None:
        self._command(CancelOrder, client_order_id=cid)

    def cancel_all(self, symbol: str = SYM) -> None:
        self._command(CancelAllOrders, symbol=symbol)

    def modify(self, cid: str, *, price: str | None = None, quantity: str | None = None) -> None:
        self._command(
            ModifyOrder,
            client_order_id=cid,
            price=None if price is None else D(price),
            quantity=None if quantity is None else D(quantity),
        )

    def query(self, cid: str) -> None:
        self._command(QueryOrder, client_order_id=cid)

    def _command(self, kind: Callable[..., Any], **fields: Any) -> None:
        now = self.clock.timestamp_ns()
        fields.setdefault("symbol", SYM)
        msg = kind(
            ts_event=now, ts_init=now, execution_id="exec-1", trading_account_id=ACC, exchange_id=EX, **fields
        )
        self.bus.send(topics.exec_client(EX), msg)

    # -- what happened -------------------------------------------------------------------------

    def new(self) -> list[Any]:
        """Events delivered since the last call."""
        fresh = self.events[self._seen :]
        self._seen = len(self.events)
        return fresh

    def kinds(self, events: list[Any] | None = None) -> list[str]:
        return [type(e).__name__ for e in (self.new() if events is None else events)]

    @property
    def ledger(self) -> Ledger:
        return self.exchange.ledger(ACC)

    def balance(self, currency: str) -> Decimal:
        return self.ledger.account.balance.get(currency, D(0))

    def available(self, currency: str) -> Decimal:
        return self.ledger.account.available_balance.get(currency, D(0))


@pytest.fixture
def venue() -> Callable[..., Venue]:
    """``venue(config=None, account_type=..., balance={...}, maintenance_margin_rate=..., hedge=...)``."""
    return Venue
