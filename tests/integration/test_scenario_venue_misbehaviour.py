"""The OMS against a venue that misbehaves on purpose (``SimConfig.misbehaviour``), end to end.

Whatever the venue's messages do, the order, the position and the balances must end exactly as the
venue's own books say. Account: futures, 10,000 USDT, 1x; taker fee 0.2 %, maker fee 0.1 %.
"""

from __future__ import annotations

from scenario_world import EX, SYM, D, limit, market, node_config, run, scripted, trade

from engine.messages import OrderStatusReport
from engine.model import OrderStatus

MARKET_BUY = market("buy", "buy", "1")
RESTING_BID = limit("bid", "buy", "1", "99")


def misbehaving(step: dict[str, object], *rules: dict[str, object], latency_ns: int = 0):
    return node_config(scripted(step), sim={"misbehaviour": list(rules), "latency_ns": latency_ns})


def test_a_fill_reported_twice_is_applied_once():
    scenario = run(misbehaving(MARKET_BUY, {"action": "duplicate_fill", "order_seq": 1}), [trade(1, "100")])
    strategy = scenario.strategy()
    assert strategy.events_of("buy") == ["OrderAccepted", "OrderFilled"]
    assert scenario.node.execution.duplicates_ignored == 1
    buy = scenario.order("buy")
    assert (buy.status, buy.filled_quantity) == (OrderStatus.FILLED, D(1))
    assert scenario.ledger.signed_quantity(EX, SYM) == D(1)
    # one fill of 1 at 100: fee 0.2, margin 100
    assert scenario.balance() == D("9999.8")
    assert scenario.used() == D(100)
    assert scenario.venue.account.balance["USDT"] == D("9999.8")
    assert [type(e).__name__ for e in strategy.position_events] == ["PositionOpened"]
    scenario.assert_healthy()


def test_an_order_whose_acknowledgement_is_lost_still_fills():
    scenario = run(
        misbehaving(RESTING_BID, {"action": "drop_ack", "order_seq": 1}),
        [trade(1, "100"), trade(2, "98")],
    )
    strategy = scenario.strategy()
    assert strategy.events_of("bid") == ["OrderFilled"]
    bid = scenario.order("bid")
    assert (bid.status, bid.filled_quantity, bid.average_fill_price) == (OrderStatus.FILLED, D(1), D(99))
    assert bid.exchange_order_id == "SIM-1"  # the fill names the venue's order
    # maker fill 1 at 99: fee 0.099
    assert scenario.balance() == D("9999.901")
    assert scenario.used() == D(99)
    assert scenario.ledger.signed_quantity(EX, SYM) == D(1)
    scenario.assert_healthy()


def test_an_acknowledgement_arriving_after_the_fill_is_harmless():
    # Binance's user-data stream can deliver the fill before the REST answer to the new order: the
    # late acknowledgement carries nothing new, so it must not count as an illegal move of the order.
    scenario = run(misbehaving(MARKET_BUY, {"action": "fill_before_ack", "order_seq": 1}), [trade(1, "100")])
    buy = scenario.order("buy")
    assert (buy.status, buy.filled_quantity, buy.exchange_order_id) == (OrderStatus.FILLED, D(1), "SIM-1")
    assert scenario.balance() == D("9999.8")
    assert scenario.node.execution.illegal_transitions == 0
    scenario.assert_healthy()


def test_an_order_whose_acknowledgement_is_lost_is_recovered_by_a_query_then_fills():
    scenario = run(misbehaving(RESTING_BID, {"action": "drop_ack", "order_seq": 1}), [trade(1, "100")])
    bid = scenario.order("bid")
    assert (bid.status, bid.exchange_order_id) == (OrderStatus.PENDING, "")
    assert scenario.strategy().events_of("bid") == []

    scenario.query("bid")  # what reconciliation does

    strategy = scenario.strategy()
    assert strategy.events_of("bid") == ["OrderAccepted", "OrderStatusReport"]
    assert (bid.status, bid.exchange_order_id) == (OrderStatus.PENDING, "SIM-1")
    assert scenario.used() == D("99.198")  # accepted: 99 / 1x + 99 x 0.002 reserved

    scenario.feed(trade(2, "98"))

    assert strategy.events_of("bid")[-1] == "OrderFilled"
    assert (bid.status, bid.filled_quantity) == (OrderStatus.FILLED, D(1))
    assert scenario.balance() == D("9999.901")
    assert scenario.used() == D(99)
    scenario.assert_healthy()


def test_an_order_the_venue_never_confirmed_stays_pending_in_doubt_until_the_query_answer_settles_it():
    # latency 1 s: the order reaches the venue at 2; its answer is lost (OrderStatusUnknown, "timeout"),
    # the OMS's query reaches the venue at 3, whose report settles the order.
    scenario = run(
        misbehaving(RESTING_BID, {"action": "ack_unknown", "order_seq": 1}, latency_ns=1_000_000_000),
        [trade(1, "100"), trade(2.5, "100")],
    )
    strategy = scenario.strategy()
    bid = scenario.order("bid")
    assert strategy.events_of("bid") == ["OrderStatusUnknown"]
    assert strategy.order_events[-1].reason == "timeout"
    assert (bid.status, bid.in_doubt) == (OrderStatus.PENDING, True)
    assert scenario.node.execution.in_doubt == [bid.order_id]

    scenario.feed(trade(3.5, "100"))

    assert strategy.events_of("bid") == ["OrderStatusUnknown", "OrderAccepted", "OrderStatusReport"]
    report = strategy.order_events[-1]
    assert isinstance(report, OrderStatusReport)
    assert (report.status, report.filled_quantity, report.exchange_order_id) == (
        OrderStatus.PENDING,
        D(0),
        "SIM-1",
    )
    assert (bid.status, bid.in_doubt, bid.exchange_order_id) == (OrderStatus.PENDING, False, "SIM-1")
    assert scenario.node.execution.in_doubt == []

    scenario.feed(trade(4, "98"))

    assert (bid.status, bid.filled_quantity) == (OrderStatus.FILLED, D(1))
    assert scenario.balance() == D("9999.901")
    assert scenario.venue.account.balance["USDT"] == D("9999.901")
    scenario.assert_healthy()


def test_a_lost_fill_is_recovered_from_the_venues_answer_to_a_query():
    # the venue filled 1 at 99 (maker) but the OrderFilled never arrived; its report recovers the
    # quantity, the price and the fee the order paid
    scenario = run(
        misbehaving(RESTING_BID, {"action": "drop_fill", "order_seq": 1}),
        [trade(1, "100"), trade(2, "98")],
    )
    bid = scenario.order("bid")
    assert (bid.status, bid.filled_quantity) == (OrderStatus.PENDING, D(0))
    assert scenario.venue.account.balance["USDT"] == D("9999.901")

    scenario.query("bid")  # what reconciliation does

    strategy = scenario.strategy()
    assert strategy.events_of("bid") == ["OrderAccepted", "OrderFilled", "OrderStatusReport"]
    recovered = strategy.fills()[-1]
    assert (recovered.fill_id, recovered.price, recovered.quantity, recovered.fee) == (
        f"recon-{bid.order_id}-1",
        D(99),
        D(1),
        D("0.099"),
    )
    assert (bid.status, bid.filled_quantity, bid.average_fill_price) == (OrderStatus.FILLED, D(1), D(99))
    assert scenario.ledger.signed_quantity(EX, SYM) == D(1)
    assert scenario.balance() == scenario.venue.account.balance["USDT"] == D("9999.901")
    scenario.assert_healthy()
