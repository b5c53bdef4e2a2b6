"""Pre-trade risk and the kill switch, end to end: what the strategy sees and what reaches the venue.

Account: futures, 10,000 USDT, 1x. Limit orders reserve margin (price x quantity / 1) plus the larger
fee rate (0.2 %) on their notional while they are open.
"""

from __future__ import annotations

from scenario_world import D, limit, node_config, run, scripted, stop, trade

from engine.messages import OrderRejected, SetTradingState
from engine.model import OrderStatus
from engine.model.enums import TradingState


def test_order_above_max_order_notional_is_rejected_with_risk_order_notional_and_never_reaches_the_venue():
    scenario = run(
        node_config(
            scripted(limit("too_big", "buy", "10.01", "99.9"), limit("at_limit", "buy", "10", "99.9")),
            risk={"max_order_notional": "999"},
        ),
        [trade(1, "100")],
    )
    strategy = scenario.strategy()
    # 10.01 x 99.9 = 999.999 > 999: denied; 10 x 99.9 = 999 is not above the limit: accepted
    assert strategy.events_of("too_big") == ["OrderRejected"]
    rejected = next(e for e in strategy.order_events if isinstance(e, OrderRejected))
    assert rejected.reason_code == "risk.order_notional"
    assert rejected.execution_id == "s1"
    assert "999.999" in rejected.reason
    too_big = scenario.order("too_big")
    assert (too_big.status, too_big.status_reason) == (OrderStatus.REJECTED, "risk.order_notional")
    assert scenario.node.clients[0].order(too_big.order_id) is None
    assert strategy.events_of("at_limit") == ["OrderAccepted"]
    assert scenario.node.risk.denials == {"risk.order_notional": 1}
    # only the accepted order reserves: 999 + 999 x 0.002
    assert scenario.used() == D("1000.998")
    scenario.assert_healthy()


def test_strategy_risk_controls_tighten_the_node_limit_for_that_strategy():
    scenario = run(
        node_config(
            scripted(limit("bid", "buy", "5", "99"), risk_controls={"max_order_notional": "400"}),
            risk={"max_order_notional": "1000"},
        ),
        [trade(1, "100")],
    )
    assert scenario.strategy().events_of("bid") == ["OrderRejected"]
    assert scenario.order("bid").status_reason == "risk.order_notional"  # 495 > 400
    scenario.assert_healthy()


def test_kill_switch_halts_trading_and_cancels_every_resting_and_held_order():
    scenario = run(
        node_config(
            scripted(
                limit("bid", "buy", "1", "99"),
                limit("ask", "sell", "2", "101"),
                stop("stop", "buy", "1", "105"),
                limit("after", "buy", "1", "98", at=3),
            )
        ),
        [trade(1, "100")],
    )
    assert {scenario.order(n).status for n in ("bid", "ask", "stop")} == {OrderStatus.PENDING}
    # bid 99 + 0.198; ask 202 + 0.404; the held stop (no price of its own) at the last price 100 + 0.2
    assert scenario.used() == D("401.802")

    scenario.operator(
        SetTradingState(
            ts_event=scenario.node.clock.timestamp_ns(),
            ts_init=scenario.node.clock.timestamp_ns(),
            state=TradingState.HALTED,
            reason="kill switch",
            cancel_all=True,
        )
    )

    strategy = scenario.strategy()
    for name in ("bid", "ask", "stop"):
        order = scenario.order(name)
        assert (order.status, order.status_reason) == (OrderStatus.CANCELLED, "kill switch"), name
        assert strategy.events_of(name)[-1] == "OrderCancelled"
    assert scenario.node.clients[0].order(scenario.order("bid").order_id).status is OrderStatus.CANCELLED
    assert scenario.node.emulator.held == []
    assert scenario.node.risk.state is TradingState.HALTED
    assert (scenario.balance(), scenario.available(), scenario.used()) == (D(10000), D(10000), D(0))

    scenario.feed(trade(2, "97"), trade(3, "96"))  # would have filled the bid; then a new order is tried

    assert strategy.fills() == []
    assert strategy.events_of("after") == ["OrderRejected"]
    assert scenario.order("after").status_reason == "risk.halted"
    scenario.assert_healthy()
