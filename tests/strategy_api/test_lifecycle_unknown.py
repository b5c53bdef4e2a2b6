"""A control message for an execution the node does not run is refused to its sender with an
``UnknownExecution`` (an ``EngineError``) naming the execution id and the executions the node runs;
nothing reaches the bus and every running execution goes on as before.
"""

from __future__ import annotations

import pytest
from strategy_api_world import BTC, BuyEveryBar, D, bar, recorders, started_node, strategy_spec

from engine.errors import EngineError
from engine.messages import PauseStrategy, ResumeStrategy, StartStrategy, StopStrategy
from engine.model import ExecutionStatus
from engine.node import UnknownExecution


@pytest.mark.parametrize("command", [StartStrategy, PauseStrategy, ResumeStrategy, StopStrategy])
def test_a_control_message_for_an_unknown_execution_raises_unknown_execution_naming_it(command) -> None:
    node = started_node(strategy_spec(BuyEveryBar, execution_id="trader"))
    sent_before = node.bus.sent

    with pytest.raises(UnknownExecution, match=r"no strategy execution 'nobody'.*it runs: trader") as raised:
        node.control(command(execution_id="nobody", ts_event=0, ts_init=0))

    assert isinstance(raised.value, EngineError)
    assert raised.value.execution_id == "nobody"
    assert raised.value.known == ["trader"]
    assert node.bus.sent == sent_before  # refused before the bus
    assert node.bus.errors == 0


def test_the_node_trades_on_after_refusing_a_control_message_for_an_unknown_execution() -> None:
    node = started_node(strategy_spec(BuyEveryBar))
    with pytest.raises(UnknownExecution):
        node.control(StopStrategy(execution_id="nobody", ts_event=0, ts_init=0))

    node.process(bar(1, 100))

    (strategy,) = recorders(node)
    assert strategy.status is ExecutionStatus.RUNNING
    assert strategy.instrument.symbol == BTC
    assert strategy.net_quantity() == D("0.1")
    assert node.bus.errors == 0
