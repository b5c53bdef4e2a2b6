"""The Portfolio books order events into positions and balances, so Store and strategies see what fills did.

It keeps one ``Ledger`` per trading account (over the Store's own ``TradingAccount``: the Store's
balances *are* the ledger's) and one sub-ledger per (account, strategy execution): the view of the
account's fills that one execution caused. Sub-ledgers are non-strict ledgers over a private
account that starts empty: their positions are the execution's net positions (the signed positions of
every execution sum to the account's, whatever netting happened between them), their
``total_pnl`` is that execution's realized PnL net of fees, and their balances are the net cash flows
of its fills (they may be below zero). Marked at the same prices, the executions' realized +
unrealized PnL - fees sums to the account's; realized PnL alone does not (when one execution closes
what another opened, the account realizes what stays unrealized in both views). Only account
positions go into the Store.

Per order event (subscribed on ``events.order.*`` with priority ``ORDER_EVENT_PRIORITY``, so fills are
booked before strategies handle the same event and read the Portfolio):

- ``OrderAccepted``: reserve the order's cost (limit price, else the last price, else the stop
  price; nothing if no price is known yet). ``OrderUpdated`` re-reserves what is left at the new price.
  A reduce-only order the OrderEmulator merely holds (its acknowledgement's ``exchange_order_id``
  starts ``EMULATED_PREFIX``: a bracket's stop-loss) reserves nothing until the venue acknowledges it
  released: no venue locks anything for it, it only gives back what the position holds, and on a
  spot account its take-profit, resting at the venue, already holds the same coins (one cancels the
  other: the bracket's exits hold them once). Other held orders (a stop entry) reserve as before.
- ``OrderCancelled`` / ``OrderRejected`` (and an ``OrderStatusReport`` in a terminal status): release it.
- ``OrderFilled``: book the fill in the account ledger and the execution's sub-ledger, release the
  filled part of the reservation (all of it once the order is done), add new account positions to
  the Store, mark every ledger holding the instrument at one price (the last trade, else the fill
  price), then publish, in this order: the execution's view (``PositionOpened`` / ``Changed`` /
  ``Closed`` / ``Liquidated`` of its sub-ledger) on ``topics.position_events(execution_id)``; the
  account's view (the same events for the account's positions) on
  ``topics.account_position_events(account_id)``; and ``AccountState`` on
  ``topics.account_events(account_id)``. An order event without an execution id counts as
  ``topics.EXTERNAL_EXECUTION``.
- A liquidation ``OrderFilled`` (``liquidation=True``): the account ledger books the one venue fill;
  the account position it liquidates may have been built by several executions, so instead of the
  order's execution taking it all, every execution holding a part of that position (in its
  sub-ledger) gives up the same share of its part at the liquidation price, with the fee shared in
  proportion to the quantity each part trades (``_book_liquidation``): each gets its own
  ``PositionLiquidated`` (``PositionChanged`` for a partial liquidation) and realized PnL.

Every change to reservations or balances publishes an ``AccountState``. Marks: a trade tick or a bar
only stores its price (two dict lookups, no Decimal math); reads through the public API mark first,
so they are never staler than the last tick or bar. A Store position (the account ledger's own
object) is as fresh as the last read of its account or the last fill on its instrument.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine import topics
from engine.actor import Actor
from engine.bus import MessageBus
from engine.clock import Clock
from engine.components.orders import is_emulated
from engine.messages import (
    AccountState,
    Balance,
    Bar,
    OrderAccepted,
    OrderCancelled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    OrderUpdated,
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionLiquidated,
    PositionOpened,
    TradeTick,
)
from engine.model import (
    ORDER_MACHINE,
    Order,
    OrderSide,
    Position,
    PositionSide,
    Store,
    TradingAccount,
    datetime_from_ns,
)
from engine.model.accounting import FillResult, Ledger, PositionChange, fraction

ORDER_EVENT_PRIORITY = 10

_EVENT_TYPES: dict[PositionChange, type[PositionEvent]] = {
    PositionChange.OPENED: PositionOpened,
    PositionChange.FLIPPED: PositionOpened,
    PositionChange.INCREASED: PositionChanged,
    PositionChange.REDUCED: PositionChanged,
    PositionChange.CLOSED: PositionClosed,
    PositionChange.LIQUIDATED: PositionLiquidated,
}


class Portfolio(Actor):
    """Positions, balances, PnL and margin of every account in the Store (see the module docstring).

    A futures account keeps positions per side when its ``hedge_mode`` is set, else nets them.
    Ledgers are created when an account is first needed, from the Store's account, which must then
    be flat (no positions, no open reservations).
    """

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        store: Store,
        *,
        actor_id: str = "Portfolio",
    ) -> None:
        super().__init__(actor_id, bus, clock)
        self.store = store
        self._ledgers: dict[str, Ledger] = {}
        self._executions: dict[tuple[str, str], Ledger] = {}  # (account_id, execution_id)
        # exchange_id -> symbol -> last price: two plain lookups per tick beat building a tuple key
        self._last: defaultdict[str, dict[str, Decimal]] = defaultdict(dict)
        # A fill marks every ledger at once; a trade or a bar only records its price, and a ledger is
        # marked when it is read. The count of prices recorded, and where each ledger was marked,
        # tell a read whether that is needed: the equity curve reads one sub-ledger after every bar,
        # and the account's ledger is left alone until something asks for it.
        self._prices_seen = 0
        self._marked_at: dict[Ledger, int] = {}
        self._handlers: dict[type, Callable[[Any], None]] = {
            OrderAccepted: self._on_accepted,
            OrderUpdated: self._on_updated,
            OrderCancelled: self._on_done,
            OrderRejected: self._on_done,
            OrderStatusReport: self._on_report,
            OrderFilled: self._on_filled,
        }

    def on_start(self) -> None:
        self.subscribe("events.order.*", self._on_order_event, priority=ORDER_EVENT_PRIORITY)
        self.subscribe("data.trade.*.*", self._on_trade)
        self.subscribe("data.bar.*.*.*", self._on_bar)

    # -- public read API (marks first) ------------------------------------------------------------

    def ledger(self, account_id: str) -> Ledger:
        """The account's ledger, marked at the last prices. Raises ``KeyError`` for an unknown account."""
        ledger = self._account_ledger(account_id)
        self._mark(ledger)
        return ledger

    def execution_ledger(self, account_id: str, execution_id: str) -> Ledger:
        """The sub-ledger of one execution on an account, marked at the last prices."""
        ledger = self._execution_ledger(account_id, execution_id or topics.EXTERNAL_EXECUTION)
        self._mark(ledger)
        return ledger

    def position(
        self,
        account_id: str,
        exchange_id: str,
        symbol: str,
        slot: PositionSide | None = None,
        execution_id: str | None = None,
    ) -> Position | None:
        """The open position in a slot (``None`` in one-way mode): the account's, or with
        ``execution_id`` that execution's view."""
        return self._view(account_id, execution_id).position(exchange_id, symbol, slot)

    def positions(self, account_id: str, execution_id: str | None = None) -> list[Position]:
        """Open positions of the account, or of one execution's view, in the order they were opened."""
        return self._view(account_id, execution_id).open_positions()

    def account(self, account_id: str) -> TradingAccount | None:
        """The Store's account, with balances as of the last event (``None`` if the Store has none)."""
        if self.store.get_account(account_id) is None:
            return None
        return self._account_ledger(account_id).account

    def equity(self, account_id: str, currency: str | None = None) -> Decimal:
        """Balance plus unrealized PnL (futures) or plus the value of open positions (spot) in
        ``currency`` (default: the account's first balance currency, its settlement currency)."""
        ledger = self.ledger(account_id)
        balance = ledger.account.balance
        if currency is None:
            currency = next(iter(balance), "")
        return ledger.equity(currency)

    def equity_reader(self, account_id: str, execution_id: str, currency: str) -> Callable[[], Decimal]:
        """A function returning ``execution_ledger(account_id, execution_id).equity(currency)`` in
        fewer steps: the equity curve calls it after every bar."""
        ledger = self._execution_ledger(account_id, execution_id or topics.EXTERNAL_EXECUTION)
        mark, equity = self._mark, ledger.equity

        def read() -> Decimal:
            mark(ledger)
            return equity(currency)

        return read

    def unrealized_pnl(self, account_id: str, execution_id: str | None = None) -> Decimal:
        return self._view(account_id, execution_id).unrealized_pnl

    def realized_pnl(self, account_id: str, execution_id: str | None = None) -> Decimal:
        """Gross realized PnL (fees are in ``TradingAccount.total_pnl``)."""
        return self._view(account_id, execution_id).realized_pnl

    def last_price(self, exchange_id: str, symbol: str) -> Decimal | None:
        return self._price(exchange_id, symbol)

    # -- market data ------------------------------------------------------------------------------

    def _on_trade(self, tick: TradeTick) -> None:
        self._last[tick.exchange_id][tick.symbol] = tick.price
        self._prices_seen += 1

    def _on_bar(self, bar: Bar) -> None:
        self._last[bar.exchange_id][bar.symbol] = bar.close
        self._prices_seen += 1

    # -- order events -----------------------------------------------------------------------------

    def _on_order_event(self, event: OrderEvent) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _on_accepted(self, event: OrderAccepted) -> None:
        if is_emulated(event.exchange_order_id):
            order = self.store.get_order(event.client_order_id)
            if order is not None and order.reduce_only:
                return  # a held exit: it gives back what the position holds, and nothing is locked yet
        self._reserve(event)

    def _on_updated(self, event: OrderUpdated) -> None:
        ledger = self._account_ledger(event.trading_account_id)
        if ledger.locked(event.client_order_id):
            self._reserve(event)

    def _on_done(self, event: OrderCancelled | OrderRejected | OrderStatusReport) -> None:
        ledger = self._account_ledger(event.trading_account_id)
        if ledger.release_order(event.client_order_id):
            self._publish_account(ledger, event.ts_event)

    def _on_report(self, event: OrderStatusReport) -> None:
        if ORDER_MACHINE.is_terminal(event.status):
            self._on_done(event)

    def _reserve(self, event: OrderEvent) -> None:
        ledger = self._account_ledger(event.trading_account_id)
        order = self.store.get_order(event.client_order_id)
        if order is None or order.is_terminal:
            ledger.release_order(event.client_order_id)
            return
        price = self._reservation_price(order)
        if price is None:
            self.log.info("reservation_skipped", order_id=order.order_id, reason="no price known yet")
            return
        amount = ledger.lock_order(
            order.order_id,
            order.instrument,
            order.side,
            order.remaining_quantity,
            price,
            order.leverage or 1,
            order.reduce_only,
            order.position_side,
        )
        if amount:
            self._publish_account(ledger, event.ts_event)

    def _reservation_price(self, order: Order) -> Decimal | None:
        if order.price is not None:
            return order.price
        last = self._price(order.instrument.exchange_id, order.instrument.symbol)
        return last if last is not None else order.stop_price

    def _on_filled(self, fill: OrderFilled) -> None:
        account_id = fill.trading_account_id
        execution_id = fill.execution_id or topics.EXTERNAL_EXECUTION
        instrument = self.store.get_instrument(fill.exchange_id, fill.symbol)
        if instrument is None:
            self.log.error("fill_for_unknown_instrument", fill_id=fill.fill_id, symbol=fill.symbol)
            return
        ledger = self._account_ledger(account_id)
        order = self.store.get_order(fill.client_order_id)
        leverage = order.leverage if order is not None and order.leverage else 1
        ts = datetime_from_ns(fill.ts_event)

        def book(
            target: Ledger,
            side: OrderSide = fill.side,
            quantity: Decimal = fill.quantity,
            fee: Decimal = fill.fee,
            owner: str = execution_id,
        ) -> FillResult:
            return target.apply_fill(
                instrument,
                side,
                quantity,
                fill.price,
                fee,
                fill.fee_currency,
                ts,
                position_side=fill.position_side,
                leverage=leverage,
                execution_id=owner,
                liquidation=fill.liquidation,
            )

        slot = fill.position_side if ledger.hedge_mode else None
        held = ledger.position(fill.exchange_id, fill.symbol, slot) if fill.liquidation else None
        held_quantity = held.quantity if held is not None else Decimal(0)  # before the fill moves it
        result = book(ledger)  # the strict one first: if it refuses, nothing has changed
        views: list[tuple[str, FillResult]] = []  # (execution, what its sub-ledger did)
        if held_quantity:
            views = self._book_liquidation(account_id, fill, slot, held_quantity, book)
        if not views:
            views = [(execution_id, book(self._execution_ledger(account_id, execution_id)))]
        if order is not None and order.is_terminal:
            ledger.release_order(fill.client_order_id)
        else:
            ledger.release_order(fill.client_order_id, fill.quantity)
        for update in result.updates:
            if update.change is PositionChange.OPENED or update.change is PositionChange.FLIPPED:
                self.store.add_position(update.position)
        last = self._price(fill.exchange_id, fill.symbol)
        self._mark_instrument(fill.exchange_id, fill.symbol, fill.price if last is None else last)

        now = self.clock.timestamp_ns()
        for topic, updates in (
            *((topics.position_events(owner), own) for owner, own in views),
            (topics.account_position_events(account_id), result),
        ):
            for update in updates.updates:
                self.publish(topic, _position_event(update.position, update.change, fill.ts_event, now))
        self._publish_account(ledger, fill.ts_event)

    def _book_liquidation(
        self,
        account_id: str,
        fill: OrderFilled,
        slot: PositionSide | None,
        account_quantity: Decimal,
        book: Callable[..., FillResult],
    ) -> list[tuple[str, FillResult]]:
        """The venue liquidated ``fill.quantity`` of an account position of ``account_quantity`` that
        several executions may have built: each execution holding a part of it (its sub-ledger's
        position in the slot, of either side: the parts sum to the account's) gives up the same
        share of its part at the liquidation price, ``liquidation=True`` (all of it when the whole
        position went); the fee is shared in proportion to the quantity each part trades. The last
        part takes what rounding leaves, so the parts sum to the venue's fill exactly. Empty if no
        execution holds a part (the caller then books the fill where its execution id says)."""
        exchange_id, symbol = fill.exchange_id, fill.symbol
        parts: list[tuple[str, Ledger, Decimal]] = []  # (execution, sub-ledger, signed part)
        for (owner, execution_id), sub in self._executions.items():
            position = sub.position(exchange_id, symbol, slot) if owner == account_id else None
            if position is not None and position.quantity:
                sign = 1 if position.side is PositionSide.LONG else -1
                parts.append((execution_id, sub, position.quantity * sign))
        if not parts:
            return []
        whole = fill.quantity * fill.side.sign  # signed, what the account traded
        trades = [fraction(-part * fill.quantity / account_quantity) for _, _, part in parts[:-1]]
        trades.append(whole - sum(trades, Decimal(0)))
        traded = sum((abs(t) for t in trades), Decimal(0))  # > 0: the trades sum to the fill
        fees = [fraction(fill.fee * abs(t) / traded) for t in trades[:-1]]
        fees.append(fill.fee - sum(fees, Decimal(0)))
        views: list[tuple[str, FillResult]] = []
        for (execution_id, sub, _), trade, fee in zip(parts, trades, fees, strict=True):
            if not trade:
                continue
            side = OrderSide.BUY if trade > 0 else OrderSide.SELL
            views.append((execution_id, book(sub, side, abs(trade), fee, execution_id)))
        return views

    # -- internals --------------------------------------------------------------------------------

    def _account_ledger(self, account_id: str) -> Ledger:
        ledger = self._ledgers.get(account_id)
        if ledger is None:
            account = self.store.get_account(account_id)
            if account is None:
                raise KeyError(f"account {account_id!r} is not in the store")
            ledger = Ledger(account, hedge_mode=account.hedge_mode)
            self._ledgers[account_id] = ledger
        return ledger

    def _execution_ledger(self, account_id: str, execution_id: str) -> Ledger:
        key = (account_id, execution_id)
        ledger = self._executions.get(key)
        if ledger is None:
            parent = self._account_ledger(account_id)
            source = parent.account
            view = TradingAccount(
                account_id=source.account_id,
                user_id=source.user_id,
                exchange_id=source.exchange_id,
                account_type=source.account_type,
                created_at=source.created_at,
                updated_at=source.updated_at,
                account_name=source.account_name,
            )
            ledger = Ledger(
                view,
                hedge_mode=parent.hedge_mode,
                strict=False,
                execution_id=execution_id,
                position_id_prefix=f"{account_id}-{execution_id}",
            )
            self._executions[key] = ledger
        return ledger

    def _view(self, account_id: str, execution_id: str | None) -> Ledger:
        if execution_id is None:
            return self.ledger(account_id)
        return self.execution_ledger(account_id, execution_id)

    def _mark(self, ledger: Ledger) -> None:
        priced = self._prices_seen
        if self._marked_at.get(ledger) != priced:
            self._marked_at[ledger] = priced
            ledger.mark_all(self._last)

    def _price(self, exchange_id: str, symbol: str) -> Decimal | None:
        prices = self._last.get(exchange_id)
        return prices.get(symbol) if prices else None

    def _mark_instrument(self, exchange_id: str, symbol: str, price: Decimal) -> None:
        for ledger in self._ledgers.values():
            ledger.mark(exchange_id, symbol, price)
        for ledger in self._executions.values():
            ledger.mark(exchange_id, symbol, price)

    def _publish_account(self, ledger: Ledger, ts_event: int) -> None:
        account = ledger.account
        currencies = sorted({*account.balance, *account.available_balance, *account.used_balance})
        zero = Decimal(0)
        balances = tuple(
            Balance(
                currency,
                account.balance.get(currency, zero),
                account.available_balance.get(currency, zero),
                account.used_balance.get(currency, zero),
            )
            for currency in currencies
        )
        state = AccountState(
            ts_event=ts_event,
            ts_init=self.clock.timestamp_ns(),
            trading_account_id=account.account_id,
            exchange_id=account.exchange_id,
            balances=balances,
            total_pnl=account.total_pnl,
        )
        self.publish(topics.account_events(account.account_id), state)


def _position_event(position: Position, change: PositionChange, ts_event: int, ts_init: int) -> PositionEvent:
    instrument = position.instrument
    return _EVENT_TYPES[change](
        ts_event=ts_event,
        ts_init=ts_init,
        position_id=position.position_id,
        trading_account_id=position.trading_account_id,
        exchange_id=instrument.exchange_id,
        symbol=instrument.symbol,
        side=position.side,
        status=position.status,
        quantity=position.quantity,
        entry_price=position.entry_price,
        current_price=position.current_price,
        realized_pnl=position.realized_pnl,
        unrealized_pnl=position.unrealized_pnl,
        execution_id=position.execution_id,
        fees=position.fees,
    )
