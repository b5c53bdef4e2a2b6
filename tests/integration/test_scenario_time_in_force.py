"""Every time in force, end to end through a real node and the simulated exchange.

Fees: maker 0.1 %, taker 0.2 % of price x quantity, in USDT. Account: futures, 10,000 USDT, 1x.
"""

from __future__ import annotations

from scenario_world import ACC, D, at, limit, node_config, quote, run, scripted, stop, trade

from engine.model import LiquiditySide, OrderStatus, PositionSide


def test_gtc_limit_rests_with_its_funds_reserved_then_fills_at_its_price_when_a_trade_goes_through_it():
    scenario = run(
        node_config(scripted(limit("bid", "buy", "1", "99"))),
        [trade(1, "100"), trade(2, "99")],  # 99 only touches the bid: no fill without fill_on_touch
    )
    bid = scenario.order("bid")
    assert bid.status is OrderStatus.PENDING
    assert bid.exchange_order_id == "SIM-1"
    # reserved while open: margin 99 x 1 / 1x = 99, plus the larger fee rate on the notional 99 x 0.002
    assert scenario.used() == D("99.198")
    assert scenario.available() == D("9900.802")

    scenario.feed(trade(3, "98.5"))

    strategy = scenario.strategy()
    assert strategy.events_of("bid") == ["OrderAccepted", "OrderFilled"]
    [fill] = strategy.fills()
    assert (fill.price, fill.quantity, fill.liquidity_side) == (D(99), D(1), LiquiditySide.MAKER)
    assert fill.fee == D("0.099")  # 99 x 1 x 0.001
    assert fill.ts_event == at(3)
    assert (bid.status, bid.average_fill_price) == (OrderStatus.FILLED, D(99))
    # balance 10,000 - fee 0.099; the long 1 @ 99 at 1x holds 99 of margin
    assert scenario.balance() == D("9999.901")
    assert scenario.used() == D(99)
    assert scenario.available() == D("9900.901")
    position = scenario.ledger.position("sim", "BTCUSDT")
    assert position is not None
    assert (position.side, position.quantity, position.entry_price) == (PositionSide.LONG, D(1), D(99))
    assert scenario.venue.account.balance["USDT"] == D("9999.901")
    scenario.assert_healthy()


def test_ioc_takes_what_the_ask_offers_and_the_remainder_is_cancelled_as_ioc_remainder():
    scenario = run(
        node_config(scripted(limit("ioc", "buy", "1", "100", time_in_force="IOC"))),
        [quote(1, bid="99.9", ask="100", ask_size="0.4")],
    )
    strategy = scenario.strategy()
    assert strategy.events_of("ioc") == ["OrderAccepted", "OrderFilled", "OrderCancelled"]
    [fill] = strategy.fills()
    assert (fill.price, fill.quantity, fill.liquidity_side) == (D(100), D("0.4"), LiquiditySide.TAKER)
    assert fill.fee == D("0.08")  # 100 x 0.4 x 0.002
    assert strategy.order_events[-1].reason == "ioc remainder"
    ioc = scenario.order("ioc")
    assert (ioc.status, ioc.filled_quantity, ioc.status_reason) == (
        OrderStatus.CANCELLED,
        D("0.4"),
        "ioc remainder",
    )
    # 10,000 - 0.08; the long 0.4 @ 100 holds 40 of margin, nothing else is reserved
    assert scenario.balance() == D("9999.92")
    assert scenario.used() == D(40)
    assert scenario.ledger.signed_quantity("sim", "BTCUSDT") == D("0.4")
    scenario.assert_healthy()


def test_fok_that_the_book_cannot_fill_entirely_is_cancelled_without_any_fill_and_balances_untouched():
    scenario = run(
        node_config(scripted(limit("fok", "buy", "1", "100", time_in_force="FOK"))),
        [quote(1, bid="99.9", ask="100", ask_size="0.4")],
    )
    strategy = scenario.strategy()
    assert strategy.events_of("fok") == ["OrderAccepted", "OrderCancelled"]
    assert strategy.order_events[-1].reason == "fok unfilled"
    fok = scenario.order("fok")
    assert (fok.status, fok.filled_quantity, fok.status_reason) == (
        OrderStatus.CANCELLED,
        D(0),
        "fok unfilled",
    )
    assert strategy.position_events == []
    assert (scenario.balance(), scenario.available(), scenario.used()) == (D(10000), D(10000), D(0))
    assert scenario.venue.account.balance["USDT"] == D(10000)
    scenario.assert_healthy()


def test_fok_that_the_book_can_fill_entirely_fills_at_the_ask_never_worse_than_its_limit():
    scenario = run(
        node_config(scripted(limit("fok", "buy", "1", "100.5", time_in_force="FOK"))),
        [quote(1, bid="99.9", ask="100", ask_size="2")],
    )
    strategy = scenario.strategy()
    assert strategy.events_of("fok") == ["OrderAccepted", "OrderFilled"]
    [fill] = strategy.fills()
    assert (fill.price, fill.quantity, fill.fee) == (D(100), D(1), D("0.2"))  # fee 100 x 1 x 0.002
    assert scenario.order("fok").status is OrderStatus.FILLED
    assert scenario.balance() == D("9999.8")
    assert scenario.used() == D(100)  # margin of the long 1 @ 100 at 1x
    scenario.assert_healthy()


def test_gtd_limit_that_nothing_fills_is_cancelled_as_expired_at_its_expire_time():
    scenario = run(
        node_config(scripted(limit("gtd", "buy", "1", "95", time_in_force="GTD", expire_at=30))),
        [trade(1, "100"), trade(10, "96")],
    )
    assert scenario.order("gtd").status is OrderStatus.PENDING
    assert scenario.used() == D("95.19")  # 95 / 1x + 95 x 0.002

    scenario.feed(trade(40, "97"))

    strategy = scenario.strategy()
    assert strategy.events_of("gtd") == ["OrderAccepted", "OrderCancelled"]
    cancelled = strategy.order_events[-1]
    assert cancelled.reason == "expired"
    assert cancelled.ts_event == at(30)  # the clock's alert at the expire time, not the next trade at 40
    gtd = scenario.order("gtd")
    assert (gtd.status, gtd.status_reason, gtd.filled_quantity) == (OrderStatus.CANCELLED, "expired", D(0))
    account = scenario.node.portfolio.account(ACC)
    assert account is not None
    assert (account.balance["USDT"], account.available_balance["USDT"], account.used_balance["USDT"]) == (
        D(10000),
        D(10000),
        D(0),
    )
    scenario.assert_healthy()


def test_gtd_stop_held_by_the_emulator_is_cancelled_as_expired_at_its_expire_time():
    scenario = run(
        node_config(scripted(stop("gtd", "buy", "1", "105", time_in_force="GTD", expire_at=30))),
        [trade(1, "100"), trade(40, "106")],  # 106 would have triggered it, had it not expired at 30
    )
    strategy = scenario.strategy()
    assert strategy.events_of("gtd") == ["OrderAccepted", "OrderCancelled"]
    assert (strategy.order_events[-1].reason, strategy.order_events[-1].ts_event) == ("expired", at(30))
    assert strategy.fills() == []
    assert scenario.node.emulator.held == []
    assert scenario.used() == D(0)
    scenario.assert_healthy()
