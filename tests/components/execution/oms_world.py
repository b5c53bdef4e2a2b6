"""A small node for the OMS tests: real bus, simulated clock, real Store, and a recording venue.

The venue is the boundary: whatever the OMS sends to ``exec_client("sim")`` is recorded, and the test
plays the venue by sending events to ``EXEC_ENGINE_EVENTS``. The emulator's endpoint records too, so
the OMS is tested alone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import spec_entities as entities

from engine import topics
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.execution import ClientOrderIdGenerator, ExecutionEngine
from engine.messages import (
    OrderAccepted,
    OrderCancelled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    OrderStatusUnknown,
    OrderUpdated,
    SubmitOrder,
)
from engine.model import (
    LiquiditySide,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    PositionSide,
    Store,
    TradingInstrument,
    TradingType,
    ns_from_datetime,
)

D = Decimal
EX, SYM, ACC = "sim", "BTCUSDT", "acc-1"
EXEC, EXEC2 = "exec-1", "exec-2"
T0 = entities.T0
T0_NS = ns_from_datetime(T0)


def make_store() -> Store:
    """Exchange ``sim``, BTCUSDT (tick 0.01, 0.001..100 BTC, 20x), account ``acc-1``, executions 1 and 2."""
    store = Store()
    store.add_exchange(entities.exchange(id=EX, supported_trading_types=[TradingType.FUTURES]))
    store.add_instrument(instrument())
    store.add_account(entities.account(account_id=ACC, exchange_id=EX, account_type=TradingType.FUTURES))
    store.add_strategy(entities.strategy())
    for execution_id in (EXEC, EXEC2):
        store.add_execution(entities.execution(execution_id=execution_id, trading_account_id=ACC))
    return store


def instrument(symbol: str = SYM) -> TradingInstrument:
    return entities.instrument(
        symbol=symbol,
        base_currency=symbol.removesuffix("USDT"),
        exchange_id=EX,
        trading_types=[TradingType.FUTURES],
    )


def position(**changes: Any) -> Position:
    fields: dict[str, Any] = {
        "position_id": "pos-1",
        "instrument": instrument(),
        "side": PositionSide.LONG,
        "quantity": D("0.5"),
        "entry_price": D(100),
        "current_price": D(100),
        "trading_account_id": ACC,
        "created_at": T0,
        "updated_at": T0,
        "execution_id": EXEC,
    }
    return Position(**(fields | changes))


class World:
    """A started ExecutionEngine with a recording venue (``venue``) and emulator (``emulator``) endpoint.

    ``published`` holds (topic, event) for every order event on the executions' topics, ``errors``
    every ``HandlerError``.
    """

    def __init__(
        self, *, emulated: dict[str, frozenset[OrderType]] | None = None, venue: bool = True
    ) -> None:
        self.clock = SimulatedClock(T0_NS)
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.store = make_store()
        self.ids = ClientOrderIdGenerator("t")
        self.oms = ExecutionEngine(self.bus, self.clock, self.store, ids=self.ids, emulated=emulated)
        self.oms.start()
        self.venue: list[Any] = []
        self.emulator: list[Any] = []
        if venue:
            self.bus.register_endpoint(topics.exec_client(EX), self.venue.append)
        self.bus.register_endpoint(topics.ORDER_EMULATOR, self.emulator.append)
        self.published: list[tuple[str, OrderEvent]] = []
        self.errors: list[Any] = []
        self.bus.subscribe("events.order.*", self._record)
        self.bus.subscribe(topics.ERRORS, self.errors.append)
        self._next_fill = 0

    def _record(self, event: OrderEvent) -> None:
        self.published.append((topics.order_events(event.execution_id), event))

    # -- commands --------------------------------------------------------------------------

    def submit(self, **changes: Any) -> SubmitOrder:
        """Send a SubmitOrder through the OMS: by default a limit buy of 1 BTC at 100.00 for exec-1."""
        cmd = submit_order(**({"client_order_id": self.ids.next_id(EXEC)} | changes))
        self.bus.send(topics.EXEC_ENGINE, cmd)
        return cmd

    def execute(self, msg: Any) -> None:
        self.bus.send(topics.EXEC_ENGINE, msg)

    def command(self, kind: type[Any], cid: str, **fields: Any) -> Any:
        """Send a command about order ``cid`` (CancelOrder, ModifyOrder, QueryOrder) through the OMS."""
        cmd = kind(**_ids(cid), execution_id=EXEC, **fields)
        self.execute(cmd)
        return cmd

    # -- the venue -------------------------------------------------------------------------

    def says(self, event: Any) -> None:
        self.bus.send(topics.EXEC_ENGINE_EVENTS, event)

    def accepted(self, cid: str, exchange_order_id: str = "") -> None:
        self.says(OrderAccepted(**_ids(cid), exchange_order_id=exchange_order_id or f"v-{cid}"))

    def filled(
        self, cid: str, quantity: str | Decimal, price: str | Decimal = "100", fill_id: str = "", **kw: Any
    ) -> None:
        if not fill_id:
            self._next_fill += 1
            fill_id = f"f{self._next_fill}"
        self.says(fill(cid, quantity, price, fill_id, **kw))

    def cancelled(self, cid: str, reason: str = "", filled_quantity: str | None = None) -> None:
        filled = None if filled_quantity is None else D(filled_quantity)
        self.says(OrderCancelled(**_ids(cid), reason=reason, filled_quantity=filled))

    def rejected(self, cid: str, reason_code: str = "venue.-2010") -> None:
        self.says(OrderRejected(**_ids(cid), reason_code=reason_code, reason="insufficient balance"))

    def updated(self, cid: str, **changes: Any) -> None:
        self.says(OrderUpdated(**_ids(cid), **changes))

    def unknown(self, cid: str) -> None:
        self.says(OrderStatusUnknown(**_ids(cid), reason="timeout"))

    def report(self, cid: str, status: OrderStatus, filled: str | Decimal = "0", **kw: Any) -> None:
        self.says(
            OrderStatusReport(
                **_ids(cid), exchange_order_id=f"v-{cid}", status=status, filled_quantity=D(filled), **kw
            )
        )

    # -- reading ---------------------------------------------------------------------------

    def order(self, cid: str) -> Order:
        found = self.store.get_order(cid)
        assert found is not None, cid
        return found

    def events(self, execution_id: str = EXEC) -> list[OrderEvent]:
        topic = topics.order_events(execution_id)
        return [event for t, event in self.published if t == topic]

    def kinds(self, execution_id: str = EXEC) -> list[str]:
        return [type(event).__name__ for event in self.events(execution_id)]


def submit_order(**changes: Any) -> SubmitOrder:
    fields: dict[str, Any] = {
        "ts_event": T0_NS,
        "ts_init": T0_NS,
        "execution_id": EXEC,
        "trading_account_id": ACC,
        "exchange_id": EX,
        "symbol": SYM,
        "client_order_id": "o-1",
        "side": OrderSide.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": D(1),
        "price": D(100),
    }
    return SubmitOrder(**(fields | changes))


def fill(cid: str, quantity: str | Decimal, price: str | Decimal, fill_id: str, **kw: Any) -> OrderFilled:
    fields: dict[str, Any] = {
        "exchange_order_id": f"v-{cid}",
        "fill_id": fill_id,
        "side": OrderSide.BUY,
        "price": D(price),
        "quantity": D(quantity),
        "fee": D(0),
        "fee_currency": "USDT",
        "liquidity_side": LiquiditySide.TAKER,
    }
    return OrderFilled(**_ids(cid), **(fields | kw))


def _ids(cid: str) -> dict[str, Any]:
    return {
        "ts_event": T0_NS,
        "ts_init": T0_NS,
        "client_order_id": cid,
        "trading_account_id": ACC,
        "exchange_id": EX,
        "symbol": SYM,
    }
