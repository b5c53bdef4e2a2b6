"""Venue-side balances through the real Ledger: what cannot be afforded is refused, spot cannot short,
futures use margin and liquidate at the exact liquidation price. Taker 0.1 %, maker 0.02 %."""

from __future__ import annotations

from decimal import Decimal as D

from adapters.sim import SimConfig
from engine.messages import OrderCancelled, OrderFilled, OrderRejected
from engine.model import LiquiditySide, OrderSide, PositionSide, PositionStatus, TradingType

FUTURES = TradingType.FUTURES


def test_spot_buy_needing_more_quote_than_available_is_rejected_insufficient_balance(venue):
    v = venue(balance={"USDT": "100"})
    v.trade(1, "101")
    v.buy("o1", "1", "100")  # needs 100 * 1.001 = 100.1
    (rejected,) = v.new()
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason_code == "insufficient_balance"
    v.buy("o2", "0.999", "100")  # 99.9999
    assert v.kinds() == ["OrderAccepted"]


def test_spot_cannot_short_a_sell_needs_the_base(venue):
    v = venue(balance={"USDT": "1000"})
    v.trade(1, "100")
    v.sell("o1", "0.1")
    (rejected,) = v.new()
    assert rejected.reason_code == "insufficient_balance"
    assert v.balance("BTC") == D("0")


def test_spot_sell_of_more_than_the_free_base_is_rejected(venue):
    v = venue(balance={"USDT": "0", "BTC": "1"})
    v.trade(1, "100")
    v.sell("o1", "0.6", "110")  # locks 0.6 BTC
    v.sell("o2", "0.5", "110")
    assert [type(e).__name__ for e in v.new()] == ["OrderAccepted", "OrderRejected"]
    assert v.events[-1].reason_code == "insufficient_balance"


def test_funds_locked_by_open_orders_are_not_available_to_new_ones(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "5", "100")  # locks 500.5
    v.buy("o2", "5", "99")  # locks 495.495, leaves 4.005
    v.buy("o3", "1", "10")  # needs 10.01
    assert v.kinds() == ["OrderAccepted", "OrderAccepted", "OrderRejected"]
    assert v.available("USDT") == D("4.005")
    v.cancel("o2")
    assert v.available("USDT") == D("499.5")


def test_market_buy_that_waited_for_a_price_it_cannot_afford_is_cancelled(venue):
    v = venue(balance={"USDT": "100"})
    v.at(1).buy("o1", "1")  # no price yet: nothing to check it against
    v.trade(2, "200")
    assert v.kinds() == ["OrderAccepted", "OrderCancelled"]
    assert v.events[-1].reason == "insufficient_balance"
    assert v.balance("USDT") == D("100")


def test_futures_order_needing_more_margin_than_available_is_rejected_insufficient_margin(venue):
    v = venue(account_type=FUTURES, balance={"USDT": "100"})
    v.trade(1, "100")
    v.buy("big", "10", leverage=10)  # margin 100 + fee 1 > 100
    (rejected,) = v.new()
    assert rejected.reason_code == "insufficient_margin"
    v.buy("ok", "9", leverage=10)  # margin 90 + fee 0.9
    _, filled = v.new()
    assert (filled.price, filled.quantity, filled.fee) == (D("100"), D("9"), D("0.9"))
    assert v.balance("USDT") == D("99.1")
    assert v.ledger.account.used_balance["USDT"] == D("90")
    assert v.available("USDT") == D("9.1")


def test_futures_leverage_above_the_instrument_maximum_is_rejected(venue):
    v = venue(account_type=FUTURES)
    v.trade(1, "100")
    v.buy("o1", "1", leverage=21)
    assert v.new()[0].reason_code == "position.leverage.max"


def test_long_is_liquidated_at_its_exact_liquidation_price_by_a_venue_fill(venue):
    """Long 1 @ 100 at 10x, maintenance 4 %: liquidation = 100 * (1 - 1/10) / (1 - 0.04) = 93.75.
    A trade at 93.76 leaves it; a trade gapping to 90 closes it at 93.75, not 90."""
    v = venue(account_type=FUTURES, maintenance_margin_rate="0.04")
    v.trade(1, "100")
    v.buy("o1", "1", leverage=10)
    v.new()
    position = v.ledger.position("sim", "BTCUSDT")
    assert position.liquidation_price == D("93.75")
    v.trade(2, "93.76")
    assert v.new() == []
    v.trade(3, "90")
    (liquidation,) = v.new()
    assert isinstance(liquidation, OrderFilled)
    assert liquidation.liquidation is True
    assert (liquidation.client_order_id, liquidation.exchange_order_id) == ("SIM-LIQ-1", "SIM-LIQ-1")
    assert (liquidation.side, liquidation.position_side) == (OrderSide.SELL, PositionSide.LONG)
    assert (liquidation.price, liquidation.quantity, liquidation.fee) == (D("93.75"), D("1"), D("0.09375"))
    assert liquidation.liquidity_side is LiquiditySide.TAKER
    assert liquidation.fill_id == "SIM-F-2"
    assert position.status is PositionStatus.LIQUIDATED
    assert v.balance("USDT") == D("993.55625")  # 1000 - 0.1 fee - 6.25 loss - 0.09375 fee
    v.trade(4, "80")
    assert v.new() == []  # nothing left to liquidate


def test_short_is_liquidated_when_a_bar_high_reaches_its_liquidation_price(venue):
    """Short 1 @ 100 at 2x, maintenance 25 %: liquidation = 100 * (1 + 1/2) / (1 + 0.25) = 120."""
    v = venue(account_type=FUTURES, maintenance_margin_rate="0.25")
    v.bar(60, "99", "101", "98", "100")
    v.sell("o1", "1", leverage=2)
    _, filled = v.new()
    assert (filled.price, filled.fee) == (D("100"), D("0.1"))
    v.bar(120, "101", "125", "99", "110")
    (liquidation,) = v.new()
    assert liquidation.liquidation is True
    assert (liquidation.side, liquidation.position_side) == (OrderSide.BUY, PositionSide.SHORT)
    assert (liquidation.price, liquidation.quantity, liquidation.fee) == (D("120"), D("1"), D("0.12"))
    assert v.balance("USDT") == D("979.78")  # 1000 - 0.1 - 20 - 0.12


def test_reduce_only_without_a_position_is_rejected(venue):
    v = venue(account_type=FUTURES)
    v.trade(1, "100")
    v.sell("o1", "1", reduce_only=True)
    assert v.new()[0].reason_code == "reduce_only_rejected"


def test_reduce_only_fills_only_what_closes_the_position_and_cancels_the_rest(venue):
    v = venue(account_type=FUTURES)
    v.trade(1, "100")
    v.buy("open", "1", leverage=5)
    v.sell("close", "2", "110", reduce_only=True)
    v.new()
    v.trade(2, "111", "5")
    filled, cancelled = v.new()
    assert (filled.client_order_id, filled.quantity, filled.price) == ("close", D("1"), D("110"))
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.reason == "reduce_only"
    assert v.ledger.position("sim", "BTCUSDT") is None


def test_hedge_mode_orders_must_name_their_position_side(venue):
    v = venue(SimConfig(), account_type=FUTURES, hedge=True)
    v.trade(1, "100")
    v.buy("o1", "1", leverage=5)
    assert v.new()[0].reason_code == "position_side_required"
    v.buy("long", "1", leverage=5, position_side=PositionSide.LONG)
    v.sell("short", "1", leverage=5, position_side=PositionSide.SHORT)
    long_fill, short_fill = (e for e in v.new() if isinstance(e, OrderFilled))
    assert (long_fill.position_side, short_fill.position_side) == (PositionSide.LONG, PositionSide.SHORT)
    assert v.ledger.position("sim", "BTCUSDT", PositionSide.LONG).quantity == D("1")
    assert v.ledger.position("sim", "BTCUSDT", PositionSide.SHORT).quantity == D("1")


def test_the_venue_keeps_its_own_copy_of_the_account(venue):
    v = venue()
    v.trade(1, "100")
    v.buy("o1", "1")
    assert v.balance("USDT") == D("899.9")
    assert v.store.get_account("acc").balance["USDT"] == D("1000")  # the Portfolio's to update


def test_long_is_liquidated_when_a_bar_low_reaches_its_liquidation_price_and_not_before(venue):
    """Long 1 @ 100 at 2x, maintenance 25 %: liquidation = 100 * (1 - 1/2) / (1 - 0.25) = 66.67 (rounded)."""
    v = venue(account_type=FUTURES, maintenance_margin_rate="0.25")
    v.bar(60, "99", "101", "98", "100")
    v.buy("o1", "1", leverage=2)
    v.new()
    v.bar(120, "100", "101", "66.67", "90")  # the low stays a hair above the liquidation price
    assert v.new() == []
    v.bar(180, "90", "91", "60", "85")
    (liquidation,) = v.new()
    assert (liquidation.liquidation, liquidation.side, liquidation.quantity) == (True, OrderSide.SELL, D(1))
