"""Where and how much fills: bar close vs next open, volume-bounded partial fills, and latency."""

from __future__ import annotations

from decimal import Decimal as D

from adapters.sim import SimConfig
from engine import topics
from engine.messages import Bar, OrderCancelled, OrderFilled
from engine.model import LiquiditySide, OrderSide

MS = 1_000_000
S = 1_000_000_000


def react_to_first_bar(v, **order):
    """A strategy stand-in, subscribed after the exchange (as the node wires it): on the first bar it
    sends a buy."""
    bars: list[Bar] = []

    def on_bar(bar: Bar) -> None:
        bars.append(bar)
        if len(bars) == 1:
            v.buy("o1", "1", **order)

    v.bus.subscribe(topics.bars("sim", "BTCUSDT", "1m"), on_bar)


# -- bars as the price source --------------------------------------------------------------------


def test_market_order_sent_on_a_bar_fills_at_that_bar_close_by_default(venue):
    v = venue()
    react_to_first_bar(v)
    v.bar(60, "95", "101", "94", "100")
    _accepted, filled = v.new()
    assert (filled.price, filled.quantity, filled.ts_event) == (D("100"), D("1"), 60 * S)
    v.bar(120, "102", "103", "101", "102")
    assert v.new() == []


def test_market_order_sent_on_a_bar_fills_at_the_next_bar_open_with_next_open(venue):
    v = venue(SimConfig(bar_execution="next_open"))
    react_to_first_bar(v)
    v.bar(60, "95", "101", "94", "100")
    assert v.kinds() == ["OrderAccepted"]
    v.bar(120, "102", "103", "101", "102")
    (filled,) = v.new()
    assert (filled.price, filled.fee, filled.liquidity_side) == (D("102"), D("0.102"), LiquiditySide.TAKER)
    assert v.balance("USDT") == D("897.898")  # 1000 - 102 - 0.102


def test_limit_order_under_close_execution_that_the_close_reaches_takes_at_the_close(venue):
    v = venue()
    react_to_first_bar(v, price="101")
    v.bar(60, "95", "101", "94", "100")
    assert v.new()[1].price == D("100")


def test_limit_order_under_next_open_arrives_at_the_open_then_rests_through_the_bar(venue):
    """Buy limit 101 on bar 1; bar 2 opens at 102 (not marketable), trades down to 99: it fills at 101
    as maker."""
    v = venue(SimConfig(bar_execution="next_open"))
    react_to_first_bar(v, price="101")
    v.bar(60, "95", "101", "94", "100")
    v.bar(120, "102", "103", "99", "100")
    _, filled = v.new()
    assert (filled.price, filled.liquidity_side, filled.fee) == (D("101"), LiquiditySide.MAKER, D("0.0202"))


def test_post_only_decided_at_the_next_open_is_cancelled_if_it_would_take(venue):
    v = venue(SimConfig(bar_execution="next_open"))
    react_to_first_bar(v, price="103", post_only=True)
    v.bar(60, "95", "101", "94", "100")
    v.bar(120, "102", "104", "101", "103")
    _accepted, cancelled = v.new()
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.reason == "post_only_would_take"
    assert v.available("USDT") == D("1000")


def test_bar_closing_up_is_walked_open_low_high_close(venue):
    v = venue(balance={"USDT": "1000", "BTC": "1"})
    v.bar(60, "100", "100", "100", "100")
    v.sell("sell", "1", "102")
    v.buy("buy", "1", "98")
    v.new()
    v.bar(120, "100", "103", "97", "101")
    assert [e.client_order_id for e in v.new()] == ["buy", "sell"]


def test_bar_closing_down_is_walked_open_high_low_close(venue):
    v = venue(balance={"USDT": "1000", "BTC": "1"})
    v.bar(60, "100", "100", "100", "100")
    v.buy("buy", "1", "98")
    v.sell("sell", "1", "102")
    v.new()
    v.bar(120, "100", "103", "97", "99")
    assert [e.client_order_id for e in v.new()] == ["sell", "buy"]


# -- volume bounds -------------------------------------------------------------------------------


def test_resting_fills_are_bounded_by_the_bar_volume_and_continue_on_later_bars(venue):
    v = venue()
    v.bar(60, "101", "101", "101", "101")
    v.buy("o1", "1", "100")
    v.new()
    v.bar(120, "101", "101", "99", "100", volume="0.4")
    v.bar(180, "100", "101", "99.5", "100", volume="10")
    first, second = v.new()
    assert (first.quantity, second.quantity) == (D("0.4"), D("0.6"))
    assert first.price == second.price == D("100")


def test_bar_volume_in_quote_units_is_converted_at_the_fill_price(venue):
    v = venue(SimConfig(bar_volume_in_quote=True))
    v.bar(60, "101", "101", "101", "101")
    v.buy("o1", "1", "100")
    v.new()
    v.bar(120, "101", "101", "99", "100", volume="30")  # 30 USDT at 100 = 0.3 BTC
    (filled,) = v.new()
    assert filled.quantity == D("0.3")


def test_volume_participation_limits_each_trade_share(venue):
    """Participation 50 %: trade 99 x 0.6 fills 0.3; trade 99 x 2 fills the remaining 0.7."""
    v = venue(SimConfig(volume_participation=D("0.5")))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.new()
    v.trade(2, "99", "0.6")
    v.trade(3, "99", "2")
    first, second = v.new()
    assert (first.quantity, first.fee) == (D("0.3"), D("0.006"))
    assert (second.quantity, second.fee) == (D("0.7"), D("0.014"))


def test_fill_quantities_are_cut_down_to_the_quantity_step(venue):
    v = venue(SimConfig(volume_participation=D("0.3")))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.new()
    v.trade(2, "99", "0.0011")  # 0.00033 available: less than one step of 0.001
    assert v.new() == []
    v.trade(3, "99", "0.0101")  # 0.00303 -> 0.003
    assert v.new()[0].quantity == D("0.003")


def test_bars_do_not_fill_again_what_trades_already_filled(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.new()
    v.trade(30, "99", "0.4")
    v.bar(60, "101", "101", "99", "99", volume="0.4")  # a bar built from those trades
    assert [e.quantity for e in v.new()] == [D("0.4")]


def test_only_one_bar_interval_drives_matching(venue):
    v = venue()
    v.bar(60, "101", "101", "101", "101")
    v.buy("o1", "1", "100")
    v.new()
    v.bar(300, "101", "101", "99", "100", volume="0.4", interval="5m")
    assert v.new() == []
    v.bar(360, "101", "101", "99", "100", volume="0.4")
    assert [e.quantity for e in v.new()] == [D("0.4")]


# -- latency -------------------------------------------------------------------------------------


def test_a_command_is_processed_when_the_latency_has_passed_at_the_then_current_price(venue):
    """Latency 5 ms: a market buy sent at 1 s is processed at 1.005 s, before the trade of that
    instant, so it fills at the last trade before it (101)."""
    v = venue(SimConfig(latency_ns=5 * MS))
    v.trade(1, "100")
    v.buy("o1", "1")
    assert v.new() == []
    v.trade(1.003, "101")
    assert v.new() == []
    v.trade(1.005, "102")
    accepted, filled = v.new()
    assert accepted.ts_event == filled.ts_event == 1_005_000_000
    assert filled.price == D("101")


def test_a_delayed_command_is_processed_by_the_clock_alone(venue):
    v = venue(SimConfig(latency_ns=5 * MS))
    v.trade(1, "100")
    v.buy("o1", "1")
    v.at(1.004)
    assert v.new() == []
    v.at(1.005)
    assert v.kinds() == ["OrderAccepted", "OrderFilled"]


def test_delayed_commands_keep_their_order(venue):
    v = venue(SimConfig(latency_ns=5 * MS))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.at(1.001).cancel("o1")
    v.at(1.010)
    assert v.kinds() == ["OrderAccepted", "OrderCancelled"]
    assert v.events[-1].ts_event == 1_006_000_000


def test_resting_orders_only_see_trades_after_they_arrive(venue):
    v = venue(SimConfig(latency_ns=5 * MS))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.trade(1.002, "99")  # before the order reaches the venue
    assert v.new() == []
    v.trade(1.006, "99.5")
    assert [type(e) for e in v.new()] == [type(v.events[0]), OrderFilled]
    assert v.events[-1].side is OrderSide.BUY
