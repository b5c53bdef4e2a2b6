"""The DataEngine is the one door market data takes into the core: it keeps books, builds bars, publishes.

Data clients and loaders send raw data to the ``DATA_ENGINE`` endpoint; the backtest loop calls
``process`` directly to skip the bus hop. Per message type:

- ``TradeTick``: published on ``data.trade.<venue>.<symbol>``, then fed to the instrument's bar
  aggregators; every closed bar is published on ``data.bar.<venue>.<symbol>.<interval>``.
- ``QuoteTick``, ``Bar`` (from a venue or a file): published on their topics.
- ``OrderBookSnapshot`` / ``OrderBookDelta``: applied to the instrument's ``OrderBook`` and, only if
  applied, published on ``data.book...``, preceded by a ``QuoteTick`` when the top of book changed (the
  quote first, so a venue sees the new top before a strategy reacting to the book sends an order). A
  gap (or a crossed book) marks the book stale, is logged and counted, and a ``RequestBookSnapshot``
  goes to the venue's data client.

Subscriptions (``DATA_SUBSCRIBE`` endpoint) are reference-counted per (venue, symbol, type,
interval). A bar subscription with an interval gets an aggregator (one per interval, however many
subscribers) and needs trades, so the data client is asked for trades, never for that bar: a venue
bar and an aggregated bar must not share a topic. The client sees one subscribe when the first
subscriber needs a stream and one unsubscribe when the last one leaves.

Time bars also close on the clock: opening a bar sets a one-shot alert at its end. The aggregator
closes a bar exactly once, whether the alert or a tick at the end comes first, so a simulated clock
firing at the same timestamp as a tick gives one bar. The hot path (one trade tick) is a dict lookup
by type, two by instrument (venue, then symbol), a publish and one call per aggregator: no logging, no
isinstance, one Decimal add. ``benchmarks/bench_data.py`` measures it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from engine import topics
from engine.actor import Actor
from engine.bus import MessageBus, UnknownEndpoint
from engine.clock import Clock
from engine.components.data.bars import BarAggregator, TimeBarAggregator, bar_aggregator
from engine.components.data.book import BookUpdate, OrderBook
from engine.messages import (
    Bar,
    OrderBookDelta,
    OrderBookSnapshot,
    QuoteTick,
    RequestBookSnapshot,
    SubscribeData,
    TimerEvent,
    TradeTick,
    UnsubscribeData,
)
from engine.model.enums import DataType

_SubscriptionKey = tuple[str, str, DataType, str]  # (exchange_id, symbol, data type, interval)


class _Instrument:
    """Everything the hot path needs for one (exchange_id, symbol), cached when first seen."""

    __slots__ = (
        "bar_feeds",
        "bar_topics",
        "book",
        "book_topic",
        "first_price",
        "last_price",
        "quote_topic",
        "ticks",
        "trade_topic",
    )

    def __init__(self, exchange_id: str, symbol: str) -> None:
        self.trade_topic = topics.trades(exchange_id, symbol)
        self.quote_topic = topics.quotes(exchange_id, symbol)
        self.book_topic = topics.book(exchange_id, symbol)
        self.bar_topics: dict[str, str] = {}  # interval -> topic
        # (aggregator.handle, bar topic) per aggregated interval: the per-tick loop unpacks these
        self.bar_feeds: list[tuple[Callable[[TradeTick], Bar | None], str]] = []
        self.book: OrderBook | None = None
        self.ticks = 0  # trade and quote ticks: a slot increments faster than an engine attribute
        # the first and the last traded price (trade, or bar close): the market's own change
        self.first_price: Decimal | None = None
        self.last_price: Decimal | None = None


class _BarFeed:
    """One aggregator plus the clock alert that closes its open time bar."""

    __slots__ = ("aggregator", "alert", "topic")
    aggregator: BarAggregator

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.alert = ""  # name of the pending alert, "" if none


class DataEngine(Actor):
    """Routes market data into the core, keeps order books and builds bars (see the module docstring).

    Counters: ``ticks_processed`` (trade and quote ticks), ``bars_emitted`` (aggregated bars published),
    ``gaps`` (sequence gaps and crossed books), ``stale_drops`` (deltas dropped by a stale book),
    ``old_deltas`` (deltas older than the book), ``snapshot_requests_without_client``.
    """

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        *,
        actor_id: str = "DataEngine",
        emit_partial_bars_at_end: bool = False,
    ) -> None:
        super().__init__(actor_id, bus, clock)
        self.emit_partial_bars_at_end = emit_partial_bars_at_end
        self._publish = bus.publish
        # exchange_id -> symbol -> instrument: two plain lookups beat one tuple-keyed one (no tuple to build)
        self._instruments: dict[str, dict[str, _Instrument]] = {}
        self._feeds: dict[tuple[str, str, str], _BarFeed] = {}  # (exchange_id, symbol, interval)
        self._subscribers: dict[_SubscriptionKey, int] = {}
        self._upstream: dict[_SubscriptionKey, int] = {}  # what the data clients are asked to stream
        self._handlers: dict[type, Callable[[Any], None]] = {
            TradeTick: self._on_trade,
            QuoteTick: self._on_quote,
            Bar: self._on_bar,
            OrderBookSnapshot: self._on_snapshot,
            OrderBookDelta: self._on_delta,
        }
        self.bars_emitted = 0
        self.gaps = 0
        self.stale_drops = 0
        self.old_deltas = 0
        self.snapshot_requests_without_client = 0

    # -- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        self.bus.register_endpoint(topics.DATA_ENGINE, self.process)
        self.bus.register_endpoint(topics.DATA_SUBSCRIBE, self.handle_subscription)
        for feed in self._feeds.values():  # after a restart: time bars left open close on time again
            if isinstance(feed.aggregator, TimeBarAggregator) and feed.aggregator.is_open:
                self._set_alert(feed, feed.aggregator.bar_end)

    def on_stop(self) -> None:
        self.bus.deregister_endpoint(topics.DATA_ENGINE)
        self.bus.deregister_endpoint(topics.DATA_SUBSCRIBE)
        for feed in self._feeds.values():
            feed.alert = ""  # Actor.stop cancels the alerts themselves

    # -- market data -----------------------------------------------------------------------

    def process(self, msg: Any) -> None:
        """Handle one market data message; unknown types raise ``TypeError`` (the bus reports it)."""
        try:
            handler = self._handlers[type(msg)]
        except KeyError:
            raise TypeError(f"DataEngine cannot process {type(msg).__name__}") from None
        handler(msg)

    def _instrument(self, exchange_id: str, symbol: str) -> _Instrument:
        try:
            return self._instruments[exchange_id][symbol]
        except KeyError:
            instrument = self._instruments.setdefault(exchange_id, {})[symbol] = _Instrument(
                exchange_id, symbol
            )
            return instrument

    def _on_trade(self, tick: TradeTick) -> None:
        try:
            instrument = self._instruments[tick.exchange_id][tick.symbol]
        except KeyError:
            instrument = self._instrument(tick.exchange_id, tick.symbol)
        instrument.ticks += 1
        instrument.last_price = tick.price
        if instrument.first_price is None:
            instrument.first_price = tick.price
        self._publish(instrument.trade_topic, tick)
        for handle, topic in instrument.bar_feeds:
            bar = handle(tick)
            if bar is not None:
                self.bars_emitted += 1
                self._publish(topic, bar)

    def _on_quote(self, quote: QuoteTick) -> None:
        try:
            instrument = self._instruments[quote.exchange_id][quote.symbol]
        except KeyError:
            instrument = self._instrument(quote.exchange_id, quote.symbol)
        instrument.ticks += 1
        self._publish(instrument.quote_topic, quote)

    @property
    def ticks_processed(self) -> int:
        """Trade and quote ticks processed, all instruments."""
        return sum(
            instrument.ticks for symbols in self._instruments.values() for instrument in symbols.values()
        )

    def _on_bar(self, bar: Bar) -> None:
        try:  # the hot path of a bar backtest: no method call to find the instrument
            instrument = self._instruments[bar.exchange_id][bar.symbol]
        except KeyError:
            instrument = self._instrument(bar.exchange_id, bar.symbol)
        instrument.last_price = bar.close
        if instrument.first_price is None:
            instrument.first_price = bar.close
        topic = instrument.bar_topics.get(bar.interval)
        if topic is None:
            topic = instrument.bar_topics[bar.interval] = topics.bars(
                bar.exchange_id, bar.symbol, bar.interval
            )
        self._publish(topic, bar)

    def _on_snapshot(self, snapshot: OrderBookSnapshot) -> None:
        instrument = self._instrument(snapshot.exchange_id, snapshot.symbol)
        book = instrument.book
        if book is None:
            book = instrument.book = OrderBook()
        before = book.top()
        self._after_update(instrument, book, snapshot, before, book.apply_snapshot(snapshot))

    def _on_delta(self, delta: OrderBookDelta) -> None:
        instrument = self._instrument(delta.exchange_id, delta.symbol)
        book = instrument.book
        if book is None:
            book = instrument.book = OrderBook()
        before = book.top()
        self._after_update(instrument, book, delta, before, book.apply_delta(delta))

    def _after_update(
        self,
        instrument: _Instrument,
        book: OrderBook,
        msg: OrderBookSnapshot | OrderBookDelta,
        before: tuple[Any, ...],
        result: BookUpdate,
    ) -> None:
        if result is BookUpdate.APPLIED:
            # The derived quote goes out first: a venue (the simulated exchange listens to quotes) must
            # know the new top of book before a strategy reacting to the book update sends an order.
            bid, ask = book.best_bid(), book.best_ask()
            if bid is not None and ask is not None and book.top() != before:
                quote = QuoteTick(
                    ts_event=msg.ts_event,
                    ts_init=msg.ts_init,
                    exchange_id=msg.exchange_id,
                    symbol=msg.symbol,
                    bid_price=bid.price,
                    bid_size=bid.size,
                    ask_price=ask.price,
                    ask_size=ask.size,
                )
                self._publish(instrument.quote_topic, quote)
            self._publish(instrument.book_topic, msg)
        elif result is BookUpdate.STALE:
            self.stale_drops += 1
        elif result is BookUpdate.OLD:
            self.old_deltas += 1
        else:  # GAP or CROSSED: the book is stale now; resync from a fresh snapshot
            self.gaps += 1
            self.log.warning(
                "order_book_out_of_sync",
                reason=result.value,
                exchange_id=msg.exchange_id,
                symbol=msg.symbol,
                book_sequence=book.sequence,
                sequence=msg.sequence,
                first_sequence=getattr(msg, "first_sequence", -1),
                prev_sequence=getattr(msg, "prev_sequence", -1),
            )
            request = RequestBookSnapshot(
                ts_event=msg.ts_event, ts_init=msg.ts_init, exchange_id=msg.exchange_id, symbol=msg.symbol
            )
            if not self._send_to_client(msg.exchange_id, request):
                self.snapshot_requests_without_client += 1

    def _send_to_client(self, exchange_id: str, msg: Any) -> bool:
        """Send to the venue's data client; False if none is registered (backtests have none)."""
        try:
            self.bus.send(topics.data_client(exchange_id), msg)
        except UnknownEndpoint:
            return False
        return True

    def price_range(self, exchange_id: str, symbol: str) -> tuple[Decimal, Decimal] | None:
        """The first and the last price traded (trade, or bar close), or None before any."""
        instrument = self._instruments.get(exchange_id, {}).get(symbol)
        if instrument is None or instrument.first_price is None or instrument.last_price is None:
            return None
        return instrument.first_price, instrument.last_price

    def book(self, exchange_id: str, symbol: str) -> OrderBook | None:
        """The instrument's order book, or None before any book data. Read it; never apply to it."""
        instrument = self._instruments.get(exchange_id, {}).get(symbol)
        return None if instrument is None else instrument.book

    # -- bars ------------------------------------------------------------------------------

    def flush_all(self, ts: int) -> list[Bar]:
        """End of data: publish every open partial bar if ``emit_partial_bars_at_end``; returns them."""
        if not self.emit_partial_bars_at_end:
            return []
        flushed = []
        for feed in self._feeds.values():
            bar = feed.aggregator.flush(ts)
            if bar is not None:
                self.bars_emitted += 1
                self._publish(feed.topic, bar)
                flushed.append(bar)
        return flushed

    def _add_feed(self, exchange_id: str, symbol: str, interval: str) -> None:
        instrument = self._instrument(exchange_id, symbol)
        feed = _BarFeed(topics.bars(exchange_id, symbol, interval))
        feed.aggregator = bar_aggregator(
            exchange_id, symbol, interval, on_open=partial(self._set_alert, feed)
        )
        self._feeds[(exchange_id, symbol, interval)] = feed
        instrument.bar_feeds.append((feed.aggregator.handle, feed.topic))

    def _remove_feed(self, exchange_id: str, symbol: str, interval: str) -> None:
        feed = self._feeds.pop((exchange_id, symbol, interval))
        instrument = self._instruments[exchange_id][symbol]
        instrument.bar_feeds.remove((feed.aggregator.handle, feed.topic))
        if feed.alert:
            self.cancel_timer(feed.alert)

    def _set_alert(self, feed: _BarFeed, end_ns: int) -> None:
        # One name per bar: a fire of the previous bar's alert already queued on the bus can never be
        # mistaken for this bar's (it finds its bar closed and does nothing).
        if feed.alert:
            self.cancel_timer(feed.alert)
        name = feed.alert = f"bar.{feed.topic}.{end_ns}"
        self.set_time_alert(name, end_ns, partial(self._on_bar_due, feed, name))

    def _on_bar_due(self, feed: _BarFeed, name: str, event: TimerEvent) -> None:
        if feed.alert == name:
            feed.alert = ""
        bar = feed.aggregator.close_at(event.ts_event)
        if bar is not None:
            self.bars_emitted += 1
            self._publish(feed.topic, bar)

    # -- subscriptions ---------------------------------------------------------------------

    def handle_subscription(self, msg: SubscribeData | UnsubscribeData) -> None:
        """``DATA_SUBSCRIBE`` endpoint: count subscribers, manage aggregators, tell the data client."""
        key: _SubscriptionKey = (msg.exchange_id, msg.symbol, msg.data_type, msg.interval)
        aggregated = msg.data_type is DataType.BAR and bool(msg.interval)
        count = self._subscribers.get(key, 0)
        if isinstance(msg, SubscribeData):
            if count == 0 and aggregated:
                self._add_feed(msg.exchange_id, msg.symbol, msg.interval)  # ValueError for a bad interval
            self._subscribers[key] = count + 1
            if count == 0:
                self._upstream_change(msg, +1, aggregated)
            return
        if count == 0:
            self.log.warning("unsubscribe_without_subscription", subscription=key)
            return
        if count == 1:
            del self._subscribers[key]
            if aggregated:
                self._remove_feed(msg.exchange_id, msg.symbol, msg.interval)
            self._upstream_change(msg, -1, aggregated)
        else:
            self._subscribers[key] = count - 1

    def _upstream_change(self, msg: SubscribeData | UnsubscribeData, step: int, aggregated: bool) -> None:
        """Ref-count what the data client streams; forward the first subscribe and the last unsubscribe."""
        if aggregated:  # bars we build need trades, never the venue's bars
            kind = type(msg)
            msg = kind(
                ts_event=msg.ts_event,
                ts_init=msg.ts_init,
                exchange_id=msg.exchange_id,
                symbol=msg.symbol,
                data_type=DataType.TRADE,
            )
        key: _SubscriptionKey = (msg.exchange_id, msg.symbol, msg.data_type, msg.interval)
        count = self._upstream.get(key, 0) + step
        if count:
            self._upstream[key] = count
        else:
            self._upstream.pop(key, None)
        if count == (1 if step > 0 else 0):
            self._send_to_client(msg.exchange_id, msg)

    @property
    def subscriptions(self) -> dict[_SubscriptionKey, int]:
        """Subscriber counts per (exchange_id, symbol, data type, interval); a copy."""
        return dict(self._subscribers)
