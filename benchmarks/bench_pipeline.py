"""How fast trade ticks go through the whole trading pipeline, and that memory does not grow with them.

The issue's requirement: 1,000,000 synthetic trade ticks (seeded random walk) through DataEngine
(1-minute bars) -> a strategy that reacts to every tick and every bar and trades on an EMA cross ->
risk -> OMS -> simulated exchange -> portfolio. Target: at least 500,000 ticks/s on the 2-core
machine, with memory that does not grow with the number of ticks (NautilusTrader 1.221 does the same
shape of work at about 370,000 ticks/s there).

Method:

- Ticks: a seeded random walk of ``TradeTick``s (``random.Random(7)``) on the 0.1 price grid around
  30,000 (steps of -0.2 to +0.2), 50-150 ms apart (100 ms on average, so 1,000,000 ticks span about
  28 hours of data time and make about 1,670 one-minute bars), quantities of 1-1,000 steps of 0.001.
  Equal prices and quantities share one ``Decimal`` object (the walk visits few distinct values), only
  to keep the pre-built list small.
- The node is the real one: ``engine.config.config_from_dict`` (a futures account of 1,000,000 USDT on
  the simulated exchange, a Binance-like BTCUSDT perpetual, no fees) and ``engine.node.Node`` running
  ``PipelineCross`` below, fed by ``engine.backtest.run_backtest`` (DataEngine -> simulated exchange,
  Portfolio, RiskEngine and strategy on every tick; 1-minute bars built from the ticks; equity sampled
  every minute of data time; orders through risk, OMS, venue and Portfolio).
- Speed: the 1,000,000 ticks are generated into a list before timing, so generation is excluded. Each
  of 3 runs times, with ``time.perf_counter``, building the node plus one ``run_backtest`` over the
  list, final report included. Printed: the median of the 3 in ticks per second.
- Memory: the streaming path must not hold ticks. Each measurement runs in a fresh child process
  (``--memory N``) that feeds N ticks from a generator (never a list) into ``run_backtest``, once for
  250,000 and once for 1,000,000 ticks, twice each: once reading the process's peak resident set size
  (``VmHWM``, interpreter and imports included) and once, separately (it
  slows the run and adds its own overhead to the RSS), the peak of Python allocations traced by
  ``tracemalloc`` from just before the node is built. Equal figures for both sizes mean memory does
  not grow with the number of ticks (what remains is per order and per equity sample: the equity
  curve holds one sample per minute of data time).

Prints JSON lines: ``ticks_per_second`` (target 500,000), then ``peak_memory_mb_250k`` and
``peak_memory_mb_1m`` (peak RSS) and ``traced_peak_mb_250k`` and ``traced_peak_mb_1m`` (tracemalloc).
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from engine.backtest import run_backtest
from engine.config import NodeConfig, default_backtest_config
from engine.messages import TradeTick
from engine.node import Node
from strategies.ema_cross import EmaCross

TICKS = 1_000_000
RUNS = 3
TARGET = 500_000
START_NS = 1_700_000_000_000_000_000
MEMORY_SIZES = (("250k", 250_000), ("1m", 1_000_000))

# The node finds the strategy by import path; run as a script, this module is ``__main__``, so it
# answers to its file name too rather than being imported a second time.
sys.modules.setdefault("bench_pipeline", sys.modules[__name__])


class PipelineCross(EmaCross):
    """The bundled EMA cross on one-minute bars, plus a reaction to every tick (count it, keep its price)."""

    def on_start(self) -> None:
        super().on_start()
        self.ticks = 0
        self.last_price = Decimal(0)
        self.subscribe_trades()

    def on_trade(self, tick: TradeTick) -> None:
        self.ticks += 1
        self.last_price = tick.price


def make_config() -> NodeConfig:
    # "bench_pipeline:PipelineCross" is this file (see the alias above)
    return default_backtest_config("bench_pipeline:PipelineCross", {"size": "0.5"}, fees=False)


def generate_ticks(n: int, seed: int = 7) -> Iterator[TradeTick]:
    """The seeded random walk (see the module docstring), one tick at a time."""
    rng = random.Random(seed)
    randrange = rng.randrange
    prices: dict[int, Decimal] = {}
    quantities: dict[int, Decimal] = {}
    tenths, ts = 300_000, START_NS
    for i in range(n):
        tenths += randrange(-2, 3)
        ts += randrange(50_000_000, 150_000_001)
        steps = randrange(1, 1001)
        price = prices.get(tenths)
        if price is None:
            price = prices[tenths] = Decimal(tenths).scaleb(-1)
        quantity = quantities.get(steps)
        if quantity is None:
            quantity = quantities[steps] = Decimal(steps).scaleb(-3)
        yield TradeTick(
            ts_event=ts,
            ts_init=ts,
            exchange_id="binance",
            symbol="BTCUSDT",
            price=price,
            quantity=quantity,
            trade_id=str(i),
        )


def run(config: NodeConfig, ticks: Any) -> tuple[Node, int]:
    """Build the node and run the ticks through it; returns the node and the number of ticks."""
    node, report = run_backtest(config, ticks)
    assert node.bus.errors == 0 and node.risk.denied == 0
    return node, report.events


def run_timed(config: NodeConfig, ticks: list[TradeTick]) -> float:
    started = time.perf_counter()
    node, count = run(config, ticks)
    elapsed = time.perf_counter() - started
    strategy = node.strategies[0]
    assert count == len(ticks) and getattr(strategy, "ticks", 0) == len(ticks)
    return count / elapsed


def measure_memory(n: int, traced: bool) -> float:
    """In this (fresh) process: stream ``n`` generated ticks; peak RSS or traced peak, in MB."""
    config = make_config()
    if traced:
        tracemalloc.start()
    _, count = run(config, generate_ticks(n))
    assert count == n
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 1e6
    return peak_rss_kb() / 1e3


def peak_rss_kb() -> int:
    """This process's peak resident set size in kB: ``VmHWM`` (Linux), which starts afresh at exec,
    where ``ru_maxrss`` would keep the peak of the parent the child was forked from."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS


def memory_in_child(n: int, traced: bool) -> float:
    args = [sys.executable, __file__, "--memory", str(n)] + (["--traced"] if traced else [])
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return float(done.stdout.strip())


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--memory":
        print(measure_memory(int(sys.argv[2]), traced="--traced" in sys.argv))
        return
    memory = [
        (f"{prefix}_{label}", memory_in_child(n, traced))
        for traced, prefix in ((False, "peak_memory_mb"), (True, "traced_peak_mb"))
        for label, n in MEMORY_SIZES
    ]
    config = make_config()
    ticks = list(generate_ticks(TICKS))
    rates = [run_timed(config, ticks) for _ in range(RUNS)]
    line = {
        "bench": "pipeline",
        "metric": "ticks_per_second",
        "value": round(statistics.median(rates)),
        "unit": "ticks/s",
        "target": TARGET,
    }
    print(json.dumps(line))
    for metric, value in memory:
        print(json.dumps({"bench": "pipeline", "metric": metric, "value": round(value, 1), "unit": "MB",
                          "target": None}))


if __name__ == "__main__":
    main()
