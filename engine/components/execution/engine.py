"""The ExecutionEngine (OMS): the one place orders are created, routed and moved by what venues report.

Commands (``EXEC_ENGINE`` endpoint, from the RiskEngine and the OrderEmulator):

- ``SubmitOrder``: the order enters the Store ``pending``, then goes to the OrderEmulator if its type is
  emulated for that exchange, else to ``exec_client(exchange_id)``. The venue never sees
  ``stop_loss_price`` / ``take_profit_price``: brackets are always the emulator's (no double exits).
  If the Store refuses the order (unknown account or instrument, instrument of another exchange,
  quantity not positive) nothing is stored and an ``OrderRejected`` carrying the constraint's rule goes
  out on the execution's topic. No receiver for the route: the order is rejected ``exec.no_client``
  (``exec.no_emulator``). A client order id already in the Store is logged and counted
  (``duplicate_submits``), never rejected: a rejection would speak for the order that owns the id.
- ``OrderDenied``: the order is stored and rejected with the RiskEngine's ``reason_code``.
- ``CancelOrder`` / ``ModifyOrder`` / ``QueryOrder``: forwarded to where the order went (the emulator
  forwards them to the venue once it has released the order). Nothing changes until the venue or
  the emulator answers.
- ``CancelAllOrders``: one ``CancelOrder`` per open order of the account on that exchange (and symbol,
  unless ``""``) placed by ``execution_id``; ``topics.ALL_EXECUTIONS`` takes every execution's orders,
  orders the engine did not place included (the kill switch).
- ``ClosePosition``: a reduce-only market order, opposite side, for each open Store position of the
  account and instrument opened by ``execution_id`` (any execution with ``ALL_EXECUTIONS``), of the
  given ``position_side`` if one is set. No such position: logged, nothing sent.

Venue events (``EXEC_ENGINE_EVENTS`` endpoint) are applied to the order through its state machine and
then published, with ``execution_id`` filled in, on ``order_events(execution_id)`` (``""``, the
operator, publishes on ``order_events(EXTERNAL_EXECUTION)``). Robustness:

- a fill whose ``fill_id`` was already applied to the order is ignored (``duplicates_ignored``); a fill
  with an empty ``fill_id`` cannot be recognised and is always applied;
- a fill after a cancel request is applied: the order is open until the venue says cancelled;
- a fill records the venue's ``exchange_order_id`` when the order has none yet (its acknowledgement
  was lost) or only the emulator's placeholder; an acknowledgement arriving after the order was
  filled or cancelled (the venue's fill or cancel overtook it) only records the id if it is missing,
  is logged at debug level and published to nobody: it is normal venue behaviour, not an illegal move;
- an event for an order the OMS does not know is logged and kept in ``unmatched`` for reconciliation
  (``unmatched_events``); a liquidation fill is the exception: the venue placed that order, so the OMS
  creates it, attributed to the execution owning the liquidated position (the first open Store
  position of that account, instrument and side), else to ``EXTERNAL_EXECUTION``. A Store position
  is the account's: when several executions built it, the Portfolio (which keeps their sub-ledgers)
  liquidates each execution's part in its own view, whichever execution the order is attributed to;
- a move the order cannot make (fill on a cancelled order, cancel of a filled one, an overfill) is
  logged with the order and the event and counted (``illegal_transitions``); nothing is published;
- ``OrderStatusUnknown`` keeps the order as it is, flags it ``in_doubt`` and sends ``QueryOrder``;
  any definitive event clears the flag. So does an ``OrderCancelled`` whose ``filled_quantity`` is
  more than the order's (a fill was lost before the cancel): the cancel is not applied, the report
  brings the lost fill and the cancel together. ``OrderStatusReport`` settles the order: the events it implies
  (accepted, a reconciliation fill ``recon-<client id>-<filled>`` for quantity we missed, cancelled,
  rejected) are applied and published first, then the report itself. A reconciliation fill is priced
  so the order's average matches the venue's (the report's average price when it is the first fill).
  Its fee is what the venue says the order paid (``report.fee``, cumulative) less the fees of the fills
  we did hear of, so balances match the venue's; a venue whose order query has no fee (``None``)
  gives a fee-less fill, logged as ``reconciliation_fill_fee_unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from engine import topics
from engine.actor import Actor
from engine.bus import MessageBus, UnknownEndpoint
from engine.clock import Clock
from engine.components.execution.ids import ClientOrderIdGenerator
from engine.components.orders import is_emulated
from engine.errors import ConfigError, InvalidTransition, ValidationError
from engine.messages import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ModifyOrder,
    OrderAccepted,
    OrderCancelled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    OrderStatusUnknown,
    OrderUpdated,
    QueryOrder,
    SubmitOrder,
    order_from_command,
)
from engine.model import (
    ORDER_MACHINE,
    DuplicateId,
    LiquiditySide,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Store,
    datetime_from_ns,
)

DEFAULT_EMULATED: frozenset[OrderType] = frozenset(
    {OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP}
)
_EMULATABLE = DEFAULT_EMULATED  # what the OrderEmulator can hold at all

NO_CLIENT = "exec.no_client"
NO_EMULATOR = "exec.no_emulator"


_ZERO = Decimal(0)

class ExecutionEngine(Actor):
    """The order management system (see the module docstring).

    ``emulated`` maps an exchange id to the order types the OrderEmulator holds for it; an exchange
    not in the map gets ``DEFAULT_EMULATED``. ``ids`` issues the ids of the OMS's own orders
    (``ClosePosition``): give it the node's generator, the one strategies use.

    Counters: ``duplicates_ignored``, ``illegal_transitions``, ``unmatched_events``, ``duplicate_submits``.
    """

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        store: Store,
        *,
        ids: ClientOrderIdGenerator | None = None,
        emulated: Mapping[str, frozenset[OrderType]] | None = None,
        actor_id: str = "ExecutionEngine",
    ) -> None:
        super().__init__(actor_id, bus, clock)
        self.store = store
        self.ids = ids or ClientOrderIdGenerator("oms")
        self._emulated = dict(emulated or {})
        for exchange_id, types in self._emulated.items():
            if not types <= _EMULATABLE:
                wrong = sorted(types - _EMULATABLE)
                raise ConfigError(f"emulated.{exchange_id}", f"the emulator cannot hold {wrong}")
        self._commands: dict[type, Callable[[Any], None]] = {
            SubmitOrder: self._on_submit,
            OrderDenied: self._on_denied,
            CancelOrder: self._forward,
            ModifyOrder: self._forward,
            QueryOrder: self._forward,
            CancelAllOrders: self._on_cancel_all,
            ClosePosition: self._on_close_position,
        }
        self._events: dict[type, Callable[[Order, Any], list[OrderEvent]]] = {
            OrderAccepted: self._on_accepted,
            OrderFilled: self._on_filled,
            OrderCancelled: self._on_cancelled,
            OrderRejected: self._on_rejected,
            OrderUpdated: self._on_updated,
            OrderStatusUnknown: self._on_status_unknown,
            OrderStatusReport: self._on_status_report,
        }
        self._held_by_emulator: set[str] = set()  # client ids routed to the emulator
        self._fills: set[tuple[str, str]] = set()  # (client_order_id, fill_id) applied
        self._fees: dict[str, Decimal] = {}  # client order id -> fees of its fills so far (open orders)
        self._in_doubt: dict[str, None] = {}  # ordered set of client ids
        self._topics: dict[str, str] = {}
        self.unmatched: list[OrderEvent] = []
        self.duplicates_ignored = 0
        self.illegal_transitions = 0
        self.unmatched_events = 0
        self.duplicate_submits = 0

    # -- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        self.bus.register_endpoint(topics.EXEC_ENGINE, self.execute)
        self.bus.register_endpoint(topics.EXEC_ENGINE_EVENTS, self.process)

    def on_stop(self) -> None:
        self.bus.deregister_endpoint(topics.EXEC_ENGINE)
        self.bus.deregister_endpoint(topics.EXEC_ENGINE_EVENTS)

    # -- public views ----------------------------------------------------------------------

    def emulated_types(self, exchange_id: str) -> frozenset[OrderType]:
        return self._emulated.get(exchange_id, DEFAULT_EMULATED)

    @property
    def in_doubt(self) -> list[str]:
        """Client ids of orders whose outcome the venue has not confirmed, oldest first."""
        return list(self._in_doubt)

    # -- commands --------------------------------------------------------------------------

    def execute(self, msg: Any) -> None:
        """``EXEC_ENGINE`` endpoint; a message of another kind raises ``TypeError`` (the bus reports it)."""
        try:
            handler = self._commands[type(msg)]
        except KeyError:
            raise TypeError(f"ExecutionEngine cannot execute {type(msg).__name__}") from None
        handler(msg)

    def _on_submit(self, cmd: SubmitOrder) -> None:
        order = self._create(cmd)
        if order is None:
            return
        if cmd.order_type in self.emulated_types(cmd.exchange_id):
            self._held_by_emulator.add(cmd.client_order_id)
            endpoint, missing = topics.ORDER_EMULATOR, NO_EMULATOR
        else:
            if cmd.stop_loss_price is not None or cmd.take_profit_price is not None:
                cmd = msgspec.structs.replace(cmd, stop_loss_price=None, take_profit_price=None)
            endpoint, missing = topics.exec_client(cmd.exchange_id), NO_CLIENT
        try:
            self.send(endpoint, cmd)
        except UnknownEndpoint:
            self.log.error("order_without_route", client_order_id=cmd.client_order_id, endpoint=endpoint)
            self._reject_new(order, cmd, missing, f"no endpoint {endpoint} is registered")

    def _on_denied(self, denied: OrderDenied) -> None:
        cmd = denied.command
        order = self._create(cmd, denial=(denied.reason_code, denied.reason))
        if order is not None:
            self._reject_new(order, cmd, denied.reason_code, denied.reason)

    def _create(self, cmd: SubmitOrder, denial: tuple[str, str] | None = None) -> Order | None:
        """Store the order ``pending``; if the Store refuses it, publish the rejection instead, with the
        RiskEngine's reason when it had denied the order anyway."""
        now = self.clock.timestamp_ns()
        instrument = self.store.get_instrument(cmd.exchange_id, cmd.symbol)
        if instrument is None:
            rule, text = denial or ("order.instrument.unknown", f"{cmd.exchange_id}:{cmd.symbol}")
            self._publish_refusal(cmd, rule, text)
            return None
        order = order_from_command(cmd, instrument, datetime_from_ns(now))
        try:
            self.store.add_order(order)
        except DuplicateId:
            self.duplicate_submits += 1
            self.log.error(
                "duplicate_client_order_id",
                client_order_id=cmd.client_order_id,
                execution_id=cmd.execution_id,
            )
            return None
        except ValidationError as exc:
            rule, text = denial or (exc.rule, str(exc))
            self._publish_refusal(cmd, rule, text)
            return None
        return order

    def _reject_new(self, order: Order, cmd: SubmitOrder, reason_code: str, reason: str) -> None:
        now = self.clock.timestamp_ns()
        order.reject(reason_code, datetime_from_ns(now))
        self._held_by_emulator.discard(order.order_id)
        self._publish(order.execution_id, _rejected(cmd, reason_code, reason, now))

    def _publish_refusal(self, cmd: SubmitOrder, reason_code: str, reason: str) -> None:
        self.log.warning(
            "order_refused_by_store", client_order_id=cmd.client_order_id, rule=reason_code, reason=reason
        )
        self._publish(cmd.execution_id, _rejected(cmd, reason_code, reason, self.clock.timestamp_ns()))

    def _forward(self, cmd: CancelOrder | ModifyOrder | QueryOrder) -> None:
        """Send a command about an existing order to where the order went."""
        order = self.store.get_order(cmd.client_order_id)
        if order is None or order.is_terminal:
            self.log.warning(
                "command_for_no_open_order",
                command=type(cmd).__name__,
                client_order_id=cmd.client_order_id,
                status=None if order is None else order.status.value,
            )
            return
        endpoint = self._route(order)
        try:
            self.send(endpoint, cmd)
        except UnknownEndpoint:
            self.log.error("command_without_route", command=type(cmd).__name__, endpoint=endpoint)

    def _route(self, order: Order) -> str:
        if order.order_id in self._held_by_emulator:
            return topics.ORDER_EMULATOR
        return topics.exec_client(order.instrument.exchange_id)

    def _on_cancel_all(self, cmd: CancelAllOrders) -> None:
        every = cmd.execution_id == topics.ALL_EXECUTIONS
        now = self.clock.timestamp_ns()
        for order in self.store.orders_for(cmd.trading_account_id, open_only=True):
            wanted = (
                order.instrument.exchange_id == cmd.exchange_id
                and (not cmd.symbol or order.instrument.symbol == cmd.symbol)
                and (every or order.execution_id == cmd.execution_id)
            )
            if not wanted:
                continue
            self._forward(
                CancelOrder(
                    ts_event=cmd.ts_event,
                    ts_init=now,
                    execution_id=order.execution_id,
                    trading_account_id=order.trading_account_id,
                    exchange_id=order.instrument.exchange_id,
                    symbol=order.instrument.symbol,
                    client_order_id=order.order_id,
                    reason=cmd.reason,
                )
            )

    def _on_close_position(self, cmd: ClosePosition) -> None:
        every = cmd.execution_id == topics.ALL_EXECUTIONS
        positions = [
            p
            for p in self.store.positions_for(cmd.trading_account_id, open_only=True)
            if p.instrument.exchange_id == cmd.exchange_id
            and p.instrument.symbol == cmd.symbol
            and (every or p.execution_id == cmd.execution_id)
            and (cmd.position_side is None or p.side is cmd.position_side)
        ]
        if not positions:
            self.log.info(
                "close_position_without_position",
                execution_id=cmd.execution_id,
                account=cmd.trading_account_id,
                exchange_id=cmd.exchange_id,
                symbol=cmd.symbol,
                position_side=cmd.position_side,
            )
            return
        now = self.clock.timestamp_ns()
        for position in positions:
            execution_id = position.execution_id if every else cmd.execution_id
            self._on_submit(
                SubmitOrder(
                    ts_event=cmd.ts_event,
                    ts_init=now,
                    execution_id=execution_id,
                    trading_account_id=cmd.trading_account_id,
                    exchange_id=cmd.exchange_id,
                    symbol=cmd.symbol,
                    client_order_id=self.ids.next_id(execution_id),
                    side=OrderSide.SELL if position.side is PositionSide.LONG else OrderSide.BUY,
                    order_type=OrderType.MARKET,
                    quantity=position.quantity,
                    reduce_only=True,
                    # hedge mode names the slot it closes; one-way mode (None) must not
                    position_side=cmd.position_side,
                )
            )

    # -- venue events ----------------------------------------------------------------------

    def process(self, event: Any) -> None:
        """``EXEC_ENGINE_EVENTS`` endpoint: apply a venue event to its order, then publish what changed."""
        try:
            apply = self._events[type(event)]
        except KeyError:
            raise TypeError(f"ExecutionEngine cannot process {type(event).__name__}") from None
        order = self.store.get_order(event.client_order_id)
        if order is None:
            if type(event) is OrderFilled and event.liquidation:
                self._on_liquidation(event)
                return
            self.unmatched_events += 1
            self.unmatched.append(event)
            self.log.warning(
                "event_for_unknown_order",
                event_type=type(event).__name__,
                client_order_id=event.client_order_id,
                exchange_id=event.exchange_id,
                symbol=event.symbol,
            )
            return
        for published in apply(order, event):
            self._publish(order.execution_id, published)

    def _attempt(self, order: Order, event: OrderEvent, move: Callable[[], object]) -> bool:
        """Make one move; an illegal one is logged and counted, and the order is left unchanged."""
        try:
            move()
        except (InvalidTransition, ValidationError) as exc:
            self.illegal_transitions += 1
            self.log.error(
                "illegal_order_transition",
                client_order_id=order.order_id,
                status=order.status.value,
                filled_quantity=str(order.filled_quantity),
                quantity=str(order.quantity),
                event_type=type(event).__name__,
                venue_event=msgspec.to_builtins(event),
                error=str(exc),
            )
            return False
        return True

    def _settled(self, order: Order) -> None:
        if order.in_doubt:
            order.in_doubt = False
            self._in_doubt.pop(order.order_id, None)

    def _count_fee(self, order: Order, fee: Decimal) -> None:
        """Keep what an open order has paid, for a later reconciliation fill's fee."""
        if fee and not order.is_terminal:
            self._fees[order.order_id] = self._fees.get(order.order_id, _ZERO) + fee

    def _finished(self, order: Order) -> None:
        if order.is_terminal:
            self._held_by_emulator.discard(order.order_id)
            self._fees.pop(order.order_id, None)

    def _on_accepted(self, order: Order, event: OrderAccepted) -> list[OrderEvent]:
        status = order.status
        if status is OrderStatus.FILLED or status is OrderStatus.CANCELLED:
            # A late acknowledgement (the venue's fill or cancel overtook it): nothing to move.
            self._record_exchange_id(order, event.exchange_order_id)
            self.log.debug(
                "late_acknowledgement_ignored",
                client_order_id=order.order_id,
                status=status.value,
                exchange_order_id=event.exchange_order_id,
            )
            return []
        ts = datetime_from_ns(event.ts_event)
        if not self._attempt(order, event, lambda: order.accept(event.exchange_order_id, ts)):
            return []
        self._settled(order)
        return [event]

    def _on_filled(self, order: Order, event: OrderFilled) -> list[OrderEvent]:
        key = (order.order_id, event.fill_id)
        if event.fill_id and key in self._fills:
            self.duplicates_ignored += 1
            self.log.info("duplicate_fill_ignored", client_order_id=order.order_id, fill_id=event.fill_id)
            return []
        ts = datetime_from_ns(event.ts_event)
        if not self._attempt(order, event, lambda: order.apply_fill(event.quantity, event.price, ts)):
            return []
        if event.fill_id:
            self._fills.add(key)
        self._count_fee(order, event.fee)
        self._record_exchange_id(order, event.exchange_order_id)
        self._settled(order)
        self._finished(order)
        return [event]

    @staticmethod
    def _record_exchange_id(order: Order, exchange_order_id: str) -> None:
        """A fill or a late acknowledgement names the venue's order: keep it if the order has none
        yet, or only the emulator's placeholder (the acknowledgement was lost or overtaken)."""
        if exchange_order_id and (not order.exchange_order_id or is_emulated(order.exchange_order_id)):
            order.exchange_order_id = exchange_order_id

    def _on_cancelled(self, order: Order, event: OrderCancelled) -> list[OrderEvent]:
        missed = event.filled_quantity is not None and event.filled_quantity > order.filled_quantity
        if missed and not order.is_terminal:
            # The venue filled more than we heard of before it cancelled: a fill was lost. Ending the
            # order now would end it short of that fill for good; its report settles both.
            self._doubt(order, event.ts_event, "fills missing at cancel")
            return []
        ts = datetime_from_ns(event.ts_event)
        if not self._attempt(order, event, lambda: order.cancel(event.reason or "cancelled", ts)):
            return []
        self._settled(order)
        self._finished(order)
        return [event]

    def _on_rejected(self, order: Order, event: OrderRejected) -> list[OrderEvent]:
        ts = datetime_from_ns(event.ts_event)
        if not self._attempt(order, event, lambda: order.reject(event.reason_code, ts)):
            return []
        self._settled(order)
        self._finished(order)
        return [event]

    def _on_updated(self, order: Order, event: OrderUpdated) -> list[OrderEvent]:
        ts = datetime_from_ns(event.ts_event)
        if not self._attempt(order, event, lambda: _amend(order, event, ts)):
            return []
        self._settled(order)
        return [event]

    def _on_status_unknown(self, order: Order, event: OrderStatusUnknown) -> list[OrderEvent]:
        if order.is_terminal:  # what we know is definitive already
            self.log.info("status_unknown_for_finished_order", client_order_id=order.order_id)
            return []
        self._doubt(order, event.ts_event, event.reason)
        return [event]

    def _doubt(self, order: Order, ts_event: int, reason: str) -> None:
        """Flag the order in doubt and ask the venue what became of it."""
        order.in_doubt = True
        self._in_doubt[order.order_id] = None
        self.log.warning("order_in_doubt", client_order_id=order.order_id, reason=reason)
        query = QueryOrder(
            ts_event=ts_event,
            ts_init=self.clock.timestamp_ns(),
            execution_id=order.execution_id,
            trading_account_id=order.trading_account_id,
            exchange_id=order.instrument.exchange_id,
            symbol=order.instrument.symbol,
            client_order_id=order.order_id,
        )
        endpoint = self._route(order)
        try:
            self.send(endpoint, query)
        except UnknownEndpoint:
            self.log.error("query_without_route", client_order_id=order.order_id, endpoint=endpoint)

    def _on_status_report(self, order: Order, report: OrderStatusReport) -> list[OrderEvent]:
        """Settle the order to what the venue reports, publishing the events that implies."""
        published: list[OrderEvent] = []
        ts = datetime_from_ns(report.ts_event)
        now = self.clock.timestamp_ns()
        common = _event_fields(order, report.ts_event, now)
        if order.is_terminal:
            if report.status is not order.status or report.filled_quantity != order.filled_quantity:
                self.log.error(
                    "status_report_disagrees",
                    client_order_id=order.order_id,
                    status=order.status.value,
                    reported_status=report.status.value,
                    filled_quantity=str(order.filled_quantity),
                    reported_filled=str(report.filled_quantity),
                )
            self._settled(order)
            return [report]
        if (
            not order.exchange_order_id
            and report.exchange_order_id
            and report.status is not OrderStatus.REJECTED
        ):
            order.accept(report.exchange_order_id, ts)
            published.append(OrderAccepted(**common, exchange_order_id=report.exchange_order_id))
        missing = report.filled_quantity - order.filled_quantity
        if missing > 0:
            fill = self._reconciliation_fill(order, report, missing, common)
            if fill is not None and self._attempt(
                order, report, lambda: order.apply_fill(fill.quantity, fill.price, ts)
            ):
                self._fills.add((order.order_id, fill.fill_id))
                self._count_fee(order, fill.fee)
                published.append(fill)
        elif missing < 0:
            self.log.warning(
                "status_report_behind",
                client_order_id=order.order_id,
                filled_quantity=str(order.filled_quantity),
                reported_filled=str(report.filled_quantity),
            )
        reason = report.reason
        if report.status is OrderStatus.CANCELLED:
            if self._attempt(order, report, lambda: order.cancel(reason or "cancelled", ts)):
                published.append(OrderCancelled(**common, reason=reason or "cancelled"))
        elif report.status is OrderStatus.REJECTED and self._attempt(
            order, report, lambda: order.reject(reason or "venue.rejected", ts)
        ):
            published.append(
                OrderRejected(**common, reason_code=reason or "venue.rejected", reason=reason or "rejected")
            )
        self._settled(order)
        self._finished(order)
        published.append(report)
        return published

    def _reconciliation_fill(
        self, order: Order, report: OrderStatusReport, missing: Decimal, common: dict[str, Any]
    ) -> OrderFilled | None:
        """The fill the venue made and we never heard of, priced so the averages agree."""
        price = report.average_price
        if price is not None and order.filled_quantity and order.average_fill_price is not None:
            known = order.average_fill_price * order.filled_quantity
            implied = (price * report.filled_quantity - known) / missing
            price = implied if implied > 0 else price
        price = price or order.price
        if price is None:
            self.illegal_transitions += 1
            self.log.error("reconciliation_fill_without_price", client_order_id=order.order_id)
            return None
        fee, fee_currency = _ZERO, order.instrument.quote_currency
        if report.fee is None:
            self.log.warning("reconciliation_fill_fee_unknown", client_order_id=order.order_id)
        else:
            fee = report.fee - self._fees.get(order.order_id, _ZERO)
            fee_currency = report.fee_currency or fee_currency
        return OrderFilled(
            **common,
            exchange_order_id=report.exchange_order_id or order.exchange_order_id,
            fill_id=f"recon-{order.order_id}-{report.filled_quantity}",
            side=order.side,
            price=price,
            quantity=missing,
            fee=fee,
            fee_currency=fee_currency,
            liquidity_side=LiquiditySide.TAKER,
            position_side=order.position_side,
        )

    def _on_liquidation(self, event: OrderFilled) -> None:
        """The venue closed a position by itself: record its order, owned by the position's execution."""
        instrument = self.store.get_instrument(event.exchange_id, event.symbol)
        if instrument is None or self.store.get_account(event.trading_account_id) is None:
            self.unmatched_events += 1
            self.unmatched.append(event)
            self.log.error("liquidation_for_unknown_instrument", client_order_id=event.client_order_id)
            return
        liquidated = PositionSide.LONG if event.side is OrderSide.SELL else PositionSide.SHORT
        if event.position_side is not None:
            liquidated = event.position_side
        owner = next(
            (
                p.execution_id
                for p in self.store.positions_for(event.trading_account_id, open_only=True)
                if p.instrument.exchange_id == event.exchange_id
                and p.instrument.symbol == event.symbol
                and p.side is liquidated
                and p.execution_id
            ),
            topics.EXTERNAL_EXECUTION,
        )
        client_order_id = event.client_order_id or f"liq-{event.fill_id}"
        if event.client_order_id != client_order_id:
            event = msgspec.structs.replace(event, client_order_id=client_order_id)
        known = self.store.get_order(client_order_id)
        if known is not None:  # a repeated report of an id-less liquidation we already recorded
            for published in self._on_filled(known, event):
                self._publish(known.execution_id, published)
            return
        ts = datetime_from_ns(event.ts_event)
        order = Order(
            order_id=client_order_id,
            instrument=instrument,
            side=event.side,
            order_type=OrderType.MARKET,
            quantity=event.quantity,
            trading_account_id=event.trading_account_id,
            created_at=ts,
            updated_at=ts,
            execution_id=owner,
            reduce_only=True,
            position_side=event.position_side,
            status_reason="liquidation",
        )
        self.store.add_order(order)  # the account and instrument were checked above
        self.log.warning("liquidation_order_created", client_order_id=client_order_id, execution_id=owner)
        order.accept(event.exchange_order_id, ts)
        for published in self._on_filled(order, event):
            self._publish(owner, published)

    # -- publishing ------------------------------------------------------------------------

    def _publish(self, execution_id: str, event: OrderEvent) -> None:
        topic = self._topics.get(execution_id)
        if topic is None:
            topic = self._topics[execution_id] = topics.order_events(
                execution_id or topics.EXTERNAL_EXECUTION
            )
        if event.execution_id != execution_id:
            event = msgspec.structs.replace(event, execution_id=execution_id)
        self.publish(topic, event)


def _amend(order: Order, event: OrderUpdated, ts: datetime) -> None:
    """The venue changed a working order: all-or-nothing, like the Order's own methods."""
    if order.is_terminal:
        raise InvalidTransition(ORDER_MACHINE.name, order.status, "updated")
    if event.quantity is not None and event.quantity <= order.filled_quantity:
        raise InvalidTransition(
            ORDER_MACHINE.name,
            order.status,
            "updated",
            f"quantity {event.quantity} not above filled {order.filled_quantity}",
        )
    if event.quantity is not None:
        order.quantity = event.quantity
    if event.price is not None:
        order.price = event.price
    if event.stop_price is not None:
        order.stop_price = event.stop_price
    order.updated_at = ts


def _event_fields(order: Order, ts_event: int, ts_init: int) -> dict[str, Any]:
    return {
        "ts_event": ts_event,
        "ts_init": ts_init,
        "client_order_id": order.order_id,
        "trading_account_id": order.trading_account_id,
        "exchange_id": order.instrument.exchange_id,
        "symbol": order.instrument.symbol,
        "execution_id": order.execution_id,
    }


def _rejected(cmd: SubmitOrder, reason_code: str, reason: str, now: int) -> OrderRejected:
    return OrderRejected(
        ts_event=cmd.ts_event,
        ts_init=now,
        client_order_id=cmd.client_order_id,
        trading_account_id=cmd.trading_account_id,
        exchange_id=cmd.exchange_id,
        symbol=cmd.symbol,
        execution_id=cmd.execution_id,
        reason_code=reason_code,
        reason=reason,
    )
