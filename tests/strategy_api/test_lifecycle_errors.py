"""A strategy whose handler raises is isolated: the error is logged with its traceback, published
as a ``HandlerError`` on ``events.error``, handed to its ``on_error``, and its execution's
``on_error`` policy applies ("pause", "stop" or "continue"). The node and every other strategy go
on receiving data and trading.
"""

from __future__ import annotations

import pytest
from strategy_api_world import (
    ETH,
    BuyEveryBar,
    D,
    Exploding,
    FailsOnFill,
    FailsToStart,
    Recording,
    bar,
    config,
    control,
    published_errors,
    recorders,
    started_node,
    strategy_spec,
)
from structlog.testing import capture_logs

from engine.errors import ConfigError
from engine.messages import OrderFilled, ResumeStrategy
from engine.model import ExecutionStatus
from engine.node import Node

RUNNING, PAUSED, STOPPED = ExecutionStatus.RUNNING, ExecutionStatus.PAUSED, ExecutionStatus.STOPPED


def exploding_next_to_a_trader(policy: str) -> tuple[Node, Recording, Recording]:
    """``Exploding`` on BTCUSDT under ``policy`` next to ``BuyEveryBar`` on ETHUSDT, both started."""
    node = started_node(strategy_spec(Exploding, on_error=policy), strategy_spec(BuyEveryBar, symbol=ETH))
    exploding, trader = recorders(node)
    return node, exploding, trader


def feed_three_minutes(node: Node) -> None:
    for minute in (1, 2, 3):
        node.process(bar(minute, 100 + minute))
        node.process(bar(minute, 2000 + minute, ETH))


@pytest.mark.parametrize(
    ("policy", "status", "bars_seen"),
    [
        ("pause", PAUSED, 1),  # paused at the first error: no more market data
        ("stop", STOPPED, 1),
        ("continue", RUNNING, 3),  # every bar delivered, every bar fails
    ],
)
def test_the_error_policy_applies_to_the_failing_execution_only(
    policy: str, status: ExecutionStatus, bars_seen: int
) -> None:
    node, exploding, trader = exploding_next_to_a_trader(policy)

    feed_three_minutes(node)

    assert exploding.status is status
    assert len(exploding.bars) == bars_seen
    assert exploding.errors == bars_seen
    assert trader.status is RUNNING
    assert [b.close for b in trader.bars] == [2001, 2002, 2003]
    assert [(f.symbol, f.price) for f in trader.of_type(OrderFilled)] == [
        (ETH, D(2001)),
        (ETH, D(2002)),
        (ETH, D(2003)),
    ]


def test_the_error_is_published_on_events_error_with_handler_and_text() -> None:
    node, exploding, _ = exploding_next_to_a_trader("continue")
    errors = published_errors(node)

    feed_three_minutes(node)

    assert [(e.handler, e.error_type, e.error) for e in errors] == [
        ("Exploding.on_bar", "RuntimeError", "boom at close 101"),
        ("Exploding.on_bar", "RuntimeError", "boom at close 102"),
        ("Exploding.on_bar", "RuntimeError", "boom at close 103"),
    ]
    assert {e.topic for e in errors} == {f"Strategy.{exploding.execution_id}"}
    assert exploding.handler_errors == errors  # the strategy's own on_error sees the same
    assert node.bus.errors == 0  # isolated inside the strategy: the bus never saw a handler fail


def test_the_error_is_logged_with_its_traceback() -> None:
    node, exploding, _ = exploding_next_to_a_trader("pause")

    with capture_logs() as logs:
        node.process(bar(1, 101))

    (logged,) = [e for e in logs if e["event"] == "strategy_error"]
    assert logged["log_level"] == "error"
    assert (logged["execution_id"], logged["handler"], logged["message_type"]) == (
        exploding.execution_id,
        "Exploding.on_bar",
        "Bar",
    )
    traceback = logged["traceback"]
    assert traceback.startswith("Traceback (most recent call last):")
    assert 'raise RuntimeError(f"boom at close {bar.close}")' in traceback
    assert traceback.rstrip().endswith("RuntimeError: boom at close 101")


def test_a_strategy_whose_on_start_raises_is_stopped_not_left_running_without_handlers() -> None:
    node = Node(config(strategy_spec(FailsToStart), strategy_spec(BuyEveryBar, symbol=ETH)))
    errors = published_errors(node)
    node.start()
    failed, trader = recorders(node)

    assert [(e.topic, e.handler, e.error) for e in errors] == [
        (f"Strategy.{failed.execution_id}", "Strategy._on_control", "no warm-up data")
    ]
    assert failed.status is STOPPED and not failed.is_running
    assert failed.execution.end_time is not None
    node.process(bar(1, 100))
    node.process(bar(1, 2000, ETH))
    assert failed.bars == []
    assert trader.net_quantity() == D("0.1")


def test_an_unknown_policy_is_refused_at_start_up_naming_the_field() -> None:
    with pytest.raises(ConfigError) as refused:
        config(strategy_spec(Exploding, on_error="retry"))
    assert refused.value.field == "strategies[0].on_error"
    assert "Invalid enum value 'retry'" in str(refused.value)


def test_a_stopped_by_error_execution_has_end_time_and_metrics() -> None:
    node, exploding, _ = exploding_next_to_a_trader("stop")
    node.process(bar(1, 101))

    assert exploding.execution.end_time is not None
    assert exploding.execution.performance_metrics["trades"] == 0
    assert not exploding.is_running


def test_an_operator_may_resume_an_execution_paused_by_its_error() -> None:
    node, exploding, _ = exploding_next_to_a_trader("pause")
    node.process(bar(1, 101))
    assert exploding.status is PAUSED

    control(node, ResumeStrategy, exploding)
    node.process(bar(2, 102))  # delivered again, fails again, paused again

    assert [b.close for b in exploding.bars] == [101, 102]
    assert exploding.status is PAUSED


def test_an_error_in_an_order_handler_is_isolated_the_same_way() -> None:
    node = started_node(strategy_spec(FailsOnFill), strategy_spec(BuyEveryBar, symbol=ETH))
    failing, trader = recorders(node)
    errors = published_errors(node)

    node.process(bar(1, 100))
    node.process(bar(1, 2000, ETH))

    assert [(e.handler, e.error) for e in errors] == [("FailsOnFill.on_order", "cannot handle O-1")]
    assert failing.status is PAUSED  # the default policy
    assert failing.net_quantity() == D("0.1")  # the fill itself was booked
    assert trader.net_quantity() == D("0.1")
