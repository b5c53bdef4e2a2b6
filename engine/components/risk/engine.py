"""The RiskEngine stands between strategies and venues: every order command passes its pre-trade checks.

Commands arrive at the ``RISK_ENGINE`` endpoint:

- ``SubmitOrder``: the checks of ``checks.REASON_CODES`` run in that order; an approved command goes
  to ``EXEC_ENGINE`` unchanged, a denied one as ``OrderDenied`` (the OMS stores it ``rejected`` with
  the reason code, and the strategy sees the rejection).
- ``ModifyOrder``: the modified order must pass the spec's rules, the notional and position limits,
  and, unless trading is active, must not grow. A denied modify goes nowhere: the order stays as it
  was and a ``ModifyDenied`` is published on the execution's order topic.
- ``CancelOrder``, ``CancelAllOrders``, ``QueryOrder``, ``ClosePosition``: always forwarded, whatever
  the trading state: they never add risk.
- ``SetTradingState``: the operator sets the state; ``cancel_all`` first sends one ``CancelAllOrders``
  per (execution, account, exchange) with open orders (the kill switch, also ``kill()``).

Trading state (``TradingStateChanged`` on ``RISK_EVENTS`` at every change): ``active``;
``reduce_only`` lets only orders that reduce a position through; ``halted`` lets no new order
through. A loss limit reached by an account moves ``active`` to ``reduce_only``, and to ``halted``
once every account that reached one is flat. The daily loss limit resets at the next UTC day (back
to ``active`` unless a drawdown limit was reached too); the drawdown limit waits for the operator.
An operator ``active`` clears the limits reached and restarts their baselines from current equity.

Equity of an account, in ``RiskConfig.equity_currency``, as ``Ledger.equity`` defines it: the total
balance in that currency (last ``AccountState``, else the Store) plus, for each open position of the
account (Store) settled in it, its unrealized PnL, or on a spot account its market value (coins held
without a position, a deposit, are not counted). Positions are valued at the last market price seen
here, so a loss shows before the Portfolio marks it. Loss limits are judged when an order is submitted
and when an ``AccountState`` or an account position event arrives, never per tick.

Market price of an instrument (stop-loss / take-profit side check, notional of market orders): the
last trade price, quote mid or bar close seen on the data topics. Storing the message is the only
work per tick; the price is derived when an order needs it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeAlias

import msgspec

from engine import topics
from engine.actor import Actor
from engine.bus import MessageBus
from engine.clock import Clock
from engine.components.risk.checks import (
    Denial,
    check_entities,
    check_notional,
    check_open_orders,
    check_position_size,
    check_rules,
    is_reducing,
    projected_position,
)
from engine.components.risk.config import OrderLimits, RiskConfig
from engine.components.risk.equity import EquityWatch, position_equity
from engine.components.risk.exposure import Exposure
from engine.messages import (
    AccountState,
    Bar,
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ModifyDenied,
    ModifyOrder,
    OrderDenied,
    OrderEvent,
    PositionEvent,
    QueryOrder,
    QuoteTick,
    SetTradingState,
    SubmitOrder,
    TimerEvent,
    TradeTick,
    TradingStateChanged,
    order_from_command,
)
from engine.model import Order, Store, TradingType, datetime_from_ns
from engine.model.enums import TradingState

DAY_NS = 86_400 * 1_000_000_000

MarketData: TypeAlias = TradeTick | QuoteTick | Bar

_DAILY = "daily_loss_limit"
_DRAWDOWN = "max_drawdown_pct"


class RiskEngine(Actor):
    """Pre-trade checks, configured limits, trading state and the kill switch (see the module docstring).

    Counters: ``approved`` and ``denied`` submissions, ``modifies_denied``, and ``denials`` per reason
    code (submissions and modifies).
    """

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        store: Store,
        config: RiskConfig | None = None,
        *,
        actor_id: str = "RiskEngine",
    ) -> None:
        super().__init__(actor_id, bus, clock)
        self.store = store
        self.config = config or RiskConfig()
        self.state = TradingState.ACTIVE
        self.state_reason = ""
        self._node_limits = self.config.order_limits
        self._limits: dict[str, OrderLimits | Denial] = {}  # execution id -> effective limits
        self._exposure = Exposure(store)
        self._marks: dict[str, dict[str, MarketData]] = {}  # exchange -> symbol -> last market data
        self._recent: deque[int] = deque()  # times of approved submissions inside the rate window
        self._equity = EquityWatch()
        self._cash: dict[str, Decimal] = {}  # account -> equity-currency balance of its last AccountState
        self._reached: dict[str, dict[str, str]] = {_DAILY: {}, _DRAWDOWN: {}}  # limit -> account -> why
        self._by_limits = False  # the current state was set by a loss limit, not by the operator
        self._commands: dict[type, Callable[[Any], None]] = {
            SubmitOrder: self._on_submit,
            ModifyOrder: self._on_modify,
            CancelOrder: self._forward,
            CancelAllOrders: self._forward,
            QueryOrder: self._forward,
            ClosePosition: self._forward,
            SetTradingState: self._on_set_trading_state,
        }
        self.approved = 0
        self.denied = 0
        self.modifies_denied = 0
        self.denials: dict[str, int] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        self.bus.register_endpoint(topics.RISK_ENGINE, self.execute)
        for pattern in ("data.trade.*.*", "data.quote.*.*", "data.bar.*.*.*"):
            self.subscribe(pattern, self._on_market)
        self.subscribe("events.order.*", self._on_order_event)
        # the account's view of its positions: those are the Store's (each execution's view is not)
        self.subscribe(topics.account_position_events("*"), self._on_position_event)
        self.subscribe("events.account.*", self._on_account_state)
        self._exposure.load()

    def on_stop(self) -> None:
        self.bus.deregister_endpoint(topics.RISK_ENGINE)

    # -- commands --------------------------------------------------------------------------

    def execute(self, msg: Any) -> None:
        """Handle one command; unknown types raise ``TypeError`` (the bus reports it)."""
        try:
            handler = self._commands[type(msg)]
        except KeyError:
            raise TypeError(f"RiskEngine cannot execute {type(msg).__name__}") from None
        handler(msg)

    def _forward(self, cmd: CancelOrder | CancelAllOrders | QueryOrder | ClosePosition) -> None:
        self.send(topics.EXEC_ENGINE, cmd)

    def _on_submit(self, cmd: SubmitOrder) -> None:
        now = self.clock.timestamp_ns()
        self._roll_day(now)
        self._judge_losses(cmd.trading_account_id)
        result = self._check_submit(cmd, now)
        if isinstance(result, Denial):
            self.denied += 1
            self.denials[result.reason_code] = self.denials.get(result.reason_code, 0) + 1
            self.log.info(
                "order_denied",
                client_order_id=cmd.client_order_id,
                reason_code=result.reason_code,
                reason=result.reason,
            )
            denied = OrderDenied(
                ts_event=now, ts_init=now, command=cmd, reason_code=result.reason_code, reason=result.reason
            )
            self.send(topics.EXEC_ENGINE, denied)
            return
        self.approved += 1
        self._exposure.approved(result)
        if self.config.max_orders_per_interval is not None:
            self._recent.append(now)
        self.send(topics.EXEC_ENGINE, cmd)

    def _check_submit(self, cmd: SubmitOrder, now: int) -> Order | Denial:
        """The candidate order if every check passes, else the first denial (order: ``REASON_CODES``)."""
        if self.state is TradingState.HALTED:
            return Denial("risk.halted", f"trading is halted ({self.state_reason})")
        if cmd.trigger_price is not None:
            return Denial("risk.trigger_price", "trigger_price is set by the order emulator alone")
        instrument = check_entities(self.store, cmd)
        if isinstance(instrument, Denial):
            return instrument
        order = order_from_command(cmd, instrument, datetime_from_ns(now))
        market_price = self.market_price(cmd.exchange_id, cmd.symbol)
        denial = check_rules(order, market_price) or self._check_limits(order, market_price, cmd.execution_id)
        if denial is not None:
            return denial
        if self.config.max_orders_per_interval is not None:
            denial = self._check_rate(now, self.config.max_orders_per_interval, self.config.interval_ns)
        return denial or order

    def _check_limits(
        self, order: Order, market_price: Decimal | None, execution_id: str, previous: Order | None = None
    ) -> Denial | None:
        """Strategy config, trading state, notional, open orders, position size.

        ``previous`` is the order as it stands when ``order`` is its modification: then the open order
        count is not checked (nothing new opens) and the trading state only stops the order growing.
        """
        limits = self._limits_for(execution_id)
        if isinstance(limits, Denial):
            return limits
        account_id = order.trading_account_id
        instrument = order.instrument
        positions = [
            p
            for p in self._exposure.open_positions(account_id)
            if p.instrument.symbol == instrument.symbol and p.instrument.exchange_id == instrument.exchange_id
        ]
        needs_orders = positions or limits.max_open_orders is not None or limits.max_position_size is not None
        open_orders = self._exposure.open_orders(account_id) if needs_orders else []
        reducing = is_reducing(order, positions, open_orders)
        grows = previous is None or order.quantity > previous.quantity
        if grows and self.state is not TradingState.ACTIVE:
            if self.state is TradingState.HALTED:
                return Denial(
                    "risk.halted", f"trading is halted ({self.state_reason}): an order may not grow"
                )
            if not reducing:
                return Denial(
                    "risk.reduce_only",
                    f"trading is reduce-only ({self.state_reason}): a {order.side} of "
                    f"{order.remaining_quantity} {instrument.symbol} does not reduce a position",
                )
        if limits.max_order_notional is not None:
            denial = check_notional(order, market_price, limits.max_order_notional)
            if denial is not None:
                return denial
        if previous is None and limits.max_open_orders is not None:
            denial = check_open_orders(account_id, len(open_orders), limits.max_open_orders)
            if denial is not None:
                return denial
        if limits.max_position_size is not None and not reducing:
            projected = projected_position(order, positions, open_orders)
            return check_position_size(order, projected, limits.max_position_size)
        return None

    def _check_rate(self, now: int, limit: int, interval_ns: int) -> Denial | None:
        recent = self._recent
        while recent and recent[0] <= now - interval_ns:
            recent.popleft()
        if len(recent) >= limit:
            return Denial(
                "risk.rate",
                f"{len(recent)} orders in the last {interval_ns} ns; max_orders_per_interval is {limit}",
            )
        return None

    def _limits_for(self, execution_id: str) -> OrderLimits | Denial:
        """Node limits made stricter by the strategy's ``risk_controls``, parsed once per execution."""
        cached = self._limits.get(execution_id)
        if cached is not None:
            return cached
        execution = self.store.get_execution(execution_id)
        if execution is None:  # the operator, or an execution not stored yet: node limits, not cached
            return self._node_limits
        strategy = self.store.get_strategy(execution.strategy_id)
        limits: OrderLimits | Denial = self._node_limits
        if strategy is not None and strategy.risk_controls:
            try:
                controls = msgspec.convert(strategy.risk_controls, OrderLimits)
            except msgspec.ValidationError as exc:
                reason = f"strategy {strategy.strategy_id} risk_controls: {exc}"
                self.log.error("risk_controls_invalid", execution_id=execution_id, reason=reason)
                limits = Denial("risk.config", reason)
            else:
                limits = self._node_limits.stricter(controls)
        self._limits[execution_id] = limits
        return limits

    def _on_modify(self, cmd: ModifyOrder) -> None:
        order = self.store.get_order(cmd.client_order_id)
        if order is None or order.is_terminal:  # nothing to judge: the OMS answers for unknown orders
            self.send(topics.EXEC_ENGINE, cmd)
            return
        modified = msgspec.structs.replace(
            order,
            quantity=order.quantity if cmd.quantity is None else cmd.quantity,
            price=order.price if cmd.price is None else cmd.price,
            stop_price=order.stop_price if cmd.stop_price is None else cmd.stop_price,
        )
        market_price = self.market_price(cmd.exchange_id, cmd.symbol)
        denial = check_rules(modified, market_price) or self._check_limits(
            modified, market_price, cmd.execution_id, previous=order
        )
        if denial is None:
            self.send(topics.EXEC_ENGINE, cmd)
            return
        self.modifies_denied += 1
        self.denials[denial.reason_code] = self.denials.get(denial.reason_code, 0) + 1
        self.log.info(
            "modify_denied",
            client_order_id=cmd.client_order_id,
            reason_code=denial.reason_code,
            reason=denial.reason,
        )
        now = self.clock.timestamp_ns()
        event = ModifyDenied(
            ts_event=now,
            ts_init=now,
            client_order_id=cmd.client_order_id,
            trading_account_id=cmd.trading_account_id,
            exchange_id=cmd.exchange_id,
            symbol=cmd.symbol,
            execution_id=cmd.execution_id,
            reason_code=denial.reason_code,
            reason=denial.reason,
        )
        self.publish(topics.order_events(cmd.execution_id), event)

    # -- trading state and the kill switch -------------------------------------------------

    def kill(self, reason: str) -> None:
        """Cancel every open order and halt trading."""
        now = self.clock.timestamp_ns()
        self._on_set_trading_state(
            SetTradingState(
                ts_event=now, ts_init=now, state=TradingState.HALTED, reason=reason, cancel_all=True
            )
        )

    def _on_set_trading_state(self, cmd: SetTradingState) -> None:
        if cmd.cancel_all:
            self._cancel_all(cmd.reason)
        if cmd.state is TradingState.ACTIVE:
            for accounts in self._reached.values():
                accounts.clear()
            self._equity.rebase()
        self._set_state(cmd.state, cmd.reason or "set by the operator", by_limits=False)

    def _cancel_all(self, reason: str) -> None:
        """One ``CancelAllOrders`` per (execution, account, exchange) holding open orders, in Store order."""
        now = self.clock.timestamp_ns()
        groups: dict[tuple[str, str, str], None] = {}
        for order in [*self.store.list_orders(), *self._exposure.in_flight()]:
            if order.is_open:
                groups[order.execution_id, order.trading_account_id, order.instrument.exchange_id] = None
        for execution_id, account_id, exchange_id in groups:
            cancel = CancelAllOrders(
                ts_event=now,
                ts_init=now,
                execution_id=execution_id,
                trading_account_id=account_id,
                exchange_id=exchange_id,
                symbol="",
                reason=reason,
            )
            self.send(topics.EXEC_ENGINE, cancel)

    def _set_state(self, state: TradingState, reason: str, *, by_limits: bool) -> None:
        self._by_limits = by_limits
        self.state_reason = reason
        if state is self.state:
            return
        self.log.warning("trading_state_changed", state=state.value, previous=self.state.value, reason=reason)
        self.state = state
        now = self.clock.timestamp_ns()
        self.publish(
            topics.RISK_EVENTS, TradingStateChanged(ts_event=now, ts_init=now, state=state, reason=reason)
        )

    # -- loss limits -----------------------------------------------------------------------

    def _on_account_state(self, msg: AccountState) -> None:
        currency = self.config.equity_currency
        self._cash[msg.trading_account_id] = next(
            (b.total for b in msg.balances if b.currency == currency), Decimal(0)
        )
        self._judge_losses(msg.trading_account_id)

    def _on_position_event(self, event: PositionEvent) -> None:
        self._exposure.position_seen(event.trading_account_id, event.position_id)
        self._judge_losses(event.trading_account_id)

    def _on_order_event(self, event: OrderEvent) -> None:
        self._exposure.order_seen(event)

    def account_equity(self, account_id: str) -> Decimal:
        """Equity in ``equity_currency`` (see the module docstring); 0 for an unknown account."""
        account = self.store.get_account(account_id)
        if account is None:
            return Decimal(0)
        currency = self.config.equity_currency
        cash = self._cash.get(account_id)
        equity = account.balance.get(currency, Decimal(0)) if cash is None else cash
        spot = account.account_type is TradingType.SPOT
        for position in self._exposure.open_positions(account_id):
            instrument = position.instrument
            if instrument.quote_currency == currency:
                price = self.market_price(instrument.exchange_id, instrument.symbol)
                equity += position_equity(position, spot, price)
        return equity

    def _judge_losses(self, account_id: str) -> None:
        config = self.config
        if config.daily_loss_limit is None and config.max_drawdown_pct is None:
            return
        if self.store.get_account(account_id) is None:
            return
        now = self.clock.timestamp_ns()
        self._roll_day(now)
        equity = self.account_equity(account_id)
        loss, drawdown_pct = self._equity.update(account_id, equity)
        if config.daily_loss_limit is not None and loss >= config.daily_loss_limit:
            self._limit_reached(
                _DAILY,
                account_id,
                f"{account_id} lost {loss} today; daily_loss_limit is {config.daily_loss_limit}",
            )
        if config.max_drawdown_pct is not None and drawdown_pct >= config.max_drawdown_pct:
            self._limit_reached(
                _DRAWDOWN,
                account_id,
                f"{account_id} is {drawdown_pct:.4f} % below its peak equity; max_drawdown_pct is "
                f"{config.max_drawdown_pct}",
            )
        self._halt_when_flat()

    def _limit_reached(self, limit: str, account_id: str, reason: str) -> None:
        reached = self._reached[limit]
        if account_id in reached:
            return
        reached[account_id] = reason
        self.log.warning("loss_limit_reached", limit=limit, account_id=account_id, reason=reason)
        if limit == _DAILY:
            self.cancel_timer("new-day")
            self.set_time_alert(
                "new-day", (self.clock.timestamp_ns() // DAY_NS + 1) * DAY_NS, self._on_new_day
            )
        if self.state is TradingState.ACTIVE:
            self._set_state(TradingState.REDUCE_ONLY, reason, by_limits=True)

    def _halt_when_flat(self) -> None:
        """Reduce-only after a loss limit becomes halted once every account that reached one is flat."""
        if not (self._by_limits and self.state is TradingState.REDUCE_ONLY):
            return
        accounts = {a: None for reached in self._reached.values() for a in reached}
        if all(not self._exposure.open_positions(a) for a in accounts):
            self._set_state(
                TradingState.HALTED, f"flat after a loss limit: {self.state_reason}", by_limits=True
            )

    def _on_new_day(self, event: TimerEvent) -> None:
        self._roll_day(event.ts_event)

    def _roll_day(self, now: int) -> None:
        """At the first event of a UTC day: new daily baselines, and the daily loss limit lifted."""
        if not self._equity.new_day(now // DAY_NS):
            return
        daily = self._reached[_DAILY]
        if not daily:
            return
        daily.clear()
        if self._by_limits and not self._reached[_DRAWDOWN]:
            self._set_state(TradingState.ACTIVE, "new UTC day: daily loss limit reset", by_limits=False)

    # -- market data (hot path) ------------------------------------------------------------

    def _on_market(self, msg: MarketData) -> None:
        try:
            self._marks[msg.exchange_id][msg.symbol] = msg
        except KeyError:
            self._marks[msg.exchange_id] = {msg.symbol: msg}

    def market_price(self, exchange_id: str, symbol: str) -> Decimal | None:
        """Last trade price, quote mid or bar close seen for the instrument; ``None`` before any."""
        msg = self._marks.get(exchange_id, {}).get(symbol)
        if msg is None:
            return None
        if isinstance(msg, TradeTick):
            return msg.price
        if isinstance(msg, QuoteTick):
            return (msg.bid_price + msg.ask_price) / 2
        return msg.close
