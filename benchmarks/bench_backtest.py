"""How fast a whole bar backtest runs: the EMA cross strategy on the bundled bars, end to end.

Method: the bundled FTX BTC-PERP file (``../shared/data/btc-perp-1m.csv``, 45,031 one-minute bars) is
loaded once with ``adapters.files.load_bar_csv`` into a list before timing. Each of 5 runs times, with
``time.perf_counter``, one call of ``engine.backtest.run_backtest(config, bars)``: building the node,
starting it, every bar through the DataEngine, the simulated exchange, the Portfolio, the RiskEngine
and ``strategies.ema_cross:EmaCross`` (fast 10, slow 20, size 1; a futures account of 1,000,000 USDT,
no fees), every order through risk, the OMS and the venue, equity sampled every bar, and the final
report. Prints one JSON line: the median of the 5 runs in bars per second (target 110,000: twice what
NautilusTrader 1.221 does with the same bars on the 2-core reference machine).

A second line does the same for ``strategies.rsi_reversion:RsiReversion`` (default parameters, the
default config with fees): a strategy that reads its positions and open orders on every bar and
holds stop-loss/take-profit brackets in the OrderEmulator, so the figure shows what those reads and
the emulator cost (no target).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from adapters.files import load_bar_csv
from engine.backtest import run_backtest
from engine.config import NodeConfig, default_backtest_config
from engine.messages import Bar

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "btc-perp-1m.csv"
RUNS = 5
TARGET = 110_000


def make_config() -> NodeConfig:
    params = {"fast": 10, "slow": 20, "size": "1"}
    return default_backtest_config("strategies.ema_cross:EmaCross", params, fees=False)


def run_once(config: NodeConfig, bars: list[Bar]) -> float:
    started = time.perf_counter()
    node, report = run_backtest(config, bars)
    elapsed = time.perf_counter() - started
    assert report.events == len(bars) and node.bus.errors == 0
    return len(bars) / elapsed


def main() -> None:
    bars = list(load_bar_csv(DATA, exchange_id="binance", symbol="BTCUSDT"))
    runs = [
        ("bars_per_second", make_config(), TARGET),
        (
            "rsi_brackets_bars_per_second",
            default_backtest_config("strategies.rsi_reversion:RsiReversion", {}),
            None,
        ),
    ]
    for metric, config, target in runs:
        rates = [run_once(config, bars) for _ in range(RUNS)]
        line = {
            "bench": "backtest",
            "metric": metric,
            "value": round(statistics.median(rates)),
            "unit": "bars/s",
            "target": target,
        }
        print(json.dumps(line))


if __name__ == "__main__":
    main()
