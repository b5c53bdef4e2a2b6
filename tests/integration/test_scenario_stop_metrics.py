"""The metrics of a run count what its stop did: a strategy set to close its positions on stop pays
the closing fill's fee, and its final equity, return and equity curve say so."""

from __future__ import annotations

from scenario_world import ACC, TAKER_FEE, D, market, node_config, run, scripted, trade

from engine.backtest import run_backtest


def test_closing_positions_at_stop_shows_in_final_equity_and_the_curve():
    spec = scripted(market("long", "buy", "1", at=1)) | {"close_positions_on_stop": True}
    node, report = run_backtest(
        node_config(spec, balance={"USDT": "100000"}), [trade(1, "100"), trade(5, "110")]
    )
    [execution] = report.executions
    metrics = execution.metrics
    fees = (D(100) + D(110)) * TAKER_FEE  # the opening fill and the one the stop sent
    assert execution.final_positions == [] and metrics.fees == fees
    assert metrics.final_equity == D(100000) + D(10) - fees == node.store.get_account(ACC).balance["USDT"]
    assert metrics.total_return == (metrics.final_equity - D(100000)) / D(100000)
    assert execution.equity_curve[-1].equity == metrics.final_equity
    assert metrics.trades == 1 and metrics.wins == 1


def test_metrics_read_between_samples_count_the_equity_of_the_moment():
    # a node fed directly samples no curve: the metrics still read the equity the ledger holds now
    scenario = run(
        node_config(scripted(market("long", "buy", "1", at=1))), [trade(1, "100"), trade(2, "110")]
    )
    execution_id = scenario.node.strategies[0].execution_id
    assert scenario.node.recorder.records[execution_id].curve == []
    metrics = scenario.node.performance(execution_id)
    assert metrics.final_equity == D(10000) + D(10) - D(100) * TAKER_FEE  # long 1 from 100, marked at 110
    assert metrics.total_return == (metrics.final_equity - D(10000)) / D(10000)
