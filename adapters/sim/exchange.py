"""The simulated exchange: the execution client of backtests and paper trading, a venue that fills orders
against the market data the engine sees.

Wiring: construct and ``start()`` it BEFORE the strategies (and the OrderEmulator and Portfolio).
The bus calls a topic's handlers in subscription order, so the venue then sees each trade, quote
and bar before anyone reacts to it: an order sent in reaction to a bar is matched against the
following data, never against the bar that caused it.

What it does (the matching rules live in ``matching`` and ``fill_model``):

- Endpoint ``topics.exec_client(exchange_id)``: ``SubmitOrder`` (market and limit only; stop types
  come already released by the OrderEmulator), ``CancelOrder``, ``ModifyOrder``, ``CancelAllOrders``,
  ``QueryOrder``. Events go to ``topics.EXEC_ENGINE_EVENTS``: ``OrderAccepted`` (exchange order id
  ``SIM-<n>``, n counting the submissions it received), ``OrderRejected`` (definitive),
  ``OrderFilled`` (fill id ``SIM-F-<n>``, fee in the quote currency), ``OrderCancelled`` (``user``,
  ``expired``, ``ioc remainder``, ``fok unfilled``, ``post_only_would_take``, ``reduce_only``,
  ``insufficient_balance``/``insufficient_margin``), ``OrderUpdated`` and ``OrderStatusReport`` (with
  the order's cumulative fee, as Bybit's order query gives it). A
  cancel or modify the venue refuses (unknown or closed order, bad values) is answered with an
  ``OrderStatusReport`` of the order as it is, its reason starting ``cancel_rejected:`` or
  ``modify_rejected:``: there is no rejection event for those, and the truth settles the OMS.
- Market data (``data.trade/quote/bar.<exchange_id>.*``): last trade, top of book (from the
  ``QuoteTick`` the DataEngine derives from every book update that moves the top), last bar.
- Balances: one venue-side ``Ledger`` (engine.model.accounting, the Portfolio's own rules) per
  account served, started from a copy of the Store's ``TradingAccount`` when the exchange starts.
  An order is refused if it cannot be afforded (``insufficient_balance`` / ``insufficient_margin``);
  its funds are locked while it is open. Futures positions liquidate at their exact liquidation
  price when a trade, quote (mid) or bar point reaches it: a venue fill with ``liquidation=True``,
  client order id ``SIM-LIQ-<n>``, the position's side as ``position_side``, taker fee.
- ``SimConfig.latency_ns``: a command is processed, and its events emitted, once time (the clock or
  a data event's ``ts_event``) reaches its arrival + latency. GTD orders expire at ``expire_time``,
  checked on every data event and by a clock alert.
- Misbehaviour (see ``misbehaviour``): seeded and scripted rejections, delayed, dropped, duplicated
  and reordered events.

Hot path: a trade tick of an instrument with no resting or waiting orders, at a price that liquidates
nothing, is a dict lookup, a few comparisons and one attribute store (the liquidation thresholds of
``Market`` are recomputed when a position changes, never per tick).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from adapters.sim.config import SimConfig
from adapters.sim.fill_model import INFINITE, FillModel, bar_path, fee
from adapters.sim.matching import (
    NO_LONG_LIQUIDATION,
    NO_SHORT_LIQUIDATION,
    POST_ONLY_WOULD_TAKE,
    Fill,
    Market,
    SimOrder,
    arrive,
    marketable,
)
from adapters.sim.misbehaviour import Misbehaviour, Outbox
from engine import topics
from engine.actor import Actor
from engine.bus import MessageBus
from engine.clock import Clock
from engine.errors import ConfigError, ValidationError
from engine.messages import (
    Bar,
    CancelAllOrders,
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
    TimerEvent,
    TradeTick,
)
from engine.model.accounting import INSUFFICIENT_BALANCE, INSUFFICIENT_MARGIN, AccountingError, Ledger
from engine.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
    TradingType,
)
from engine.model.instrument import TradingInstrument
from engine.model.position import Position
from engine.model.rules import check_leverage, check_price, check_quantity
from engine.model.store import Store
from engine.model.timestamps import datetime_from_ns

NEVER = 1 << 62  # later than any nanosecond timestamp we will meet
_Command = SubmitOrder | CancelOrder | ModifyOrder | CancelAllOrders | QueryOrder


class _Refused(Exception):
    """A venue refusal inside command handling: ``code`` is the machine-readable reason."""

    def __init__(self, code: str, reason: str = "") -> None:
        self.code = code
        self.reason = reason or code
        super().__init__(self.reason)


class SimulatedExchange(Actor):
    """A simulated venue for one exchange (see the module docstring).

    ``accounts``: the ids of the accounts it serves; empty means every account of the exchange in
    the Store when it starts. ``ledger(account_id)`` shows the venue's view of an account.
    """

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        store: Store,
        exchange_id: str,
        config: SimConfig | None = None,
        *,
        accounts: Sequence[str] = (),
        actor_id: str = "",
    ) -> None:
        super().__init__(actor_id or f"SimulatedExchange.{exchange_id}", bus, clock)
        self.store = store
        self.exchange_id = exchange_id
        self.config = config = config or SimConfig()
        self._account_ids = tuple(accounts)
        self._model = FillModel(config)
        self._next_open = config.bar_execution == "next_open"
        self._latency = config.latency_ns
        self._outbox = Outbox(Misbehaviour(config.misbehaviour, config.seed), self._deliver)
        self._markets: dict[str, Market] = {}
        self._ledgers: dict[str, Ledger] = {}
        self._futures: list[Ledger] = []  # ledgers whose positions can liquidate
        self._orders: dict[str, SimOrder] = {}  # every order received, by client_order_id
        self._open: dict[str, SimOrder] = {}  # the open ones, in arrival order
        self._order_seq = 0
        self._fill_seq = 0
        self._liquidation_seq = 0
        self._commands: deque[tuple[int, _Command]] = deque()  # (due, command) held by latency
        self._expiries: list[tuple[int, int, SimOrder]] = []  # heap of (expire_time, seq, order)
        self._due_at = NEVER  # earliest time something waits for: data at or after it does housekeeping
        self._wake_at = NEVER  # when the clock alert is set for
        self._commands_by_type: dict[type, Callable[[Any, int], None]] = {
            SubmitOrder: self._submit,
            CancelOrder: self._cancel,
            ModifyOrder: self._modify,
            CancelAllOrders: self._cancel_all,
            QueryOrder: self._query,
        }

    # -- lifecycle ------------------------------------------------------------------------------

    def on_start(self) -> None:
        if not self._ledgers:
            self._open_ledgers()
        ex = self.exchange_id
        self.bus.register_endpoint(topics.exec_client(ex), self.execute)
        self.subscribe(f"data.trade.{ex}.*", self._on_trade)
        self.subscribe(f"data.quote.{ex}.*", self._on_quote)
        self.subscribe(f"data.bar.{ex}.*.*", self._on_bar)
        self._wake_at = NEVER  # a stop cancelled the alert
        self._reschedule()

    def on_stop(self) -> None:
        self.bus.deregister_endpoint(topics.exec_client(self.exchange_id))

    def _open_ledgers(self) -> None:
        ids = self._account_ids or tuple(
            a.account_id for a in self.store.list_accounts() if a.exchange_id == self.exchange_id
        )
        for account_id in ids:
            account = self.store.get_account(account_id)
            if account is None or account.exchange_id != self.exchange_id:
                raise ConfigError("accounts", f"{account_id!r} is not an account on {self.exchange_id}")
            # The venue keeps its own books: a copy, never the Store's account (the Portfolio's).
            venue_account = msgspec.structs.replace(
                account,
                balance=dict(account.balance),
                available_balance={},
                used_balance={},
            )
            # the account's position mode is the venue's setting: hedge mode keeps long and short apart
            ledger = Ledger(
                venue_account, hedge_mode=account.hedge_mode, position_id_prefix=f"SIM-{account_id}"
            )
            self._ledgers[account_id] = ledger
            if account.account_type is TradingType.FUTURES:
                self._futures.append(ledger)

    def ledger(self, account_id: str) -> Ledger:
        """The venue's ledger of an account it serves (``KeyError`` otherwise)."""
        return self._ledgers[account_id]

    def order(self, client_order_id: str) -> SimOrder | None:
        """The venue's record of an order, or None if it never received it."""
        return self._orders.get(client_order_id)

    # -- commands -------------------------------------------------------------------------------

    def execute(self, command: _Command) -> None:
        """The ``exec_client`` endpoint: process a command now, or when its latency has passed."""
        handler = self._commands_by_type.get(type(command))
        if handler is None:
            raise TypeError(f"the simulated exchange cannot execute {type(command).__name__}")
        now = self.clock.timestamp_ns()
        if self._latency:
            self._commands.append((now + self._latency, command))
            self._reschedule()
            return
        if now >= self._due_at:  # else nothing is due or held (``_reschedule`` keeps ``_due_at``)
            self._housekeeping(now)
        handler(command, now)
        self._reschedule()

    def _submit(self, cmd: SubmitOrder, now: int) -> None:
        self._order_seq += 1
        seq = self._order_seq
        market = self._market(cmd.symbol)
        order = SimOrder(
            seq=seq,
            client_order_id=cmd.client_order_id,
            account_id=cmd.trading_account_id,
            execution_id=cmd.execution_id,
            symbol=cmd.symbol,
            side=cmd.side,
            order_type=cmd.order_type,
            quantity=cmd.quantity,
            price=cmd.price if cmd.price is not None else Decimal(0),
            time_in_force=cmd.time_in_force,
            expire_time=cmd.expire_time,
            post_only=cmd.post_only,
            reduce_only=cmd.reduce_only,
            leverage=cmd.leverage or 1,
            position_side=cmd.position_side,
        )
        duplicate = cmd.client_order_id in self._orders
        if not duplicate:
            self._orders[cmd.client_order_id] = order
        try:
            if duplicate:
                raise _Refused("duplicate_client_order_id", f"{cmd.client_order_id} was already used")
            ledger, reference, cost = self._admit(cmd, order, market, seq, now)
        except _Refused as refusal:
            order.close(OrderStatus.REJECTED, refusal.code)
            self._outbox.send(
                OrderRejected(
                    ts_event=now,
                    ts_init=now,
                    client_order_id=cmd.client_order_id,
                    trading_account_id=cmd.trading_account_id,
                    exchange_id=self.exchange_id,
                    symbol=cmd.symbol,
                    reason_code=refusal.code,
                    reason=refusal.reason,
                )
            )
            return
        if cost is not None:
            ledger.lock_cost(order.client_order_id, cost[0], cost[1], order.remaining)
            order.locked = True
        order.exchange_order_id = f"SIM-{seq}"
        self._open[order.client_order_id] = order
        accepted = OrderAccepted(
            ts_event=now,
            ts_init=now,
            client_order_id=order.client_order_id,
            trading_account_id=order.account_id,
            exchange_id=self.exchange_id,
            symbol=order.symbol,
            exchange_order_id=order.exchange_order_id,
        )
        self._outbox.accepted(accepted, seq, now)
        if order.expire_time is not None and order.time_in_force is TimeInForce.GTD:
            heapq.heappush(self._expiries, (order.expire_time, seq, order))
        if reference is None:
            market.wait(order)
        else:
            self._arrive(market, order, reference[0], reference[1], now)

    def _admit(
        self, cmd: SubmitOrder, order: SimOrder, market: Market, seq: int, now: int
    ) -> tuple[Ledger, tuple[Decimal, Decimal] | None, tuple[str, Decimal] | None]:
        """Every venue check of a new order; raises ``_Refused``. Returns the account's ledger, where
        the order takes liquidity now (None: it waits for the next price) and what it must lock
        (``Ledger.order_cost``; None: no price to value it yet)."""
        if cmd.order_type is not OrderType.MARKET and cmd.order_type is not OrderType.LIMIT:
            raise _Refused("unsupported_order_type", f"market and limit orders only, not {cmd.order_type}")
        ledger = self._ledgers.get(cmd.trading_account_id)
        if ledger is None:
            raise _Refused("unknown_account", f"{cmd.trading_account_id} has no account here")
        instrument = market.instrument
        if instrument is None:
            raise _Refused("unknown_instrument", f"{cmd.symbol} is not traded on {self.exchange_id}")
        try:
            check_quantity(cmd.quantity, instrument)
            if cmd.order_type is OrderType.LIMIT:
                if cmd.price is None:
                    raise _Refused("order.price.missing", "a limit order needs a price")
                check_price(cmd.price, instrument)
            if not ledger.is_spot:
                check_leverage(order.leverage, instrument)
        except ValidationError as error:
            raise _Refused(error.rule, str(error)) from None
        if cmd.time_in_force is TimeInForce.GTD and (cmd.expire_time is None or cmd.expire_time <= now):
            raise _Refused("invalid_expire_time", f"a GTD order must expire after now ({now})")
        if ledger.hedge_mode and cmd.position_side is None:
            raise _Refused("position_side_required", "a hedge-mode account's order names its position side")
        rule = self._outbox.misbehaviour.rejection(seq, cmd.client_order_id)
        if rule is not None:
            raise _Refused(rule.reason_code, rule.reason)
        # A hedge-mode order against its slot closes that slot, like reduce-only (Binance -2022).
        order.reduces = not ledger.is_spot and (
            cmd.reduce_only
            or (
                ledger.hedge_mode
                and (cmd.position_side is PositionSide.LONG) is not (cmd.side is OrderSide.BUY)
            )
        )
        if order.reduces and not self._reducible(ledger, instrument, order):
            raise _Refused("reduce_only_rejected", "the order may only reduce a position, and there is none")
        reference = market.taker_price(cmd.side)
        if cmd.trigger_price is not None:
            met = market.stop_fill_price(cmd.side, cmd.trigger_price, cmd.ts_event)
            if met is not None:
                reference = (met, INFINITE)
        if (
            reference is not None
            and cmd.post_only
            and cmd.order_type is OrderType.LIMIT
            and marketable(cmd.side, order.price, reference[0])
        ):
            raise _Refused(POST_ONLY_WOULD_TAKE, f"post-only at {order.price} would take at {reference[0]}")
        if cmd.order_type is OrderType.LIMIT:
            cost_price: Decimal | None = order.price
        else:  # market.estimate(cmd.side), from the taker price just read
            cost_price = reference[0] if reference is not None else market.bar_close
        cost = None
        if cost_price is not None:
            # computed once: checked here, locked as is once the order is accepted
            cost = ledger.order_cost(
                instrument,
                cmd.side,
                order.remaining,
                cost_price,
                order.leverage,
                cmd.reduce_only,
                cmd.position_side,
            )
            shortfall = ledger.shortfall(*cost)
            if shortfall is not None:
                raise _Refused(shortfall, f"{cmd.quantity} {cmd.symbol} at {cost_price} is not covered")
        return ledger, reference, cost

    def _cancel(self, cmd: CancelOrder, now: int) -> None:
        order = self._open.get(cmd.client_order_id)
        if order is None or order.account_id != cmd.trading_account_id:
            self._report(cmd, now, f"cancel_rejected:{self._why_closed(cmd)}")
            return
        self._finish(order, cmd.reason or "user", now)

    def _cancel_all(self, cmd: CancelAllOrders, now: int) -> None:
        for order in list(self._open.values()):
            if (
                order.account_id == cmd.trading_account_id
                and (not cmd.symbol or order.symbol == cmd.symbol)
                and (not cmd.execution_id or order.execution_id == cmd.execution_id)
            ):
                self._finish(order, cmd.reason or "user", now)

    def _modify(self, cmd: ModifyOrder, now: int) -> None:
        """Re-price and/or re-size an open limit order (``quantity`` is the new total); a new price
        that reaches the market takes liquidity at once, as on a venue."""
        order = self._open.get(cmd.client_order_id)
        if order is None or order.account_id != cmd.trading_account_id:
            self._report(cmd, now, f"modify_rejected:{self._why_closed(cmd)}")
            return
        market = self._markets[order.symbol]
        instrument = market.instrument
        assert instrument is not None
        ledger = self._ledgers[order.account_id]
        price = order.price if cmd.price is None else cmd.price
        quantity = order.quantity if cmd.quantity is None else cmd.quantity
        waiting = order in market.waiting
        reference = None if waiting else market.taker_price(order.side)
        try:
            if order.order_type is not OrderType.LIMIT:
                raise _Refused("not_modifiable", "only a limit order can be modified")
            if quantity <= order.filled:
                raise _Refused("quantity_below_filled", f"{order.filled} is already filled")
            check_quantity(quantity, instrument)
            check_price(price, instrument)
            if order.post_only and reference is not None and marketable(order.side, price, reference[0]):
                raise _Refused(POST_ONLY_WOULD_TAKE)
            ledger.release_order(order.client_order_id)
            shortfall = ledger.can_afford(
                instrument,
                order.side,
                quantity - order.filled,
                price,
                order.leverage,
                order.reduce_only,
                order.position_side,
            )
            if shortfall is not None:
                self._lock(ledger, instrument, order, order.price)
                raise _Refused(shortfall)
        except ValidationError as error:
            self._report(cmd, now, f"modify_rejected:{error.rule}")
            return
        except _Refused as refusal:
            self._report(cmd, now, f"modify_rejected:{refusal.code}")
            return
        if not waiting:
            market.remove(order)
        order.quantity = quantity
        order.reprice(price)
        self._lock(ledger, instrument, order, price)
        self._outbox.send(
            OrderUpdated(
                ts_event=now,
                ts_init=now,
                client_order_id=order.client_order_id,
                trading_account_id=order.account_id,
                exchange_id=self.exchange_id,
                symbol=order.symbol,
                quantity=quantity,
                price=price,
            )
        )
        if waiting:
            return
        if reference is None:
            market.rest(order)
        else:
            self._arrive(market, order, reference[0], reference[1], now)

    def _query(self, cmd: QueryOrder, now: int) -> None:
        self._report(cmd, now, "")

    def _why_closed(self, cmd: CancelOrder | ModifyOrder) -> str:
        order = self._orders.get(cmd.client_order_id)
        if order is None or order.account_id != cmd.trading_account_id:
            return "unknown_order"
        return order.status.value

    def _report(self, cmd: CancelOrder | ModifyOrder | QueryOrder, now: int, reason: str = "") -> None:
        """Answer with the order as the venue knows it (``reason``: why a request was refused, else the
        order's own reason). An order it never received reads as rejected, ``unknown_order``."""
        order = self._orders.get(cmd.client_order_id)
        if order is None or order.account_id != cmd.trading_account_id:
            report = OrderStatusReport(
                ts_event=now,
                ts_init=now,
                client_order_id=cmd.client_order_id,
                trading_account_id=cmd.trading_account_id,
                exchange_id=self.exchange_id,
                symbol=cmd.symbol,
                exchange_order_id="",
                status=OrderStatus.REJECTED,
                filled_quantity=Decimal(0),
                reason=reason or "unknown_order",
            )
        else:
            instrument = self._markets[order.symbol].instrument
            report = OrderStatusReport(
                ts_event=now,
                ts_init=now,
                client_order_id=order.client_order_id,
                trading_account_id=order.account_id,
                exchange_id=self.exchange_id,
                symbol=order.symbol,
                exchange_order_id=order.exchange_order_id,
                status=order.status,
                filled_quantity=order.filled,
                average_price=order.average_price,
                reason=reason or order.reason,
                fee=order.fees,
                fee_currency=instrument.quote_currency if instrument is not None else "",
            )
        self._outbox.send(report)

    # -- market data ------------------------------------------------------------------------------

    def _on_trade(self, tick: TradeTick) -> None:
        market = self._markets.get(tick.symbol) or self._market(tick.symbol)
        price = tick.price
        bid, ask = market.bid, market.ask
        if bid is not None and ask is not None and not bid <= price <= ask:
            market.drop_quote()  # a trade outside the last quote proves it out of date
        if (
            market.active
            or tick.ts_event >= self._due_at
            # Market.liquidates inlined: this runs on every tick while a position is open
            or (
                market.watch_liquidation
                and (price <= market.long_liquidation or price >= market.short_liquidation)
            )
        ):
            self._trade(market, tick)
        else:
            market.last_trade = price

    def _trade(self, market: Market, tick: TradeTick) -> None:
        ts = tick.ts_event
        if ts >= self._due_at:
            self._catch_up(ts)
        market.last_trade = tick.price
        if market.waiting:
            self._arrive_waiting(market, ts, None)
        if (market.buys or market.sells) and market.crossed_by(tick.price):
            liquidity = self._model.trade_liquidity(tick.quantity)
            self._book(market, market.match_trade(tick.price, liquidity), ts)
        if market.watch_liquidation and market.liquidates(tick.price):
            self._liquidate_due(market, tick.price, ts)

    def _on_quote(self, quote: QuoteTick) -> None:
        market = self._markets.get(quote.symbol) or self._market(quote.symbol)
        if market.active or quote.ts_event >= self._due_at or market.watch_liquidation:
            self._quote(market, quote)
        else:
            market.bid, market.bid_size = quote.bid_price, quote.bid_size
            market.ask, market.ask_size = quote.ask_price, quote.ask_size

    def _quote(self, market: Market, quote: QuoteTick) -> None:
        ts = quote.ts_event
        if ts >= self._due_at:
            self._catch_up(ts)
        market.bid, market.bid_size = quote.bid_price, quote.bid_size
        market.ask, market.ask_size = quote.ask_price, quote.ask_size
        if market.waiting:
            self._arrive_waiting(market, ts, None)
        if market.buys or market.sells:
            self._book(market, market.match_quote(), ts)
        if market.watch_liquidation:
            mid = (quote.bid_price + quote.ask_price) / 2
            if market.liquidates(mid):
                self._liquidate_due(market, mid, ts)

    def _on_bar(self, bar: Bar) -> None:
        ts = bar.ts_event
        if ts >= self._due_at:
            self._catch_up(ts)
        market = self._markets.get(bar.symbol) or self._market(bar.symbol)
        if market.last_trade is not None or market.bid is not None:
            return  # finer data drives this instrument; a bar would count its volume again
        wanted = self.config.bar_interval or market.bar_interval or bar.interval
        if bar.interval != wanted:
            return
        market.bar_interval = wanted
        if market.active:
            liquidity = None  # what the bar offers resting orders, made when one is there
            if market.waiting:
                self._arrive_waiting(market, ts, (bar.open, INFINITE))
            for price in bar_path(bar):
                if market.buys or market.sells:
                    if liquidity is None:
                        liquidity = self._model.bar_liquidity(bar)
                    self._book(market, market.match_trade(price, liquidity), ts)
                if market.watch_liquidation and market.liquidates(price):
                    self._liquidate_due(market, price, ts)
        elif market.watch_liquidation and (  # no orders: only a liquidation can happen
            bar.low <= market.long_liquidation or bar.high >= market.short_liquidation
        ):  # the bar reaches a threshold (the common case: it does not, and nothing is walked)
            for price in bar_path(bar):
                # Market.liquidates, inlined; a liquidation updates the thresholds read here
                if price <= market.long_liquidation or price >= market.short_liquidation:
                    self._liquidate_due(market, price, ts)
        market.bar_close, market.bar_ts = bar.close, ts

    def _market(self, symbol: str) -> Market:
        """The instrument's market, made on first sight; an instrument the Store learns later is bound
        when an order for it comes in."""
        market = self._markets.get(symbol)
        if market is None:
            instrument = self.store.get_instrument(self.exchange_id, symbol)
            market = self._markets[symbol] = Market(instrument, self._model, next_open=self._next_open)
        elif market.instrument is None:
            instrument = self.store.get_instrument(self.exchange_id, symbol)
            if instrument is not None:
                market.bind(instrument)
        return market

    # -- matching and booking -------------------------------------------------------------------

    def _arrive_waiting(self, market: Market, ts: int, reference: tuple[Decimal, Decimal] | None) -> None:
        waiting, market.waiting = market.waiting, []
        for order in waiting:
            if not order.is_open:
                continue
            where = reference or market.taker_price(order.side)
            if where is None:
                market.waiting.append(order)
            else:
                self._arrive(market, order, where[0], where[1], ts)
        market.refresh()

    def _arrive(self, market: Market, order: SimOrder, price: Decimal, available: Decimal, ts: int) -> None:
        arrival = arrive(order, price, available, market.step)
        if arrival.reject_reason:  # decided late (the order waited for a price): it was accepted
            self._finish(order, arrival.reject_reason, ts)
            return
        if arrival.fill_quantity and not self._fill(
            market, order, arrival.fill_price, arrival.fill_quantity, LiquiditySide.TAKER, ts=ts
        ):
            return
        if arrival.cancel_reason:
            self._finish(order, arrival.cancel_reason, ts)
        elif arrival.rest and order.is_open:
            market.rest(order)

    def _book(self, market: Market, fills: list[Fill], ts: int) -> None:
        for order, price, quantity, liquidity_side in fills:
            if order.is_open:
                self._fill(market, order, price, quantity, liquidity_side, ts=ts)

    def _fill(
        self,
        market: Market,
        order: SimOrder,
        price: Decimal,
        quantity: Decimal,
        liquidity_side: LiquiditySide,
        *,
        ts: int,
    ) -> bool:
        """Book one fill of ``order`` in the venue ledger and report it; False if the order ended
        instead (reduce-only with nothing to reduce, or funds that do not cover it)."""
        instrument = market.instrument
        assert instrument is not None
        ledger = self._ledgers[order.account_id]
        capped = False
        if order.reduces:
            reducible = self._reducible(ledger, instrument, order)
            if not reducible:
                self._finish(order, "reduce_only", ts)
                return False
            capped = reducible < quantity
            quantity = min(quantity, reducible)
        if not order.locked:
            shortfall = ledger.can_afford(
                instrument,
                order.side,
                quantity,
                price,
                order.leverage,
                order.reduce_only,
                order.position_side,
            )
            if shortfall is not None:
                self._finish(order, shortfall, ts)
                return False
        specs = instrument.contract_specifications
        rate = specs.maker_fee if liquidity_side is LiquiditySide.MAKER else specs.taker_fee
        charged = fee(price, quantity * specs.contract_size, rate)
        if order.locked:
            ledger.release_order(order.client_order_id, quantity)
        try:
            ledger.apply_fill(
                instrument,
                order.side,
                quantity,
                price,
                charged,
                instrument.quote_currency,
                datetime_from_ns(ts),
                position_side=order.position_side,
                leverage=order.leverage,
                execution_id=order.execution_id,
            )
        except AccountingError:  # the price moved past what was locked (an order that waited for a price)
            self._finish(order, INSUFFICIENT_BALANCE if ledger.is_spot else INSUFFICIENT_MARGIN, ts)
            return False
        order.record_fill(quantity, price, charged)
        self._fill_seq += 1
        filled = OrderFilled(
            ts_event=ts,
            ts_init=ts,
            client_order_id=order.client_order_id,
            trading_account_id=order.account_id,
            exchange_id=self.exchange_id,
            symbol=order.symbol,
            exchange_order_id=order.exchange_order_id,
            fill_id=f"SIM-F-{self._fill_seq}",
            side=order.side,
            price=price,
            quantity=quantity,
            fee=charged,
            fee_currency=instrument.quote_currency,
            liquidity_side=liquidity_side,
            position_side=order.position_side,
        )
        self._outbox.filled(filled, order.seq, order.fills)
        if order.status is OrderStatus.FILLED:
            del self._open[order.client_order_id]
            order.locked = False
            market.remove(order)
        if not ledger.is_spot:
            self._watch(market)
        if capped and order.is_open:
            self._finish(order, "reduce_only", ts)
            return False
        return True

    def _finish(self, order: SimOrder, reason: str, ts: int) -> None:
        """Cancel an open order at the venue: out of the book, funds released, ``OrderCancelled``."""
        order.close(OrderStatus.CANCELLED, reason)
        self._open.pop(order.client_order_id, None)
        self._markets[order.symbol].remove(order)
        if order.locked:
            self._ledgers[order.account_id].release_order(order.client_order_id)
            order.locked = False
        self._outbox.send(
            OrderCancelled(
                ts_event=ts,
                ts_init=ts,
                client_order_id=order.client_order_id,
                trading_account_id=order.account_id,
                exchange_id=self.exchange_id,
                symbol=order.symbol,
                reason=reason,
                filled_quantity=order.filled,
            )
        )

    def _lock(self, ledger: Ledger, instrument: TradingInstrument, order: SimOrder, price: Decimal) -> None:
        ledger.lock_order(
            order.client_order_id,
            instrument,
            order.side,
            order.remaining,
            price,
            order.leverage,
            order.reduce_only,
            order.position_side,
        )
        order.locked = True

    def _reducible(self, ledger: Ledger, instrument: TradingInstrument, order: SimOrder) -> Decimal:
        """How much of ``order`` closes the account's position (what a reduce-only order may fill)."""
        slot = order.position_side if ledger.hedge_mode else None
        position = ledger.position(instrument.exchange_id, instrument.symbol, slot)
        if position is None or (position.side is PositionSide.LONG) is (order.side is OrderSide.BUY):
            return Decimal(0)
        return min(order.remaining, position.quantity)

    # -- liquidation ------------------------------------------------------------------------------

    def _watch(self, market: Market) -> None:
        """A position changed: recompute the market's liquidation thresholds (see ``Market``)."""
        instrument = market.instrument
        assert instrument is not None
        long_at, short_at = NO_LONG_LIQUIDATION, NO_SHORT_LIQUIDATION
        for ledger in self._futures:
            for position in ledger.positions_in(instrument.exchange_id, instrument.symbol):
                price = position.liquidation_price
                if price is None:
                    continue
                if position.side is PositionSide.LONG:
                    long_at = max(long_at, price)
                else:
                    short_at = min(short_at, price)
        market.long_liquidation, market.short_liquidation = long_at, short_at
        market.watch_liquidation = long_at != NO_LONG_LIQUIDATION or short_at != NO_SHORT_LIQUIDATION

    def _liquidate_due(self, market: Market, price: Decimal, ts: int) -> None:
        instrument = market.instrument
        assert instrument is not None
        liquidated = False
        for ledger in self._futures:
            for position in ledger.liquidation_due(instrument.exchange_id, instrument.symbol, price):
                self._liquidate(ledger, instrument, position, ts)
                liquidated = True
        if liquidated:
            self._watch(market)

    def _liquidate(self, ledger: Ledger, instrument: TradingInstrument, position: Position, ts: int) -> None:
        """Close a position at its liquidation price with a venue-generated taker fill."""
        price = position.liquidation_price
        assert price is not None
        quantity = position.quantity
        side = OrderSide.SELL if position.side is PositionSide.LONG else OrderSide.BUY
        specs = instrument.contract_specifications
        charged = fee(price, quantity * specs.contract_size, specs.taker_fee)
        ledger.apply_fill(
            instrument,
            side,
            quantity,
            price,
            charged,
            instrument.quote_currency,
            datetime_from_ns(ts),
            position_side=position.side,
            leverage=position.leverage,
            liquidation=True,
        )
        self._liquidation_seq += 1
        self._fill_seq += 1
        client_order_id = f"SIM-LIQ-{self._liquidation_seq}"
        self._outbox.send(
            OrderFilled(
                ts_event=ts,
                ts_init=ts,
                client_order_id=client_order_id,
                trading_account_id=ledger.account.account_id,
                exchange_id=self.exchange_id,
                symbol=instrument.symbol,
                exchange_order_id=client_order_id,
                fill_id=f"SIM-F-{self._fill_seq}",
                side=side,
                price=price,
                quantity=quantity,
                fee=charged,
                fee_currency=instrument.quote_currency,
                liquidity_side=LiquiditySide.TAKER,
                position_side=position.side,
                liquidation=True,
            )
        )

    # -- time: latency, expiry, delayed events ---------------------------------------------------

    def _housekeeping(self, now: int) -> None:
        """Everything due at or before ``now``, in time order: delayed events, expiries, commands."""
        outbox = self._outbox
        if outbox.holds_for_next_input:
            outbox.release_next_input()
        while True:
            event_due = outbox.next_due()
            event_due = NEVER if event_due is None else event_due
            expiry_due = self._expiries[0][0] if self._expiries else NEVER
            command_due = self._commands[0][0] if self._commands else NEVER
            due = min(event_due, expiry_due, command_due)
            if due > now:
                break
            if event_due == due:
                outbox.release_due(due)
            elif expiry_due == due:
                _, _, order = heapq.heappop(self._expiries)
                if order.is_open:
                    self._finish(order, "expired", due)
            else:
                _, command = self._commands.popleft()
                self._commands_by_type[type(command)](command, due)

    def _catch_up(self, now: int) -> None:
        self._housekeeping(now)
        self._reschedule()

    def _reschedule(self) -> None:
        """Recompute when data must next do housekeeping, and keep one clock alert at that time."""
        outbox = self._outbox
        event_due = outbox.next_due()
        due = min(
            NEVER if event_due is None else event_due,
            self._expiries[0][0] if self._expiries else NEVER,
            self._commands[0][0] if self._commands else NEVER,
        )
        self._due_at = -1 if outbox.holds_for_next_input else due
        if due != self._wake_at and self.is_running:
            if self._wake_at != NEVER:
                self.cancel_timer(f"wake.{self._wake_at}")
            self._wake_at = due
            if due != NEVER:
                # one name per due time: a fire already queued for a replaced alert is never mistaken
                # for the new one (the actor drops fires of cancelled timers)
                self.set_time_alert(f"wake.{due}", due, self._on_wake)

    def _on_wake(self, event: TimerEvent) -> None:
        self._wake_at = NEVER
        self._catch_up(event.ts_event)

    def _deliver(self, event: Any) -> None:
        self.bus.send(topics.EXEC_ENGINE_EVENTS, event)
