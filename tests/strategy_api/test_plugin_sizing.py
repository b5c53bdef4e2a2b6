"""A strategy sizes its orders with ``engine.sizing`` and trades exactly the quantity it computed.

The sizing rules themselves (rounding down to the step, capping, zero below the minimum) are unit
tested in tests/metrics/test_sizing.py; here a strategy uses them inside a running node.
"""

from __future__ import annotations

from strategy_api_world import D, PercentSizer, bar, started_node, strategy_spec

from engine.messages import OrderFilled


def test_percent_of_equity_sizing_from_a_strategy_trades_the_exact_stepped_quantity() -> None:
    node = started_node(strategy_spec(PercentSizer, params={"percent": "2.5", "leverage": "3"}))
    (strategy,) = node.strategies
    assert isinstance(strategy, PercentSizer)

    node.process(bar(1, "123.45"))

    # 2.5 % of 10,000 USDT is 250, times 3x leverage 750 USDT of notional; 750 / 123.45 =
    # 6.07533...; rounded down to the 0.001 step: 6.075
    assert strategy.sized == [D("6.075")]
    (fill,) = strategy.of_type(OrderFilled)
    assert (fill.quantity, fill.price) == (D("6.075"), D("123.45"))
    (position,) = strategy.positions()
    assert position.quantity == D("6.075")
