"""How fast the journal writes and reads back: replay speed is bounded by the read.

Run: ``python benchmarks/bench_journal.py``. Prints one JSON object per figure per line:
``{"bench": "journal", "metric": ..., "value": <median>, "unit": ..., "target": ...}``.

Method: 1,000,000 messages of a seeded mix are built once: 85% trade ticks (a random walk in steps
of 0.1 around 20,000, two Decimals each), 5% one-minute bars (five Decimals), 10% order events
(accepted, filled with three Decimals, cancelled). Every figure is the median of 3 timed runs
(``time.perf_counter``) with the garbage collector enabled, as in the engine; files go to a
temporary directory (page cache, not the disk).

- ``journal.write``: ``JournalWriter.append`` of every message as an input, ``flush=10_000``, no
  fsync, then ``close()``. Unit: records per second.
- ``journal.write.flush_every``: the same with ``flush="every"`` (one write syscall per record).
- ``journal.read``: ``for record in read_journal(path)`` over the 1M-record file (about 260 MB),
  each record dropped at once, as a replay loop consumes them. Target: 1,000,000 events/s, the
  replay target.
- ``journal.read.batches``: ``JournalReader.batches()``, a list of records per 64 KiB block.
- ``journal.read.msgspec_only``: the same file cut into the same blocks and handed to msgspec's
  ``decode_lines`` with no checks: the ceiling of the reader with this format.
- ``journal.read.gzip``: ``journal.read`` over the same records written gzip (level 6).
- ``journal.read.peak_memory.100k`` and ``.1m``: ``tracemalloc`` peak of one read of a 100k-record
  and of the 1M-record journal, records dropped as they come: the two should be about equal.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from engine.journal import INPUT, JournalWriter, read_journal
from engine.journal._format import Record
from engine.journal._reader import CHUNK_BYTES
from engine.messages import Bar, Message, OrderAccepted, OrderCancelled, OrderFilled, TradeTick
from engine.model.enums import LiquiditySide, OrderSide

RECORDS = 1_000_000
RUNS = 3
START_NS = 1_700_000_000_000_000_000
ROUTE = "DataEngine.process"


def report(metric: str, value: float, unit: str, target: int | None = None) -> None:
    line = {"bench": "journal", "metric": metric, "value": round(value), "unit": unit, "target": target}
    print(json.dumps(line), flush=True)


def measure(run: Callable[[], int]) -> float:
    """Median rate of ``RUNS`` timed calls of ``run``, which returns how many records it handled."""
    rates = []
    for _ in range(RUNS):
        start = time.perf_counter()
        count = run()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def make_messages(n: int, seed: int = 11) -> list[Message]:
    rng = random.Random(seed)
    prices: dict[int, Decimal] = {}  # interned only to keep a million messages small in memory
    quantities = [Decimal(q) for q in ("0.001", "0.010", "0.050", "0.200", "1.000")]
    common = {"trading_account_id": "acct-1", "exchange_id": "binance", "symbol": "BTCUSDT"}
    cents, ts, out = 2_000_000, START_NS, []
    for i in range(n):
        cents += rng.choice((-10, 0, 10))
        ts += rng.randrange(0, 20_000_000)
        price = prices.get(cents)
        if price is None:
            price = prices[cents] = Decimal(cents).scaleb(-2)
        roll = rng.random()
        message: Message
        if roll < 0.85:
            message = TradeTick(
                ts_event=ts,
                ts_init=ts,
                exchange_id="binance",
                symbol="BTCUSDT",
                price=price,
                quantity=rng.choice(quantities),
                aggressor_side=OrderSide.BUY,
                trade_id=str(3_000_000_000 + i),
            )
        elif roll < 0.90:
            message = Bar(
                ts_event=ts,
                ts_init=ts,
                exchange_id="binance",
                symbol="BTCUSDT",
                interval="1m",
                open=price,
                high=price + 5,
                low=price - 5,
                close=price,
                volume=Decimal("12.3456"),
            )
        elif roll < 0.94:
            message = OrderAccepted(
                ts_event=ts,
                ts_init=ts,
                client_order_id=f"O-{i}",
                exchange_order_id=str(8_000_000 + i),
                **common,
            )
        elif roll < 0.98:
            message = OrderFilled(
                ts_event=ts,
                ts_init=ts,
                client_order_id=f"O-{i}",
                exchange_order_id=str(8_000_000 + i),
                fill_id=f"F-{i}",
                side=OrderSide.SELL,
                price=price,
                quantity=rng.choice(quantities),
                fee=Decimal("0.0519"),
                fee_currency="USDT",
                liquidity_side=LiquiditySide.TAKER,
                **common,
            )
        else:
            message = OrderCancelled(
                ts_event=ts, ts_init=ts, client_order_id=f"O-{i}", reason="user", **common
            )
        out.append(message)
    return out


def write(path: Path, messages: list[Message], flush: str | int) -> int:
    path.unlink(missing_ok=True)
    with JournalWriter(path, flush=flush, started_ns=START_NS) as writer:  # type: ignore[arg-type]
        append = writer.append
        for message in messages:
            append(INPUT, ROUTE, message)
    return len(messages)


def read(path: Path) -> int:
    count = 0
    for _ in read_journal(path):
        count += 1
    return count


def read_batches(path: Path) -> int:
    return sum(len(batch) for batch in read_journal(path).batches())


def read_msgspec_only(path: Path) -> int:
    import msgspec

    decode_lines = msgspec.json.Decoder(Record).decode_lines
    count = 0
    with path.open("rb") as file:
        file.readline()
        tail = b""
        while data := file.read(CHUNK_BYTES):
            end = data.rfind(b"\n") + 1
            count += len(decode_lines(tail + data[:end]))
            tail = data[end:]
    return count


def peak_memory(path: Path) -> int:
    tracemalloc.start()
    read(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    messages = make_messages(RECORDS)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.jsonl"
        report("journal.write", measure(lambda: write(path, messages, 10_000)), "records/s")
        report("journal.write.flush_every", measure(lambda: write(path, messages, "every")), "records/s")
        assert read(path) == RECORDS
        report("journal.read", measure(lambda: read(path)), "records/s", 1_000_000)
        report("journal.read.batches", measure(lambda: read_batches(path)), "records/s", 1_000_000)
        report("journal.read.msgspec_only", measure(lambda: read_msgspec_only(path)), "records/s")

        gzipped = Path(directory) / "bench.jsonl.gz"
        write(gzipped, messages, 10_000)
        report("journal.read.gzip", measure(lambda: read(gzipped)), "records/s")

        small = Path(directory) / "small.jsonl"
        write(small, messages[:100_000], 10_000)
        report("journal.read.peak_memory.100k", peak_memory(small), "bytes")
        report("journal.read.peak_memory.1m", peak_memory(path), "bytes")


if __name__ == "__main__":
    main()
