"""The plugin API: subclass ``Strategy``, declare parameters, override only the handlers you need.

A complete strategy::

    from decimal import Decimal

    import msgspec

    from engine.messages import Bar
    from engine.strategy import Strategy

    class BuyTheDip(Strategy):
        class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
            drop: Decimal = Decimal("0.01")  # buy after a close this much below the previous one
            size: Decimal = Decimal("0.01")

        def on_start(self) -> None:
            self.subscribe_bars("1m")
            self.last_close: Decimal | None = None

        def on_bar(self, bar: Bar) -> None:
            if self.last_close and bar.close < self.last_close * (1 - self.p.drop):
                self.buy(self.p.size)
            self.last_close = bar.close

A strategy talks only through the bus: orders go to the RiskEngine, events come back on the
execution's own topics. Its ``StrategyExecution`` (the spec's entity) moves only through control
messages: while paused it receives no market data and its submissions are rejected with a reason,
but it still sees its order, position and account updates.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Protocol

import msgspec

from engine import topics
from engine.actor import Actor
from engine.bus import MessageBus, UnknownEndpoint
from engine.clock import Clock
from engine.errors import ConfigError, EngineError
from engine.messages import (
    AccountState,
    Bar,
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ControlCommand,
    HandlerError,
    ModifyOrder,
    OrderBookDelta,
    OrderBookSnapshot,
    OrderCommand,
    OrderDenied,
    OrderEvent,
    PauseStrategy,
    PositionEvent,
    QuoteTick,
    ResumeStrategy,
    StartStrategy,
    StopStrategy,
    SubmitOrder,
    SubscribeData,
    TimerEvent,
    TradeTick,
    UnsubscribeData,
    order_from_command,
)
from engine.model import (
    ExecutionStatus,
    Order,
    OrderSide,
    OrderType,
    Position,
    PositionSide,
    Store,
    StrategyExecution,
    TimeInForce,
    TradingAccount,
    TradingInstrument,
    datetime_from_ns,
)
from engine.model.enums import DataType

Number = Decimal | int | str


class ErrorPolicy(StrEnum):
    """What happens to an execution whose handler raised: the node and other strategies go on."""

    PAUSE = "pause"
    STOP = "stop"
    CONTINUE = "continue"


class NoParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Parameters of a strategy that declares none."""


class PortfolioView(Protocol):
    """The read-only part of the Portfolio a strategy sees."""

    def positions(self, account_id: str, execution_id: str | None = None) -> list[Position]: ...

    def account(self, account_id: str) -> TradingAccount | None: ...


class StrategyContext:
    """What the node hands a strategy: where it trades and the shared services it may use."""

    def __init__(
        self,
        *,
        bus: MessageBus,
        clock: Clock,
        store: Store,
        execution: StrategyExecution,
        next_order_id: Callable[[str], str],
        exchange_id: str,
        symbol: str,
        portfolio: PortfolioView | None = None,
        on_error: ErrorPolicy = ErrorPolicy.PAUSE,
        cancel_orders_on_stop: bool = True,
        close_positions_on_stop: bool = False,
        performance: Callable[[str], dict[str, object]] | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.store = store
        self.execution = execution
        self.next_order_id = next_order_id
        self.exchange_id = exchange_id
        self.symbol = symbol
        self.portfolio = portfolio
        self.on_error = on_error
        self.cancel_orders_on_stop = cancel_orders_on_stop
        self.close_positions_on_stop = close_positions_on_stop
        self.performance = performance


def parse_params(params_type: type[msgspec.Struct], values: dict[str, Any]) -> msgspec.Struct:
    """Build a parameters struct from config or ``--param k=v`` strings; a bad value names its field."""
    try:
        return msgspec.convert(values, params_type, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError("params", str(exc)) from None


class Strategy(Actor):
    """Base class of every strategy. Override ``on_*`` handlers; act with ``submit_order`` & co."""

    Params: ClassVar[type[msgspec.Struct]] = NoParams

    def __init__(self, context: StrategyContext, params: msgspec.Struct | None = None) -> None:
        execution = context.execution
        super().__init__(f"Strategy.{execution.execution_id}", context.bus, context.clock)
        self.context = context
        self.execution = execution
        self.execution_id = execution.execution_id
        self.account_id = execution.trading_account_id
        self.store = context.store
        self.p: Any = params if params is not None else self.Params()
        self._data_open = False
        self._commands_topic = topics.strategy_commands(self.execution_id)
        # (exchange, symbol, data type, interval) -> the bus subscription that delivers it
        self._streams: dict[_StreamKey, tuple[str, Callable[[Any], None]]] = {}
        # orders sent but not yet in the Store (the OMS creates them when the bus gets to it), so
        # that one handler may submit and then see, cancel or modify them: client id -> command
        self._in_flight: dict[str, SubmitOrder] = {}
        self.errors = 0
        self.bus.register_endpoint(topics.strategy_control(self.execution_id), self._on_control)

    # ----------------------------------------------------------------- handlers to override
    def on_bar(self, bar: Bar) -> None: ...

    def on_trade(self, tick: TradeTick) -> None: ...

    def on_quote(self, quote: QuoteTick) -> None: ...

    def on_book(self, update: OrderBookSnapshot | OrderBookDelta) -> None: ...

    def on_timer(self, event: TimerEvent) -> None: ...

    def on_order(self, event: OrderEvent) -> None: ...

    def on_position(self, event: PositionEvent) -> None: ...

    def on_account(self, state: AccountState) -> None: ...

    def on_error(self, error: HandlerError) -> None:
        """Called after one of this strategy's handlers raised (already logged and published)."""

    # ----------------------------------------------------------------- lifecycle (control messages)
    @property
    def status(self) -> ExecutionStatus:
        return self.execution.status

    def _on_control(self, command: ControlCommand) -> None:
        ts = datetime_from_ns(self.clock.timestamp_ns())
        if isinstance(command, StartStrategy):
            self.execution.start(ts)
            self._data_open = True
            self._follow_stop_consequences(False)
            self.subscribe(topics.order_events(self.execution_id), self._landed, priority=1)
            self.subscribe(topics.order_events(self.execution_id), self._guarded(self.on_order))
            self.subscribe(topics.position_events(self.execution_id), self._guarded(self.on_position))
            self.subscribe(topics.account_events(self.account_id), self._guarded(self.on_account))
            try:
                self.start()
            except Exception:  # on_start failed: its subscriptions are gone, so it must not look running
                self._data_open = False
                self.execution.stop(ts)
                raise
        elif isinstance(command, PauseStrategy):
            self.execution.pause(ts)
            self._data_open = False
        elif isinstance(command, ResumeStrategy):
            self.execution.resume(ts)
            self._data_open = True
        elif isinstance(command, StopStrategy):
            self._halt(ts)

    def _halt(self, ts: datetime) -> None:
        """Stop: cancel orders and flatten as configured, set ``end_time``, fill ``performance_metrics``.

        The cancels and closing orders are queued on the bus, so their fills come after this returns:
        ``performance_metrics`` is filled now and refreshed by each order or position event of this
        execution that follows, until it is started again.
        """
        self._data_open = False
        self.execution.stop(ts)
        if self.is_running:
            if self.context.cancel_orders_on_stop:
                self.cancel_all_orders()
            if self.context.close_positions_on_stop:
                for position in self.positions():
                    self.close_position(position.instrument.symbol, position.instrument.exchange_id)
            self.stop()
        if self.context.performance is not None:
            self._refresh_performance(None)
            self._follow_stop_consequences(True)

    def _follow_stop_consequences(self, follow: bool) -> None:
        """(Un)subscribe the refresh of ``performance_metrics``; it runs after the Portfolio and Recorder."""
        for topic in (topics.order_events(self.execution_id), topics.position_events(self.execution_id)):
            if follow:
                self.bus.subscribe(topic, self._refresh_performance, priority=-1)
            else:
                self.bus.unsubscribe(topic, self._refresh_performance)

    def _refresh_performance(self, _event: object) -> None:
        if self.context.performance is not None:
            self.execution.performance_metrics = self.context.performance(self.execution_id)

    def dispose(self) -> None:
        """Remove the control endpoint (the node calls this when it drops the strategy)."""
        self.bus.deregister_endpoint(topics.strategy_control(self.execution_id))

    # ----------------------------------------------------------------- market data
    def subscribe_bars(
        self, interval: str, symbol: str | None = None, exchange_id: str | None = None
    ) -> None:
        """Bars of ``interval`` (``"1m"``, ``"100t"``, ...) to ``on_bar``, until unsubscribed or stopped."""
        self._open_stream(self._stream(exchange_id, symbol, DataType.BAR, interval), self.on_bar)

    def subscribe_trades(self, symbol: str | None = None, exchange_id: str | None = None) -> None:
        self._open_stream(self._stream(exchange_id, symbol, DataType.TRADE), self.on_trade)

    def subscribe_quotes(self, symbol: str | None = None, exchange_id: str | None = None) -> None:
        self._open_stream(self._stream(exchange_id, symbol, DataType.QUOTE), self.on_quote)

    def subscribe_book(self, symbol: str | None = None, exchange_id: str | None = None) -> None:
        self._open_stream(self._stream(exchange_id, symbol, DataType.BOOK), self.on_book)

    def unsubscribe_bars(
        self, interval: str, symbol: str | None = None, exchange_id: str | None = None
    ) -> None:
        self._close_stream(self._stream(exchange_id, symbol, DataType.BAR, interval))

    def unsubscribe_trades(self, symbol: str | None = None, exchange_id: str | None = None) -> None:
        self._close_stream(self._stream(exchange_id, symbol, DataType.TRADE))

    def unsubscribe_quotes(self, symbol: str | None = None, exchange_id: str | None = None) -> None:
        self._close_stream(self._stream(exchange_id, symbol, DataType.QUOTE))

    def unsubscribe_book(self, symbol: str | None = None, exchange_id: str | None = None) -> None:
        self._close_stream(self._stream(exchange_id, symbol, DataType.BOOK))

    def _stream(
        self, exchange_id: str | None, symbol: str | None, data_type: DataType, interval: str = ""
    ) -> _StreamKey:
        exchange_id, symbol = self._instrument_key(exchange_id, symbol)
        return (exchange_id, symbol, data_type, interval)

    def _open_stream(self, key: _StreamKey, handler: Callable[[Any], None]) -> None:
        """Subscribe once per stream (a second subscribe would deliver every message twice) and tell
        the DataEngine, which asks the venue for it when this is its first subscriber."""
        if key in self._streams:
            return
        topic = _stream_topic(key)
        deliver = self._data_handler(handler)
        self._streams[key] = (topic, deliver)
        self._request_data(SubscribeData, key)
        self.subscribe(topic, deliver)

    def _close_stream(self, key: _StreamKey) -> None:
        stream = self._streams.pop(key, None)
        if stream is not None:
            self.unsubscribe(*stream)
            self._request_data(UnsubscribeData, key)

    def _release(self) -> None:
        """Stopping (or a failed start) also gives back every data stream: a stopped strategy must not
        keep a venue feed open."""
        super()._release()
        self._in_flight.clear()  # what it sent is the OMS's now; it has stopped listening for it
        while self._streams:
            key, _stream = self._streams.popitem()
            self._request_data(UnsubscribeData, key)

    def _request_data(self, kind: type[SubscribeData | UnsubscribeData], key: _StreamKey) -> None:
        now = self.clock.timestamp_ns()
        exchange_id, symbol, data_type, interval = key
        request = kind(
            exchange_id=exchange_id,
            symbol=symbol,
            data_type=data_type,
            interval=interval,
            ts_event=now,
            ts_init=now,
        )
        try:
            self.send(topics.DATA_SUBSCRIBE, request)
        except UnknownEndpoint:
            self.log.debug("no_data_engine", subscription=request)

    # ----------------------------------------------------------------- orders
    def submit_order(
        self,
        side: OrderSide,
        quantity: Number,
        *,
        order_type: OrderType = OrderType.MARKET,
        price: Number | None = None,
        stop_price: Number | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        symbol: str | None = None,
        exchange_id: str | None = None,
        expire_time: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        stop_loss_price: Number | None = None,
        take_profit_price: Number | None = None,
        trailing_stop_callback_rate: Number | None = None,
        trailing_stop_activation_price: Number | None = None,
        leverage: int | None = None,
        position_side: PositionSide | None = None,
    ) -> str:
        """Send an order to the RiskEngine; returns its client order id. Outcomes arrive in ``on_order``."""
        exchange_id, symbol = self._instrument_key(exchange_id, symbol)
        now = self.clock.timestamp_ns()
        command = SubmitOrder(
            execution_id=self.execution_id,
            trading_account_id=self.account_id,
            exchange_id=exchange_id,
            symbol=symbol,
            client_order_id=self.context.next_order_id(self.execution_id),
            side=side,
            order_type=order_type,
            quantity=Decimal(quantity),
            price=_decimal(price),
            stop_price=_decimal(stop_price),
            time_in_force=time_in_force,
            expire_time=expire_time,
            post_only=post_only,
            reduce_only=reduce_only,
            stop_loss_price=_decimal(stop_loss_price),
            take_profit_price=_decimal(take_profit_price),
            trailing_stop_callback_rate=_decimal(trailing_stop_callback_rate),
            trailing_stop_activation_price=_decimal(trailing_stop_activation_price),
            leverage=leverage,
            position_side=position_side,
            ts_event=now,
            ts_init=now,
        )
        if self.execution.status is ExecutionStatus.RUNNING:
            self._in_flight[command.client_order_id] = command
            self._command(command)
        else:
            reason = f"strategy execution {self.execution_id} is {self.execution.status.value}"
            denied = OrderDenied(
                command=command,
                reason_code=f"strategy.{self.execution.status.value}",
                reason=reason,
                ts_event=now,
                ts_init=now,
            )
            self.publish(self._commands_topic, command)
            self.send(topics.EXEC_ENGINE, denied)
        return command.client_order_id

    def buy(self, quantity: Number, price: Number | None = None, **options: Any) -> str:
        """Market buy, or a limit buy when ``price`` is given."""
        order_type = OrderType.MARKET if price is None else OrderType.LIMIT
        return self.submit_order(OrderSide.BUY, quantity, order_type=order_type, price=price, **options)

    def sell(self, quantity: Number, price: Number | None = None, **options: Any) -> str:
        """Market sell, or a limit sell when ``price`` is given."""
        order_type = OrderType.MARKET if price is None else OrderType.LIMIT
        return self.submit_order(OrderSide.SELL, quantity, order_type=order_type, price=price, **options)

    def cancel_order(self, client_order_id: str, reason: str = "") -> None:
        """Cancel one of this execution's orders, also one submitted earlier in the same handler."""
        exchange_id, symbol = self._own_order(client_order_id)
        now = self.clock.timestamp_ns()
        self._command(
            CancelOrder(
                execution_id=self.execution_id,
                trading_account_id=self.account_id,
                exchange_id=exchange_id,
                symbol=symbol,
                client_order_id=client_order_id,
                reason=reason,
                ts_event=now,
                ts_init=now,
            ),
        )

    def modify_order(
        self,
        client_order_id: str,
        *,
        quantity: Number | None = None,
        price: Number | None = None,
        stop_price: Number | None = None,
    ) -> None:
        exchange_id, symbol = self._own_order(client_order_id)
        now = self.clock.timestamp_ns()
        self._command(
            ModifyOrder(
                execution_id=self.execution_id,
                trading_account_id=self.account_id,
                exchange_id=exchange_id,
                symbol=symbol,
                client_order_id=client_order_id,
                quantity=_decimal(quantity),
                price=_decimal(price),
                stop_price=_decimal(stop_price),
                ts_event=now,
                ts_init=now,
            ),
        )

    def cancel_all_orders(self, symbol: str | None = None, exchange_id: str | None = None) -> None:
        """Cancel this execution's open orders on one instrument, or on every instrument by default."""
        exchange_id = exchange_id or self.context.exchange_id
        now = self.clock.timestamp_ns()
        self._command(
            CancelAllOrders(
                execution_id=self.execution_id,
                trading_account_id=self.account_id,
                exchange_id=exchange_id,
                symbol="" if symbol is None else symbol,
                ts_event=now,
                ts_init=now,
            ),
        )

    def close_position(
        self,
        symbol: str | None = None,
        exchange_id: str | None = None,
        position_side: PositionSide | None = None,
    ) -> None:
        exchange_id, symbol = self._instrument_key(exchange_id, symbol)
        now = self.clock.timestamp_ns()
        self._command(
            ClosePosition(
                execution_id=self.execution_id,
                trading_account_id=self.account_id,
                exchange_id=exchange_id,
                symbol=symbol,
                position_side=position_side,
                ts_event=now,
                ts_init=now,
            ),
        )

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        handler: Callable[[TimerEvent], None] | None = None,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """A repeating timer; its events go to ``handler`` or, by default, ``on_timer``."""
        super().set_timer(name, interval_ns, self._guarded(handler or self.on_timer), start_ns, stop_ns)

    # ----------------------------------------------------------------- read-only views
    @property
    def instrument(self) -> TradingInstrument:
        found = self.store.get_instrument(self.context.exchange_id, self.context.symbol)
        if found is None:
            raise ConfigError("symbol", f"{self.context.exchange_id}:{self.context.symbol} is not configured")
        return found

    def orders(self, open_only: bool = False) -> list[Order]:
        """This execution's orders, oldest first; those sent but not yet stored by the OMS come last,
        ``pending``."""
        stored = [
            order
            for order in self.store.orders_for(self.account_id, open_only=open_only)
            if order.execution_id == self.execution_id
        ]
        get_order = self.store.get_order  # an order the OMS stored but has said nothing of yet is listed once
        on_their_way = (
            self._sent(cmd) for order_id, cmd in self._in_flight.items() if get_order(order_id) is None
        )
        return stored + [order for order in on_their_way if order is not None]

    def order(self, client_order_id: str) -> Order | None:
        """One of this execution's orders; right after ``submit_order``, before the OMS has it, the
        ``pending`` order it will become (a copy: what happens to the order shows in later reads)."""
        order = self.store.get_order(client_order_id)
        if order is not None:
            return order if order.execution_id == self.execution_id else None
        command = self._in_flight.get(client_order_id)
        return self._sent(command) if command is not None else None

    def _sent(self, command: SubmitOrder) -> Order | None:
        """The order a command on its way will become (None for an instrument the Store lacks: the
        RiskEngine will deny it)."""
        instrument = self.store.get_instrument(command.exchange_id, command.symbol)
        if instrument is None:
            return None
        return order_from_command(command, instrument, datetime_from_ns(command.ts_event))

    def positions(self) -> list[Position]:
        """This execution's open positions (its own sub-ledger, not the whole account's)."""
        if self.context.portfolio is None:
            return []
        return self.context.portfolio.positions(self.account_id, self.execution_id)

    def position(self, symbol: str | None = None, exchange_id: str | None = None) -> Position | None:
        exchange_id, symbol = self._instrument_key(exchange_id, symbol)
        for position in self.positions():
            if position.instrument.symbol == symbol and position.instrument.exchange_id == exchange_id:
                return position
        return None

    def net_quantity(self, symbol: str | None = None, exchange_id: str | None = None) -> Decimal:
        """Signed quantity this execution holds: long positive, short negative, flat zero."""
        exchange_id, symbol = self._instrument_key(exchange_id, symbol)
        total = Decimal(0)
        for position in self.positions():
            if position.instrument.symbol == symbol and position.instrument.exchange_id == exchange_id:
                sign = 1 if position.side is PositionSide.LONG else -1
                total += sign * position.quantity
        return total

    def account(self) -> TradingAccount | None:
        if self.context.portfolio is not None:
            return self.context.portfolio.account(self.account_id)
        return self.store.get_account(self.account_id)

    # ----------------------------------------------------------------- isolation
    def _data_handler(self, handler: Callable[[Any], None]) -> Callable[[Any], None]:
        """Deliver market data only while running (not paused); isolate the handler's errors."""

        def deliver(msg: Any) -> None:
            if self._data_open:
                try:
                    handler(msg)
                except Exception as exc:
                    self._handler_failed(handler, msg, exc)

        return deliver

    def _guarded(self, handler: Callable[[Any], None]) -> Callable[[Any], None]:
        def deliver(msg: Any) -> None:
            try:
                handler(msg)
            except Exception as exc:
                self._handler_failed(handler, msg, exc)

        return deliver

    def _handler_failed(self, handler: Callable[[Any], None], msg: Any, exc: Exception) -> None:
        self.errors += 1
        name = getattr(handler, "__qualname__", repr(handler))
        self.log.error(
            "strategy_error",
            execution_id=self.execution_id,
            handler=name,
            message_type=type(msg).__name__,
            traceback="".join(traceback.format_exception(exc)),
        )
        now = self.clock.timestamp_ns()
        error = HandlerError(
            topic=topics.strategy_control(self.execution_id),
            handler=name,
            error_type=type(exc).__name__,
            error=str(exc),
            ts_event=now,
            ts_init=now,
        )
        self.publish(topics.ERRORS, error)
        policy = self.context.on_error
        ts = datetime_from_ns(now)
        if policy is ErrorPolicy.PAUSE and self.execution.status is ExecutionStatus.RUNNING:
            self.execution.pause(ts)
            self._data_open = False
        elif policy is ErrorPolicy.STOP and self.execution.status is not ExecutionStatus.STOPPED:
            self._halt(ts)
        try:
            self.on_error(error)
        except Exception:
            self.log.exception("strategy_on_error_failed", execution_id=self.execution_id)

    # ----------------------------------------------------------------- helpers
    def _command(self, command: OrderCommand) -> None:
        """Publish the decision (journal, replay diffs), then hand it to the RiskEngine."""
        self.publish(self._commands_topic, command)
        self.send(topics.RISK_ENGINE, command)

    def _instrument_key(self, exchange_id: str | None, symbol: str | None) -> tuple[str, str]:
        return exchange_id or self.context.exchange_id, symbol or self.context.symbol

    def _own_order(self, client_order_id: str) -> tuple[str, str]:
        """The exchange and symbol of one of this execution's orders, in the Store or still on its way."""
        order = self.order(client_order_id)
        if order is not None:
            return order.instrument.exchange_id, order.instrument.symbol
        in_flight = self._in_flight.get(client_order_id)
        if in_flight is None:
            raise StrategyError(f"{self.execution_id} has no order {client_order_id!r}")
        return in_flight.exchange_id, in_flight.symbol

    def _landed(self, event: OrderEvent) -> None:
        """The OMS has the order now (it publishes nothing about an order before storing it)."""
        self._in_flight.pop(event.client_order_id, None)


class StrategyError(EngineError):
    """A strategy asked for something about an order or instrument it does not own."""


_StreamKey = tuple[str, str, DataType, str]  # exchange_id, symbol, data type, bar interval ("" if none)


def _stream_topic(key: _StreamKey) -> str:
    exchange_id, symbol, data_type, interval = key
    if data_type is DataType.BAR:
        return topics.bars(exchange_id, symbol, interval)
    if data_type is DataType.TRADE:
        return topics.trades(exchange_id, symbol)
    if data_type is DataType.QUOTE:
        return topics.quotes(exchange_id, symbol)
    return topics.book(exchange_id, symbol)


def _decimal(value: Number | None) -> Decimal | None:
    return None if value is None else Decimal(value)


__all__ = [
    "ErrorPolicy",
    "NoParams",
    "PortfolioView",
    "Strategy",
    "StrategyContext",
    "StrategyError",
    "parse_params",
]
