"""A small trading world around a started RiskEngine: real bus, simulated clock, real Store.

A recording endpoint at ``EXEC_ENGINE`` stands in for the OMS: that is the RiskEngine's boundary.
Anything else the OMS or the Portfolio would do (store an order, open a position, publish an
``AccountState``) the tests do by hand, through the same Store and topics.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import spec_entities as entities

from engine import topics
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.risk import RiskConfig, RiskEngine
from engine.messages import (
    AccountState,
    Balance,
    Bar,
    OrderAccepted,
    OrderDenied,
    PositionChanged,
    PositionClosed,
    PositionOpened,
    QuoteTick,
    SubmitOrder,
    TradeTick,
)
from engine.model import (
    Order,
    OrderSide,
    OrderType,
    Position,
    PositionSide,
    Store,
    StrategyExecution,
    TradingAccount,
    TradingStrategy,
    TradingType,
    datetime_from_ns,
    ns_from_datetime,
)

D = Decimal
SECOND = 1_000_000_000
DAY = 86_400 * SECOND
T0 = ns_from_datetime(datetime(2024, 1, 1, 12, tzinfo=UTC))  # noon: the next UTC day is 12 h away
EX, SYM, ACC, EXEC = "binance", "BTCUSDT", "acc-1", "exec-1"


exchange = entities.exchange
instrument = entities.instrument


def account(**changes: Any) -> TradingAccount:
    """A futures account ``acc-1`` holding 10,000 USDT, created at ``T0``."""
    ts = datetime_from_ns(T0)
    return entities.account(
        **({"account_type": TradingType.FUTURES, "created_at": ts, "updated_at": ts} | changes)
    )


class World:
    """Exchange ``binance``, instrument BTCUSDT, futures account ``acc-1``, strategy ``strat-1`` run as
    ``exec-1``, and a started RiskEngine with ``config``."""

    def __init__(
        self,
        config: RiskConfig | None = None,
        *,
        risk_controls: dict[str, object] | None = None,
        start: bool = True,
        **entities: Any,
    ) -> None:
        self.clock = SimulatedClock(T0)
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.store = Store()
        self.store.add_exchange(entities.get("exchange") or exchange())
        self.store.add_instrument(entities.get("instrument") or instrument())
        self.store.add_account(entities.get("account") or account())
        ts = datetime_from_ns(T0)
        self.store.add_strategy(
            TradingStrategy(
                strategy_id="strat-1",
                name="test",
                user_id="user-1",
                created_at=ts,
                updated_at=ts,
                risk_controls=risk_controls or {},
            )
        )
        self.store.add_execution(
            StrategyExecution(execution_id=EXEC, strategy_id="strat-1", trading_account_id=ACC)
        )
        self.sent: list[Any] = []  # what reached the OMS
        self.bus.register_endpoint(topics.EXEC_ENGINE, self.sent.append)
        self.risk_events: list[Any] = []
        self.order_events: list[Any] = []
        self.errors: list[Any] = []
        self.bus.subscribe(topics.RISK_EVENTS, self.risk_events.append)
        self.bus.subscribe("events.order.*", self.order_events.append)
        self.bus.subscribe(topics.ERRORS, self.errors.append)
        self.engine = RiskEngine(self.bus, self.clock, self.store, config)
        self._ids = 0
        if start:
            self.engine.start()

    # -- commands ----------------------------------------------------------------------------

    def command(self, **changes: Any) -> SubmitOrder:
        """A limit buy of 0.1 BTC at 100.00 from ``exec-1`` on ``acc-1``."""
        self._ids += 1
        now = self.clock.timestamp_ns()
        fields: dict[str, Any] = {
            "ts_event": now,
            "ts_init": now,
            "execution_id": EXEC,
            "trading_account_id": ACC,
            "exchange_id": EX,
            "symbol": SYM,
            "client_order_id": f"o-{self._ids}",
            "side": OrderSide.BUY,
            "order_type": OrderType.LIMIT,
            "quantity": D("0.1"),
            "price": D("100.00"),
        }
        return SubmitOrder(**(fields | changes))

    def submit(self, **changes: Any) -> Any:
        """Send a SubmitOrder to the RiskEngine; return what reached the OMS for it."""
        before = len(self.sent)
        self.bus.send(topics.RISK_ENGINE, self.command(**changes))
        assert len(self.sent) == before + 1, "the RiskEngine sent nothing for a SubmitOrder"
        return self.sent[-1]

    def send(self, msg: Any) -> list[Any]:
        """Send any command to the RiskEngine; return what reached the OMS for it."""
        before = len(self.sent)
        self.bus.send(topics.RISK_ENGINE, msg)
        return self.sent[before:]

    # -- market data -------------------------------------------------------------------------

    def trade(self, price: str) -> None:
        now = self.clock.timestamp_ns()
        tick = TradeTick(ts_event=now, ts_init=now, exchange_id=EX, symbol=SYM, price=D(price), quantity=D(1))
        self.bus.publish(topics.trades(EX, SYM), tick)

    def quote(self, bid: str, ask: str) -> None:
        now = self.clock.timestamp_ns()
        quote = QuoteTick(
            ts_event=now,
            ts_init=now,
            exchange_id=EX,
            symbol=SYM,
            bid_price=D(bid),
            bid_size=D(1),
            ask_price=D(ask),
            ask_size=D(1),
        )
        self.bus.publish(topics.quotes(EX, SYM), quote)

    def bar(self, close: str) -> None:
        now = self.clock.timestamp_ns()
        price = D(close)
        bar = Bar(
            ts_event=now,
            ts_init=now,
            exchange_id=EX,
            symbol=SYM,
            interval="1m",
            open=price,
            high=price,
            low=price,
            close=price,
            volume=D(1),
        )
        self.bus.publish(topics.bars(EX, SYM, "1m"), bar)

    # -- what the OMS and the Portfolio do ---------------------------------------------------

    def rest(self, order_id: str, *, accepted: bool = True, **changes: Any) -> Order:
        """Store an open order as the OMS would (default: limit buy 0.1 @ 100.00 by ``exec-1``) and,
        if ``accepted``, publish the venue's ``OrderAccepted`` as the OMS does."""
        ts = datetime_from_ns(self.clock.timestamp_ns())
        fields: dict[str, Any] = {
            "order_id": order_id,
            "instrument": self.store.get_instrument(EX, SYM),
            "side": OrderSide.BUY,
            "order_type": OrderType.LIMIT,
            "quantity": D("0.1"),
            "price": D("100.00"),
            "trading_account_id": ACC,
            "execution_id": EXEC,
            "created_at": ts,
            "updated_at": ts,
        }
        order = Order(**(fields | changes))
        self.store.add_order(order)
        if accepted:
            self.order_event(OrderAccepted, order, exchange_order_id=f"x-{order_id}")
        return order

    def order_event(self, kind: type[Any], order: Order, **fields: Any) -> None:
        """Publish an order event about ``order`` as the OMS does, after it has applied it."""
        now = self.clock.timestamp_ns()
        event = kind(
            ts_event=now,
            ts_init=now,
            client_order_id=order.order_id,
            trading_account_id=order.trading_account_id,
            exchange_id=EX,
            symbol=SYM,
            execution_id=order.execution_id,
            **fields,
        )
        self.bus.publish(topics.order_events(order.execution_id), event)

    def open_position(
        self, side: PositionSide, quantity: str, *, entry: str = "100.00", position_id: str = "pos-1"
    ) -> Position:
        """Store an open position and publish ``PositionOpened`` on the account's position topic, as the
        Portfolio does after a fill."""
        ts = datetime_from_ns(self.clock.timestamp_ns())
        position = Position(
            position_id=position_id,
            instrument=self.store.get_instrument(EX, SYM),
            side=side,
            quantity=D(quantity),
            entry_price=D(entry),
            current_price=D(entry),
            trading_account_id=ACC,
            execution_id=EXEC,
            created_at=ts,
            updated_at=ts,
        )
        self.store.add_position(position)
        self.position_event(PositionOpened, position)
        return position

    def mark(self, position: Position, price: str, unrealized: str) -> None:
        """The Portfolio marked the position to a new price: ``PositionChanged``."""
        position.current_price = D(price)
        position.unrealized_pnl = D(unrealized)
        self.position_event(PositionChanged, position)

    def close(self, position: Position, realized: str) -> None:
        """An offsetting fill closed the position: ``PositionClosed``."""
        position.realized_pnl = D(realized)
        position.unrealized_pnl = D(0)
        position.close(datetime_from_ns(self.clock.timestamp_ns()))
        self.position_event(PositionClosed, position)

    def position_event(self, kind: type[Any], position: Position) -> None:
        now = self.clock.timestamp_ns()
        event = kind(
            ts_event=now,
            ts_init=now,
            position_id=position.position_id,
            trading_account_id=position.trading_account_id,
            exchange_id=EX,
            symbol=SYM,
            side=position.side,
            status=position.status,
            quantity=position.quantity,
            entry_price=position.entry_price,
            current_price=position.current_price,
            realized_pnl=position.realized_pnl,
            unrealized_pnl=position.unrealized_pnl,
            execution_id=position.execution_id,
        )
        self.bus.publish(topics.account_position_events(position.trading_account_id), event)

    def account_state(self, total: str, account_id: str = ACC) -> None:
        now = self.clock.timestamp_ns()
        balance = Balance(currency="USDT", total=D(total), available=D(total), used=D(0))
        state = AccountState(
            ts_event=now,
            ts_init=now,
            trading_account_id=account_id,
            exchange_id=EX,
            balances=(balance,),
            total_pnl=D(0),
        )
        self.bus.publish(topics.account_events(account_id), state)

    def advance(self, ns: int) -> None:
        self.clock.advance_to(self.clock.timestamp_ns() + ns)


def reason_code(outcome: Any) -> str:
    """``"approved"`` for a command that reached the OMS unchanged, else the denial's reason code."""
    if isinstance(outcome, OrderDenied):
        return outcome.reason_code
    assert isinstance(outcome, SubmitOrder)
    return "approved"
