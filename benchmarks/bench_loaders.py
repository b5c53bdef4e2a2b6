"""How fast the file venue turns a bar CSV into ``Bar`` messages: the first stage of a bar backtest.

Method: the bundled FTX BTC-PERP file (``../shared/data/btc-perp-1m.csv``, 45,031 one-minute bars,
3.2 MB) is read once beforehand so it sits in the OS page cache. Each of 5 runs times, with
``time.perf_counter``, ``load_bar_csv`` streaming every bar (open, csv parse, exact ``Decimal`` for five
columns, ISO time to ns, checks, ``Bar`` construction) into a counter that keeps none of them. Prints
one JSON line: the median of the 5 runs in rows per second.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from adapters.files import load_bar_csv

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "btc-perp-1m.csv"
RUNS = 5


def run_once() -> tuple[float, int]:
    started = time.perf_counter()
    rows = sum(1 for _ in load_bar_csv(DATA, exchange_id="ftx", symbol="BTC-PERP"))
    return time.perf_counter() - started, rows


def main() -> None:
    DATA.read_bytes()
    rates = []
    for _ in range(RUNS):
        seconds, rows = run_once()
        rates.append(rows / seconds)
    line = {"bench": "loaders", "metric": "bar_csv.rows", "value": round(statistics.median(rates)),
            "unit": "rows/s", "target": None}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
