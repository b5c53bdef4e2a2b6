"""Every order type, end to end: where each one fills, and for the emulated ones the exact trigger.

Fees: maker 0.1 %, taker 0.2 % of price x quantity, in USDT. Account: futures, 10,000 USDT, 1x.
Stop, stop-limit and trailing-stop orders are held by the OrderEmulator and released to the venue
with the same client order id (a stop and a trailing stop as market orders, a stop-limit as a limit).
Stops fired by bars: ``test_scenario_bar_stops``.
"""

from __future__ import annotations

from scenario_world import D, at, bar, limit, market, node_config, quote, run, scripted, stop, trade

from engine.model import LiquiditySide, OrderStatus, OrderType, PositionStatus

ENTRY = market("entry", "buy", "1")  # a long 1 @ 100 (fee 0.2) for the exits to close


def test_market_order_sent_on_a_bar_fills_at_that_bars_close():
    scenario = run(
        node_config(scripted(market("buy", "buy", "1", at=60), data="bars")),
        [bar(60, "100", "102", "99", "101"), bar(120, "101", "103", "100", "102")],
    )
    strategy = scenario.strategy()
    assert strategy.events_of("buy") == ["OrderAccepted", "OrderFilled"]
    [fill] = strategy.fills()
    assert (fill.price, fill.quantity, fill.liquidity_side) == (D(101), D(1), LiquiditySide.TAKER)
    assert fill.fee == D("0.202")  # 101 x 0.002
    assert fill.ts_event == at(60)
    assert scenario.ledger.unrealized_pnl == D(1)  # marked at the next bar's close: (102 - 101) x 1
    assert scenario.balance() == D("9999.798")
    scenario.assert_healthy()


def test_limit_order_on_bars_fills_at_its_price_when_a_bar_trades_through_it():
    scenario = run(
        node_config(scripted(limit("bid", "buy", "1", "99", at=60), data="bars")),
        [bar(60, "100", "101", "99.5", "100"), bar(120, "100", "101", "99", "100")],  # low 99: a touch only
    )
    assert scenario.order("bid").status is OrderStatus.PENDING

    scenario.feed(bar(180, "100", "101", "98.5", "100"))

    [fill] = scenario.strategy().fills()
    assert (fill.price, fill.liquidity_side, fill.fee, fill.ts_event) == (
        D(99),
        LiquiditySide.MAKER,
        D("0.099"),
        at(180),
    )
    scenario.assert_healthy()


def test_market_order_sent_on_a_trade_fills_at_that_trade_price():
    scenario = run(node_config(scripted(ENTRY)), [trade(1, "100")])
    [fill] = scenario.strategy().fills()
    assert (fill.price, fill.quantity, fill.fee) == (D(100), D(1), D("0.2"))
    assert scenario.balance() == D("9999.8")
    scenario.assert_healthy()


def test_market_orders_sent_on_quotes_buy_at_the_ask_and_sell_at_the_bid():
    scenario = run(
        node_config(scripted(market("buy", "buy", "1", at=1), market("sell", "sell", "1", at=2))),
        [quote(1, bid="99.5", ask="100.5"), quote(2, bid="101", ask="101.5")],
    )
    buy, sell = scenario.strategy().fills()
    assert (buy.price, buy.fee) == (D("100.5"), D("0.201"))  # 100.5 x 0.002
    assert (sell.price, sell.fee) == (D(101), D("0.202"))  # 101 x 0.002
    # realized (101 - 100.5) x 1 = 0.5; fees 0.403; balance 10,000 + 0.5 - 0.403
    assert scenario.ledger.realized_pnl == D("0.5")
    assert scenario.balance() == D("10000.097")
    assert scenario.ledger.account.total_pnl == D("0.097")
    assert scenario.ledger.open_positions() == []
    scenario.assert_healthy()


def test_a_trade_outside_the_last_quote_replaces_it_as_the_price_until_the_next_quote():
    scenario = run(
        node_config(
            scripted(
                market("buy", "buy", "1", at=2),
                market("sell", "sell", "1", at=3),
                market("again", "buy", "1", at=4),
            )
        ),
        # the quote is stale by the time of the trade at 103: the market moved up without it
        [
            quote(1, bid="99.5", ask="100.5"),
            trade(2, "103"),
            trade(3, "102.5"),
            quote(4, bid="102", ask="102.2"),
        ],
    )
    buy, sell, again = scenario.strategy().fills()
    assert (buy.price, sell.price, again.price) == (D(103), D("102.5"), D("102.2"))
    scenario.assert_healthy()


def test_a_trade_inside_the_quote_leaves_the_quote_as_the_price():
    scenario = run(
        node_config(scripted(market("buy", "buy", "1", at=2))),
        [quote(1, bid="99.5", ask="100.5"), trade(2, "99.5")],  # a sell hit the bid: the ask is still 100.5
    )
    [buy] = scenario.strategy().fills()
    assert buy.price == D("100.5")
    scenario.assert_healthy()


def test_marketable_limit_takes_at_the_market_price_as_a_taker_not_at_its_limit():
    scenario = run(node_config(scripted(limit("bid", "buy", "1", "101"))), [trade(1, "100")])
    [fill] = scenario.strategy().fills()
    assert (fill.price, fill.liquidity_side, fill.fee) == (D(100), LiquiditySide.TAKER, D("0.2"))
    assert scenario.order("bid").status is OrderStatus.FILLED
    scenario.assert_healthy()


def test_stop_is_held_until_a_trade_reaches_its_stop_price_then_released_as_market_and_filled_there():
    scenario = run(
        node_config(scripted(ENTRY, stop("stop", "sell", "1", "95"))),
        [trade(1, "100"), trade(2, "96"), trade(3, "95.01")],
    )
    assert scenario.order("stop").status is OrderStatus.PENDING
    assert scenario.order("stop").exchange_order_id == "emulated-O-2"
    assert scenario.node.emulator.holds("O-2")

    scenario.feed(trade(4, "95"), trade(5, "94"))

    strategy = scenario.strategy()
    # accepted by the emulator, then by the venue once released, then filled at the trigger trade
    assert strategy.events_of("stop") == ["OrderAccepted", "OrderAccepted", "OrderFilled"]
    stop_fill = strategy.fills()[-1]
    assert (stop_fill.price, stop_fill.quantity, stop_fill.ts_event) == (D(95), D(1), at(4))
    assert stop_fill.fee == D("0.19")  # 95 x 0.002
    order = scenario.order("stop")
    assert (order.status, order.order_type, order.exchange_order_id) == (
        OrderStatus.FILLED,
        OrderType.STOP,
        "SIM-2",
    )
    # realized (95 - 100) x 1 = -5; fees 0.2 + 0.19; balance 10,000 - 5 - 0.39
    assert scenario.balance() == D("9994.61")
    assert scenario.ledger.account.total_pnl == D("-5.39")
    assert [e.status for e in strategy.position_events] == [PositionStatus.OPEN, PositionStatus.CLOSED]
    scenario.assert_healthy()


def test_stop_limit_triggers_at_its_stop_price_and_is_released_as_a_limit_at_its_price():
    scenario = run(
        node_config(scripted(stop("breakout", "buy", "1", "105", order_type="stop_limit", price="105.5"))),
        [trade(1, "100"), trade(2, "104.99")],
    )
    assert scenario.order("breakout").status is OrderStatus.PENDING
    assert scenario.strategy().fills() == []

    scenario.feed(trade(3, "105"))

    [fill] = scenario.strategy().fills()
    # released as a limit buy at 105.5, marketable against the last trade 105: takes at 105
    assert (fill.price, fill.quantity, fill.liquidity_side, fill.ts_event) == (
        D(105),
        D(1),
        LiquiditySide.TAKER,
        at(3),
    )
    assert fill.fee == D("0.21")
    assert scenario.balance() == D("9999.79")
    scenario.assert_healthy()


def test_stop_limit_whose_limit_the_market_already_passed_rests_at_its_limit_and_fills_there_as_maker():
    scenario = run(
        node_config(scripted(ENTRY, stop("exit", "sell", "1", "95", order_type="stop_limit", price="95.5"))),
        [trade(1, "100"), trade(2, "95")],
    )
    # triggered at 95; a sell limit at 95.5 is not marketable at 95, so it rests at the venue
    order = scenario.order("exit")
    assert (order.status, order.exchange_order_id) == (OrderStatus.PENDING, "SIM-2")
    assert not scenario.node.emulator.holds(order.order_id)

    scenario.feed(trade(3, "96"))

    fill = scenario.strategy().fills()[-1]
    assert (fill.price, fill.liquidity_side, fill.fee) == (D("95.5"), LiquiditySide.MAKER, D("0.0955"))
    # realized -4.5; fees 0.2 + 0.0955; balance 10,000 - 4.5 - 0.2955
    assert scenario.balance() == D("9995.2045")
    scenario.assert_healthy()


def test_trailing_stop_activates_at_its_activation_price_follows_the_peak_and_fires_at_the_callback():
    trailing = market(
        "trail",
        "sell",
        "1",
        order_type="trailing_stop",
        trailing_stop_callback_rate="2",  # percent
        trailing_stop_activation_price="105",
    )
    scenario = run(
        node_config(scripted(ENTRY, trailing)),
        [
            trade(1, "100"),
            trade(2, "102"),  # a 2 % fall from 102 would be 99.96, but the stop is not active yet
            trade(3, "99.5"),
            trade(4, "105"),  # activates: peak 105, fires at 105 x 0.98 = 102.9
            trade(5, "110"),  # new peak 110: fires at 110 x 0.98 = 107.8
            trade(6, "107.81"),
        ],
    )
    assert scenario.order("trail").status is OrderStatus.PENDING
    assert len(scenario.strategy().fills()) == 1  # the entry only

    scenario.feed(trade(7, "107.8"))

    fill = scenario.strategy().fills()[-1]
    assert fill.client_order_id == scenario.order("trail").order_id
    assert (fill.price, fill.quantity, fill.ts_event) == (D("107.8"), D(1), at(7))
    assert fill.fee == D("0.2156")  # 107.8 x 0.002
    # realized 7.8; fees 0.2 + 0.2156; balance 10,000 + 7.8 - 0.4156
    assert scenario.balance() == D("10007.3844")
    assert scenario.ledger.open_positions() == []
    scenario.assert_healthy()
