"""Cancel, modify, cancel-all and query: the venue answers each with an event, or with the truth."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from adapters.sim import SimConfig, SimulatedExchange
from engine import topics
from engine.bus import BusError
from engine.messages import OrderCancelled, OrderStatusReport, OrderUpdated
from engine.model import LiquiditySide, OrderStatus


def test_cancel_takes_a_resting_order_out_and_releases_its_funds(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    assert v.available("USDT") == D("899.9")
    v.cancel("o1")
    _, cancelled = v.new()
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.reason == "user"
    assert v.available("USDT") == D("1000")
    v.trade(2, "90")
    assert v.new() == []


def test_cancel_of_an_unknown_order_is_answered_with_a_report(venue):
    v = venue()
    v.cancel("nope")
    (report,) = v.new()
    assert isinstance(report, OrderStatusReport)
    assert (report.status, report.reason) == (OrderStatus.REJECTED, "cancel_rejected:unknown_order")


def test_cancel_of_a_filled_order_reports_it_filled(venue):
    v = venue()
    v.trade(1, "100")
    v.buy("o1", "1")
    v.cancel("o1")
    report = v.new()[-1]
    assert (report.status, report.filled_quantity, report.reason) == (
        OrderStatus.FILLED,
        D("1"),
        "cancel_rejected:filled",
    )


def test_modify_reprices_a_resting_order_and_its_lock(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.modify("o1", price="99")
    _, updated = v.new()
    assert isinstance(updated, OrderUpdated)
    assert (updated.price, updated.quantity) == (D("99"), D("1"))
    assert v.available("USDT") == D("900.901")  # 1000 - 99 * 1.001
    v.trade(2, "99.5")
    assert v.new() == []
    v.trade(3, "98", "5")
    (filled,) = v.new()
    assert (filled.price, filled.quantity) == (D("99"), D("1"))


def test_modify_to_a_marketable_price_takes_at_once(venue):
    v = venue()
    v.quote(1, bid="100", ask="101")
    v.buy("o1", "1", "100")
    v.modify("o1", price="102")
    _, _updated, filled = v.new()
    assert (filled.price, filled.liquidity_side) == (D("101"), LiquiditySide.TAKER)


def test_modify_quantity_sets_the_new_total(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.trade(2, "99", "0.4")
    v.modify("o1", quantity="0.5")
    v.trade(3, "99", "5")
    fills = [e.quantity for e in v.new() if type(e).__name__ == "OrderFilled"]
    assert fills == [D("0.4"), D("0.1")]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"quantity": "0.4"}, "modify_rejected:quantity_below_filled"),
        ({"price": "100.001"}, "modify_rejected:order.price.precision"),
        ({"price": "2000"}, "modify_rejected:insufficient_balance"),
    ],
)
def test_a_refused_modify_is_answered_with_a_report_and_changes_nothing(venue, change, reason):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.trade(2, "99", "0.4")
    v.new()
    v.modify("o1", **change)
    (report,) = v.new()
    assert (report.status, report.reason, report.filled_quantity) == (OrderStatus.PARTIAL, reason, D("0.4"))
    assert v.available("USDT") == D("899.932")  # 1000 - 40 - 0.008 fee - 0.6 * 100 * 1.001 locked
    assert v.exchange.order("o1").price == D("100")


def test_modify_of_a_post_only_order_into_the_market_is_refused(venue):
    v = venue()
    v.quote(1, bid="99", ask="101")
    v.buy("o1", "1", "100", post_only=True)
    v.modify("o1", price="101")
    assert v.new()[-1].reason == "modify_rejected:post_only_would_take"


def test_cancel_all_cancels_every_open_order_of_the_account_on_the_symbol(venue):
    v = venue()
    v.trade(1, "110")
    for n, price in enumerate(("100", "101", "102")):
        v.buy(f"o{n}", "1", price)
    v.new()
    v.cancel_all()
    assert [(e.client_order_id, e.reason) for e in v.new()] == [
        ("o0", "user"),
        ("o1", "user"),
        ("o2", "user"),
    ]
    assert v.available("USDT") == D("1000")


def test_query_reports_a_partial_fill_with_its_average_price(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.trade(2, "99", "0.25")
    v.new()
    v.query("o1")
    (report,) = v.new()
    assert (report.status, report.filled_quantity, report.average_price, report.exchange_order_id) == (
        OrderStatus.PARTIAL,
        D("0.25"),
        D("100"),
        "SIM-1",
    )


def test_query_of_a_rejected_order_reports_the_rejection(venue):
    v = venue()
    v.trade(1, "100")
    v.sell("o1", "1")
    v.query("o1")
    (_, report) = v.new()
    assert (report.status, report.reason) == (OrderStatus.REJECTED, "insufficient_balance")


def test_stop_removes_the_endpoint_and_a_restart_keeps_the_venue_state(venue):
    v = venue()
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.exchange.stop()
    with pytest.raises(BusError):
        v.buy("o2", "1", "100")
    v.exchange.start()
    v.trade(2, "99")
    assert [type(e).__name__ for e in v.new()] == ["OrderAccepted", "OrderFilled"]


def test_an_exchange_refuses_to_serve_an_account_of_another_exchange(venue):
    v = venue()
    exchange = SimulatedExchange(v.bus, v.clock, v.store, "other", SimConfig(), accounts=["acc"])
    with pytest.raises(Exception, match="not an account on other"):
        exchange.start()
    assert topics.exec_client("other") not in v.bus._endpoints
