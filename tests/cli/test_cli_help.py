"""``--help`` shows the parameters of the strategy named on the command line, as a user types them."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from cli_world import run_cli

import run_engine
from engine.strategy import Strategy


def test_backtest_help_shows_the_default_strategys_parameters() -> None:
    result = run_cli("backtest", "--help")
    assert result.returncode == 0, result.stderr
    assert "Parameters of strategies.ema_cross:EmaCross:" in result.stdout
    assert "--param fast=<int>  (default 10)" in result.stdout
    assert "--param size=<Decimal>  (default 1)" in result.stdout


def test_backtest_help_shows_the_parameters_of_the_strategy_given() -> None:
    result = run_cli("backtest", "--strategy=strategies.rsi_reversion:RsiReversion", "-h")
    assert result.returncode == 0, result.stderr
    assert "Parameters of strategies.rsi_reversion:RsiReversion:" in result.stdout
    assert "--param oversold=<Decimal>  (default 30)" in result.stdout
    assert "fast=<int>" not in result.stdout


def test_replay_help_shows_the_parameters_of_its_strategy_only_when_one_is_given() -> None:
    plain = run_cli("replay", "--help")
    given = run_cli("replay", "log.jsonl", "--strategy", "strategies.grid:GridMaker", "--help")
    assert plain.returncode == given.returncode == 0
    assert "Parameters of" not in plain.stdout
    assert "--param spacing_ticks=<int>  (default 10)" in given.stdout


def test_help_for_a_strategy_that_cannot_load_says_why_and_still_helps() -> None:
    result = run_cli("backtest", "--strategy", "no_such_package:Nope", "--help")
    assert result.returncode == 0
    assert "cannot load it" in result.stdout and "no_such_package" in result.stdout
    assert "--data DATA" in result.stdout


class _Params(msgspec.Struct, kw_only=True):
    symbols: list[str] = msgspec.field(default_factory=lambda: ["BTCUSDT", "ETHUSDT"])
    threshold: Decimal = Decimal("0.25")
    budget: int
    label: str | None = None


class _Listed(Strategy):
    Params = _Params


def test_parameter_lines_show_required_fields_factories_and_plain_defaults() -> None:
    assert run_engine._param_lines(_Listed) == [
        'symbols=<list[str]>  (default ["BTCUSDT","ETHUSDT"])',
        "threshold=<Decimal>  (default 0.25)",
        "budget=<int>  (required)",
        "label=<str | None>  (default none)",
    ]
