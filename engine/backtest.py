"""Backtests: run a node over recorded market data as fast as the CPU allows, and report on it.

The report is a msgspec struct, so its JSON keeps every Decimal exact (as a string). Equity is
sampled after each input once ``sample_interval_ns`` of data time has passed (every bar with
one-minute bars), after the input's consequences (orders, fills) have been handled.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version

import msgspec

from engine.clock import SimulatedClock
from engine.components.recorder import FillRecord
from engine.config import NodeConfig
from engine.journal import JournalWriter
from engine.messages import Message
from engine.metrics import EquitySample, PerformanceMetrics
from engine.model import ExecutionStatus, Order, OrderSide, OrderStatus, OrderType, PositionSide
from engine.node import EQUITY_SAMPLE_NS, Node
from engine.replay import finish, record


class OrderSummary(msgspec.Struct, frozen=True, kw_only=True):
    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    status: OrderStatus
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    reason: str


class PositionSummary(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    current_price: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal


class ExecutionReport(msgspec.Struct, frozen=True, kw_only=True):
    execution_id: str
    strategy_id: str
    strategy: str
    params: dict[str, object]
    account_id: str
    symbol: str
    status: ExecutionStatus
    metrics: PerformanceMetrics
    # the instrument's own change over the run, last price / first price - 1 (trades or bar
    # closes): what buying at the start and holding would have made, before fees
    market_change: Decimal | None
    orders: list[OrderSummary]
    fills: list[FillRecord]
    final_positions: list[PositionSummary]
    equity_curve: list[EquitySample]


class AccountSummary(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    balance: dict[str, Decimal]
    available_balance: dict[str, Decimal]
    used_balance: dict[str, Decimal]
    total_pnl: Decimal


class BacktestReport(msgspec.Struct, frozen=True, kw_only=True):
    engine_version: str
    start_ns: int
    end_ns: int
    events: int
    elapsed_s: float
    events_per_second: float
    executions: list[ExecutionReport]
    accounts: list[AccountSummary]


def run_backtest(
    config: NodeConfig,
    data: Iterable[Message],
    *,
    sample_interval_ns: int = EQUITY_SAMPLE_NS,
    on_progress: Callable[[int], None] | None = None,
    journal: JournalWriter | None = None,
) -> tuple[Node, BacktestReport]:
    """Feed ``data`` through a fresh node built from ``config``; return the node and its report.

    With ``journal``, every input is recorded before it is handled and every output after it is
    published (see ``engine.replay``); ``on_progress`` is called every 10,000 inputs and at the end.
    """
    stream = iter(data)
    first = next(stream, None)
    start_ns = first.ts_event if first is not None else 0
    node = Node(config, start_ns=start_ns)
    on_input = record(node, journal) if journal is not None else None
    node.start()
    started = time.perf_counter()
    count = 0
    last_ts = start_ns
    next_sample = start_ns
    # Node.process, inlined: this loop runs once per input, so it keeps the two calls it makes in
    # locals (the node was built here, so its clock is a SimulatedClock that the data moves)
    clock = node.clock
    assert isinstance(clock, SimulatedClock)
    advance_to = clock.advance_to
    data_process = node.data.process
    sample_equity = node.sample_equity
    if first is not None:
        inputs: Iterator[Message] = itertools.chain((first,), stream)
        if on_input is not None or on_progress is not None:
            inputs = _observed(inputs, on_input, on_progress)
        # the hooks live in the stream, and the chain and the count iterate in C
        for count, msg in enumerate(inputs, 1):  # noqa: B007 -- count is read after the loop
            last_ts = msg.ts_event
            advance_to(last_ts)
            data_process(msg)
            if last_ts >= next_sample:
                sample_equity(last_ts)
                next_sample = last_ts - last_ts % sample_interval_ns + sample_interval_ns
    if on_progress is not None:
        on_progress(count)
    finish(node, last_ts)
    elapsed = time.perf_counter() - started
    return node, build_report(node, start_ns, last_ts, count, elapsed)


def _observed(
    inputs: Iterator[Message],
    on_input: Callable[[Message], None] | None,
    on_progress: Callable[[int], None] | None,
) -> Iterator[Message]:
    """The inputs, with ``on_input`` called on each before it is handled and ``on_progress`` after
    every 10,000th has been handled (its consequences and equity sample included)."""
    for count, msg in enumerate(inputs, 1):
        if on_input is not None:
            on_input(msg)
        yield msg
        if on_progress is not None and count % 10_000 == 0:
            on_progress(count)


def build_report(node: Node, start_ns: int, end_ns: int, events: int, elapsed: float) -> BacktestReport:
    executions = []
    for strategy in node.strategies:
        execution_id = strategy.execution_id
        metrics = node.performance(execution_id)
        trading = node.store.get_strategy(strategy.execution.strategy_id)
        record = node.recorder.records[execution_id]
        executions.append(
            ExecutionReport(
                execution_id=execution_id,
                strategy_id=strategy.execution.strategy_id,
                strategy=f"{type(strategy).__module__}:{type(strategy).__name__}",
                params=trading.parameters if trading is not None else {},
                account_id=strategy.account_id,
                symbol=strategy.context.symbol,
                status=strategy.execution.status,
                metrics=metrics,
                market_change=_market_change(node, strategy.context.exchange_id, strategy.context.symbol),
                orders=[_order_summary(order) for order in strategy.orders()],
                fills=record.fills,
                final_positions=[
                    PositionSummary(
                        symbol=p.instrument.symbol,
                        side=p.side,
                        quantity=p.quantity,
                        entry_price=p.entry_price,
                        current_price=p.current_price,
                        unrealized_pnl=p.unrealized_pnl,
                        realized_pnl=p.realized_pnl,
                    )
                    for p in strategy.positions()
                ],
                equity_curve=record.curve,
            )
        )
    accounts = []
    for account in node.store.list_accounts():
        view = node.portfolio.account(account.account_id) or account
        accounts.append(
            AccountSummary(
                account_id=view.account_id,
                balance=dict(view.balance),
                available_balance=dict(view.available_balance),
                used_balance=dict(view.used_balance),
                total_pnl=view.total_pnl,
            )
        )
    return BacktestReport(
        engine_version=engine_version(),
        start_ns=start_ns,
        end_ns=end_ns,
        events=events,
        elapsed_s=elapsed,
        events_per_second=events / elapsed if elapsed > 0 else 0.0,
        executions=executions,
        accounts=accounts,
    )


def _market_change(node: Node, exchange_id: str, symbol: str) -> Decimal | None:
    prices = node.data.price_range(exchange_id, symbol)
    if prices is None:
        return None
    first, last = prices
    return (last / first - 1).quantize(_CHANGE_QUANTUM)


_CHANGE_QUANTUM = Decimal("1e-8")


def _order_summary(order: Order) -> OrderSummary:
    return OrderSummary(
        client_order_id=order.order_id,
        symbol=order.instrument.symbol,
        side=order.side,
        order_type=order.order_type,
        quantity=order.quantity,
        price=order.price,
        status=order.status,
        filled_quantity=order.filled_quantity,
        average_fill_price=order.average_fill_price,
        reason=order.status_reason,
    )


def engine_version() -> str:
    try:
        return version("metaexpert")
    except PackageNotFoundError:
        return "0+unknown"


__all__ = ["BacktestReport", "build_report", "run_backtest"]
