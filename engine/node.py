"""The composition root: builds one node for a mode from a config; the same core in every mode.

Wiring order matters and is fixed here: the execution clients subscribe to market data before
the strategies, so a simulated venue sees a bar before any strategy reacts to it (a market
order sent in ``on_bar`` then fills at that bar's close). Strategies and execution clients are
found by name (``package.module:Name``), never imported by the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from engine import topics
from engine.actor import Actor
from engine.bus import BusError, MessageBus, UnknownEndpoint
from engine.clock import Clock, SimulatedClock
from engine.components.data import DataEngine
from engine.components.emulator import OrderEmulator
from engine.components.execution import ClientOrderIdGenerator, ExecutionEngine
from engine.components.portfolio import Portfolio
from engine.components.recorder import Recorder
from engine.components.risk import RiskEngine
from engine.config import NodeConfig, StrategyConfig
from engine.errors import ConfigError
from engine.messages import ControlCommand, Message, StartStrategy, StopStrategy
from engine.metrics import EquitySample, PerformanceMetrics, compute_metrics
from engine.model import (
    Exchange,
    Store,
    StrategyExecution,
    TradingAccount,
    TradingStrategy,
    datetime_from_ns,
)
from engine.plugins import load_object, load_strategy_class
from engine.strategy import Strategy, StrategyContext, parse_params

ClientFactory = Callable[[MessageBus, Clock, Store, str, dict[str, Any]], Actor]
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


# how often a run samples each execution's equity curve, in data time (and once at its end)
EQUITY_SAMPLE_NS = 60_000_000_000


class UnknownExecution(UnknownEndpoint):
    """A control message named an execution this node does not run.

    An ``EngineError``; also an ``UnknownEndpoint`` (the execution's control endpoint does not exist),
    so a caller that catches the bus's error keeps working.
    """

    def __init__(self, execution_id: str, known: list[str]) -> None:
        self.execution_id = execution_id
        self.known = known
        endpoint = topics.strategy_control(execution_id)
        BusError.__init__(
            self,
            f"no strategy execution {execution_id!r} in this node (it runs: {', '.join(known) or 'none'});"
            f" control endpoint {endpoint!r} is not registered",
        )
        self.endpoint = endpoint


class Node:
    """A configured engine: store, bus, clock, the core actors, the venues' clients and strategies."""

    def __init__(
        self,
        config: NodeConfig,
        *,
        start_ns: int = 0,
        clock: Clock | None = None,
        strategy_overrides: dict[int, tuple[type[Strategy], dict[str, Any]]] | None = None,
    ) -> None:
        self.config = config
        self.start_ns = start_ns
        self.clock: Clock = clock or SimulatedClock(start_ns)
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.store = Store()
        created = datetime_from_ns(start_ns)
        self._populate(created)
        live = config.mode != "backtest"
        self.ids = ClientOrderIdGenerator(config.order_id_prefix, start_ns=start_ns if live else None)
        self.data = DataEngine(self.bus, self.clock, emit_partial_bars_at_end=config.emit_partial_bars_at_end)
        self.clients = [self._client(n) for n in range(len(config.exchanges))]
        self.emulator = OrderEmulator(self.bus, self.clock, self.store)
        self.portfolio = Portfolio(self.bus, self.clock, self.store)
        self.execution = ExecutionEngine(
            self.bus,
            self.clock,
            self.store,
            ids=self.ids,
            emulated={
                e.id: frozenset(e.emulated_order_types)
                for e in config.exchanges
                if e.emulated_order_types is not None
            },
        )
        self.risk = RiskEngine(self.bus, self.clock, self.store, config.risk)
        overrides = strategy_overrides or {}
        self.strategies = [
            self._strategy(n, spec, created, overrides.get(n)) for n, spec in enumerate(config.strategies)
        ]
        self._by_execution = {s.execution_id: s for s in self.strategies}
        self.recorder = Recorder(self.bus, self.clock, list(self._by_execution))
        self._initial_equity = {s.execution_id: self._account_equity(s) for s in self.strategies}
        # per execution, what sample_equity needs, looked up once: (its equity in its quote currency,
        # initial equity, the recorder's curve); built at the first sample
        self._samplers: list[tuple[Callable[[], Decimal], Decimal, list[EquitySample]]] = []
        # execution id -> (what the metrics were computed from, the metrics): a stop and the report
        # that follows it ask for the same figures
        self._metrics: dict[str, tuple[tuple[object, ...], PerformanceMetrics]] = {}
        # the hot path of process(): no isinstance and no attribute chains per input
        self._advance_to = self.clock.advance_to if isinstance(self.clock, SimulatedClock) else None
        self._data_process = self.data.process
        # clients first: they must see market data before the strategies do
        self._actors: list[Actor] = [
            self.data,
            *self.clients,
            self.emulator,
            self.portfolio,
            self.execution,
            self.risk,
            self.recorder,
        ]

    # ------------------------------------------------------------------ building
    def _populate(self, created: datetime) -> None:
        config = self.config
        for exchange in config.exchanges:
            _require_id(exchange.id, "exchanges.id")
            self.store.add_exchange(
                Exchange(
                    id=exchange.id,
                    name=exchange.name or exchange.id,
                    api_endpoint=exchange.api_endpoint,
                    web_socket_endpoint=exchange.web_socket_endpoint,
                    rate_limit=exchange.rate_limit,
                    supported_trading_types=list(exchange.supported_trading_types),
                    supported_futures_types=list(exchange.supported_futures_types),
                    status=exchange.status,
                )
            )
        for instrument in config.instruments:
            self.store.add_instrument(instrument)
        for account in config.accounts:
            _require_id(account.account_id, "accounts.account_id")
            self.store.add_account(
                TradingAccount(
                    account_id=account.account_id,
                    user_id=account.user_id,
                    exchange_id=account.exchange_id,
                    account_name=account.account_name or account.account_id,
                    account_type=account.account_type,
                    permissions=list(account.permissions),
                    balance=dict(account.balance),
                    available_balance=dict(account.balance),
                    used_balance={currency: Decimal(0) for currency in account.balance},
                    created_at=created,
                    updated_at=created,
                    hedge_mode=account.hedge_mode,
                )
            )

    def _client(self, n: int) -> Actor:
        exchange = self.config.exchanges[n]
        factory: ClientFactory = load_object(exchange.client, f"exchanges[{n}].client")
        try:
            return factory(self.bus, self.clock, self.store, exchange.id, dict(exchange.client_options))
        except ConfigError as exc:
            raise ConfigError(f"exchanges[{n}].client_options.{exc.field}", str(exc)) from None

    def _strategy(
        self,
        n: int,
        spec: StrategyConfig,
        created: datetime,
        override: tuple[type[Strategy], dict[str, Any]] | None,
    ) -> Strategy:
        if override is None:
            cls = load_strategy_class(spec.strategy, f"strategies[{n}].strategy")
            values = spec.params
        else:
            cls, values = override
        try:
            params = parse_params(cls.Params, values)
        except ConfigError as exc:
            raise ConfigError(f"strategies[{n}].params", str(exc).split(": ", 1)[-1]) from None
        strategy_id = spec.strategy_id or f"{cls.__name__}-{n + 1}"
        execution_id = spec.execution_id or strategy_id
        _require_id(strategy_id, f"strategies[{n}].strategy_id")
        _require_id(execution_id, f"strategies[{n}].execution_id")
        self.store.add_strategy(
            TradingStrategy(
                strategy_id=strategy_id,
                name=spec.name or cls.__name__,
                description=spec.description or (cls.__doc__ or "").strip().split("\n")[0],
                parameters=_builtins(params),
                risk_controls=dict(spec.risk_controls),
                user_id="local",
                created_at=created,
                updated_at=created,
            )
        )
        execution = StrategyExecution(
            execution_id=execution_id, strategy_id=strategy_id, trading_account_id=spec.account_id
        )
        self.store.add_execution(execution)
        context = StrategyContext(
            bus=self.bus,
            clock=self.clock,
            store=self.store,
            execution=execution,
            next_order_id=self.ids.next_id,
            exchange_id=spec.exchange_id,
            symbol=spec.symbol,
            portfolio=self.portfolio,
            on_error=spec.on_error,
            cancel_orders_on_stop=spec.cancel_orders_on_stop,
            close_positions_on_stop=spec.close_positions_on_stop,
            performance=self._performance_builtins,
        )
        return cls(context, params)

    def _account_equity(self, strategy: Strategy) -> Decimal:
        account = self.store.get_account(strategy.account_id)
        currency = self.quote_currency(strategy)
        return account.balance.get(currency, Decimal(0)) if account is not None else Decimal(0)

    def quote_currency(self, strategy: Strategy) -> str:
        return strategy.instrument.quote_currency

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        for actor in self._actors:
            actor.start()
        now = self.clock.timestamp_ns()
        for strategy in self.strategies:
            self.control(StartStrategy(execution_id=strategy.execution_id, ts_event=now, ts_init=now))

    def control(self, command: ControlCommand) -> None:
        """A control message from outside (operator, CLI, control server) to one execution.

        Raises ``UnknownExecution`` if no execution of this node has the command's ``execution_id``.
        """
        if command.execution_id not in self._by_execution:
            raise UnknownExecution(command.execution_id, list(self._by_execution))
        self.bus.send(topics.strategy_control(command.execution_id), command)

    def process(self, msg: Message) -> None:
        """One input from a data source: time moves to it, then it enters the DataEngine."""
        advance_to = self._advance_to  # the simulated clock's, else None: a live clock moves by itself
        if advance_to is not None:
            advance_to(msg.ts_event)
        self._data_process(msg)

    def sample_equity(self, ts: int, *, unless_unchanged: bool = False) -> None:
        """Append each execution's equity (its account's starting equity plus its own PnL).

        With ``unless_unchanged``, a curve that already ends at ``ts`` with that equity is left as it
        is: the end of a run samples before and after its stop, and only a stop that moved equity
        (closing fills) adds a sample, so the metrics computed at the stop still hold.
        """
        samplers = self._samplers
        if len(samplers) != len(self.strategies):
            samplers[:] = [
                (
                    self.portfolio.equity_reader(
                        strategy.account_id, strategy.execution_id, self.quote_currency(strategy)
                    ),
                    self._initial_equity[strategy.execution_id],
                    self.recorder.records[strategy.execution_id].curve,
                )
                for strategy in self.strategies
            ]
        for equity, initial, curve in samplers:
            value = initial + equity()
            if unless_unchanged and curve and curve[-1].ts == ts and curve[-1].equity == value:
                continue
            curve.append(EquitySample(ts, value))

    def stop(self) -> None:
        """Stop every running execution (cancelling its orders), flush bars, stop the actors."""
        now = self.clock.timestamp_ns()
        for strategy in self.strategies:
            if strategy.is_running:
                self.control(StopStrategy(execution_id=strategy.execution_id, ts_event=now, ts_init=now))
        self.data.flush_all(now)
        for actor in reversed(self._actors):
            if actor.is_running:
                actor.stop()

    def initial_equity(self, execution_id: str) -> Decimal:
        return self._initial_equity[execution_id]

    def performance(self, execution_id: str) -> PerformanceMetrics:
        """The execution's metrics from what the Recorder saw, up to the clock's time.

        The final equity is read now: when something moved it since the last sample of the curve
        (the closing fills of a stop, say), the metrics count it as one more sample, at the clock's
        time.
        """
        strategy = self._by_execution[execution_id]
        record = self.recorder.records[execution_id]
        ledger = self.portfolio.execution_ledger(strategy.account_id, execution_id)
        now = self.clock.timestamp_ns()
        exposure_ns = record.open_exposure(now)
        realized, unrealized = ledger.realized_pnl, ledger.unrealized_pnl
        initial = self._initial_equity[execution_id]
        final = initial + ledger.equity(self.quote_currency(strategy))
        curve = record.curve
        # the Recorder only appends, so these pin down everything compute_metrics reads
        inputs = (
            now,
            len(curve),
            curve[-1:],
            final,
            len(record.trades),
            ledger.fees_paid,
            realized,
            unrealized,
            exposure_ns,
        )
        cached = self._metrics.get(execution_id)
        if cached is not None and cached[0] == inputs:
            return cached[1]
        if not curve or curve[-1].equity != final:
            curve = [*curve, EquitySample(now, final)]
        metrics = compute_metrics(
            initial_equity=initial,
            curve=curve,
            trades=record.trades,
            realized_pnl=realized,
            unrealized_pnl=unrealized,
            fees=ledger.fees_paid,
            exposure_ns=exposure_ns,
            start_ns=self.start_ns,
            end_ns=now,
        )
        self._metrics[execution_id] = (inputs, metrics)
        return metrics

    def _performance_builtins(self, execution_id: str) -> dict[str, object]:
        result: dict[str, object] = msgspec.to_builtins(self.performance(execution_id))
        return result


def _require_id(value: str, field: str) -> None:
    if not _ID.match(value):
        raise ConfigError(field, f"{value!r} must be 1-40 letters, digits, '_' or '-' (it becomes a topic)")


def _builtins(params: Any) -> dict[str, object]:
    result: dict[str, object] = msgspec.to_builtins(params)
    return result
