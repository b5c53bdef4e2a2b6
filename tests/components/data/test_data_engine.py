"""The DataEngine actor: routing, books with gap handling, bar subscriptions and clock-closed bars."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine import topics
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.data import DataEngine
from engine.messages import (
    Bar,
    BookLevel,
    HandlerError,
    OrderBookDelta,
    OrderBookSnapshot,
    QuoteTick,
    RequestBookSnapshot,
    SubscribeData,
    TradeTick,
    UnsubscribeData,
)
from engine.model.enums import DataType

D = Decimal
S = 1_000_000_000
MIN = 60 * S
EX, SYM = "binance", "BTCUSDT"


class Node:
    """A bus, a simulated clock, a started DataEngine and a recorder of everything published."""

    def __init__(self, *, client: bool = False, emit_partial_bars_at_end: bool = False) -> None:
        self.clock = SimulatedClock()
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.engine = DataEngine(self.bus, self.clock, emit_partial_bars_at_end=emit_partial_bars_at_end)
        self.engine.start()
        self.seen: list[tuple[str, Any]] = []
        self.client: list[Any] = []
        for pattern in (
            "data.trade.*.*",
            "data.quote.*.*",
            "data.book.*.*",
            "data.bar.*.*.*",
            "events.error",
        ):
            self.bus.subscribe(pattern, lambda msg, p=pattern: self.seen.append((p, msg)))
        if client:
            self.bus.register_endpoint(topics.data_client(EX), self.client.append)

    def on(self, topic: str) -> list[Any]:
        return [m for p, m in self.seen if _matches(p, topic)]

    def bars(self, interval: str = "1m") -> list[Bar]:
        return self.on(topics.bars(EX, SYM, interval))

    def subscribe(self, data_type: DataType, interval: str = "", symbol: str = SYM) -> None:
        msg = SubscribeData(
            ts_event=0, ts_init=0, exchange_id=EX, symbol=symbol, data_type=data_type, interval=interval
        )
        self.bus.send(topics.DATA_SUBSCRIBE, msg)

    def unsubscribe(self, data_type: DataType, interval: str = "") -> None:
        msg = UnsubscribeData(
            ts_event=0, ts_init=0, exchange_id=EX, symbol=SYM, data_type=data_type, interval=interval
        )
        self.bus.send(topics.DATA_SUBSCRIBE, msg)

    def feed(self, msg: Any) -> None:
        """What the backtest loop does: move the clock to the message's time, then process it."""
        self.clock.advance_to(msg.ts_event)
        self.engine.process(msg)


def _matches(pattern: str, topic: str) -> bool:
    p, t = pattern.split("."), topic.split(".")
    return len(p) == len(t) and all(a in ("*", b) for a, b in zip(p, t, strict=True))


def trade(ts: int, price: str, qty: str = "1", symbol: str = SYM) -> TradeTick:
    return TradeTick(ts_event=ts, ts_init=ts, exchange_id=EX, symbol=symbol, price=D(price), quantity=D(qty))


def levels(*pairs: tuple[str, str]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(D(p), D(s)) for p, s in pairs)


def snapshot(
    seq: int, bids: tuple[BookLevel, ...], asks: tuple[BookLevel, ...], ts: int = 0
) -> OrderBookSnapshot:
    return OrderBookSnapshot(
        ts_event=ts, ts_init=ts, exchange_id=EX, symbol=SYM, bids=bids, asks=asks, sequence=seq
    )


def delta(
    seq: int, prev: int, bids: tuple[BookLevel, ...] = (), asks: tuple[BookLevel, ...] = ()
) -> OrderBookDelta:
    return OrderBookDelta(
        ts_event=seq,
        ts_init=seq,
        exchange_id=EX,
        symbol=SYM,
        bids=bids,
        asks=asks,
        sequence=seq,
        prev_sequence=prev,
    )


# -- routing -----------------------------------------------------------------------------------


def test_trade_tick_is_published_on_its_trade_topic_via_endpoint_or_direct_call() -> None:
    node = Node()
    t1, t2 = trade(1, "100"), trade(2, "101")
    node.bus.send(topics.DATA_ENGINE, t1)
    node.engine.process(t2)
    assert node.on(topics.trades(EX, SYM)) == [t1, t2]
    assert node.engine.ticks_processed == 2


def test_quote_and_source_bar_are_published_on_their_topics() -> None:
    node = Node()
    quote = QuoteTick(
        ts_event=1,
        ts_init=1,
        exchange_id=EX,
        symbol=SYM,
        bid_price=D(1),
        bid_size=D(2),
        ask_price=D(3),
        ask_size=D(4),
    )
    bar = Bar(
        ts_event=MIN,
        ts_init=MIN,
        exchange_id=EX,
        symbol=SYM,
        interval="1h",
        open=D(1),
        high=D(2),
        low=D(1),
        close=D(2),
        volume=D(9),
    )
    node.engine.process(quote)
    node.engine.process(bar)
    assert node.on(topics.quotes(EX, SYM)) == [quote]
    assert node.bars("1h") == [bar]
    assert node.engine.bars_emitted == 0  # only aggregated bars count


def test_unknown_message_type_is_refused_by_name() -> None:
    node = Node()
    with pytest.raises(TypeError, match="RequestBookSnapshot"):
        node.engine.process(RequestBookSnapshot(ts_event=0, ts_init=0, exchange_id=EX, symbol=SYM))


# -- books -------------------------------------------------------------------------------------


def test_book_updates_are_published_when_applied_with_a_quote_when_the_top_changes() -> None:
    node = Node()
    snap = snapshot(10, levels(("100", "1"), ("99", "1")), levels(("101", "2")))
    deep = delta(11, 10, bids=levels(("98", "5")))  # below the top: no quote
    top = delta(12, 11, asks=levels(("101", "3")))  # size at the best ask: a quote
    for msg in (snap, deep, top):
        node.engine.process(msg)

    assert node.on(topics.book(EX, SYM)) == [snap, deep, top]
    quotes = node.on(topics.quotes(EX, SYM))
    assert [(q.bid_price, q.bid_size, q.ask_price, q.ask_size, q.ts_event) for q in quotes] == [
        (D(100), D(1), D(101), D(2), 0),
        (D(100), D(1), D(101), D(3), 12),
    ]
    book = node.engine.book(EX, SYM)
    assert book is not None and book.sequence == 12 and book.best_ask() == BookLevel(D(101), D(3))
    assert node.engine.book(EX, "ETHUSDT") is None


def test_gap_marks_the_book_stale_counts_it_and_asks_the_data_client_for_a_snapshot() -> None:
    node = Node(client=True)
    node.engine.process(snapshot(10, levels(("100", "1")), levels(("101", "1"))))
    node.engine.process(delta(20, 15, bids=levels(("100", "9"))))  # pu 15 != 10
    node.engine.process(delta(21, 20, bids=levels(("100", "8"))))  # stale: dropped

    assert node.engine.gaps == 1
    assert node.engine.stale_drops == 1
    assert node.client == [RequestBookSnapshot(ts_event=20, ts_init=20, exchange_id=EX, symbol=SYM)]
    assert len(node.on(topics.book(EX, SYM))) == 1
    book = node.engine.book(EX, SYM)
    assert book is not None and book.stale and book.best_bid() == BookLevel(D(100), D(1))

    resync = snapshot(30, levels(("100", "7")), levels(("101", "1")), ts=30)
    node.engine.process(resync)
    node.engine.process(delta(25, 24))  # buffered before the snapshot: old, not a gap
    assert not book.stale and node.engine.gaps == 1 and node.engine.old_deltas == 1
    assert node.on(topics.book(EX, SYM))[-1] == resync


def test_gap_without_a_data_client_is_counted_as_a_request_nobody_got() -> None:
    node = Node()
    node.engine.process(snapshot(10, levels(("100", "1")), levels(("101", "1"))))
    node.engine.process(delta(20, 15))
    assert node.engine.gaps == 1
    assert node.engine.snapshot_requests_without_client == 1
    assert node.on("events.error") == []


def test_crossed_book_is_handled_like_a_gap_and_not_published() -> None:
    node = Node(client=True)
    node.engine.process(snapshot(10, levels(("100", "1")), levels(("101", "1"))))
    node.engine.process(delta(11, 10, bids=levels(("101", "1"))))
    assert node.engine.gaps == 1
    assert len(node.client) == 1
    assert len(node.on(topics.book(EX, SYM))) == 1
    assert len(node.on(topics.quotes(EX, SYM))) == 1  # from the snapshot only


# -- bar subscriptions -------------------------------------------------------------------------


def test_bar_subscription_aggregates_trades_and_publishes_closed_bars() -> None:
    node = Node()
    node.subscribe(DataType.BAR, "1m")
    for msg in (
        trade(5 * S, "100", "1"),
        trade(30 * S, "105", "2"),
        trade(50 * S, "98", "1"),
        trade(MIN, "99"),
    ):
        node.engine.process(msg)
    [bar] = node.bars()
    assert (bar.ts_event, bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        MIN,
        D(100),
        D(105),
        D(98),
        D(98),
        D(4),
    )
    assert node.engine.bars_emitted == 1


def test_two_subscribers_share_one_aggregator_until_the_last_unsubscribes() -> None:
    node = Node()
    node.subscribe(DataType.BAR, "1m")
    node.subscribe(DataType.BAR, "1m")
    node.engine.process(trade(1, "1"))
    node.engine.process(trade(MIN, "2"))
    assert len(node.bars()) == 1
    assert node.engine.subscriptions == {(EX, SYM, DataType.BAR, "1m"): 2}

    node.unsubscribe(DataType.BAR, "1m")
    node.engine.process(trade(2 * MIN, "3"))
    assert len(node.bars()) == 2
    node.unsubscribe(DataType.BAR, "1m")
    node.engine.process(trade(3 * MIN, "4"))
    assert len(node.bars()) == 2
    assert node.engine.subscriptions == {}


def test_data_client_gets_the_first_subscribe_and_last_unsubscribe_and_trades_for_aggregated_bars() -> None:
    node = Node(client=True)
    node.subscribe(DataType.BAR, "1m")
    node.subscribe(DataType.BAR, "5m")
    node.subscribe(DataType.TRADE)
    node.subscribe(DataType.BOOK)
    node.subscribe(DataType.BOOK)
    node.unsubscribe(DataType.BAR, "1m")
    node.unsubscribe(DataType.TRADE)
    node.unsubscribe(DataType.BAR, "5m")  # the last user of trades
    node.unsubscribe(DataType.BOOK)

    assert [(type(m).__name__, m.data_type, m.interval) for m in node.client] == [
        ("SubscribeData", DataType.TRADE, ""),
        ("SubscribeData", DataType.BOOK, ""),
        ("UnsubscribeData", DataType.TRADE, ""),
    ]


def test_unsubscribe_without_subscription_is_ignored() -> None:
    node = Node(client=True)
    node.unsubscribe(DataType.TRADE)
    assert node.client == [] and node.engine.subscriptions == {}


def test_invalid_bar_interval_in_a_subscription_is_a_value_error_naming_it() -> None:
    node = Node()
    bad = SubscribeData(
        ts_event=0, ts_init=0, exchange_id=EX, symbol=SYM, data_type=DataType.BAR, interval="7w"
    )
    with pytest.raises(ValueError, match="'7w'"):
        node.engine.handle_subscription(bad)
    node.bus.send(topics.DATA_SUBSCRIBE, bad)
    [error] = node.on("events.error")
    assert isinstance(error, HandlerError) and "'7w'" in error.error
    assert node.engine.subscriptions == {}


# -- time bars on the clock --------------------------------------------------------------------


def test_time_bar_closes_on_the_clock_when_no_tick_follows() -> None:
    node = Node()
    node.subscribe(DataType.BAR, "1m")
    node.feed(trade(10 * S, "100"))
    node.clock.advance_to(MIN - 1)
    assert node.bars() == []
    node.clock.advance_to(MIN)
    [bar] = node.bars()
    assert bar.ts_event == MIN and bar.close == D(100)


@pytest.mark.parametrize("clock_first", [True, False])
def test_clock_alert_and_a_tick_at_the_bar_end_give_exactly_one_bar(clock_first: bool) -> None:
    node = Node()
    node.subscribe(DataType.BAR, "1m")
    node.feed(trade(10 * S, "100"))
    at_end = trade(MIN, "200")
    if clock_first:
        node.feed(at_end)  # advance_to fires the alert, then the tick opens the next bar
    else:
        node.engine.process(at_end)  # the tick closes the bar before the clock gets there
        node.clock.advance_to(MIN)
    assert [(b.ts_event, b.close) for b in node.bars()] == [(MIN, D(100))]
    node.clock.advance_to(2 * MIN)
    assert [(b.ts_event, b.close) for b in node.bars()] == [(MIN, D(100)), (2 * MIN, D(200))]
    assert node.engine.bars_emitted == 2


def test_tick_after_a_silent_interval_closes_the_old_bar_once_and_is_not_lost() -> None:
    node = Node()
    node.subscribe(DataType.BAR, "1m")
    node.feed(trade(1, "1"))
    node.feed(trade(3 * MIN + 1, "2"))  # the alert at 1m fires first; minutes 1 and 2 had no trades
    node.clock.advance_to(10 * MIN)
    assert [(b.ts_event, b.close) for b in node.bars()] == [(MIN, D(1)), (4 * MIN, D(2))]


def test_flush_all_publishes_partial_bars_only_when_asked() -> None:
    for emit in (False, True):
        node = Node(emit_partial_bars_at_end=emit)
        node.subscribe(DataType.BAR, "1m")
        node.subscribe(DataType.BAR, "3-tick")
        node.feed(trade(1, "5", "2"))
        flushed = node.engine.flush_all(30 * S)
        expected = [(30 * S, "1m", D(2)), (30 * S, "3-tick", D(2))] if emit else []
        assert [(b.ts_event, b.interval, b.volume) for b in flushed] == expected
        assert [(b.ts_event, b.interval, b.volume) for _, b in node.seen if isinstance(b, Bar)] == expected


def test_stop_releases_endpoints_and_bar_alerts() -> None:
    node = Node()
    node.subscribe(DataType.BAR, "1m")
    node.feed(trade(1, "1"))
    node.engine.stop()
    assert node.clock.timer_names == []
    node.clock.advance_to(MIN)
    assert node.bars() == []
    node.engine.start()  # a restart re-arms the alert of the bar left open
    node.clock.advance_to(2 * MIN)
    assert [b.ts_event for b in node.bars()] == [MIN]
