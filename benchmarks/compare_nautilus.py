"""The same EMA-cross bar backtest in NautilusTrader 1.221.0 and in MetaExpert, in one process: bars/s.

Optional and never run in CI. Install the ``bench`` extra (NautilusTrader 1.221.0 and pandas), best in
a venv of its own so the project's ``.venv`` stays as CI has it, then run the script::

    python3 -m venv /tmp/nt-venv && /tmp/nt-venv/bin/pip install -e ".[bench]"
    /tmp/nt-venv/bin/python benchmarks/compare_nautilus.py

What is measured: the rate, in bars per second, at which each engine backtests the EMA cross below on
the bundled 45,031 one-minute BTC perpetual bars (``../shared/data/btc-perp-1m.csv``). It prints one
JSON line per metric, ``{"bench": "compare_nautilus", "metric": ..., "value": ..., "unit": ...,
"target": null}``: ``nautilus_bars_per_second`` and ``metaexpert_bars_per_second`` (each the median of
3 runs), ``ratio`` (MetaExpert's rate over NautilusTrader's; above 1 means MetaExpert is faster), then
``nautilus_fills`` and ``metaexpert_fills``, the fills each engine made in its last run.

The rule, the same in both: EMA(10) and EMA(20) of closes, each seeded with the first close and updated
with alpha = 2 / (n + 1); after every bar ``above = fast > slow`` (the seed bar counts as not above);
on each change of ``above``, one market order to +1 BTC (cross up) or -1 BTC (cross down), so 1 from
flat and 2 when flipping; no fees; a market order sent on a bar fills at that bar's close.

Method:

- Data is loaded once, before any timing. MetaExpert: ``adapters.files.load_bar_csv`` into a list of
  ``Bar`` (timestamps are bar open times; the loader stamps each bar at its close, open + 1 minute).
  NautilusTrader: the CSV read with pandas, the index moved from open to close time (+1 minute), and
  turned into Nautilus ``Bar`` objects by ``BarDataWrangler`` (``ts_event = ts_init =`` close). Nautilus
  bar execution requires ``ts_init`` to be the bar's close; fed the file's open times unchanged, every
  bar would be seen, and filled on, a minute early. Both engines thus see the same bars at the same
  times.
- NautilusTrader, per run: a fresh ``BacktestEngine`` (logging bypassed, so no console output counts
  against it), a ``BINANCE`` venue (``OmsType.NETTING``, margin account of 10,000,000 USDT, bar
  execution), a fee-free ``BTCUSDT-PERP`` ``CryptoPerpetual``, the bars through ``add_data`` (data
  loading: validation and sort by ``ts_init``, not timed), and a minimal ``Strategy`` subclass with two
  ``ExponentialMovingAverage`` indicators registered for the bars and market orders from the
  ``order_factory``. The timed part is building the engine, venue, instrument and strategy, plus
  ``engine.run()`` (start, every bar through the simulated exchange, data engine, strategy, risk and
  execution engines, stop and the post-run summary); everything except ``add_data`` and ``dispose``.
- MetaExpert, per run: one ``engine.backtest.run_backtest(config, bars)`` call with a futures account
  of 10,000,000 USDT and a fee-free BTCUSDT instrument (``tests/golden/test_ema_cross_yardstick.py``'s
  config), timed whole: building and starting the node, every bar through the DataEngine, the
  simulated exchange, the Portfolio, the RiskEngine and ``strategies.ema_cross:EmaCross``, equity
  sampled after every bar, and the final report (which NautilusTrader's timed part has no equivalent
  of, so the comparison leans slightly in NautilusTrader's favour).
- The runs alternate (NautilusTrader, MetaExpert, three times) so drift in machine load hits both.

Fills: on the bundled data (NautilusTrader 1.221.0, checked when this script was written) the two
engines make the same 2,068 fills, at the same times, sides, prices and quantities; each side's list
is also checked against the rule (fills alternate side, 1 BTC then 2 BTC each, at the close of the
bar they are stamped with). Equal counts are not guaranteed in general, only close ones: MetaExpert
computes the EMAs in ``Decimal``, NautilusTrader's ``ExponentialMovingAverage`` in binary floating
point, so on a bar where the two EMAs are within rounding of each other the sign of ``fast - slow``
can differ, which adds or removes a pair of crosses or moves one by a bar. Netting makes no
difference to the count: a flip is one order and one ``OrderFilled`` in NautilusTrader too (it splits
the fill only inside its position accounting). The Nautilus instrument has price precision 3 so that
the four closes in the file with three decimals (e.g. 43613.875) reach both engines unrounded.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.model.currencies import BTC, USDT
from nautilus_trader.model.data import Bar as NautilusBar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.enums import OrderSide as NautilusOrderSide
from nautilus_trader.model.events import OrderDenied, OrderFilled, OrderRejected
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.trading.strategy import Strategy as NautilusStrategy

from adapters.files import load_bar_csv
from engine.backtest import run_backtest
from engine.config import NodeConfig, default_backtest_config
from engine.messages import Bar

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "btc-perp-1m.csv"
RUNS = 3
FAST = 10
SLOW = 20
MINUTE = pd.Timedelta(minutes=1)
BALANCE = 10_000_000

VENUE = Venue("BINANCE")
INSTRUMENT_ID = InstrumentId(Symbol("BTCUSDT-PERP"), VENUE)
BAR_TYPE = BarType.from_str(f"{INSTRUMENT_ID}-1-MINUTE-LAST-EXTERNAL")

Fill = tuple[int, str, Decimal, Decimal]  # ts_event (ns), "buy"/"sell", price, quantity


# -- NautilusTrader ---------------------------------------------------------------------------------


def nautilus_instrument() -> CryptoPerpetual:
    return CryptoPerpetual(
        instrument_id=INSTRUMENT_ID,
        raw_symbol=Symbol("BTCUSDT"),
        base_currency=BTC,
        quote_currency=USDT,
        settlement_currency=USDT,
        is_inverse=False,
        price_precision=3,
        size_precision=3,
        price_increment=Price.from_str("0.001"),
        size_increment=Quantity.from_str("0.001"),
        ts_event=0,
        ts_init=0,
        max_quantity=Quantity.from_str("1000.000"),
        min_quantity=Quantity.from_str("0.001"),
        margin_init=Decimal("0.01"),
        margin_maint=Decimal("0.004"),
        maker_fee=Decimal(0),
        taker_fee=Decimal(0),
    )


def load_nautilus_bars(instrument: CryptoPerpetual) -> list[NautilusBar]:
    frame = pd.read_csv(DATA)
    # The file stamps bars at their open; Nautilus wants them at their close (ts_init = close).
    frame.index = pd.DatetimeIndex(
        pd.to_datetime(frame.pop("timestamp"), utc=True) + MINUTE, name="timestamp"
    )
    return BarDataWrangler(BAR_TYPE, instrument).process(frame[["open", "high", "low", "close", "volume"]])


class EmaFlipConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    bar_type: BarType
    fast: int = FAST
    slow: int = SLOW
    size: int = 1


class EmaFlip(NautilusStrategy):
    """EMA(fast) / EMA(slow) cross flipping between +size and -size with market orders."""

    def __init__(self, config: EmaFlipConfig) -> None:
        super().__init__(config)
        self.fast = ExponentialMovingAverage(config.fast)
        self.slow = ExponentialMovingAverage(config.slow)
        self.above = False
        self.target = 0
        self.fills: list[Fill] = []
        self.refusals: list[str] = []

    def on_start(self) -> None:
        self.instrument = self.cache.instrument(self.config.instrument_id)
        self.register_indicator_for_bars(self.config.bar_type, self.fast)
        self.register_indicator_for_bars(self.config.bar_type, self.slow)
        self.subscribe_bars(self.config.bar_type)

    def on_bar(self, bar: NautilusBar) -> None:
        # The registered indicators have already taken this bar's close. On the first bar both hold
        # that close, so ``above`` is False there, as the rule wants.
        above = self.fast.value > self.slow.value
        if above == self.above:
            return
        self.above = above
        target = self.config.size if above else -self.config.size
        delta = target - self.target
        self.target = target
        order = self.order_factory.market(
            instrument_id=self.config.instrument_id,
            order_side=NautilusOrderSide.BUY if delta > 0 else NautilusOrderSide.SELL,
            quantity=self.instrument.make_qty(abs(delta)),
        )
        self.submit_order(order)

    def on_order_filled(self, event: OrderFilled) -> None:
        side = "buy" if event.order_side == NautilusOrderSide.BUY else "sell"
        self.fills.append((event.ts_event, side, event.last_px.as_decimal(), event.last_qty.as_decimal()))

    def on_order_rejected(self, event: OrderRejected) -> None:
        self.refusals.append(f"rejected: {event.reason}")

    def on_order_denied(self, event: OrderDenied) -> None:
        self.refusals.append(f"denied: {event.reason}")


def run_nautilus(instrument: CryptoPerpetual, bars: list[NautilusBar]) -> tuple[float, list[Fill]]:
    started = time.perf_counter()
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(bypass_logging=True)))
    engine.add_venue(
        venue=VENUE,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        starting_balances=[Money(BALANCE, USDT)],
        base_currency=USDT,
    )
    engine.add_instrument(instrument)
    paused = time.perf_counter()
    engine.add_data(bars)  # data loading: not timed
    resumed = time.perf_counter()
    strategy = EmaFlip(EmaFlipConfig(instrument_id=INSTRUMENT_ID, bar_type=BAR_TYPE))
    engine.add_strategy(strategy)
    engine.run()
    elapsed = time.perf_counter() - resumed + (paused - started)
    iterations = engine.get_result().iterations
    engine.dispose()
    if iterations != len(bars):
        raise RuntimeError(f"NautilusTrader processed {iterations} of {len(bars)} bars")
    if strategy.refusals:
        raise RuntimeError(
            f"NautilusTrader refused {len(strategy.refusals)} orders, first {strategy.refusals[0]}"
        )
    return len(bars) / elapsed, strategy.fills


# -- MetaExpert -------------------------------------------------------------------------------------


def metaexpert_config() -> NodeConfig:
    params = {"fast": FAST, "slow": SLOW, "size": "1"}
    return default_backtest_config(
        "strategies.ema_cross:EmaCross", params, balance=Decimal(BALANCE), fees=False
    )


def run_metaexpert(config: NodeConfig, bars: list[Bar]) -> tuple[float, list[Fill]]:
    started = time.perf_counter()
    node, report = run_backtest(config, bars)
    elapsed = time.perf_counter() - started
    if report.events != len(bars) or node.bus.errors:
        raise RuntimeError(
            f"MetaExpert processed {report.events} of {len(bars)} bars, {node.bus.errors} errors"
        )
    (execution,) = report.executions
    if any(f.fee for f in execution.fills):
        raise RuntimeError("MetaExpert charged a fee in a no-fee run")
    return len(bars) / elapsed, [(f.ts_event, f.side.value, f.price, f.quantity) for f in execution.fills]


# -- Both -------------------------------------------------------------------------------------------


def check_rule(engine: str, fills: list[Fill], closes: dict[int, Decimal]) -> None:
    """Each fill is at the close of a bar, alternates side, 1 BTC from flat and 2 BTC after."""
    for i, (ts, side, price, quantity) in enumerate(fills):
        flipped = i == 0 or side != fills[i - 1][1]
        if not flipped or quantity != (1 if i == 0 else 2) or closes.get(ts) != price:
            raise RuntimeError(f"{engine} fill {i} breaks the rule: {fills[i]}")


def line(metric: str, value: float, unit: str) -> str:
    return json.dumps(
        {"bench": "compare_nautilus", "metric": metric, "value": value, "unit": unit, "target": None}
    )


def main() -> None:
    instrument = nautilus_instrument()
    nautilus_bars = load_nautilus_bars(instrument)
    bars = list(load_bar_csv(DATA, exchange_id="binance", symbol="BTCUSDT"))
    if len(nautilus_bars) != len(bars):
        raise RuntimeError(f"{len(nautilus_bars)} Nautilus bars but {len(bars)} MetaExpert bars")
    config = metaexpert_config()

    nautilus_rates: list[float] = []
    metaexpert_rates: list[float] = []
    for _ in range(RUNS):
        gc.collect()
        rate, nautilus_fills = run_nautilus(instrument, nautilus_bars)
        nautilus_rates.append(rate)
        gc.collect()
        rate, metaexpert_fills = run_metaexpert(config, bars)
        metaexpert_rates.append(rate)

    closes = {bar.ts_event: bar.close for bar in bars}
    check_rule("NautilusTrader", nautilus_fills, closes)
    check_rule("MetaExpert", metaexpert_fills, closes)

    nautilus = statistics.median(nautilus_rates)
    metaexpert = statistics.median(metaexpert_rates)
    print(line("nautilus_bars_per_second", round(nautilus), "bars/s"))
    print(line("metaexpert_bars_per_second", round(metaexpert), "bars/s"))
    print(line("ratio", round(metaexpert / nautilus, 2), "x"))
    print(line("nautilus_fills", len(nautilus_fills), "fills"))
    print(line("metaexpert_fills", len(metaexpert_fills), "fills"))


if __name__ == "__main__":
    main()
