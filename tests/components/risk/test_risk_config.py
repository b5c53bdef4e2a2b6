"""RiskConfig and strategy risk controls: typed, every limit optional, nonsense refused by name."""

from __future__ import annotations

import msgspec
import pytest
from risk_world import D

from engine.components.risk import OrderLimits, RiskConfig


def test_every_limit_is_off_by_default() -> None:
    config = RiskConfig()

    assert config.order_limits == OrderLimits()
    assert (config.max_orders_per_interval, config.daily_loss_limit, config.max_drawdown_pct) == (
        None,
        None,
        None,
    )


def test_a_config_read_from_a_file_refuses_unknown_fields() -> None:
    with pytest.raises(msgspec.ValidationError, match="max_notional"):
        msgspec.json.decode(b'{"max_notional": "100"}', type=RiskConfig)


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (b'{"max_order_notional": "0"}', "max_order_notional"),
        (b'{"daily_loss_limit": "-5"}', "daily_loss_limit"),
        (b'{"max_drawdown_pct": "150"}', "max_drawdown_pct"),
        (b'{"max_open_orders": 0}', "max_open_orders"),
        (b'{"interval_ns": 0}', "interval_ns"),
    ],
)
def test_limits_must_make_sense(document: bytes, named: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=named):
        msgspec.json.decode(document, type=RiskConfig)


def test_decimal_limits_read_exactly_from_strings() -> None:
    config = msgspec.json.decode(b'{"max_order_notional": "0.1", "daily_loss_limit": 250}', type=RiskConfig)

    assert config.max_order_notional == D("0.1")
    assert config.daily_loss_limit == D(250)


def test_the_stricter_of_two_limit_sets_takes_the_smaller_of_each_limit() -> None:
    node = OrderLimits(max_order_notional=D(100), max_open_orders=5)
    strategy = OrderLimits(max_order_notional=D(500), max_position_size=D(2), max_open_orders=3)

    assert node.stricter(strategy) == OrderLimits(
        max_order_notional=D(100), max_position_size=D(2), max_open_orders=3
    )
