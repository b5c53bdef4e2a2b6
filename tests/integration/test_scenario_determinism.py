"""Determinism: the same config and data through ``run_backtest`` twice give the same events, byte for byte.

The run mixes what can reorder or vary: two executions on one account, a bracket, resting limits, an
emulated stop and trailing stop, an IOC against quotes, a GTD expiry, and a venue that duplicates
fills at random (seeded). Every event on ``events.order.*``, ``events.position.*`` (the executions'
and the account's views) and ``events.account.*`` is recorded as msgspec JSON and compared.
"""

from __future__ import annotations

import msgspec
from scenario_world import limit, market, node_config, quote, scripted, stop, trade

from engine.backtest import run_backtest

MARKET_DATA = [
    trade(1, "100"),
    quote(2, bid="100.4", ask="100.6", ask_size="0.3"),
    trade(3, "101"),
    trade(4, "98.5"),
    trade(5, "105"),
    trade(6, "111"),
    trade(7, "109"),
    trade(8, "107.5"),
    trade(40, "103"),
    trade(41, "99"),
]


def config():
    return node_config(
        scripted(
            market("entry", "buy", "2", stop_loss_price="95", take_profit_price="110"),
            limit("bid", "buy", "1", "99"),
            limit("ioc", "buy", "1", "100.6", at=2, time_in_force="IOC"),
            market(
                "trail",
                "sell",
                "1",
                at=3,
                order_type="trailing_stop",
                trailing_stop_callback_rate="2",
                trailing_stop_activation_price="105",
            ),
            execution_id="s1",
            record_all=True,
        ),
        scripted(
            market("short", "sell", "0.5"),
            limit("gtd", "sell", "1", "120", at=3, time_in_force="GTD", expire_at=30),
            stop("stop", "buy", "0.5", "104", at=4),
            execution_id="s2",
        ),
        sim={"seed": 7, "misbehaviour": [{"action": "duplicate_fill", "probability": 0.5}]},
    )


def backtest() -> tuple[list[bytes], dict[str, object]]:
    node, report = run_backtest(config(), MARKET_DATA)
    recorder = node.strategies[0]
    assert node.bus.errors == 0
    assert node.execution.illegal_transitions == 0
    summary = msgspec.to_builtins(report)
    summary.pop("elapsed_s")
    summary.pop("events_per_second")
    return recorder.recorded, summary


def test_the_same_inputs_twice_give_identical_event_sequences_and_reports():
    first_events, first_report = backtest()
    second_events, second_report = backtest()

    assert second_events == first_events
    assert second_report == first_report
    kinds = {msgspec.json.decode(line)["type"] for line in first_events}
    assert {
        "OrderAccepted",
        "OrderFilled",
        "OrderCancelled",
        "PositionOpened",
        "PositionChanged",
        "AccountState",
    } <= kinds
    assert len(first_events) > 40
