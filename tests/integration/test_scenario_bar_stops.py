"""Stops on bar data: where a stop the emulator releases on a bar fills.

With only bars, the price inside a bar is known only as open, high, low and close. A stop whose level
the bar passes through met the market at that level; a bar that opens beyond a level that stood
before it gapped through it, and the stop meets the open. The released order fills there, rounded
to the tick against the order, never at the bar's close, which in a fast move would be a price the
stop could not have had. (With ticks the released order takes the price of the tick that fired it:
``test_scenario_order_types``.)

Fees: taker 0.2 %. Account: futures, 10,000 USDT. Bars are one minute; ``bar(s, o, h, l, c)`` closes
at ``s`` seconds.
"""

from __future__ import annotations

from scenario_world import D, at, bar, market, node_config, run, scripted, stop

from engine.model import LiquiditySide, OrderStatus, OrderType

ENTRY = market("entry", "buy", "1", at=60)  # long 1 at bar 60's close, 100
FIRST_BAR = bar(60, "100", "101", "99", "100")


def test_a_stop_a_bar_passes_through_fills_at_its_stop_price_not_at_the_better_close():
    scenario = run(
        node_config(scripted(ENTRY, stop("stop", "sell", "1", "95", at=60), data="bars")),
        [FIRST_BAR, bar(120, "100", "100.5", "94", "99")],  # falls through 95, recovers to 99
    )
    stop_fill = scenario.strategy().fills()[-1]
    assert (stop_fill.client_order_id, stop_fill.price, stop_fill.ts_event) == (
        scenario.order("stop").order_id,
        D(95),
        at(120),
    )
    assert (stop_fill.fee, stop_fill.liquidity_side) == (D("0.190"), LiquiditySide.TAKER)
    # realized (95 - 100) x 1; fees 0.2 + 0.19
    assert scenario.balance() == D("9994.61")
    scenario.assert_healthy()


def test_a_bar_that_opens_beyond_the_stop_fills_it_at_the_open():
    scenario = run(
        node_config(scripted(ENTRY, stop("stop", "sell", "1", "95", at=60), data="bars")),
        [FIRST_BAR, bar(120, "93", "94", "92", "93.5")],  # gapped down through 95
    )
    stop_fill = scenario.strategy().fills()[-1]
    assert (stop_fill.price, stop_fill.fee) == (D(93), D("0.186"))
    scenario.assert_healthy()


def test_a_stop_limit_a_bar_fires_takes_at_its_stop_price_when_its_limit_allows():
    breakout = stop("breakout", "buy", "1", "105", order_type="stop_limit", price="105.5", at=60)
    scenario = run(
        node_config(scripted(breakout, data="bars")),
        [FIRST_BAR, bar(120, "104", "106", "103.5", "106")],  # rises through 105, closes above the limit
    )
    [fill] = scenario.strategy().fills()
    assert (fill.price, fill.liquidity_side, fill.ts_event) == (D(105), LiquiditySide.TAKER, at(120))
    order = scenario.order("breakout")
    assert (order.status, order.order_type) == (OrderStatus.FILLED, OrderType.STOP_LIMIT)
    scenario.assert_healthy()


def test_a_trailing_level_the_bar_itself_set_fills_at_that_level_rounded_against_the_order():
    trailing = market(
        "trail", "sell", "1", at=60, order_type="trailing_stop", trailing_stop_callback_rate="1.5"
    )
    scenario = run(
        node_config(scripted(ENTRY, trailing, data="bars")),
        # activates at the high 110.01 (fires at 110.01 x 0.985 = 108.35985), then the low 107 fires it;
        # the open 100 is below that level, but the level did not exist yet when the bar opened
        [FIRST_BAR, bar(120, "100", "110.01", "107", "109")],
    )
    trail_fill = scenario.strategy().fills()[-1]
    assert (trail_fill.price, trail_fill.ts_event) == (D("108.35"), at(120))
    scenario.assert_healthy()


def test_a_stop_the_bar_does_not_reach_waits_for_the_bar_that_does():
    scenario = run(
        node_config(scripted(ENTRY, stop("stop", "sell", "1", "95", at=60), data="bars")),
        [FIRST_BAR, bar(120, "100", "100.5", "95.01", "96")],
    )
    assert scenario.order("stop").status is OrderStatus.PENDING

    scenario.feed(bar(180, "96", "97", "90", "91"))  # opens above 95, passes through it

    assert scenario.strategy().fills()[-1].price == D(95)
    scenario.assert_healthy()


def test_a_spot_stop_loss_that_waits_past_its_bar_for_the_take_profits_cancel_takes_the_later_market():
    # Spot, latency one bar (60 s). The stop-loss fires on bar 180 (low 94: it met 95) but must first
    # cancel the resting take-profit, which holds the coins. The cancel reaches the venue at 240, the
    # stop-loss leaves then and reaches the venue at 300, after bar 240: bar 180's 95 is long gone, so
    # it sells at the last price the venue knows, bar 240's close 91.
    bracket = market("entry", "buy", "1", at=60, stop_loss_price="95", take_profit_price="110")
    scenario = run(
        node_config(scripted(bracket, data="bars"), account_type="spot", sim={"latency_ns": 60 * 10**9}),
        [
            FIRST_BAR,
            bar(120, "100", "101", "99", "100"),
            bar(180, "100", "100", "94", "96"),
            bar(240, "96", "97", "90", "91"),
            bar(300, "91", "92", "90", "91"),
        ],
    )
    store = scenario.node.store
    stop_loss, take_profit = store.get_order("O-1-SL"), store.get_order("O-1-TP")
    assert (take_profit.status, take_profit.status_reason) == (OrderStatus.CANCELLED, "oco")
    stop_fill = scenario.strategy().fills()[-1]
    assert (stop_fill.client_order_id, stop_fill.price, stop_fill.ts_event) == ("O-1-SL", D(91), at(300))
    assert stop_loss.status is OrderStatus.FILLED
    scenario.assert_healthy()
