"""The bracket: an entry carrying a stop-loss and a take-profit gets two exits, one cancels the other.

Entry: market buy 1 at 100 (taker fee 0.2) with stop_loss_price 95 and take_profit_price 110. Its exits,
placed once it has filled: ``O-1-SL`` (a stop sell at 95, held by the emulator) and ``O-1-TP`` (a limit
sell at 110, resting at the venue), both reduce-only for 1. Account: futures, 10,000 USDT, 1x.
"""

from __future__ import annotations

from scenario_world import D, at, cancel, limit, market, node_config, run, scripted, trade

from engine.model import LiquiditySide, OrderStatus, OrderType, PositionStatus

BRACKET = {"stop_loss_price": "95", "take_profit_price": "110"}
ENTRY = market("entry", "buy", "1", **BRACKET)


def exits_of(scenario):
    store = scenario.node.store
    return store.get_order("O-1-SL"), store.get_order("O-1-TP")


def test_entry_fill_places_a_held_stop_loss_and_a_resting_take_profit_for_the_filled_quantity():
    scenario = run(node_config(scripted(ENTRY)), [trade(1, "100"), trade(2, "104")])
    stop_loss, take_profit = exits_of(scenario)
    assert (stop_loss.order_type, stop_loss.stop_price, stop_loss.quantity) == (OrderType.STOP, D(95), D(1))
    assert (take_profit.order_type, take_profit.price, take_profit.quantity) == (
        OrderType.LIMIT,
        D(110),
        D(1),
    )
    assert stop_loss.reduce_only and take_profit.reduce_only
    assert (stop_loss.execution_id, take_profit.execution_id) == ("s1", "s1")
    assert scenario.node.emulator.holds("O-1-SL")
    assert take_profit.exchange_order_id == "SIM-2"
    scenario.assert_healthy()


def test_take_profit_fill_cancels_the_stop_loss_and_books_the_profit():
    scenario = run(node_config(scripted(ENTRY)), [trade(1, "100"), trade(2, "105"), trade(3, "111")])
    strategy = scenario.strategy()
    stop_loss, take_profit = exits_of(scenario)

    assert take_profit.status is OrderStatus.FILLED
    tp_fill = strategy.fills()[-1]
    assert tp_fill.client_order_id == "O-1-TP"
    assert (tp_fill.price, tp_fill.liquidity_side, tp_fill.ts_event) == (D(110), LiquiditySide.MAKER, at(3))
    assert tp_fill.fee == D("0.11")  # 110 x 1 x 0.001
    assert (stop_loss.status, stop_loss.status_reason) == (OrderStatus.CANCELLED, "oco")
    assert not scenario.node.emulator.holds("O-1-SL")

    # realized (110 - 100) x 1 = 10; fees 0.2 + 0.11 = 0.31
    assert scenario.ledger.realized_pnl == D(10)
    assert scenario.ledger.account.total_pnl == D("9.69")
    assert scenario.balance() == D("10009.69")
    assert scenario.used() == D(0)
    assert scenario.available() == D("10009.69")
    assert scenario.venue.account.balance["USDT"] == D("10009.69")
    assert [e.status for e in strategy.position_events] == [PositionStatus.OPEN, PositionStatus.CLOSED]
    assert strategy.position_events[-1].realized_pnl == D(10)
    scenario.assert_healthy()


def test_stop_loss_fill_cancels_the_take_profit_and_books_the_loss():
    scenario = run(node_config(scripted(ENTRY)), [trade(1, "100"), trade(2, "97"), trade(3, "95")])
    strategy = scenario.strategy()
    stop_loss, take_profit = exits_of(scenario)

    assert stop_loss.status is OrderStatus.FILLED
    sl_fill = strategy.fills()[-1]
    assert sl_fill.client_order_id == "O-1-SL"
    assert (sl_fill.price, sl_fill.liquidity_side, sl_fill.ts_event) == (D(95), LiquiditySide.TAKER, at(3))
    assert sl_fill.fee == D("0.19")  # 95 x 1 x 0.002
    assert (take_profit.status, take_profit.status_reason) == (OrderStatus.CANCELLED, "oco")
    assert scenario.node.clients[0].order("O-1-TP").status is OrderStatus.CANCELLED

    # realized (95 - 100) x 1 = -5; fees 0.2 + 0.19 = 0.39
    assert scenario.ledger.realized_pnl == D(-5)
    assert scenario.ledger.account.total_pnl == D("-5.39")
    assert scenario.balance() == D("9994.61")
    assert scenario.used() == D(0)
    assert scenario.venue.account.balance["USDT"] == D("9994.61")
    assert [e.status for e in strategy.position_events] == [PositionStatus.OPEN, PositionStatus.CLOSED]
    scenario.assert_healthy()


def test_a_partial_take_profit_fill_shrinks_the_stop_loss_to_what_is_left_of_the_position():
    # entry 2 @ 100 (fee 0.4); TP fills 0.5 @ 110 (maker, fee 0.055, realized +5): the SL is cut to 1.5;
    # the SL then fills 1.5 @ 95 (fee 0.285, realized -7.5) and the TP's remaining 1.5 is cancelled.
    scenario = run(
        node_config(scripted(market("entry", "buy", "2", **BRACKET))),
        [trade(1, "100"), trade(2, "111", "0.5")],
    )
    stop_loss, take_profit = exits_of(scenario)
    assert (take_profit.status, take_profit.filled_quantity) == (OrderStatus.PARTIAL, D("0.5"))
    assert (stop_loss.status, stop_loss.quantity) == (OrderStatus.PENDING, D("1.5"))
    assert scenario.strategy().events_of("entry") == ["OrderAccepted", "OrderFilled"]

    scenario.feed(trade(3, "95"), trade(4, "112"))

    assert (stop_loss.status, stop_loss.filled_quantity, stop_loss.average_fill_price) == (
        OrderStatus.FILLED,
        D("1.5"),
        D(95),
    )
    assert (take_profit.status, take_profit.filled_quantity, take_profit.status_reason) == (
        OrderStatus.CANCELLED,
        D("0.5"),
        "oco",
    )
    assert scenario.ledger.open_positions() == []
    assert scenario.ledger.realized_pnl == D("-2.5")
    assert scenario.ledger.account.total_pnl == D("-3.24")  # -2.5 - (0.4 + 0.055 + 0.285)
    assert scenario.balance() == D("9996.76")
    assert scenario.venue.account.balance["USDT"] == D("9996.76")
    scenario.assert_healthy()


def test_a_limit_entry_cancelled_after_a_partial_fill_protects_the_filled_part():
    # the entry (limit buy 2 @ 99) fills 0.5 (maker, fee 0.0495), then is cancelled: exits for 0.5;
    # the TP then fills 0.5 @ 110 (maker, fee 0.055, realized 5.5) and the SL is cancelled
    scenario = run(
        node_config(scripted(limit("entry", "buy", "2", "99", **BRACKET), cancel("entry", at=3))),
        [trade(1, "100"), trade(2, "98", "0.5")],
    )
    assert scenario.node.store.get_order("O-1-TP") is None  # a working entry's partial fill waits

    scenario.feed(trade(3, "100"), trade(4, "111"))

    entry = scenario.order("entry")
    assert (entry.status, entry.filled_quantity, entry.status_reason) == (
        OrderStatus.CANCELLED,
        D("0.5"),
        "user",
    )
    stop_loss, take_profit = exits_of(scenario)
    assert (take_profit.quantity, take_profit.status, take_profit.average_fill_price) == (
        D("0.5"),
        OrderStatus.FILLED,
        D(110),
    )
    assert (stop_loss.quantity, stop_loss.status, stop_loss.status_reason) == (
        D("0.5"),
        OrderStatus.CANCELLED,
        "oco",
    )
    assert scenario.ledger.realized_pnl == D("5.5")
    assert scenario.balance() == D("10005.3955")  # 10,000 + 5.5 - 0.0495 - 0.055
    scenario.assert_healthy()


def test_on_a_spot_account_the_stop_loss_sells_the_coins_the_take_profit_also_offers():
    # Spot: buy 1 BTC at 100 (cost 100 + fee 0.2). The two exits both offer the same 1 BTC; one cancels
    # the other, so the stop-loss, triggered at 95, must sell it: USDT 10,000 - 100.2 + 95 - 0.19.
    scenario = run(
        node_config(scripted(ENTRY), account_type="spot"),
        [trade(1, "100"), trade(2, "97"), trade(3, "95"), trade(4, "94")],
    )
    strategy = scenario.strategy()
    stop_loss, take_profit = exits_of(scenario)
    assert [type(e).__name__ for e in strategy.order_events if e.client_order_id == "O-1-SL"] == [
        "OrderAccepted",
        "OrderAccepted",
        "OrderFilled",
    ]
    assert (stop_loss.status, stop_loss.average_fill_price) == (OrderStatus.FILLED, D(95))
    assert (take_profit.status, take_profit.status_reason) == (OrderStatus.CANCELLED, "oco")
    assert scenario.ledger.account.balance == {"USDT": D("9994.61"), "BTC": D(0)}
    assert scenario.venue.account.balance == {"USDT": D("9994.61"), "BTC": D(0)}
    scenario.assert_healthy()


def test_on_a_spot_account_the_two_exits_of_one_bracket_reserve_the_coins_once():
    # After the entry: 1 BTC held, both exits open for it. One cancels the other, so at most 1 BTC can
    # leave: the Portfolio must not reserve 2 BTC and show -1 available.
    scenario = run(node_config(scripted(ENTRY), account_type="spot"), [trade(1, "100"), trade(2, "97")])
    account = scenario.ledger.account
    assert account.balance["BTC"] == D(1)
    assert account.used_balance["BTC"] == D(1)
    assert account.available_balance["BTC"] == D(0)
    scenario.assert_healthy()


def test_on_a_spot_account_a_take_profit_fill_while_the_stop_loss_waits_for_its_cancel_shrinks_it():
    # Latency 1 s. Spot: buy 2 BTC at 100 (fee 0.4). The stop-loss triggers at 4 (trade 95) and waits
    # while the take-profit's cancel travels to the venue (arrives at 5); meanwhile the take-profit
    # fills 0.5 at 110 (maker fee 0.055): the waiting stop-loss is shrunk to 1.5 here, goes out once
    # the take-profit is cancelled, and sells 1.5 at 96 (taker fee 0.288).
    scenario = run(
        node_config(
            scripted(market("entry", "buy", "2", **BRACKET)),
            account_type="spot",
            sim={"latency_ns": 1_000_000_000},
        ),
        [trade(1, "100"), trade(3, "100"), trade(4, "95"), trade(4.5, "111", "0.5")],
    )
    stop_loss, take_profit = exits_of(scenario)
    assert scenario.node.emulator.holds("O-1-SL")  # triggered, waiting for the take-profit's end
    assert (stop_loss.status, stop_loss.quantity) == (OrderStatus.PENDING, D("1.5"))

    scenario.feed(trade(5, "96"), trade(6, "96"))

    strategy = scenario.strategy()
    assert [type(e).__name__ for e in strategy.order_events if e.client_order_id == "O-1-SL"] == [
        "OrderAccepted",
        "OrderUpdated",
        "OrderAccepted",
        "OrderFilled",
    ]
    assert (take_profit.status, take_profit.filled_quantity, take_profit.status_reason) == (
        OrderStatus.CANCELLED,
        D("0.5"),
        "oco",
    )
    assert (stop_loss.status, stop_loss.filled_quantity, stop_loss.average_fill_price) == (
        OrderStatus.FILLED,
        D("1.5"),
        D(96),
    )
    assert not scenario.node.emulator.holds("O-1-SL")
    # 10,000 - 200.4 + 55 - 0.055 + 144 - 0.288
    assert scenario.ledger.account.balance == {"USDT": D("9998.257"), "BTC": D(0)}
    assert scenario.venue.account.balance == scenario.ledger.account.balance
    assert scenario.used("BTC") == scenario.used() == D(0)
    scenario.assert_healthy()
