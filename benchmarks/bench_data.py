"""How fast trade ticks go through the DataEngine: the first stage of every backtest.

Method: 1,000,000 ``TradeTick``s of a seeded random walk (price steps of 0.1 around 20,000, 0-200 ms
apart, quantities from a small set; Decimals are interned as a venue adapter's parser would not,
only to keep memory small) are built once. Each of 5 runs builds a fresh bus, simulated clock and
started ``DataEngine`` with one ``1m`` bar subscription and one subscriber on the trade topic (a
counter), then times ``DataEngine.process`` over all ticks with ``time.perf_counter``, as the backtest
loop calls it (no bus hop in; publishing out goes through the bus). The clock is not advanced, so
bars close on ticks. Prints one JSON line: the median of the 5 runs in ticks per second.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from decimal import Decimal

from engine import topics
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.data import DataEngine
from engine.messages import SubscribeData, TradeTick
from engine.model.enums import DataType

TICKS = 1_000_000
RUNS = 5
START_NS = 1_700_000_000_000_000_000


def make_ticks(n: int, seed: int = 7) -> list[TradeTick]:
    rng = random.Random(seed)
    prices: dict[int, Decimal] = {}
    quantities = [Decimal(q) for q in ("0.001", "0.010", "0.050", "0.200", "1.000")]
    cents, ts, out = 2_000_000, START_NS, []
    for i in range(n):
        cents += rng.choice((-10, 0, 10))
        ts += rng.randrange(0, 200_000_000)
        price = prices.get(cents)
        if price is None:
            price = prices[cents] = Decimal(cents).scaleb(-2)
        tick = TradeTick(
            ts_event=ts,
            ts_init=ts,
            exchange_id="binance",
            symbol="BTCUSDT",
            price=price,
            quantity=rng.choice(quantities),
            trade_id=str(i),
        )
        out.append(tick)
    return out


def run_once(ticks: list[TradeTick]) -> tuple[float, int, int]:
    clock = SimulatedClock(START_NS)
    bus = MessageBus(clock.timestamp_ns)
    engine = DataEngine(bus, clock)
    engine.start()
    received = [0]

    def on_trade(_: TradeTick) -> None:
        received[0] += 1

    bus.subscribe(topics.trades("binance", "BTCUSDT"), on_trade)
    bus.send(
        topics.DATA_SUBSCRIBE,
        SubscribeData(
            ts_event=START_NS,
            ts_init=START_NS,
            exchange_id="binance",
            symbol="BTCUSDT",
            data_type=DataType.BAR,
            interval="1m",
        ),
    )
    process = engine.process
    started = time.perf_counter()
    for tick in ticks:
        process(tick)
    elapsed = time.perf_counter() - started
    assert received[0] == len(ticks)
    return len(ticks) / elapsed, engine.bars_emitted, received[0]


def main() -> None:
    ticks = make_ticks(TICKS)
    rates = [run_once(ticks)[0] for _ in range(RUNS)]
    line = {
        "bench": "data",
        "metric": "data_engine.trade_ticks",
        "value": round(statistics.median(rates)),
        "unit": "ticks/s",
        "target": None,
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
