"""The OrderEmulator holds the orders a venue (or mode) cannot, and places bracket exits: stops, trailing
stops and one-cancels-other, driven by market data and by the OMS's order events.

Held orders (``ORDER_EMULATOR`` endpoint, ``SubmitOrder`` of type stop, stop_limit or trailing_stop):

- A held order is accepted locally: ``OrderAccepted`` with ``exchange_order_id = "emulated-<id>"``
  (``engine.components.orders.EMULATED_PREFIX``) goes to the OMS (``EXEC_ENGINE_EVENTS``). The
  venue's own acceptance follows once it is released. No venue locks funds for a held order; the
  Portfolio still reserves a held stop entry's cost, but not a held reduce-only exit's (see below).
- While it holds an order for an instrument, the emulator listens to that instrument's trades, quotes
  and bars (and asks the DataEngine for its trades); when it holds none, it stops listening.
  A trade offers its price to every order; a quote its ask to buys and its bid to sells; a bar first
  its favourable extreme (low to a buy, high to a sell) then its adverse one, so a trailing stop
  follows the best price before it meets the worst. Bars count only while no tick has come since the
  emulator began watching the instrument (a bar-only backtest: a bar repeats ticks already seen), only
  of the first interval seen, and only for orders held before the bar closed (an order placed inside
  a bar's span is still offered that bar's whole range).
- Triggered (``triggers`` module), the order is released to ``exec_client(exchange_id)`` with the SAME
  client order id: a stop or trailing stop as a market order, a stop-limit as a limit at its ``price``.
  When a bar fired it and it leaves at once, its ``trigger_price`` says where it met the market: the
  level that fired it, or the bar's open if the bar opened beyond a level that stood before it (a
  gap). A venue adapter ignores it; the simulated venue fills there when bars alone drive the
  instrument. Fired by a tick, or released after its bar, it carries none.
- ``CancelOrder`` / ``ModifyOrder`` / ``QueryOrder`` for a held order are answered here
  (``OrderCancelled``, ``OrderUpdated``, an ``OrderStatusReport`` ``pending``); for any other order
  (released, or unknown here) they go on to the venue. A GTD order still held at its expire time is
  cancelled with reason ``"expired"``.

Brackets (``events.order.*``): an entry with a stop-loss or take-profit gets its exits (``brackets``
module) once it is completely filled, or when it ends cancelled after a partial fill, for the filled part
(a still-working entry's partial fills wait unprotected). The exits go through the OMS (``EXEC_ENGINE``),
which tracks them and routes the stop-loss back here and the take-profit to the venue. A fill of one exit
shrinks (``ModifyOrder``) or cancels (``CancelOrder``) the other. An exit that ends without a fill
(cancelled, rejected) leaves the other alone: the position still needs it.

Spot brackets: the two exits are one OCO group that may hold the position's coins only once. The
venue locks a resting spot sell's base quantity, so while the take-profit rests there the coins are
its (the Portfolio shows them used once: a held reduce-only exit reserves nothing). When the stop-loss
triggers, it is not released at once (the venue would refuse it ``insufficient_balance``): it waits
(``_waiting``, still held and still answering cancel, modify and query) while a ``CancelOrder``
(reason ``"oco"``) goes through the OMS to the take-profit, and goes to the venue only when the
take-profit's end is published (``OrderCancelled``, or its fill: then the usual one-cancels-other
shrinks or cancels the waiting stop-loss here, before it leaves). Waiting for the venue's answer,
rather than sending the cancel and the release back to back, is what keeps the order right: the
cancel travels OMS -> venue, one bus hop more than a release sent to the venue directly, so the bus's
FIFO would deliver the release first; and a live venue frees the coins only once it has cancelled.
A futures exit is released at once: reduce-only exits lock nothing the other needs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from engine import topics
from engine.actor import Actor
from engine.bus import MessageBus, UnknownEndpoint
from engine.clock import Clock
from engine.components.emulator.brackets import (
    CANCEL,
    STOP_LOSS_SUFFIX,
    TAKE_PROFIT_SUFFIX,
    exit_orders,
    sibling_quantity,
)
from engine.components.emulator.triggers import (
    INACTIVE,
    NO_PRICE_MATTERS,
    stop_band,
    stop_triggered,
    trailing_band,
    trailing_step,
)
from engine.components.orders import EMULATED_PREFIX
from engine.messages import (
    Bar,
    CancelOrder,
    ModifyOrder,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    OrderUpdated,
    QueryOrder,
    QuoteTick,
    SubmitOrder,
    SubscribeData,
    TradeTick,
    UnsubscribeData,
)
from engine.model import Order, OrderSide, OrderStatus, OrderType, Store, TimeInForce, TradingType
from engine.model.enums import DataType

_RELEASED_TYPE = {
    OrderType.STOP: OrderType.MARKET,
    OrderType.TRAILING_STOP: OrderType.MARKET,
    OrderType.STOP_LIMIT: OrderType.LIMIT,
}


class _Held:
    """One held order, its trigger state, and the band of prices that cannot change either."""

    __slots__ = (
        "command",
        "high",
        "is_buy",
        "low",
        "met",
        "met_at",
        "rate",
        "since_ns",
        "stop_price",
        "trailing",
    )

    def __init__(self, command: SubmitOrder, since_ns: int) -> None:
        self.since_ns = since_ns
        self.met: Decimal | None = None  # where it met the market, when a bar fired it
        self.met_at = 0  # the ts_event of that bar
        self.is_buy = command.side is OrderSide.BUY
        self.rate = command.trailing_stop_callback_rate or Decimal(0)
        self.trailing = INACTIVE
        self.amend(command)

    def amend(self, command: SubmitOrder) -> None:
        self.command = command
        self.stop_price = command.stop_price or Decimal(0)
        self._rebound()

    def observe(self, price: Decimal) -> bool:
        """Whether ``price`` fires the order (a trailing stop also moves)."""
        command = self.command
        if command.order_type is OrderType.TRAILING_STOP:
            self.trailing, fired = trailing_step(
                command.side, self.rate, command.trailing_stop_activation_price, self.trailing, price
            )
            self._rebound()
            return fired
        return stop_triggered(command.side, self.stop_price, price)

    @property
    def trigger_price(self) -> Decimal:
        """The level that fires the order now: its stop price, or where a trailing stop stands."""
        if self.command.order_type is OrderType.TRAILING_STOP:
            return self.trailing.trigger_price
        return self.stop_price

    def _rebound(self) -> None:
        command = self.command
        if command.order_type is OrderType.TRAILING_STOP:
            self.low, self.high = trailing_band(
                command.side, command.trailing_stop_activation_price, self.trailing
            )
        else:
            self.low, self.high = stop_band(command.side, self.stop_price)


class _Watch:
    """The orders held for one instrument, and the handlers of its market data.

    Hot path: a tick strictly inside every order's band (``low < price < high`` per side) costs two or
    four Decimal comparisons, however many orders are held; only a tick outside it visits the orders.
    """

    __slots__ = (
        "bar_interval",
        "buy_high",
        "buy_low",
        "exchange_id",
        "fire",
        "high",
        "low",
        "orders",
        "sell_high",
        "sell_low",
        "symbol",
        "ticks_seen",
    )

    def __init__(self, exchange_id: str, symbol: str, fire: Callable[[_Held], None]) -> None:
        self.exchange_id = exchange_id
        self.symbol = symbol
        self.fire = fire
        self.orders: dict[str, _Held] = {}
        self.ticks_seen = False
        self.bar_interval = ""
        self.rebound()

    def rebound(self) -> None:
        """Recompute the bands after an order came, went, changed or moved."""
        buy_low, buy_high = sell_low, sell_high = NO_PRICE_MATTERS
        for held in self.orders.values():
            if held.is_buy:
                buy_low, buy_high = max(buy_low, held.low), min(buy_high, held.high)
            else:
                sell_low, sell_high = max(sell_low, held.low), min(sell_high, held.high)
        self.buy_low, self.buy_high, self.sell_low, self.sell_high = buy_low, buy_high, sell_low, sell_high
        self.low, self.high = max(buy_low, sell_low), min(buy_high, sell_high)

    def on_trade(self, tick: TradeTick) -> None:
        self.ticks_seen = True
        price = tick.price
        if not self.low < price < self.high:
            self.observe(price, price)

    def on_quote(self, quote: QuoteTick) -> None:
        self.ticks_seen = True
        ask, bid = quote.ask_price, quote.bid_price
        if not (self.buy_low < ask < self.buy_high and self.sell_low < bid < self.sell_high):
            self.observe(ask, bid)

    def on_bar(self, bar: Bar) -> None:
        if self.ticks_seen:
            return
        if bar.interval != self.bar_interval:
            if self.bar_interval:
                return
            self.bar_interval = bar.interval
        if not self.orders:
            return
        # the levels in force when the bar opened: a bar that opens beyond one gapped through it
        opening = {held.command.client_order_id: held.trigger_price for held in self.orders.values()}
        self.observe(bar.low, bar.high, bar.ts_event, bar.open, opening)
        self.observe(bar.high, bar.low, bar.ts_event, bar.open, opening)

    def observe(
        self,
        buy_price: Decimal,
        sell_price: Decimal,
        bar_end_ns: int | None = None,
        bar_open: Decimal | None = None,
        opening: dict[str, Decimal] | None = None,
    ) -> None:
        fired = []
        for held in self.orders.values():
            if bar_end_ns is not None and held.since_ns >= bar_end_ns:
                continue
            if held.observe(buy_price if held.is_buy else sell_price):
                if bar_end_ns is not None and bar_open is not None and opening is not None:
                    held.met = _met(held, bar_open, opening.get(held.command.client_order_id))
                    held.met_at = bar_end_ns
                fired.append(held)
        self.rebound()
        for held in fired:
            self.fire(held)


def _met(held: _Held, bar_open: Decimal, level_at_open: Decimal | None) -> Decimal:
    """Where a stop a bar fired met the market: at its level, the price passing through it, unless
    the level stood before the bar and the bar opened beyond it (a gap): then at the open."""
    level = held.trigger_price
    if level != level_at_open:  # a trailing level the bar itself moved: the price came back through it
        return level
    if held.is_buy:
        return max(level, bar_open)
    return min(level, bar_open)


class _Bracket:
    """An entry's two exits and the quantity last asked of each (``CANCEL`` once a cancel is asked)."""

    __slots__ = ("asked", "size", "stop_loss", "take_profit")

    def __init__(self, entry_id: str, size: Decimal) -> None:
        self.size = size
        self.stop_loss = entry_id + STOP_LOSS_SUFFIX
        self.take_profit = entry_id + TAKE_PROFIT_SUFFIX
        self.asked: dict[str, Decimal] = {}

    def sibling(self, exit_id: str) -> str:
        return self.take_profit if exit_id == self.stop_loss else self.stop_loss


class OrderEmulator(Actor):
    """Holds stop, stop-limit and trailing-stop orders and manages brackets (see the module docstring).

    Counters: ``released`` (orders triggered and sent to a venue), ``brackets_placed``.
    """

    def __init__(
        self, bus: MessageBus, clock: Clock, store: Store, *, actor_id: str = "OrderEmulator"
    ) -> None:
        super().__init__(actor_id, bus, clock)
        self.store = store
        self._commands: dict[type, Callable[[Any], None]] = {
            SubmitOrder: self._hold,
            CancelOrder: self._cancel,
            ModifyOrder: self._modify,
            QueryOrder: self._query,
        }
        self._watches: dict[tuple[str, str], _Watch] = {}
        self._held_in: dict[str, _Watch] = {}  # client id -> the watch holding it
        self._bracketed: set[str] = set()  # entries whose exits were placed
        self._brackets: dict[str, _Bracket] = {}  # exit client id -> its bracket
        # triggered spot exits waiting for the venue to cancel their sibling (client id -> order)
        self._waiting: dict[str, _Held] = {}
        self.released = 0
        self.brackets_placed = 0

    # -- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        self.bus.register_endpoint(topics.ORDER_EMULATOR, self.execute)
        self.subscribe("events.order.*", self.on_order_event)
        for watch in self._watches.values():  # after a restart: listen again, expire on time again
            self._listen(watch)
            for held in watch.orders.values():
                self._arm_expiry(held.command)

    def on_stop(self) -> None:
        self.bus.deregister_endpoint(topics.ORDER_EMULATOR)
        for watch in self._watches.values():
            self._request_trades(watch, UnsubscribeData)

    # -- public views ----------------------------------------------------------------------

    @property
    def held(self) -> list[str]:
        """Client ids of the orders held, in the order they arrived per instrument, then the triggered
        exits waiting for their sibling's cancellation."""
        return [cid for watch in self._watches.values() for cid in watch.orders] + list(self._waiting)

    def holds(self, client_order_id: str) -> bool:
        return client_order_id in self._held_in or client_order_id in self._waiting

    # -- commands --------------------------------------------------------------------------

    def execute(self, msg: Any) -> None:
        """``ORDER_EMULATOR`` endpoint; another kind of message raises ``TypeError`` (the bus reports it)."""
        try:
            handler = self._commands[type(msg)]
        except KeyError:
            raise TypeError(f"OrderEmulator cannot execute {type(msg).__name__}") from None
        handler(msg)

    def _hold(self, cmd: SubmitOrder) -> None:
        refusal = _refusal(cmd)
        if refusal is not None:
            self._report(cmd, OrderRejected, reason_code=refusal[0], reason=refusal[1])
            return
        if cmd.client_order_id in self._held_in:
            self.log.warning("order_already_held", client_order_id=cmd.client_order_id)
            return
        key = (cmd.exchange_id, cmd.symbol)
        watch = self._watches.get(key)
        if watch is None:
            watch = self._watches[key] = _Watch(cmd.exchange_id, cmd.symbol, self._fire)
            self._listen(watch)
        watch.orders[cmd.client_order_id] = _Held(cmd, self.clock.timestamp_ns())
        watch.rebound()
        self._held_in[cmd.client_order_id] = watch
        self._arm_expiry(cmd)
        self._report(cmd, OrderAccepted, exchange_order_id=EMULATED_PREFIX + cmd.client_order_id)

    def _cancel(self, cmd: CancelOrder) -> None:
        held = self._drop(cmd.client_order_id) or self._waiting.pop(cmd.client_order_id, None)
        if held is None:
            self._to_venue(cmd)
            return
        self._report(held.command, OrderCancelled, reason=cmd.reason or "cancelled")

    def _modify(self, cmd: ModifyOrder) -> None:
        held, watch = self._find(cmd.client_order_id)
        if held is None:
            self._to_venue(cmd)
            return
        if cmd.quantity is not None and (not cmd.quantity.is_finite() or cmd.quantity <= 0):
            self.log.warning(
                "modify_refused", client_order_id=cmd.client_order_id, quantity=str(cmd.quantity)
            )
            return
        changes = {
            name: value
            for name, value in (
                ("quantity", cmd.quantity),
                ("price", cmd.price),
                ("stop_price", cmd.stop_price),
            )
            if value is not None
        }
        held.amend(msgspec.structs.replace(held.command, **changes))
        if watch is not None:
            watch.rebound()
        self._report(
            held.command, OrderUpdated, quantity=cmd.quantity, price=cmd.price, stop_price=cmd.stop_price
        )

    def _query(self, cmd: QueryOrder) -> None:
        held, _ = self._find(cmd.client_order_id)
        if held is None:
            self._to_venue(cmd)
            return
        self._report(
            held.command,
            OrderStatusReport,
            exchange_order_id=EMULATED_PREFIX + cmd.client_order_id,
            status=OrderStatus.PENDING,
            filled_quantity=Decimal(0),
        )

    def _find(self, client_order_id: str) -> tuple[_Held | None, _Watch | None]:
        """A held order and the watch holding it (None for a triggered exit waiting for its sibling)."""
        watch = self._held_in.get(client_order_id)
        if watch is not None:
            return watch.orders[client_order_id], watch
        return self._waiting.get(client_order_id), None

    def _to_venue(self, cmd: CancelOrder | ModifyOrder | QueryOrder) -> None:
        endpoint = topics.exec_client(cmd.exchange_id)
        try:
            self.send(endpoint, cmd)
        except UnknownEndpoint:
            self.log.error("command_without_route", command=type(cmd).__name__, endpoint=endpoint)

    # -- holding and releasing -------------------------------------------------------------

    def _fire(self, held: _Held) -> None:
        """The order triggered: it leaves the emulator for the venue, same client order id; a spot
        bracket exit whose sibling rests at the venue first has the sibling cancelled (``_waiting``)."""
        cmd = held.command
        self._drop(cmd.client_order_id)
        bracket = self._brackets.get(cmd.client_order_id)
        sibling = self._sibling_holding_the_coins(bracket, cmd) if bracket is not None else None
        if bracket is not None and sibling is not None:
            self._waiting[cmd.client_order_id] = held
            if bracket.asked.get(sibling.order_id) != CANCEL:
                bracket.asked[sibling.order_id] = CANCEL
                self.send(topics.EXEC_ENGINE, CancelOrder(**self._about(sibling), reason="oco"))
            return
        self._send_released(held)

    def _sibling_holding_the_coins(self, bracket: _Bracket, cmd: SubmitOrder) -> Order | None:
        """The open sibling a venue locks a spot account's coins for (a resting sell locks its base),
        or None: a futures exit closes a position and locks nothing a reduce-only sibling needs."""
        account = self.store.get_account(cmd.trading_account_id)
        if account is None or account.account_type is not TradingType.SPOT:
            return None
        sibling = self.store.get_order(bracket.sibling(cmd.client_order_id))
        if sibling is None or sibling.is_terminal or self.holds(sibling.order_id):
            return None
        return sibling

    def _send_released(self, held: _Held) -> None:
        """Send a triggered order to the venue, as a market order (a stop-limit as a limit)."""
        cmd = held.command
        now = self.clock.timestamp_ns()
        order_type = _RELEASED_TYPE[cmd.order_type]
        released = msgspec.structs.replace(
            cmd,
            ts_event=now,
            ts_init=now,
            order_type=order_type,
            price=cmd.price if order_type is OrderType.LIMIT else None,
            stop_price=None,
            # where a bar met it holds only while that bar is the market's last (a spot stop-loss may
            # wait for its sibling's cancel past it): later, it takes the market like any order
            trigger_price=held.met if held.met is not None and held.met_at == now else None,
            trailing_stop_callback_rate=None,
            trailing_stop_activation_price=None,
            stop_loss_price=None,
            take_profit_price=None,
        )
        endpoint = topics.exec_client(cmd.exchange_id)
        try:
            self.send(endpoint, released)
        except UnknownEndpoint:
            self.log.error("released_order_without_client", client_order_id=cmd.client_order_id)
            self._report(cmd, OrderRejected, reason_code="exec.no_client", reason=f"no endpoint {endpoint}")
            return
        self.released += 1

    def _drop(self, client_order_id: str) -> _Held | None:
        """Stop holding an order; stop listening to an instrument nothing is held for."""
        watch = self._held_in.pop(client_order_id, None)
        if watch is None:
            return None
        held = watch.orders.pop(client_order_id)
        if _expiry(held.command) is not None:
            self.cancel_timer(_expiry_timer(client_order_id))
        if watch.orders:
            watch.rebound()
        else:
            del self._watches[(watch.exchange_id, watch.symbol)]
            self._deafen(watch)
        return held

    def _listen(self, watch: _Watch) -> None:
        self.subscribe(topics.trades(watch.exchange_id, watch.symbol), watch.on_trade)
        self.subscribe(topics.quotes(watch.exchange_id, watch.symbol), watch.on_quote)
        self.subscribe(topics.bars(watch.exchange_id, watch.symbol, "*"), watch.on_bar)
        self._request_trades(watch, SubscribeData)

    def _deafen(self, watch: _Watch) -> None:
        self.unsubscribe(topics.trades(watch.exchange_id, watch.symbol), watch.on_trade)
        self.unsubscribe(topics.quotes(watch.exchange_id, watch.symbol), watch.on_quote)
        self.unsubscribe(topics.bars(watch.exchange_id, watch.symbol, "*"), watch.on_bar)
        self._request_trades(watch, UnsubscribeData)

    def _request_trades(self, watch: _Watch, kind: type[SubscribeData] | type[UnsubscribeData]) -> None:
        """Live, trades flow only if someone asks for them; a node without a DataEngine has no door."""
        now = self.clock.timestamp_ns()
        request = kind(
            ts_event=now,
            ts_init=now,
            exchange_id=watch.exchange_id,
            symbol=watch.symbol,
            data_type=DataType.TRADE,
        )
        with contextlib.suppress(UnknownEndpoint):
            self.send(topics.DATA_SUBSCRIBE, request)

    def _arm_expiry(self, cmd: SubmitOrder) -> None:
        expire_ns = _expiry(cmd)
        if expire_ns is not None:
            name = _expiry_timer(cmd.client_order_id)
            self.set_time_alert(name, expire_ns, lambda _event: self._expire(cmd.client_order_id))

    def _expire(self, client_order_id: str) -> None:
        held = self._drop(client_order_id)
        if held is not None:
            self._report(held.command, OrderCancelled, reason="expired")

    def _report(self, cmd: SubmitOrder, kind: type[Any], **fields: Any) -> None:
        """Tell the OMS what became of an order here, as a venue would."""
        now = self.clock.timestamp_ns()
        event = kind(
            ts_event=now,
            ts_init=now,
            client_order_id=cmd.client_order_id,
            trading_account_id=cmd.trading_account_id,
            exchange_id=cmd.exchange_id,
            symbol=cmd.symbol,
            execution_id=cmd.execution_id,
            **fields,
        )
        self.send(topics.EXEC_ENGINE_EVENTS, event)

    # -- brackets --------------------------------------------------------------------------

    def on_order_event(self, event: Any) -> None:
        """``events.order.*``: place exits when an entry is done, keep exits one-cancels-other."""
        kind = type(event)
        if kind is not OrderFilled and kind is not OrderCancelled and kind is not OrderRejected:
            return
        client_order_id = event.client_order_id
        order = self.store.get_order(client_order_id)
        if order is None:
            return
        bracket = self._brackets.get(client_order_id)
        if bracket is not None:
            if kind is OrderFilled:
                self._one_cancels_other(bracket, order)
            if order.is_terminal:  # the sibling's coins are free: a waiting exit goes now
                waiting = self._waiting.pop(bracket.sibling(client_order_id), None)
                if waiting is not None:
                    self._send_released(waiting)
            if order.is_terminal and self._bracket_done(bracket):
                self._brackets.pop(bracket.stop_loss, None)
                self._brackets.pop(bracket.take_profit, None)
            return
        if order.stop_loss_price is None and order.take_profit_price is None:
            return
        done = order.status is OrderStatus.FILLED or (
            order.status is OrderStatus.CANCELLED and order.filled_quantity > 0
        )
        if done and client_order_id not in self._bracketed:
            self._place_exits(order)

    def _place_exits(self, entry: Order) -> None:
        self._bracketed.add(entry.order_id)
        self.brackets_placed += 1
        exits = exit_orders(entry, entry.filled_quantity, self.clock.timestamp_ns())
        if len(exits) == 2:
            bracket = _Bracket(entry.order_id, entry.filled_quantity)
            self._brackets[bracket.stop_loss] = self._brackets[bracket.take_profit] = bracket
        for cmd in exits:
            self.send(topics.EXEC_ENGINE, cmd)

    def _one_cancels_other(self, bracket: _Bracket, filled: Order) -> None:
        sibling_id = bracket.sibling(filled.order_id)
        sibling = self.store.get_order(sibling_id)
        if sibling is None or sibling.is_terminal:
            return
        quantity = sibling_quantity(bracket.size, filled.filled_quantity, sibling)
        if quantity is None or bracket.asked.get(sibling_id) == quantity:
            return
        bracket.asked[sibling_id] = quantity
        waiting = self._waiting.get(sibling_id)
        if waiting is not None:  # triggered, not released: settle it here, before it goes
            if quantity == CANCEL:
                del self._waiting[sibling_id]
                self._report(waiting.command, OrderCancelled, reason="oco")
            else:
                waiting.amend(msgspec.structs.replace(waiting.command, quantity=quantity))
                self._report(waiting.command, OrderUpdated, quantity=quantity)
            return
        common = self._about(sibling)
        if quantity == CANCEL:
            self.send(topics.EXEC_ENGINE, CancelOrder(**common, reason="oco"))
        else:
            self.send(topics.EXEC_ENGINE, ModifyOrder(**common, quantity=quantity))

    def _about(self, order: Order) -> dict[str, Any]:
        """The fields of a command about an existing order, stamped now."""
        now = self.clock.timestamp_ns()
        return {
            "ts_event": now,
            "ts_init": now,
            "execution_id": order.execution_id,
            "trading_account_id": order.trading_account_id,
            "exchange_id": order.instrument.exchange_id,
            "symbol": order.instrument.symbol,
            "client_order_id": order.order_id,
        }

    def _bracket_done(self, bracket: _Bracket) -> bool:
        for exit_id in (bracket.stop_loss, bracket.take_profit):
            order = self.store.get_order(exit_id)
            if order is not None and order.is_open:
                return False
        return True


def _refusal(cmd: SubmitOrder) -> tuple[str, str] | None:
    """Why the emulator cannot hold ``cmd`` (rule code, text), or None if it can."""
    if cmd.order_type not in _RELEASED_TYPE:
        return "emulator.order_type", f"the emulator does not hold {cmd.order_type} orders"
    if cmd.order_type is OrderType.TRAILING_STOP:
        if cmd.trailing_stop_callback_rate is None:
            return "order.trailing_stop_callback_rate.missing", "a trailing_stop needs a callback rate"
        return None
    if cmd.stop_price is None:
        return "order.stop_price.missing", f"a {cmd.order_type} order needs a stop_price"
    if cmd.order_type is OrderType.STOP_LIMIT and cmd.price is None:
        return "order.price.missing", "a stop_limit order needs a price"
    return None


def _expiry(cmd: SubmitOrder) -> int | None:
    return cmd.expire_time if cmd.time_in_force is TimeInForce.GTD else None


def _expiry_timer(client_order_id: str) -> str:
    return f"expire.{client_order_id}"
