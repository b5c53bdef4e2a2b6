"""Spot and futures accounting end to end: balances of base and quote, margin, leverage, liquidation.

Fees: maker 0.1 %, taker 0.2 % of price x quantity, in USDT. Maintenance margin rate m = 0.5 %.
The Portfolio (the Store's balances) and the venue's own ledger must agree to the last digit.
"""

from __future__ import annotations

from scenario_world import ACC, D, at, market, node_config, run, scripted, trade

from engine.model import OrderStatus, PositionSide, PositionStatus


def test_spot_buy_then_sell_moves_base_and_quote_by_exactly_the_fills_and_their_fees():
    scenario = run(
        node_config(
            scripted(market("buy", "buy", "2", at=1), market("sell", "sell", "1.5", at=2)),
            account_type="spot",
            balance={"USDT": "10000"},
        ),
        [trade(1, "100"), trade(2, "110")],
    )
    buy, sell = scenario.strategy().fills()
    assert (buy.price, buy.quantity, buy.fee) == (D(100), D(2), D("0.4"))  # 200 x 0.002
    assert (sell.price, sell.quantity, sell.fee) == (D(110), D("1.5"), D("0.33"))  # 165 x 0.002
    # USDT: 10,000 - 200 - 0.4 + 165 - 0.33 = 9964.27; BTC: 2 - 1.5 = 0.5
    expected = {"USDT": D("9964.27"), "BTC": D("0.5")}
    assert scenario.ledger.account.balance == expected
    assert scenario.ledger.account.available_balance == expected
    assert scenario.venue.account.balance == expected
    # realized (110 - 100) x 1.5 = 15; total_pnl = 15 - 0.73
    assert scenario.ledger.realized_pnl == D(15)
    assert scenario.ledger.account.total_pnl == D("14.27")
    [position] = scenario.ledger.open_positions()
    assert (position.side, position.quantity, position.entry_price) == (PositionSide.LONG, D("0.5"), D(100))
    # equity in USDT: cash plus the 0.5 BTC at the last price 110
    assert scenario.node.portfolio.equity(ACC, "USDT") == D("10019.27")
    scenario.assert_healthy()


def test_spot_sell_of_more_base_than_held_is_rejected_with_a_reason_and_changes_nothing():
    scenario = run(
        node_config(
            scripted(market("buy", "buy", "0.5", at=1), market("oversell", "sell", "1", at=2)),
            account_type="spot",
            balance={"USDT": "10000"},
        ),
        [trade(1, "100"), trade(2, "110")],
    )
    strategy = scenario.strategy()
    assert strategy.events_of("oversell") == ["OrderRejected"]
    rejected = strategy.order_events[-1]
    assert rejected.reason_code == "insufficient_balance"
    assert rejected.reason  # a sentence the strategy can log
    oversell = scenario.order("oversell")
    assert (oversell.status, oversell.status_reason, oversell.filled_quantity) == (
        OrderStatus.REJECTED,
        "insufficient_balance",
        D(0),
    )
    # only the buy happened: USDT 10,000 - 50 - 0.1; BTC 0.5
    expected = {"USDT": D("9949.9"), "BTC": D("0.5")}
    assert scenario.ledger.account.balance == expected
    assert scenario.ledger.account.available_balance == expected
    assert scenario.venue.account.balance == expected
    scenario.assert_healthy()


def test_futures_margin_used_is_the_entry_notional_over_the_leverage():
    scenario = run(
        node_config(scripted(market("long", "buy", "2", leverage=5))),
        [trade(1, "199"), trade(2, "201")],
    )
    [position] = scenario.ledger.open_positions()
    assert (position.side, position.quantity, position.entry_price, position.leverage) == (
        PositionSide.LONG,
        D(2),
        D(199),
        5,
    )
    assert position.margin_used == D("79.6")  # 2 x 199 / 5
    # long liquidation: 199 x (1 - 1/5) / (1 - 0.005) = 159.2 / 0.995 = 160
    assert position.liquidation_price == D(160)
    # balance 10,000 - fee 398 x 0.002; used = the margin; equity adds (201 - 199) x 2
    assert scenario.balance() == D("9999.204")
    assert scenario.used() == D("79.6")
    assert scenario.available() == D("9919.604")
    assert scenario.node.portfolio.equity(ACC, "USDT") == D("10003.204")
    assert scenario.venue.account.balance["USDT"] == D("9999.204")
    scenario.assert_healthy()


def test_futures_long_is_liquidated_at_exactly_its_liquidation_price_and_ends_liquidated():
    scenario = run(
        node_config(scripted(market("long", "buy", "1", leverage=10))),
        [trade(1, "199"), trade(2, "180.01")],
    )
    [position] = scenario.ledger.open_positions()
    # isolated, linear: 199 x (1 - 1/10) / (1 - 0.005) = 179.1 / 0.995 = 180
    assert position.liquidation_price == D(180)
    assert position.margin_used == D("19.9")  # 199 / 10

    scenario.feed(trade(3, "179.5"), trade(4, "185"))

    strategy = scenario.strategy()
    liquidation = strategy.fills()[-1]
    assert liquidation.liquidation
    assert (liquidation.client_order_id, liquidation.execution_id) == ("SIM-LIQ-1", "s1")
    # filled at the liquidation price 180, not at the trade 179.5 that reached it
    assert (liquidation.price, liquidation.quantity, liquidation.ts_event) == (D(180), D(1), at(3))
    assert liquidation.fee == D("0.36")  # 180 x 0.002
    assert position.status is PositionStatus.LIQUIDATED
    assert [type(e).__name__ for e in strategy.position_events] == ["PositionOpened", "PositionLiquidated"]
    assert strategy.position_events[-1].status is PositionStatus.LIQUIDATED
    # realized 180 - 199 = -19; fees 0.398 + 0.36; balance 10,000 - 19 - 0.758
    assert scenario.ledger.realized_pnl == D(-19)
    assert scenario.balance() == D("9980.242")
    assert scenario.used() == D(0)
    assert scenario.ledger.account.total_pnl == D("-19.758")
    assert scenario.venue.account.balance["USDT"] == D("9980.242")
    assert scenario.node.store.get_order("SIM-LIQ-1").status is OrderStatus.FILLED
    scenario.assert_healthy()


def test_futures_short_is_liquidated_at_exactly_its_liquidation_price():
    scenario = run(
        node_config(scripted(market("short", "sell", "1", leverage=10))),
        [trade(1, "201"), trade(2, "219.99")],
    )
    [position] = scenario.ledger.open_positions()
    # isolated, linear: 201 x (1 + 1/10) / (1 + 0.005) = 221.1 / 1.005 = 220
    assert position.liquidation_price == D(220)

    scenario.feed(trade(3, "220"))

    liquidation = scenario.strategy().fills()[-1]
    assert (liquidation.liquidation, liquidation.price, liquidation.fee) == (True, D(220), D("0.44"))
    assert position.status is PositionStatus.LIQUIDATED
    # realized 201 - 220 = -19; fees 0.402 + 0.44; balance 10,000 - 19 - 0.842
    assert scenario.balance() == D("9980.158")
    assert scenario.venue.account.balance["USDT"] == D("9980.158")
    scenario.assert_healthy()
