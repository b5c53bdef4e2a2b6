"""Parameters are a msgspec struct the strategy declares: validated, defaulted, typed from strings.

``--param fast=12`` reaches the node as the string ``"12"``; the declared type decides what it
becomes. Anything the struct refuses stops the node at start-up with a ``ConfigError`` whose
message names the offending parameter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from strategy_api_world import D, Tunable, config, strategy_spec

from engine.errors import ConfigError
from engine.node import Node
from engine.strategy import NoParams, Strategy, parse_params
from strategies.ema_cross import EmaCross


def built(params: dict[str, Any]) -> Tunable:
    node = Node(config(strategy_spec(Tunable, params=params)))
    (strategy,) = node.strategies
    assert isinstance(strategy, Tunable)
    return strategy


def test_undeclared_values_take_the_declared_defaults() -> None:
    strategy = built({})
    assert (strategy.p.fast, strategy.p.ratio, strategy.p.enabled, strategy.p.interval) == (
        10,
        D("0.5"),
        True,
        "1m",
    )


def test_command_line_strings_become_the_declared_types() -> None:
    strategy = built({"fast": "12", "ratio": "0.25", "enabled": "false"})

    assert type(strategy.p.fast) is int and strategy.p.fast == 12
    assert type(strategy.p.ratio) is Decimal and strategy.p.ratio == D("0.25")  # exact, never a float
    assert strategy.p.enabled is False
    assert strategy.p.interval == "1m"


def test_typed_config_values_are_taken_as_they_are() -> None:
    strategy = built({"fast": 7, "ratio": "1", "enabled": True, "interval": "5m"})
    assert (strategy.p.fast, strategy.p.ratio, strategy.p.enabled, strategy.p.interval) == (7, 1, True, "5m")


def test_the_trading_strategy_record_keeps_the_validated_parameters() -> None:
    node = Node(config(strategy_spec(Tunable, params={"fast": "12"})))
    (strategy,) = node.strategies
    stored = node.store.get_strategy(strategy.execution.strategy_id)
    assert stored is not None
    assert stored.parameters == {
        "fast": 12,
        "ratio": "0.5",
        "enabled": True,
        "interval": "1m",
        "trades": False,
    }


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"bogus": "1"}, "unknown field `bogus`"),
        ({"fast": "ten"}, "`$.fast`"),
        ({"fast": "1.5"}, "`$.fast`"),
        ({"ratio": "half"}, "`$.ratio`"),
        ({"enabled": "maybe"}, "`$.enabled`"),
        ({"ratio": "1.5"}, "ratio must be in (0, 1], got 1.5"),  # the struct's own __post_init__ check
    ],
)
def test_an_unknown_parameter_or_a_bad_value_is_refused_naming_it(params: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Node(config(strategy_spec(Tunable, params=params)))
    assert refused.value.field == "strategies[0].params"
    assert names in str(refused.value)


def test_parse_params_is_the_same_rule_for_any_caller() -> None:
    params = parse_params(Tunable.Params, {"fast": "3"})
    assert params == Tunable.Params(fast=3)

    with pytest.raises(ConfigError) as refused:
        parse_params(EmaCross.Params, {"fast": "30", "slow": "20"})
    assert refused.value.field == "params"
    assert "need 0 < fast < slow, got fast=30 slow=20" in str(refused.value)


def test_a_strategy_that_declares_no_parameters_accepts_none() -> None:
    assert Strategy.Params is NoParams
    assert parse_params(Strategy.Params, {}) == NoParams()
    with pytest.raises(ConfigError, match="unknown field `size`"):
        parse_params(Strategy.Params, {"size": "1"})
