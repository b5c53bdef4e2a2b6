"""The bus's promises: who gets a message, in which order, and what survives a failing handler."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from engine.bus import BusError, MessageBus, UnknownEndpoint, UnknownRequest
from engine.errors import EngineError
from engine.messages import HandlerError, TimerEvent, TradeTick

TICK = TradeTick(
    ts_event=1, ts_init=2, exchange_id="binance", symbol="BTCUSDT", price=Decimal("1"), quantity=Decimal("2")
)


class Recorder:
    """Handlers that append (name, message) to one shared log, so order across handlers shows."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []

    def handler(self, name: str) -> Callable[[Any], None]:
        def handle(msg: Any) -> None:
            self.log.append((name, msg))

        handle.__qualname__ = name
        return handle

    def names(self) -> list[str]:
        return [name for name, _ in self.log]


def boom(msg: Any) -> None:
    raise RuntimeError(f"cannot handle {msg!r}")


# -- publish / subscribe -----------------------------------------------------------------------


def test_exact_topic_reaches_its_subscriber_only() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.subscribe("data.trade.binance.BTCUSDT", rec.handler("btc"))
    bus.subscribe("data.trade.binance.ETHUSDT", rec.handler("eth"))
    bus.publish("data.trade.binance.BTCUSDT", TICK)
    assert rec.log == [("btc", TICK)]


def test_star_matches_exactly_one_segment() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.subscribe("data.trade.*.*", rec.handler("trades"))
    bus.subscribe("events.order.*", rec.handler("orders"))
    bus.publish("data.trade.binance.BTCUSDT", 1)
    bus.publish("data.trade.binance", 2)  # one segment short
    bus.publish("data.trade.binance.BTCUSDT.x", 3)  # one segment long
    bus.publish("events.order.strat-1", 4)
    bus.publish("events.order", 5)
    bus.publish("data.quote.binance.BTCUSDT", 6)
    assert rec.log == [("trades", 1), ("orders", 4)]


def test_topic_without_subscribers_is_dropped_and_counted() -> None:
    bus = MessageBus()
    bus.publish("data.trade.binance.BTCUSDT", TICK)
    assert (bus.published, bus.delivered) == (1, 0)


def test_handlers_run_in_subscription_order_across_patterns() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.subscribe("data.*.binance.BTCUSDT", rec.handler("a"))
    bus.subscribe("data.trade.binance.BTCUSDT", rec.handler("b"))
    bus.subscribe("data.trade.*.*", rec.handler("c"))
    bus.subscribe("*.trade.binance.*", rec.handler("d"))
    bus.publish("data.trade.binance.BTCUSDT", TICK)
    assert rec.names() == ["a", "b", "c", "d"]


def test_higher_priority_runs_first_then_subscription_order() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.subscribe("t.x", rec.handler("low"))
    bus.subscribe("t.*", rec.handler("high"), priority=10)
    bus.subscribe("t.x", rec.handler("low2"))
    bus.publish("t.x", 1)
    assert rec.names() == ["high", "low", "low2"]


def test_handler_matched_by_two_patterns_receives_once() -> None:
    bus, rec = MessageBus(), Recorder()
    handler = rec.handler("h")
    bus.subscribe("a.*", handler)
    bus.subscribe("*.b", handler)
    bus.publish("a.b", 1)
    assert rec.log == [("h", 1)]


def test_subscribing_twice_is_a_no_op() -> None:
    bus, rec = MessageBus(), Recorder()
    handler = rec.handler("h")
    bus.subscribe("a.b", handler)
    bus.subscribe("a.b", handler)
    bus.publish("a.b", 1)
    assert rec.log == [("h", 1)]


def test_bound_methods_are_recognised_for_unsubscribe() -> None:
    class Strategy:
        def __init__(self) -> None:
            self.seen: list[Any] = []

        def on_trade(self, msg: Any) -> None:
            self.seen.append(msg)

    bus, strategy = MessageBus(), Strategy()
    bus.subscribe("a.b", strategy.on_trade)
    bus.publish("a.b", 1)
    bus.unsubscribe("a.b", strategy.on_trade)  # a new bound-method object, equal to the first
    bus.publish("a.b", 2)
    assert strategy.seen == [1]


def test_unsubscribe_invalidates_the_cached_route() -> None:
    bus, rec = MessageBus(), Recorder()
    first, second = rec.handler("first"), rec.handler("second")
    bus.subscribe("a.*", first)
    bus.subscribe("a.b", second)
    bus.publish("a.b", 1)  # caches the route (first, second)
    bus.unsubscribe("a.*", first)
    bus.publish("a.b", 2)
    bus.unsubscribe("a.b", second)
    bus.publish("a.b", 3)
    assert rec.log == [("first", 1), ("second", 1), ("second", 2)]


def test_subscribe_after_first_publish_is_seen() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.publish("a.b", 1)  # caches an empty route
    bus.subscribe("a.*", rec.handler("late"))
    bus.publish("a.b", 2)
    assert rec.log == [("late", 2)]


def test_unsubscribing_an_unknown_pair_is_ignored() -> None:
    bus = MessageBus()
    bus.unsubscribe("a.b", boom)


@pytest.mark.parametrize("pattern", ["", "a..b", "a.b*", "a.*x", ".a", "a."])
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(BusError, match="invalid pattern"):
        MessageBus().subscribe(pattern, boom)


@pytest.mark.parametrize("topic", ["a.*", "a..b", ""])
def test_malformed_topics_are_refused(topic: str) -> None:
    with pytest.raises(BusError, match="invalid topic"):
        MessageBus().publish(topic, 1)


def test_malformed_topic_published_by_a_handler_is_that_handlers_error() -> None:
    bus, rec = MessageBus(), Recorder()

    def publish_badly(msg: Any) -> None:
        bus.publish("t..x", msg)

    bus.subscribe("t.a", publish_badly)
    bus.subscribe("events.error", rec.handler("error"))
    with capture_logs():
        bus.publish("t.a", 1)
    [(_, error)] = rec.log
    assert (error.topic, error.error_type) == ("t.a", "BusError")


# -- the run queue -----------------------------------------------------------------------------


def test_nested_publish_is_handled_after_the_current_handler_returns() -> None:
    bus, order = MessageBus(), []

    def first(msg: Any) -> None:
        order.append(f"first:{msg} begin")
        if msg == "outer":
            bus.publish("t.inner", "inner")
        order.append(f"first:{msg} end")

    def second(msg: Any) -> None:
        order.append(f"second:{msg}")

    bus.subscribe("t.*", first)
    bus.subscribe("t.*", second)
    bus.publish("t.outer", "outer")
    assert order == [
        "first:outer begin",
        "first:outer end",
        "second:outer",
        "first:inner begin",
        "first:inner end",
        "second:inner",
    ]


def test_queue_is_fifo_across_publish_send_and_respond() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.register_endpoint("svc", rec.handler("endpoint"))
    bus.register_responder("ask", lambda msg, cid: bus.respond(cid, f"re:{msg}"))

    def start(msg: Any) -> None:
        bus.send("svc", "s1")
        bus.publish("t.b", "p1")
        bus.request("ask", "q1", rec.handler("response"))
        bus.publish("t.b", "p2")

    bus.subscribe("t.a", start)
    bus.subscribe("t.b", rec.handler("topic"))
    bus.publish("t.a", "go")
    # the responder runs in queue order (after p1) and its response is queued behind p2
    assert rec.log == [("endpoint", "s1"), ("topic", "p1"), ("topic", "p2"), ("response", "re:q1")]


def test_handler_unsubscribed_while_a_message_is_queued_does_not_receive_it() -> None:
    bus, rec = MessageBus(), Recorder()
    late = rec.handler("late")

    def first(msg: Any) -> None:
        bus.publish("t.b", "queued")
        bus.unsubscribe("t.b", late)

    bus.subscribe("t.a", first)
    bus.subscribe("t.b", late)
    bus.publish("t.a", "go")
    assert rec.log == []


# -- point to point ----------------------------------------------------------------------------


def test_send_reaches_the_registered_endpoint() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.register_endpoint("RiskEngine.execute", rec.handler("risk"))
    bus.send("RiskEngine.execute", TICK)
    assert rec.log == [("risk", TICK)]
    assert (bus.sent, bus.delivered) == (1, 1)


def test_send_to_an_unknown_endpoint_raises_a_key_error() -> None:
    bus = MessageBus()
    with pytest.raises(UnknownEndpoint, match="no endpoint named 'nowhere'") as raised:
        bus.send("nowhere", 1)
    assert isinstance(raised.value, KeyError)
    assert isinstance(raised.value, EngineError)
    assert str(raised.value) == "no endpoint named 'nowhere' is registered"


def test_endpoint_names_are_taken_once_and_can_be_released() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.register_endpoint("svc", rec.handler("one"))
    with pytest.raises(BusError, match="already registered"):
        bus.register_endpoint("svc", rec.handler("two"))
    with pytest.raises(BusError, match="already registered"):
        bus.register_responder("svc", lambda msg, cid: None)
    bus.deregister_endpoint("svc")
    with pytest.raises(UnknownEndpoint):
        bus.send("svc", 1)
    with pytest.raises(UnknownEndpoint):
        bus.deregister_endpoint("svc")


# -- request / response ------------------------------------------------------------------------


def test_immediate_response_reaches_on_response() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.register_responder("echo", lambda msg, cid: bus.respond(cid, ("echo", msg, cid)))
    cid = bus.request("echo", "ping", rec.handler("reply"))
    assert rec.log == [("reply", ("echo", "ping", cid))]


def test_deferred_response_is_delivered_when_respond_is_called() -> None:
    bus, rec = MessageBus(), Recorder()
    waiting: list[tuple[Any, int]] = []
    bus.register_responder("snapshot", lambda msg, cid: waiting.append((msg, cid)))
    first = bus.request("snapshot", "BTCUSDT", rec.handler("btc"))
    second = bus.request("snapshot", "ETHUSDT", rec.handler("eth"))
    assert first != second
    assert rec.log == []
    bus.respond(second, "eth book")
    bus.respond(first, "btc book")
    assert rec.log == [("eth", "eth book"), ("btc", "btc book")]


def test_responding_twice_or_to_an_unknown_id_raises() -> None:
    bus = MessageBus()
    bus.register_responder("echo", lambda msg, cid: bus.respond(cid, msg))
    cid = bus.request("echo", 1, lambda msg: None)
    with pytest.raises(UnknownRequest, match="already answered") as raised:
        bus.respond(cid, 2)
    assert isinstance(raised.value, KeyError)
    with pytest.raises(UnknownRequest, match="never issued"):
        bus.respond(cid + 100, 2)


def test_request_to_an_unknown_responder_raises() -> None:
    bus = MessageBus()
    bus.register_endpoint("plain", lambda msg: None)  # an endpoint is not a responder
    with pytest.raises(UnknownEndpoint):
        bus.request("plain", 1, lambda msg: None)


# -- failing handlers --------------------------------------------------------------------------


def test_failing_handler_does_not_stop_the_next_handler_or_message() -> None:
    bus, rec = MessageBus(timestamp_ns=lambda: 42), Recorder()
    bus.subscribe("t.x", boom)
    bus.subscribe("t.x", rec.handler("after"))
    bus.subscribe("events.error", rec.handler("errors"))
    with capture_logs() as logs:
        bus.publish("t.x", 1)
        bus.publish("t.x", 2)
    assert rec.names() == ["after", "errors", "after", "errors"]
    error = rec.log[1][1]
    assert error == HandlerError(
        ts_event=42,
        ts_init=42,
        topic="t.x",
        handler="boom",
        error_type="RuntimeError",
        error="cannot handle 1",
    )
    assert bus.errors == 2
    assert [(e["event"], e["topic"], e["handler"], e["log_level"]) for e in logs] == [
        ("handler_error", "t.x", "boom", "error")
    ] * 2
    assert isinstance(logs[0]["exc_info"], RuntimeError)


def test_failing_handler_inside_a_drain_does_not_stop_the_queue() -> None:
    bus, rec = MessageBus(), Recorder()

    def fan_out(msg: Any) -> None:
        bus.publish("t.bad", 1)
        bus.publish("t.good", 2)

    bus.subscribe("t.start", fan_out)
    bus.subscribe("t.bad", boom)
    bus.subscribe("t.good", rec.handler("good"))
    bus.subscribe("events.error", rec.handler("error"))
    with capture_logs():
        bus.publish("t.start", 0)
    assert rec.names() == ["good", "error"]
    assert rec.log[1][1].topic == "t.bad"


def test_failing_endpoint_and_responder_are_reported_with_the_endpoint_name() -> None:
    bus, rec = MessageBus(), Recorder()

    def respond_badly(msg: Any, cid: int) -> None:
        raise ValueError("no")

    bus.register_endpoint("svc", boom)
    bus.register_responder("ask", respond_badly)
    bus.subscribe("events.error", rec.handler("error"))
    with capture_logs():
        bus.send("svc", 1)
        bus.request("ask", 2, rec.handler("reply"))
    (_, endpoint_error), (_, responder_error) = rec.log
    assert (endpoint_error.topic, endpoint_error.handler) == ("svc", "boom")
    assert responder_error.topic == "ask"
    assert responder_error.handler.endswith("<locals>.respond_badly")


def test_failing_error_handler_is_logged_and_does_not_loop() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.subscribe("t.x", boom)
    bus.subscribe("events.*", boom)  # fails on every HandlerError too
    bus.subscribe("events.error", rec.handler("errors"))
    with capture_logs() as logs:
        bus.publish("t.x", 1)
    assert rec.names() == ["errors"]
    assert [e["topic"] for e in logs] == ["t.x", "events.error"]
    assert (bus.published, bus.errors) == (2, 2)


def test_base_exceptions_propagate_and_drop_the_queue() -> None:
    bus, rec = MessageBus(), Recorder()

    def interrupt(msg: Any) -> None:
        bus.publish("t.later", "dropped")
        raise KeyboardInterrupt

    bus.subscribe("t.now", interrupt)
    bus.subscribe("t.later", rec.handler("later"))
    with pytest.raises(KeyboardInterrupt):
        bus.publish("t.now", 1)
    bus.publish("t.later", "next")  # the bus is usable again
    assert rec.log == [("later", "next")]


# -- counters ----------------------------------------------------------------------------------


def test_counters_count_publications_deliveries_sends_and_errors() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.subscribe("t.*", rec.handler("a"))
    bus.subscribe("t.x", rec.handler("b"))
    bus.subscribe("t.y", boom)
    bus.register_endpoint("svc", rec.handler("svc"))
    with capture_logs():
        bus.publish("t.x", 1)  # 2 deliveries
        bus.publish("t.y", 2)  # 2 deliveries (one fails) + HandlerError with no subscriber
        bus.publish("u.v", 3)  # 0 deliveries
        bus.send("svc", 4)  # 1 delivery
    assert (bus.published, bus.sent, bus.delivered, bus.errors) == (4, 1, 5, 1)


def test_timer_events_travel_like_any_message() -> None:
    bus, rec = MessageBus(), Recorder()
    bus.subscribe("timer.*", rec.handler("timer"))
    event = TimerEvent(ts_event=5, ts_init=6, name="strat.rebalance")
    bus.publish("timer.strat", event)
    assert rec.log == [("timer", event)]


# -- matching, against a reference ------------------------------------------------------------

SEGMENTS = st.sampled_from(["a", "b", "c"])
TOPICS = st.lists(SEGMENTS, min_size=1, max_size=4).map(".".join)
PATTERNS = st.lists(st.one_of(SEGMENTS, st.just("*")), min_size=1, max_size=4).map(".".join)


def reference_match(pattern: str, topic: str) -> bool:
    p, t = pattern.split("."), topic.split(".")
    return len(p) == len(t) and all(ps in ("*", ts) for ps, ts in zip(p, t, strict=True))


@settings(max_examples=200, deadline=None)
@given(
    subscriptions=st.lists(st.tuples(PATTERNS, st.integers(0, 4), st.integers(-1, 1)), max_size=12),
    topics=st.lists(TOPICS, min_size=1, max_size=8),
    unsubscribe=st.lists(st.integers(0, 11), max_size=4),
)
def test_delivery_matches_a_reference_matcher_in_priority_then_subscription_order(
    subscriptions: list[tuple[str, int, int]], topics: list[str], unsubscribe: list[int]
) -> None:
    bus, rec = MessageBus(), Recorder()
    pool = [rec.handler(f"h{number}") for number in range(5)]
    reference: list[tuple[str, Callable[[Any], None], int]] = []
    for pattern, number, priority in subscriptions:
        bus.subscribe(pattern, pool[number], priority)
        if not any(p == pattern and h is pool[number] for p, h, _ in reference):
            reference.append((pattern, pool[number], priority))
    bus.publish(topics[0], None)  # warm the route cache before unsubscribing
    for index in unsubscribe:
        if index < len(subscriptions):
            pattern, number, _ = subscriptions[index]
            bus.unsubscribe(pattern, pool[number])
            reference = [(p, h, pr) for p, h, pr in reference if not (p == pattern and h is pool[number])]
    rec.log.clear()

    for topic in topics:
        bus.publish(topic, topic)

    expected: list[tuple[str, str]] = []
    for topic in topics:
        matching = sorted((s for s in reference if reference_match(s[0], topic)), key=lambda s: -s[2])
        receivers: list[Callable[[Any], None]] = []
        for _, handler, _ in matching:
            if handler not in receivers:
                receivers.append(handler)
        expected += [(handler.__qualname__, topic) for handler in receivers]
    assert rec.log == expected
