"""A strategy's market-data streams: asked for once, given back on unsubscribe and on stop.

The DataEngine counts subscribers per stream and tells the venue's data client on the first
subscribe and the last unsubscribe. A stopped (or restarted) strategy must leave those counts as
they were before it started, or a long-lived live node keeps venue feeds open for nobody. The data
client here is a real endpoint on the node's bus that records what reaches it.
"""

from __future__ import annotations

from strategy_api_world import (
    BTC,
    EX,
    Recording,
    bar,
    control,
    recorders,
    started_node,
    strategy_spec,
    trade,
)

from engine import topics
from engine.messages import Message, StartStrategy, StopStrategy, SubscribeData, UnsubscribeData
from engine.model.enums import DataType
from engine.node import Node

BARS_1M = (EX, BTC, DataType.BAR, "1m")
TRADES = (EX, BTC, DataType.TRADE, "")


def data_client(node: Node) -> list[tuple[str, DataType]]:
    """Register the venue's data client; it records (kind, data type) of each request it gets."""
    seen: list[tuple[str, DataType]] = []

    def receive(msg: Message) -> None:
        assert isinstance(msg, SubscribeData | UnsubscribeData)
        seen.append((type(msg).__name__, msg.data_type))

    node.bus.register_endpoint(topics.data_client(EX), receive)
    return seen


def test_stop_gives_back_the_strategys_streams_and_the_venue_is_told() -> None:
    node = started_node(strategy_spec(Recording))
    seen = data_client(node)
    (strategy,) = recorders(node)
    assert node.data.subscriptions == {BARS_1M: 1}

    control(node, StopStrategy, strategy)
    assert node.data.subscriptions == {}
    control(node, StartStrategy, strategy)
    assert node.data.subscriptions == {BARS_1M: 1}
    control(node, StopStrategy, strategy)

    assert node.data.subscriptions == {}
    # a 1m bar stream is built from trades: the venue is told to stop trades, asked again, told again
    unsubscribe, subscribe = ("UnsubscribeData", DataType.TRADE), ("SubscribeData", DataType.TRADE)
    assert seen == [unsubscribe, subscribe, unsubscribe]


def test_a_restarted_strategy_counts_once_and_still_receives_each_bar_once() -> None:
    node = started_node(strategy_spec(Recording))
    (strategy,) = recorders(node)
    for _ in range(3):
        control(node, StopStrategy, strategy)
        control(node, StartStrategy, strategy)

    assert node.data.subscriptions == {BARS_1M: 1}
    node.process(bar(1, 100))
    assert [b.close for b in strategy.bars] == [100]


def test_subscribing_twice_is_one_subscription_and_one_delivery() -> None:
    node = started_node(strategy_spec(Recording))
    (strategy,) = recorders(node)
    strategy.subscribe_bars("1m")

    node.process(bar(1, 100))

    assert node.data.subscriptions == {BARS_1M: 1}
    assert len(strategy.bars) == 1


def test_unsubscribe_stops_delivery_at_once_and_only_the_last_subscriber_closes_the_feed() -> None:
    node = started_node(
        strategy_spec(Recording, params={"trades": True}), strategy_spec(Recording, params={"trades": True})
    )
    seen = data_client(node)
    first, second = recorders(node)
    node.process(trade(1, 100))

    first.unsubscribe_trades()
    node.process(trade(2, 101))
    assert node.data.subscriptions == {TRADES: 1}
    assert seen == []  # the other strategy still streams trades: the venue is not told

    second.unsubscribe_trades()
    second.unsubscribe_trades()  # a stream it no longer has: nothing happens
    node.process(trade(3, 102))

    assert [t.price for t in first.ticks] == [100]
    assert [t.price for t in second.ticks] == [100, 101]
    assert node.data.subscriptions == {}
    assert seen == [("UnsubscribeData", DataType.TRADE)]


def test_a_strategy_that_subscribes_and_then_fails_to_start_leaves_no_stream_behind() -> None:
    node = started_node(strategy_spec(FailsAfterSubscribing))
    (strategy,) = node.strategies

    assert not strategy.is_running
    assert node.data.subscriptions == {}


class FailsAfterSubscribing(Recording):
    def on_start(self) -> None:
        self.subscribe_bars("1m")
        raise RuntimeError("configuration missing")
