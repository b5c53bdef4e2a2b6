"""Market and limit orders under every time in force, with the prices, quantities, fees and balances a
venue would give. Spot account with 1000 USDT unless stated; maker 0.02 %, taker 0.1 %."""

from __future__ import annotations

from decimal import Decimal as D

from adapters.sim import SimConfig
from engine.messages import OrderAccepted, OrderCancelled, OrderFilled, OrderRejected, TradeTick
from engine.model import LiquiditySide, OrderSide, OrderType, TimeInForce

MAKER, TAKER = LiquiditySide.MAKER, LiquiditySide.TAKER
S = 1_000_000_000


def fill_of(event: object) -> tuple[D, D, D, LiquiditySide]:
    assert isinstance(event, OrderFilled)
    return event.price, event.quantity, event.fee, event.liquidity_side


# -- market orders -------------------------------------------------------------------------------


def test_market_buy_fills_at_the_best_ask_with_the_taker_fee(venue):
    v = venue()
    v.quote(1, bid="99", ask="101", ask_size="5")
    v.buy("o1", "0.5")
    accepted, filled = v.new()
    assert isinstance(accepted, OrderAccepted)
    assert accepted.exchange_order_id == "SIM-1"
    assert fill_of(filled) == (D("101"), D("0.5"), D("0.0505"), TAKER)  # 101 * 0.5 * 0.001
    assert (filled.fill_id, filled.fee_currency, filled.side) == ("SIM-F-1", "USDT", OrderSide.BUY)
    assert v.balance("USDT") == D("949.4495")  # 1000 - 50.5 - 0.0505
    assert v.balance("BTC") == D("0.5")
    assert v.available("USDT") == D("949.4495")  # nothing stays locked


def test_market_order_fills_completely_whatever_the_quoted_size(venue):
    v = venue()
    v.quote(1, bid="99", ask="101", ask_size="0.1")
    v.buy("o1", "2")
    assert fill_of(v.new()[1]) == (D("101"), D("2"), D("0.202"), TAKER)


def test_market_sell_without_a_quote_fills_at_the_last_trade(venue):
    v = venue(balance={"USDT": "1000", "BTC": "1"})
    v.trade(1, "100")
    v.sell("o1", "0.2")
    _, filled = v.new()
    assert fill_of(filled) == (D("100"), D("0.2"), D("0.02"), TAKER)
    assert v.balance("USDT") == D("1019.98")  # 1000 + 20 - 0.02
    assert v.balance("BTC") == D("0.8")


def test_market_order_before_any_price_waits_for_the_first_one(venue):
    v = venue()
    v.at(1).buy("o1", "1")
    assert v.kinds() == ["OrderAccepted"]
    v.trade(2, "100")
    (filled,) = v.new()
    assert fill_of(filled) == (D("100"), D("1"), D("0.1"), TAKER)
    assert filled.ts_event == 2 * S


# -- limit orders: GTC -----------------------------------------------------------------------------


def test_gtc_buy_limit_rests_and_fills_at_its_price_when_trades_go_through_it(venue):
    """Buy 0.5 limit 100 (last 101): it rests with 0.5 * 100 * 1.001 = 50.05 USDT locked.
    Trade at 100 does not fill it (no touch); 99 x 0.2 fills 0.2 @ 100 (maker fee 0.004); 99.5 x 1
    fills the other 0.3 @ 100 (fee 0.006)."""
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "0.5", "100")
    assert v.kinds() == ["OrderAccepted"]
    assert v.available("USDT") == D("949.95")
    v.trade(2, "100", "5")
    assert v.new() == []
    v.trade(3, "99", "0.2")
    v.trade(4, "99.5", "1")
    first, second = v.new()
    assert fill_of(first) == (D("100"), D("0.2"), D("0.004"), MAKER)
    assert fill_of(second) == (D("100"), D("0.3"), D("0.006"), MAKER)
    assert v.balance("USDT") == D("949.99")  # 1000 - 50 - 0.01
    assert v.available("USDT") == D("949.99")
    assert v.balance("BTC") == D("0.5")


def test_fill_on_touch_fills_a_resting_limit_at_a_trade_at_its_price(venue):
    v = venue(SimConfig(fill_on_touch=True))
    v.trade(1, "101")
    v.buy("o1", "0.5", "100")
    v.trade(2, "100", "5")
    assert fill_of(v.new()[1]) == (D("100"), D("0.5"), D("0.01"), MAKER)


def test_resting_sell_limit_fills_when_trades_go_above_it(venue):
    v = venue(balance={"USDT": "0", "BTC": "1"})
    v.trade(1, "100")
    v.sell("o1", "1", "105")
    assert v.available("BTC") == D("0")  # the base is locked
    v.trade(2, "105.01", "3")
    assert fill_of(v.new()[1]) == (D("105"), D("1"), D("0.021"), MAKER)  # 105 * 0.0002
    assert v.balance("USDT") == D("104.979")
    assert v.balance("BTC") == D("0")


def test_marketable_gtc_limit_takes_at_the_ask_not_its_limit(venue):
    v = venue()
    v.quote(1, bid="98", ask="99")
    v.buy("o1", "0.5", "100")
    _, filled = v.new()
    assert fill_of(filled) == (D("99"), D("0.5"), D("0.0495"), TAKER)
    assert v.balance("USDT") == D("950.4505")  # 1000 - 49.5 - 0.0495


def test_marketable_gtc_limit_takes_the_ask_size_and_rests_the_remainder(venue):
    """Ask 99 x 0.2: 0.2 fills at 99 (taker); 0.3 rests at 100. The next quote, ask 99.5, reaches
    it: it fills at its own price, 100, as maker."""
    v = venue()
    v.quote(1, bid="98", ask="99", ask_size="0.2")
    v.buy("o1", "0.5", "100")
    _, taken = v.new()
    assert fill_of(taken) == (D("99"), D("0.2"), D("0.0198"), TAKER)
    v.quote(2, bid="98", ask="99.5", ask_size="1")
    (rested,) = v.new()
    assert fill_of(rested) == (D("100"), D("0.3"), D("0.006"), MAKER)
    assert v.balance("BTC") == D("0.5")
    assert v.balance("USDT") == D("950.1742")  # 1000 - 19.8 - 0.0198 - 30 - 0.006


def test_marketable_limit_against_the_last_trade_takes_at_the_last_trade(venue):
    v = venue()
    v.trade(1, "98")
    v.buy("o1", "1", "100")
    assert fill_of(v.new()[1]) == (D("98"), D("1"), D("0.098"), TAKER)


def test_resting_orders_fill_best_price_first_within_the_trade_volume(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("low", "1", "98")
    v.buy("high", "1", "99")
    v.new()
    v.trade(2, "97", "1.5")
    first, second = v.new()
    assert (first.client_order_id, first.price, first.quantity) == ("high", D("99"), D("1"))
    assert (second.client_order_id, second.price, second.quantity) == ("low", D("98"), D("0.5"))


def test_post_only_limit_that_would_take_is_rejected(venue):
    v = venue()
    v.quote(1, bid="99", ask="100")
    v.buy("o1", "1", "100", post_only=True)
    (rejected,) = v.new()
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason_code == "post_only_would_take"
    assert v.available("USDT") == D("1000")


def test_post_only_limit_below_the_ask_rests_as_maker(venue):
    v = venue()
    v.quote(1, bid="99", ask="100")
    v.buy("o1", "1", "99.5", post_only=True)
    assert v.kinds() == ["OrderAccepted"]
    v.trade(2, "99", "2")
    assert fill_of(v.new()[0]) == (D("99.5"), D("1"), D("0.0199"), MAKER)


# -- IOC -------------------------------------------------------------------------------------------


def test_ioc_fills_what_it_can_and_cancels_the_remainder(venue):
    v = venue()
    v.quote(1, bid="98", ask="99", ask_size="0.2")
    v.buy("o1", "0.5", "100", tif=TimeInForce.IOC)
    accepted, filled, cancelled = v.new()
    assert isinstance(accepted, OrderAccepted)
    assert fill_of(filled) == (D("99"), D("0.2"), D("0.0198"), TAKER)
    assert isinstance(cancelled, OrderCancelled)
    # the cancel says what was filled, so a client that lost the fill knows to ask
    assert (cancelled.reason, cancelled.filled_quantity) == ("ioc remainder", D("0.2"))
    assert v.balance("USDT") == D("980.1802")  # 1000 - 19.8 - 0.0198
    assert v.available("USDT") == D("980.1802")  # the remainder's lock is released
    v.quote(2, bid="98", ask="99", ask_size="10")
    assert v.new() == []  # nothing rests


def test_ioc_that_cannot_fill_at_all_is_cancelled_without_a_fill(venue):
    v = venue()
    v.quote(1, bid="100", ask="101")
    v.buy("o1", "0.5", "100", tif=TimeInForce.IOC)
    assert v.kinds() == ["OrderAccepted", "OrderCancelled"]
    assert v.exchange.order("o1").reason == "ioc remainder"
    assert v.available("USDT") == D("1000")


def test_ioc_market_order_fills_entirely(venue):
    v = venue()
    v.trade(1, "100")
    v.buy("o1", "1", tif=TimeInForce.IOC)
    assert v.kinds() == ["OrderAccepted", "OrderFilled"]


# -- FOK -------------------------------------------------------------------------------------------


def test_fok_that_cannot_fill_entirely_is_cancelled_with_no_fill(venue):
    v = venue()
    v.quote(1, bid="98", ask="99", ask_size="0.2")
    v.buy("o1", "0.5", "100", tif=TimeInForce.FOK)
    _accepted, cancelled = v.new()
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.reason == "fok unfilled"
    assert v.balance("USDT") == D("1000")
    assert v.available("USDT") == D("1000")


def test_fok_fills_entirely_when_the_liquidity_is_there(venue):
    v = venue()
    v.quote(1, bid="98", ask="99", ask_size="0.5")
    v.buy("o1", "0.5", "100", tif=TimeInForce.FOK)
    _, filled = v.new()
    assert fill_of(filled) == (D("99"), D("0.5"), D("0.0495"), TAKER)


def test_fok_limit_that_is_not_marketable_is_cancelled(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "0.5", "100", tif=TimeInForce.FOK)
    assert v.kinds() == ["OrderAccepted", "OrderCancelled"]
    assert v.exchange.order("o1").reason == "fok unfilled"


# -- GTD -------------------------------------------------------------------------------------------


def test_gtd_rests_until_its_expire_time_then_is_cancelled_expired_by_the_clock(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100", tif=TimeInForce.GTD, expire_time=10 * S)
    v.trade(5, "100.5")
    assert v.kinds() == ["OrderAccepted"]
    v.at(9.999999999)
    assert v.new() == []
    v.at(10)
    (cancelled,) = v.new()
    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.reason, cancelled.ts_event) == ("expired", 10 * S)
    assert v.available("USDT") == D("1000")


def test_gtd_fills_before_its_expire_time(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100", tif=TimeInForce.GTD, expire_time=10 * S)
    v.trade(9, "99", "5")
    assert v.kinds() == ["OrderAccepted", "OrderFilled"]
    v.at(20)
    assert v.new() == []


def test_gtd_expires_before_a_trade_at_its_expire_time_can_fill_it(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100", tif=TimeInForce.GTD, expire_time=10 * S)
    v.new()
    v.trade(10, "99", "5")  # the data event checks expiry too (the clock alert fired first here)
    assert v.kinds() == ["OrderCancelled"]


def test_gtd_expiry_is_checked_on_data_events_even_when_the_clock_lags(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100", tif=TimeInForce.GTD, expire_time=10 * S)
    v.new()
    v.data.process(_tick(11, "99"))  # data processed without moving the clock
    assert v.kinds() == ["OrderCancelled"]


def test_gtd_with_an_expire_time_not_in_the_future_is_rejected(venue):
    v = venue()
    v.trade(5, "101")
    v.buy("o1", "1", "100", tif=TimeInForce.GTD, expire_time=5 * S)
    (rejected,) = v.new()
    assert rejected.reason_code == "invalid_expire_time"


# -- what the venue takes ----------------------------------------------------------------------------


def test_stop_orders_are_refused_as_unsupported_order_type(venue):
    v = venue()
    v.trade(1, "100")
    for kind in (OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP):
        v.buy(f"o-{kind}", "1", "100", order_type=kind, stop_price=D("101"))
    assert [e.reason_code for e in v.new()] == ["unsupported_order_type"] * 3


def test_orders_breaking_the_instrument_rules_are_rejected_with_the_rule_code(venue):
    v = venue()
    v.trade(1, "100")
    v.buy("small", "0.0001", "100")
    v.buy("fine", "0.0015", "100")
    v.buy("tick", "1", "100.005")
    v.submit("noprice", OrderSide.BUY, "1", order_type=OrderType.LIMIT)
    codes = [e.reason_code for e in v.new()]
    assert codes == [
        "order.quantity.min",
        "order.quantity.precision",
        "order.price.precision",
        "order.price.missing",
    ]


def test_a_reused_client_order_id_is_rejected_and_the_first_order_is_untouched(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.buy("o1", "1", "100")
    _accepted, rejected = v.new()
    assert rejected.reason_code == "duplicate_client_order_id"
    assert v.exchange.order("o1").is_open


def _tick(seconds: float, price: str) -> TradeTick:
    return TradeTick(
        ts_event=round(seconds * S),
        ts_init=round(seconds * S),
        exchange_id="sim",
        symbol="BTCUSDT",
        price=D(price),
        quantity=D(1),
    )
