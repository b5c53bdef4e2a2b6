"""A StrategyExecution moves only through control messages sent to ``Node.control``.

``stopped -> running`` (start), ``running -> paused`` (pause), ``paused -> running`` (resume),
``running | paused -> stopped`` (stop). While paused the strategy gets no market data and its
submissions are rejected with a reason, but its order and position updates still reach it. Stop
cancels its open orders and, if configured, flattens its positions; it stamps ``end_time`` and
fills ``performance_metrics``. A control message the machine has no move for is refused: the bus
isolates the ``InvalidTransition`` and publishes it as a ``HandlerError``; nothing else changes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from strategy_api_world import (
    BTC,
    ETH,
    MIN,
    BuyEveryBar,
    BuyFirst,
    D,
    Recording,
    RestingBid,
    bar,
    config,
    control,
    published_errors,
    recorders,
    started_node,
    strategy_spec,
)
from structlog.testing import capture_logs

from engine.bus import UnknownEndpoint
from engine.messages import (
    ControlCommand,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    PauseStrategy,
    PositionOpened,
    ResumeStrategy,
    StartStrategy,
    StopStrategy,
)
from engine.model import ExecutionStatus, OrderSide, OrderStatus, OrderType
from engine.node import Node

RUNNING, PAUSED, STOPPED = ExecutionStatus.RUNNING, ExecutionStatus.PAUSED, ExecutionStatus.STOPPED
METRIC_KEYS = {
    "total_return",
    "realized_pnl",
    "unrealized_pnl",
    "fees",
    "trades",
    "win_rate",
    "average_win",
    "average_loss",
    "profit_factor",
    "max_drawdown",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "exposure_time",
}


def closes(strategy: Recording) -> list[int]:
    return [int(b.close) for b in strategy.bars]


# -- start ---------------------------------------------------------------------------------------


def test_an_execution_is_born_stopped_and_runs_only_once_started() -> None:
    node = Node(config(strategy_spec(Recording)), start_ns=5 * MIN)
    (strategy,) = recorders(node)
    assert strategy.status is STOPPED
    assert strategy.execution.start_time is None

    node.process(bar(6, 100))  # before any start: nobody listens
    node.start()  # sends StartStrategy to every execution
    node.process(bar(7, 101))

    assert strategy.status is RUNNING
    assert strategy.execution.start_time == datetime(1970, 1, 1, 0, 6, tzinfo=UTC)  # the node's time
    assert strategy.execution.end_time is None
    assert closes(strategy) == [101]


# -- pause / resume ------------------------------------------------------------------------------


def test_pause_withholds_market_data_and_resume_delivers_it_again() -> None:
    node = started_node(strategy_spec(Recording))
    (strategy,) = recorders(node)

    node.process(bar(1, 1))
    node.process(bar(2, 2))
    control(node, PauseStrategy, strategy)
    assert strategy.status is PAUSED
    node.process(bar(3, 3))
    node.process(bar(4, 4))
    control(node, ResumeStrategy, strategy)
    assert strategy.status is RUNNING
    node.process(bar(5, 5))

    assert closes(strategy) == [1, 2, 5]


def test_while_paused_a_resting_order_still_fills_and_reaches_the_strategy() -> None:
    node = started_node(strategy_spec(RestingBid, params={"bid": "95", "ask": "105"}))
    (strategy,) = recorders(node)
    assert isinstance(strategy, RestingBid)

    node.process(bar(1, 100))  # the strategy bids 0.1 at 95
    control(node, PauseStrategy, strategy)
    node.process(bar(2, 96, open=100, low=94))  # trades through 95 while paused

    assert closes(strategy) == [100]  # no market data while paused...
    (fill,) = strategy.of_type(OrderFilled)  # ...but the fill and the new position arrive
    assert (fill.client_order_id, fill.price, fill.quantity) == (strategy.bid_id, D(95), D("0.1"))
    assert [type(e) for e in strategy.position_events] == [PositionOpened]
    assert strategy.position() is not None


def test_while_paused_a_submission_is_rejected_with_a_reason_the_strategy_reads() -> None:
    node = started_node(strategy_spec(RestingBid, params={"bid": "95", "ask": "105"}))
    (strategy,) = recorders(node)
    assert isinstance(strategy, RestingBid)
    node.process(bar(1, 100))
    control(node, PauseStrategy, strategy)
    node.process(bar(2, 96, open=100, low=94))  # the fill makes the strategy offer its take-profit

    (rejected,) = strategy.of_type(OrderRejected)
    assert rejected.client_order_id == strategy.take_profit_id
    assert rejected.reason_code == "strategy.paused"
    assert rejected.reason == f"strategy execution {strategy.execution_id} is paused"
    order = strategy.order(strategy.take_profit_id)
    assert order is not None
    assert (order.status, order.side, order.status_reason) == (
        OrderStatus.REJECTED,
        OrderSide.SELL,
        "strategy.paused",
    )
    # it never reached the venue: only the bid was ever accepted
    assert [e.client_order_id for e in strategy.of_type(OrderAccepted)] == [strategy.bid_id]


def test_after_resume_submissions_reach_the_venue_again() -> None:
    node = started_node(strategy_spec(BuyEveryBar))
    (strategy,) = recorders(node)
    control(node, PauseStrategy, strategy)
    refused = strategy.buy("0.1")
    control(node, ResumeStrategy, strategy)
    accepted = strategy.buy("0.1")
    node.process(bar(1, 100))  # and on_bar buys once more

    assert [(e.client_order_id, e.reason_code) for e in strategy.of_type(OrderRejected)] == [
        (refused, "strategy.paused")
    ]
    assert [e.client_order_id for e in strategy.of_type(OrderAccepted)][:1] == [accepted]
    assert strategy.net_quantity() == D("0.2")


# -- stop ----------------------------------------------------------------------------------------


def test_stop_cancels_open_orders_stamps_end_time_and_fills_the_metrics() -> None:
    node = started_node(strategy_spec(RestingBid, params={"bid": "90"}))
    (strategy,) = recorders(node)
    assert isinstance(strategy, RestingBid)
    node.process(bar(1, 100))
    node.process(bar(2, 101))
    assert strategy.orders(open_only=True) != []

    control(node, StopStrategy, strategy)

    assert strategy.status is STOPPED
    assert not strategy.is_running
    assert strategy.execution.end_time == datetime(1970, 1, 1, 0, 2, tzinfo=UTC)
    assert strategy.orders(open_only=True) == []
    bid = strategy.order(strategy.bid_id)
    assert bid is not None and bid.status is OrderStatus.CANCELLED
    assert strategy.execution.performance_metrics.keys() >= METRIC_KEYS
    assert strategy.execution.performance_metrics["trades"] == 0

    node.process(bar(3, 102))
    assert closes(strategy) == [100, 101]  # a stopped strategy hears nothing more


def test_stop_cancels_every_open_order_including_those_the_emulator_holds() -> None:
    node = started_node(strategy_spec(BuyFirst, params={"size": "0.1"}))
    (strategy,) = recorders(node)
    node.process(bar(1, 100))
    stop_loss = strategy.submit_order(OrderSide.SELL, "0.1", order_type=OrderType.STOP, stop_price="90")
    take_profit = strategy.sell("0.1", price="120")

    control(node, StopStrategy, strategy)
    node.process(bar(2, 80, open=100))  # would have triggered the stop-loss

    assert [(o.order_id, o.status) for o in strategy.orders()[1:]] == [
        (stop_loss, OrderStatus.CANCELLED),
        (take_profit, OrderStatus.CANCELLED),
    ]
    assert strategy.net_quantity() == D("0.1")  # close_positions_on_stop is off by default


def test_stop_can_leave_open_orders_working() -> None:
    node = started_node(strategy_spec(RestingBid, params={"bid": "90"}, cancel_orders_on_stop=False))
    (strategy,) = recorders(node)
    assert isinstance(strategy, RestingBid)
    node.process(bar(1, 100))
    control(node, StopStrategy, strategy)

    bid = strategy.order(strategy.bid_id)
    assert bid is not None and bid.status is OrderStatus.PENDING


def test_stop_flattens_positions_when_configured_and_the_metrics_count_the_closing_fill() -> None:
    node = started_node(strategy_spec(BuyFirst, params={"size": "0.1"}, close_positions_on_stop=True))
    (strategy,) = recorders(node)
    node.process(bar(1, 100))  # buys 0.1 at 100
    node.process(bar(2, 110))
    node.sample_equity(2 * MIN)

    control(node, StopStrategy, strategy)

    assert strategy.positions() == []
    closing = strategy.orders()[-1]
    assert (closing.side, closing.quantity, closing.status, closing.average_fill_price) == (
        OrderSide.SELL,
        D("0.1"),
        OrderStatus.FILLED,
        D(110),
    )
    metrics = strategy.execution.performance_metrics
    assert metrics.keys() >= METRIC_KEYS
    assert metrics["trades"] == 1
    assert D(str(metrics["realized_pnl"])) == D("1.0")  # (110 - 100) * 0.1
    assert D(str(metrics["unrealized_pnl"])) == 0
    assert D(str(metrics["fees"])) == D("0.0105")  # taker 0.05 % of 10 and of 11
    assert D(str(metrics["win_rate"])) == 1


def test_stop_keeps_positions_open_by_default() -> None:
    node = started_node(strategy_spec(BuyFirst, params={"size": "0.1"}))
    (strategy,) = recorders(node)
    node.process(bar(1, 100))
    node.process(bar(2, 110))

    control(node, StopStrategy, strategy)

    (position,) = strategy.positions()
    assert position.quantity == D("0.1")
    metrics = strategy.execution.performance_metrics
    assert (metrics["trades"], D(str(metrics["unrealized_pnl"]))) == (0, D("1.0"))


def test_a_paused_execution_can_be_stopped_and_a_stopped_one_started_again() -> None:
    node = started_node(strategy_spec(Recording))
    (strategy,) = recorders(node)
    node.process(bar(1, 1))
    control(node, PauseStrategy, strategy)
    control(node, StopStrategy, strategy)
    assert strategy.status is STOPPED
    node.process(bar(2, 2))

    control(node, StartStrategy, strategy)
    node.process(bar(3, 3))

    assert strategy.status is RUNNING
    assert strategy.execution.start_time == datetime(1970, 1, 1, 0, 2, tzinfo=UTC)
    assert strategy.execution.end_time is None
    assert closes(strategy) == [1, 3]


def test_node_stop_stops_every_execution_running_or_paused() -> None:
    node = started_node(strategy_spec(Recording), strategy_spec(Recording, symbol=ETH))
    first, second = node.strategies
    control(node, PauseStrategy, second)
    node.process(bar(1, 100))

    node.stop()

    assert [s.status for s in node.strategies] == [STOPPED, STOPPED]
    assert all(s.execution.end_time is not None and s.execution.performance_metrics for s in (first, second))


# -- refused control messages --------------------------------------------------------------------

Moves = list[type[ControlCommand]]


@pytest.mark.parametrize(
    ("before", "command", "status", "says"),
    [
        ([StopStrategy], PauseStrategy, STOPPED, "stopped -> paused"),
        ([StopStrategy], ResumeStrategy, STOPPED, "stopped -> running (resume needs paused)"),
        ([StopStrategy], StopStrategy, STOPPED, "stopped -> stopped"),
        ([], ResumeStrategy, RUNNING, "running -> running (resume needs paused)"),
        ([], StartStrategy, RUNNING, "running -> running (start needs stopped)"),
        ([PauseStrategy], PauseStrategy, PAUSED, "paused -> paused"),
        ([PauseStrategy], StartStrategy, PAUSED, "paused -> running (start needs stopped)"),
    ],
)
def test_an_invalid_control_message_is_refused_and_published_without_disturbing_the_node(
    before: Moves, command: type[ControlCommand], status: ExecutionStatus, says: str
) -> None:
    node = started_node(strategy_spec(Recording), strategy_spec(BuyEveryBar, symbol=ETH))
    target, bystander = recorders(node)
    for move in before:
        control(node, move, target)
    errors = published_errors(node)
    execution_before = (target.execution.start_time, target.execution.end_time)

    with capture_logs() as logs:
        control(node, command, target)  # does not raise

    (error,) = errors
    assert (error.topic, error.handler, error.error_type) == (
        f"Strategy.{target.execution_id}",
        "Strategy._on_control",
        "InvalidTransition",
    )
    assert error.error == f"StrategyExecution: invalid transition {says}"
    (logged,) = [e for e in logs if e["event"] == "handler_error"]
    assert logged["log_level"] == "error" and isinstance(logged["exc_info"], Exception)
    assert target.status is status
    assert (target.execution.start_time, target.execution.end_time) == execution_before

    node.process(bar(1, 100))
    node.process(bar(1, 2000, ETH))
    assert closes(target) == ([100] if status is RUNNING else [])
    assert bystander.net_quantity() == D("0.1")  # the rest of the node trades on


def test_a_control_message_for_an_unknown_execution_is_refused_to_its_sender() -> None:
    node = started_node(strategy_spec(BuyEveryBar))
    with pytest.raises(UnknownEndpoint, match=r"'Strategy\.nobody'"):
        node.control(PauseStrategy(execution_id="nobody", ts_event=0, ts_init=0))

    node.process(bar(1, 100))
    (strategy,) = recorders(node)
    assert strategy.status is RUNNING
    assert strategy.net_quantity() == D("0.1")
    assert node.bus.errors == 0
    assert strategy.instrument.symbol == BTC
