"""`metaexpert backtest`, run as a real process: report, plot, journal and clear errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cli_world import first_bars, run_cli

METRICS = {
    "total_return",
    "realized_pnl",
    "unrealized_pnl",
    "fees",
    "trades",
    "win_rate",
    "average_win",
    "average_loss",
    "profit_factor",
    "max_drawdown",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "exposure_time",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("backtest")
    data = first_bars(out / "bars.csv", 3000)
    files = {"data": data, "report": out / "r.json", "plot": out / "eq.html", "journal": out / "j.jsonl"}
    result = run_cli(
        "backtest",
        "--data", str(data),
        "--strategy", "strategies.ema_cross:EmaCross",
        "--param", "fast=10",
        "--param", "slow=20",
        "--report", str(files["report"]),
        "--plot", str(files["plot"]),
        "--journal", str(files["journal"]),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    files["stdout"] = out / "stdout.txt"
    files["stdout"].write_text(result.stdout)
    return files


def test_report_has_every_metric_orders_positions_balances_and_fills(run: dict[str, Path]) -> None:
    report = json.loads(run["report"].read_text())
    (execution,) = report["executions"]
    assert set(execution["metrics"]) >= METRICS
    assert execution["orders"] and all(order["status"] == "filled" for order in execution["orders"])
    assert execution["fills"], "the EMA cross trades on 3000 real bars"
    for fill in execution["fills"]:
        assert {"ts_event", "side", "price", "quantity", "fee"} <= set(fill)
        assert isinstance(fill["price"], str)  # Decimal, exact, never a float
    assert execution["final_positions"][0]["quantity"] == "1"
    assert "USDT" in report["accounts"][0]["balance"]
    assert report["events"] == 3000
    # fees at the default taker rate 0.05 % of each fill's notional, exactly
    for fill in execution["fills"]:
        assert Decimal(fill["fee"]) == Decimal(fill["price"]) * Decimal(fill["quantity"]) * Decimal("0.0005")


def test_console_summary_names_the_strategy_and_headline_figures(run: dict[str, Path]) -> None:
    text = run["stdout"].read_text()
    assert "strategies.ema_cross:EmaCross" in text
    for label in ("total return", "max drawdown", "Sharpe", "win rate", "3,000 events"):
        assert label in text


def test_the_report_and_the_summary_give_the_period_and_the_markets_own_change(run: dict[str, Path]) -> None:
    rows = run["data"].read_text().splitlines()[1:]
    first, last = (Decimal(row.split(",")[4]) for row in (rows[0], rows[-1]))
    report = json.loads(run["report"].read_text())
    change = Decimal(report["executions"][0]["market_change"])
    assert change == (last / first - 1).quantize(Decimal("1e-8"))
    text = run["stdout"].read_text()
    assert f"market change   {change:+.4%} (buy and hold, before fees)" in text
    opened = datetime.strptime(rows[0].split(",")[0][:16], "%Y-%m-%d %H:%M")
    assert f"period          {opened + timedelta(minutes=1):%Y-%m-%d %H:%M} to " in text  # at its close


def test_plot_is_a_self_contained_page_with_the_equity_curve(run: dict[str, Path]) -> None:
    page = run["plot"].read_text()
    assert page.startswith("<!doctype html>") and "<polyline" in page and "<script" not in page


def test_journal_starts_with_a_header_carrying_the_config(run: dict[str, Path]) -> None:
    header = json.loads(run["journal"].read_text().split("\n", 1)[0])
    assert header["journal"] == "metaexpert" and header["format_version"] == 1
    assert header["config"]["strategies"][0]["strategy"] == "strategies.ema_cross:EmaCross"


def test_a_journal_is_also_backtest_data(run: dict[str, Path]) -> None:
    result = run_cli("backtest", "--data", str(run["journal"]))
    assert result.returncode == 0, result.stderr
    assert "3,000 events" in result.stdout


def test_invalid_parameter_is_one_line_naming_the_field() -> None:
    result = run_cli("backtest", "--param", "fast=abc")
    assert result.returncode == 1
    assert "strategies[0].params" in result.stderr and "fast" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_parameter_is_refused() -> None:
    result = run_cli("backtest", "--param", "fsat=5")
    assert result.returncode == 1 and "fsat" in result.stderr and "Traceback" not in result.stderr


def test_parameter_rule_violation_is_refused() -> None:
    result = run_cli("backtest", "--param", "fast=30", "--param", "slow=20")
    assert result.returncode == 1 and "fast < slow" in result.stderr


def test_unknown_strategy_is_refused_naming_it() -> None:
    result = run_cli("backtest", "--strategy", "strategies.nope:Nothing")
    assert result.returncode == 1 and "strategies.nope" in result.stderr and "Traceback" not in result.stderr


def test_missing_data_file_exits_2() -> None:
    result = run_cli("backtest", "--data", "missing.csv")
    assert result.returncode == 2
    assert result.stderr.strip() == "metaexpert: error: data file not found: missing.csv"


def test_malformed_param_syntax_exits_2() -> None:
    result = run_cli("backtest", "--param", "fast")
    assert result.returncode == 2 and "key=value" in result.stderr


def test_bad_config_fails_at_start_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        '[[exchanges]]\nid = "binance"\n\n[[accounts]]\naccount_id = "main"\nexchange_id = "binance"\n'
        'account_type = "futures"\nbalance = { USDT = "lots" }\n'
    )
    result = run_cli("backtest", "--config", str(config))
    assert result.returncode == 1
    assert "accounts[0].balance" in result.stderr and "Traceback" not in result.stderr


def test_corrupt_data_row_is_reported_with_its_line_number(tmp_path: Path) -> None:
    data = first_bars(tmp_path / "bars.csv", 50)
    lines = data.read_text().splitlines()
    cells = lines[17].split(",")
    cells[4] = "abc"  # the close column
    lines[17] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n")
    result = run_cli("backtest", "--data", str(data))
    assert result.returncode == 1
    assert "line 18" in result.stderr and "close" in result.stderr and "Traceback" not in result.stderr


def test_strategies_lists_the_bundled_strategies_with_their_parameters() -> None:
    result = run_cli("strategies")
    assert result.returncode == 0
    assert "strategies.ema_cross:EmaCross" in result.stdout
    for param in ("--param fast=<int>", "--param slow=<int>", "--param size=<Decimal>"):
        assert param in result.stdout


def test_the_shipped_example_config_runs(tmp_path: Path) -> None:
    data = first_bars(tmp_path / "bars.csv", 500)
    result = run_cli("backtest", "--config", "strategies/configs/btc_perp.toml", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert "[ema-10-20]" in result.stdout and "500 events" in result.stdout
