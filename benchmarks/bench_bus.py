"""Throughput of the bus and the message codec, the two costs every message pays.

Run: ``python benchmarks/bench_bus.py``. Prints one JSON object per figure per line:
``{"bench": "bus", "metric": ..., "value": <median>, "unit": ..., "target": ...}``.

Method, for every figure: one untimed warm-up run, then 5 timed runs with ``time.perf_counter``;
the value is the median of the 5 rates. Each timed run is a plain ``for`` loop in this file, so the
loop's own overhead counts against the figure. The garbage collector stays enabled, as it is in the
engine (messages are ``gc=False`` structs, so they do not feed it).

- ``bus.publish.one_subscriber``: ``MessageBus.publish`` of one pre-built ``TradeTick`` to an exact
  topic with one subscriber, a no-op bound method (the shape of an actor handler). The bus is idle
  before each publish, so this is the direct-dispatch path. Unit: messages per second.
- ``bus.publish.wildcard_3_subscribers``: the same publish to a topic that matches
  ``data.trade.*.*``, to which three no-op handlers subscribed. Unit: handler calls per second.
- ``bus.publish.queued``: one handler publishes the ``TradeTick`` N times; each publication is queued
  and handled by one no-op subscriber when the handler returns (the path of every message an actor
  publishes while handling another). Unit: messages per second, enqueue and dispatch included.
- ``codec.json.decode``: ``engine.messages.decode_json`` (the ``AnyMessage`` union decoder) over a
  fixed mix of pre-encoded messages: 40% trade ticks, 30% quotes, 10% bars, 10% order events
  (accepted, filled), 10% timer events. Unit: messages decoded per second.
- ``codec.json.decode.trade_tick``: the same, only trade ticks (two ``Decimal`` fields each).
- ``codec.json.decode_lines``: the mix decoded 1000 lines at a time with the union decoder's
  ``decode_lines`` (how a journal of JSON lines can be read back). Unit: messages per second.
- ``codec.json.encode``: ``engine.messages.encode_json`` over the mix, pre-built. Unit: messages per second.

Most of a decode is spent building ``Decimal`` values from their strings (about 200-300 ns each
here): a quote carries four, a bar five, so the mix decodes slower than a trade tick.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from engine.bus import MessageBus
from engine.messages import (
    AnyMessage,
    Bar,
    Message,
    OrderAccepted,
    OrderFilled,
    QuoteTick,
    TimerEvent,
    TradeTick,
    decode_json,
    encode_json,
)
from engine.model.enums import LiquiditySide, OrderSide

RUNS = 5
TOPIC = "data.trade.binance.BTCUSDT"
TS = 1_700_000_000_000_000_000


class Sink:
    def on_trade(self, msg: Any) -> None:
        pass


def measure(run: Callable[[], int]) -> float:
    """Median rate of ``RUNS`` timed calls of ``run``, which returns how many units it processed."""
    run()
    rates = []
    for _ in range(RUNS):
        start = time.perf_counter()
        units = run()
        rates.append(units / (time.perf_counter() - start))
    return statistics.median(rates)


def report(metric: str, value: float, unit: str, target: int | None) -> None:
    line = {"bench": "bus", "metric": metric, "value": round(value), "unit": unit, "target": target}
    print(json.dumps(line), flush=True)


def trade(n: int) -> TradeTick:
    return TradeTick(
        ts_event=TS + n,
        ts_init=TS + n + 1_000,
        exchange_id="binance",
        symbol="BTCUSDT",
        price=Decimal("43250.10") + n,
        quantity=Decimal("0.012"),
        aggressor_side=OrderSide.BUY,
        trade_id=str(3_011_223_344 + n),
    )


def quote(n: int) -> QuoteTick:
    return QuoteTick(
        ts_event=TS + n,
        ts_init=TS + n + 1_000,
        exchange_id="binance",
        symbol="BTCUSDT",
        bid_price=Decimal("43250.10") + n,
        bid_size=Decimal("1.532"),
        ask_price=Decimal("43250.20") + n,
        ask_size=Decimal("0.7"),
    )


def bar(n: int) -> Bar:
    return Bar(
        ts_event=TS + n,
        ts_init=TS + n + 1_000,
        exchange_id="binance",
        symbol="BTCUSDT",
        interval="1m",
        open=Decimal("43250.10"),
        high=Decimal("43281.00"),
        low=Decimal("43240.55"),
        close=Decimal("43270.35"),
        volume=Decimal("12.3456"),
    )


def order_event(n: int) -> OrderAccepted | OrderFilled:
    common: dict[str, Any] = {
        "ts_event": TS + n,
        "ts_init": TS + n + 1_000,
        "client_order_id": f"O-{n}",
        "trading_account_id": "acct-1",
        "exchange_id": "binance",
        "symbol": "BTCUSDT",
        "execution_id": "ema-cross-1",
    }
    if n % 2:
        return OrderAccepted(**common, exchange_order_id=str(8_000_000 + n))
    return OrderFilled(
        **common,
        exchange_order_id=str(8_000_000 + n),
        fill_id=f"F-{n}",
        side=OrderSide.SELL,
        price=Decimal("43250.10"),
        quantity=Decimal("0.012"),
        fee=Decimal("0.0519"),
        fee_currency="USDT",
        liquidity_side=LiquiditySide.TAKER,
    )


def timer(n: int) -> TimerEvent:
    return TimerEvent(ts_event=TS + n, ts_init=TS + n, name="ema-cross-1.rebalance")


def mix(size: int = 1000) -> list[Message]:
    """40% trades, 30% quotes, 10% bars, 10% order events, 10% timers, interleaved."""
    makers = [trade] * 4 + [quote] * 3 + [bar, order_event, timer]
    return [makers[n % len(makers)](n) for n in range(size)]


def bench_bus() -> None:
    sink = Sink()
    tick = trade(0)

    one = MessageBus()
    one.subscribe(TOPIC, sink.on_trade)

    def publish_one(n: int = 1_000_000) -> int:
        publish = one.publish
        for _ in range(n):
            publish(TOPIC, tick)
        return n

    report("bus.publish.one_subscriber", measure(publish_one), "msg/s", 2_000_000)

    three = MessageBus()
    for handler in (Sink().on_trade, Sink().on_trade, Sink().on_trade):
        three.subscribe("data.trade.*.*", handler)

    def publish_three(n: int = 500_000) -> int:
        publish = three.publish
        for _ in range(n):
            publish(TOPIC, tick)
        return 3 * n

    report("bus.publish.wildcard_3_subscribers", measure(publish_three), "deliveries/s", 3_000_000)

    queued = MessageBus()
    queued.subscribe(TOPIC, sink.on_trade)
    count = 1_000_000

    def publish_many(msg: Any) -> None:
        publish = queued.publish
        for _ in range(count):
            publish(TOPIC, tick)

    queued.subscribe("bench.start", publish_many)

    def publish_queued() -> int:
        queued.publish("bench.start", None)
        return count

    report("bus.publish.queued", measure(publish_queued), "msg/s", None)


def bench_codec() -> None:
    messages = mix()
    encoded = [encode_json(m) for m in messages]
    assert [decode_json(b) for b in encoded] == messages
    trades = [encode_json(trade(n)) for n in range(1000)]

    def decode_all(data: list[bytes], passes: int = 200) -> Callable[[], int]:
        def run() -> int:
            decode = decode_json
            for _ in range(passes):
                for line in data:
                    decode(line)
            return passes * len(data)

        return run

    report("codec.json.decode", measure(decode_all(encoded)), "decodes/s", 1_000_000)
    report("codec.json.decode.trade_tick", measure(decode_all(trades)), "decodes/s", None)

    lines = b"\n".join(encoded)
    decoder = msgspec.json.Decoder(AnyMessage)
    assert decoder.decode_lines(lines) == messages

    def decode_lines(passes: int = 200) -> int:
        for _ in range(passes):
            decoder.decode_lines(lines)
        return passes * len(messages)

    report("codec.json.decode_lines", measure(decode_lines), "decodes/s", None)

    def encode_all(passes: int = 300) -> int:
        encode = encode_json
        for _ in range(passes):
            for message in messages:
                encode(message)
        return passes * len(messages)

    report("codec.json.encode", measure(encode_all), "msg/s", None)


if __name__ == "__main__":
    bench_bus()
    bench_codec()
