"""RSI reversion trades exactly where an independent RSI says it should, and exits at its bracket prices.

Seventeen one-minute bars through the real engine (simulated exchange, bars only, maker fee 0.02 %,
taker fee 0.05 %): a market entry fills at the signal bar's close (taker), a take-profit at its own
limit price (maker), and a triggered stop-loss as a market order at the close of the bar that reached it.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from engine.backtest import run_backtest
from engine.config import NodeConfig, config_from_dict
from engine.errors import ConfigError
from engine.messages import Bar
from engine.strategy import parse_params
from strategies.rsi_reversion import RsiReversionParams

MINUTE_NS = 60_000_000_000
T0 = 1_700_000_040 * 1_000_000_000  # a minute boundary
PERIOD = 3
PARAMS = {
    "period": PERIOD,
    "oversold": 30,
    "overbought": 70,
    "size": "2",
    "stop_loss_pct": "1.5",
    "take_profit_pct": "2.5",
}

# (open, high, low, close); bar i closes at T0 + (i + 1) minutes
OHLC = [
    ("100", "100.5", "99.5", "100"),
    ("100", "101.2", "99.9", "101"),
    ("101", "102.2", "100.9", "102"),
    ("102", "103.2", "101.9", "103"),
    ("103", "103.1", "100.8", "101"),
    ("101", "101.1", "98.8", "99"),  # 5: RSI crosses below 30 -> long at 99, SL 97.51, TP 101.48
    ("99", "99.2", "97.6", "98"),  # low stays above the stop 97.51
    ("98", "99.6", "97.9", "99.5"),
    ("99.5", "101.6", "99.4", "101"),  # 8: high 101.6 goes through the TP 101.48: it fills there
    ("101", "102.6", "100.9", "102.5"),  # 9: RSI crosses above 70 while flat -> short at 102.5
    ("102.5", "102.8", "101.2", "101.5"),
    ("101.5", "104.03", "101.4", "104"),  # 11: crosses above 70 again while short: ignored
    ("104", "105.5", "103.9", "105"),  # 12: high goes through the stop 104.04 -> bought back at 104.04
    ("105", "107.2", "104.9", "107"),
    ("107", "107.3", "105.8", "106"),
    ("106", "108.3", "105.9", "108"),  # 15: crosses above 70 while flat -> short at 108, SL 109.62, TP 105.30
    ("108", "108.5", "103.8", "104"),  # 16: low goes through the TP 105.30: it fills there
]


def ts(i: int) -> int:
    return T0 + (i + 1) * MINUTE_NS


def bars() -> list[Bar]:
    return [
        Bar(
            ts_event=ts(i),
            ts_init=ts(i),
            exchange_id="sim",
            symbol="BTCUSDT",
            interval="1m",
            open=Decimal(o),
            high=Decimal(h),
            low=Decimal(lo),
            close=Decimal(c),
            volume=Decimal(10),
        )
        for i, (o, h, lo, c) in enumerate(OHLC)
    ]


def config(params: dict[str, Any]) -> NodeConfig:
    return config_from_dict(
        {
            "exchanges": [{"id": "sim"}],
            "instruments": [
                {
                    "symbol": "BTCUSDT",
                    "base_currency": "BTC",
                    "quote_currency": "USDT",
                    "min_order_size": "0.001",
                    "max_order_size": "1000",
                    "price_precision": 2,
                    "quantity_precision": 3,
                    "tick_size": "0.01",
                    "exchange_id": "sim",
                    "trading_types": ["futures"],
                    "contract_specifications": {
                        "max_leverage": 20,
                        "maker_fee": "0.0002",
                        "taker_fee": "0.0005",
                    },
                }
            ],
            "accounts": [
                {
                    "account_id": "main",
                    "exchange_id": "sim",
                    "account_type": "futures",
                    "balance": {"USDT": "100000"},
                }
            ],
            "strategies": [
                {
                    "strategy": "strategies.rsi_reversion:RsiReversion",
                    "account_id": "main",
                    "exchange_id": "sim",
                    "symbol": "BTCUSDT",
                    "params": params,
                }
            ],
        }
    )


def independent_rsi(closes: list[Decimal], period: int) -> dict[int, Decimal]:
    """Wilder's RSI written out plainly, by bar index: the first comes on bar ``period``."""
    changes = [b - a for a, b in pairwise(closes)]
    gains = [c if c > 0 else Decimal(0) for c in changes]
    losses = [-c if c < 0 else Decimal(0) for c in changes]
    avg_gain = sum(gains[:period], Decimal(0)) / period
    avg_loss = sum(losses[:period], Decimal(0)) / period
    rsi = {}
    for k in range(period - 1, len(changes)):  # change k ends on bar k + 1
        if k >= period:
            avg_gain = (avg_gain * (period - 1) + gains[k]) / period
            avg_loss = (avg_loss * (period - 1) + losses[k]) / period
        rsi[k + 1] = Decimal(100) if avg_loss == 0 else 100 - 100 / (1 + avg_gain / avg_loss)
    return rsi


def crosses(rsi: dict[int, Decimal], oversold: int = 30, overbought: int = 70) -> dict[int, str]:
    """Bar index -> the entry side its cross calls for."""
    signals = {}
    for i, now in rsi.items():
        before = rsi.get(i - 1)
        if before is not None and before >= oversold > now:
            signals[i] = "buy"
        elif before is not None and before <= overbought < now:
            signals[i] = "sell"
    return signals


def test_independent_rsi_and_its_crosses() -> None:
    rsi = independent_rsi([Decimal(c) for *_, c in OHLC], PERIOD)
    assert min(rsi) == 3
    assert rsi[3] == 100  # three gains, no loss
    assert round(rsi[4], 4) == 50
    assert round(rsi[5], 4) == Decimal("28.5714")
    assert round(rsi[9], 4) == Decimal("78.2262")
    assert round(rsi[10], 4) == Decimal("58.2867")
    assert round(rsi[11], 4) == Decimal("78.6726")
    assert round(rsi[15], 4) == Decimal("81.8570")
    assert crosses(rsi) == {5: "buy", 9: "sell", 11: "sell", 15: "sell"}


def test_rsi_reversion_trades_exactly_and_exits_at_its_bracket_prices() -> None:
    _, report = run_backtest(config(PARAMS), bars())
    (execution,) = report.executions
    fills = [
        (f.ts_event, f.client_order_id, f.side.value, f.price, f.quantity, f.fee) for f in execution.fills
    ]
    D = Decimal
    assert fills == [
        # bar 5: long 2 at the close 99, fee 99 * 2 * 0.0005; SL floor(97.515) 97.51, TP ceil(101.475) 101.48
        (ts(5), "O-1", "buy", D("99"), D("2"), D("0.099")),
        # bar 8: the TP limit fills at exactly 101.48 (maker)
        (ts(8), "O-1-TP", "sell", D("101.48"), D("2"), D("0.040592")),
        # short 2 at 102.5: SL ceil(104.0375) = 104.04, TP floor(99.9375) = 99.93
        (ts(9), "O-2", "sell", D("102.5"), D("2"), D("0.1025")),
        # bar 12: rising from its open 104, the bar passes the stop 104.04: the stop fills there
        (ts(12), "O-2-SL", "buy", D("104.04"), D("2"), D("0.104040")),
        # bar 15: short 2 at 108: SL 108 * 1.015 = 109.62, TP 108 * 0.975 = 105.30
        (ts(15), "O-3", "sell", D("108"), D("2"), D("0.108")),
        # bar 16: the TP limit fills at exactly 105.30
        (ts(16), "O-3-TP", "buy", D("105.30"), D("2"), D("0.04212")),
    ]
    # the entries are the independent RSI's crosses, except bar 11's: the short of bar 9 was still open
    signals = crosses(independent_rsi([Decimal(c) for *_, c in OHLC], PERIOD))
    entries = {f[0]: f[2] for f in fills if not f[1].endswith(("-SL", "-TP"))}
    assert entries == {ts(i): side for i, side in signals.items() if i != 11}
    assert execution.final_positions == []
    statuses = {o.client_order_id: o.status.value for o in execution.orders}
    assert statuses == {
        "O-1": "filled",
        "O-1-SL": "cancelled",
        "O-1-TP": "filled",
        "O-2": "filled",
        "O-2-SL": "filled",
        "O-2-TP": "cancelled",
        "O-3": "filled",
        "O-3-SL": "cancelled",
        "O-3-TP": "filled",
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"period": 0}, "period"),
        ({"oversold": 70, "overbought": 30}, "oversold"),
        ({"size": "0"}, "size"),
        ({"stop_loss_pct": "0"}, "stop_loss_pct"),
        ({"take_profit_pct": "100"}, "take_profit_pct"),
        ({"period": "fourteen"}, "period"),
        ({"stop_los_pct": "1"}, "stop_los_pct"),
    ],
)
def test_bad_params_are_refused_naming_the_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        parse_params(RsiReversionParams, values)


def test_bad_params_refuse_the_whole_config_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="stop_loss_pct"):
        run_backtest(config({**PARAMS, "stop_loss_pct": "-1"}), bars())
