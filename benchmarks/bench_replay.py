"""Replay speed and memory: a 1,000,000-event journal through a fresh node.

Method: a journal is recorded by a real backtest — seeded random-walk trade ticks (0.1 price grid,
100 ms apart) through the whole node with the EMA cross on one-minute bars built from those ticks —
until it holds 1,000,000 records (inputs and outputs). Then ``engine.replay.replay`` reads it back
(streaming, batch-decoded) and feeds every input through a fresh node built from the journal's
header: events/s = records / wall time, median of 3 runs, plain replay and ``--verify`` replay.
Peak memory is the child process's max RSS (``resource.getrusage``) of a replay in a fresh process,
for a 250,000- and a 1,000,000-record journal: equal figures mean memory does not grow with length.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import msgspec

from engine.backtest import run_backtest
from engine.config import default_backtest_config
from engine.journal import JournalWriter, read_journal
from engine.messages import TradeTick
from engine.model import OrderSide
from engine.replay import replay

START_NS = 1_640_995_200_000_000_000  # 2022-01-01
STEP_NS = 100_000_000


def ticks(count: int, seed: int = 7) -> Iterator[TradeTick]:
    rng = random.Random(seed)
    price = 470_000  # in 0.1 units
    for n in range(count):
        price = max(1000, price + rng.choice((-3, -2, -1, 0, 0, 1, 2, 3)))
        ts = START_NS + n * STEP_NS
        yield TradeTick(
            exchange_id="binance",
            symbol="BTCUSDT",
            price=Decimal(price).scaleb(-1),
            quantity=Decimal(rng.randint(1, 2000)).scaleb(-3),
            aggressor_side=OrderSide.BUY if n % 2 else OrderSide.SELL,
            trade_id=str(n),
            ts_event=ts,
            ts_init=ts,
        )


def record_journal(path: Path, records: int) -> int:
    """Record a backtest until the journal holds about ``records`` records; return the exact count."""
    config = default_backtest_config("strategies.ema_cross:EmaCross", {"fast": 10, "slow": 20, "size": "0.1"})
    writer = JournalWriter(path, config=msgspec.to_builtins(config), flush=10_000)

    def limited() -> Iterator[TradeTick]:
        for tick in ticks(records):
            if writer.seq >= records:
                return
            yield tick

    run_backtest(config, limited(), journal=writer)
    writer.close()
    return writer.seq


def timed_replay(path: str, verify: bool) -> float:
    started = time.perf_counter()
    replay(read_journal(path), verify=verify)
    return time.perf_counter() - started


def _peak_rss_child(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    replay(read_journal(path))
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_rss_mb(path: Path) -> float:
    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()  # type: ignore[type-arg]
    child = multiprocessing.get_context("spawn").Process(target=_peak_rss_child, args=(str(path), queue))
    child.start()
    value: float = queue.get()
    child.join()
    return value


def emit(metric: str, value: float, unit: str, target: float | None) -> None:
    line = {"bench": "replay", "metric": metric, "value": round(value), "unit": unit, "target": target}
    print(json.dumps(line))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.jsonl"
        small = Path(tmp) / "small.jsonl"
        count = record_journal(big, 1_000_000)
        small_count = record_journal(small, 250_000)
        plain = [count / timed_replay(str(big), verify=False) for _ in range(3)]
        verified = [count / timed_replay(str(big), verify=True) for _ in range(3)]
        emit("events_per_second", statistics.median(plain), "events/s", 1_000_000)
        emit("events_per_second_verify", statistics.median(verified), "events/s", None)
        emit("journal_records", count, "records", None)
        emit(f"peak_rss_mb_{small_count // 1000}k", peak_rss_mb(small), "MB", None)
        emit(f"peak_rss_mb_{count // 1000}k", peak_rss_mb(big), "MB", None)


if __name__ == "__main__":
    main()
