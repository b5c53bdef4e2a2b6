"""Several strategy executions on ONE account and instrument: fills attributed, sub-ledgers that add up.

Every fill goes to the execution whose client order id it carries. Each execution's sub-ledger holds
its own net position; the executions' signed quantities sum to the account's, and so does their
realized + unrealized PnL - fees (realized alone need not: one execution may close what another opened).
Account: futures, 1x; taker fee 0.2 %.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_world import ACC, EX, SYM, D, market, node_config, run, scripted, trade
from test_scenario_tick_properties import market_data, script

from engine.messages import OrderFilled
from engine.model import PositionSide, PositionStatus


def net(ledger) -> Decimal:
    """What an execution (or the account) made, marked at the last price: realized + unrealized - fees."""
    return ledger.realized_pnl + ledger.unrealized_pnl - ledger.fees_paid


def test_two_executions_trading_opposite_directions_each_keep_their_own_position_and_pnl():
    config = node_config(
        scripted(market("buy", "buy", "3", at=1), market("sell", "sell", "1", at=3), execution_id="s1"),
        scripted(market("short", "sell", "1", at=2), execution_id="s2"),
    )
    scenario = run(config, [trade(1, "100"), trade(2, "102"), trade(3, "104"), trade(4, "103")])
    s1, s2 = scenario.strategy("s1"), scenario.strategy("s2")

    assert [(f.client_order_id, f.price, f.quantity) for f in s1.fills()] == [
        (s1.ids["buy"], D(100), D(3)),
        (s1.ids["sell"], D(104), D(1)),
    ]
    assert [(f.client_order_id, f.price, f.quantity) for f in s2.fills()] == [(s2.ids["short"], D(102), D(1))]
    assert {f.execution_id for f in s1.order_events} == {"s1"}
    assert {f.execution_id for f in s2.order_events} == {"s2"}

    # s1: bought 3 @ 100, sold 1 @ 104 -> long 2 @ 100, realized 4, marked at 103: unrealized 6;
    #     fees 300 x 0.002 + 104 x 0.002 = 0.808
    [p1] = s1.positions()
    assert (p1.side, p1.quantity, p1.entry_price) == (PositionSide.LONG, D(2), D(100))
    l1 = scenario.execution_ledger("s1")
    assert (l1.realized_pnl, l1.unrealized_pnl, l1.fees_paid) == (D(4), D(6), D("0.808"))
    # s2: sold 1 @ 102 -> short 1 @ 102, marked at 103: unrealized -1; fee 0.204
    [p2] = s2.positions()
    assert (p2.side, p2.quantity, p2.entry_price) == (PositionSide.SHORT, D(1), D(102))
    l2 = scenario.execution_ledger("s2")
    assert (l2.realized_pnl, l2.unrealized_pnl, l2.fees_paid) == (D(0), D(-1), D("0.204"))
    # the account netted it all: buy 3 @ 100, sell 1 @ 102 (+2), sell 1 @ 104 (+4) -> long 1 @ 100,
    # realized 6, unrealized 3, fees 1.012
    account = scenario.ledger
    [position] = account.open_positions()
    assert (position.side, position.quantity, position.entry_price) == (PositionSide.LONG, D(1), D(100))
    assert (account.realized_pnl, account.unrealized_pnl, account.fees_paid) == (D(6), D(3), D("1.012"))
    assert scenario.balance() == D("10004.988")  # 10,000 + 6 - 1.012

    assert (
        l1.signed_quantity(EX, SYM) + l2.signed_quantity(EX, SYM) == account.signed_quantity(EX, SYM) == D(1)
    )
    assert net(l1) + net(l2) == net(account) == D("7.988")
    scenario.assert_healthy()


def test_liquidation_of_a_position_two_executions_built_liquidates_each_executions_part():
    # s1 buys 2 and s2 buys 1 at 199, 10x: the account is long 3 @ 199, liquidated at
    # 199 x (1 - 1/10) / (1 - 0.005) = 180 when a trade reaches it. Each execution loses its part:
    # s1 (180 - 199) x 2 = -38, s2 (180 - 199) x 1 = -19; neither holds anything afterwards.
    config = node_config(
        scripted(market("a", "buy", "2", at=1, leverage=10), execution_id="s1"),
        scripted(market("b", "buy", "1", at=2, leverage=10), execution_id="s2"),
    )
    scenario = run(config, [trade(1, "199"), trade(2, "199"), trade(3, "150")])
    account = scenario.ledger
    [position] = account.positions()
    assert (position.status, position.quantity) == (PositionStatus.LIQUIDATED, D(0))
    # fees: 398 x 0.002 + 199 x 0.002 + 540 x 0.002 = 2.274; balance 10,000 - 57 - 2.274
    assert scenario.balance() == D("9940.726")

    s1, s2 = scenario.strategy("s1"), scenario.strategy("s2")
    assert s1.positions() == [] and s1.net_quantity() == 0
    assert s2.positions() == [] and s2.net_quantity() == 0
    assert type(s1.position_events[-1]).__name__ == "PositionLiquidated"
    assert type(s2.position_events[-1]).__name__ == "PositionLiquidated"
    l1, l2 = scenario.execution_ledger("s1"), scenario.execution_ledger("s2")
    assert (l1.realized_pnl, l2.realized_pnl) == (D(-38), D(-19))
    assert l1.fees_paid + l2.fees_paid == account.fees_paid == D("2.274")
    assert net(l1) + net(l2) == net(account)
    scenario.assert_healthy()


ORDERS = st.lists(
    st.tuples(
        st.integers(0, 2),  # which execution
        st.sampled_from(["buy", "sell"]),
        st.integers(1, 3000).map(lambda n: Decimal(n).scaleb(-3)),  # 0.001 .. 3 BTC
        st.integers(9000, 11000).map(lambda n: Decimal(n).scaleb(-2)),  # the trade it reacts to
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders=ORDERS, executions=st.integers(2, 3), mark=st.integers(9000, 11000))
def test_any_sequence_of_fills_by_several_executions_adds_up_to_the_account(orders, executions, mark):
    ids = [f"s{n + 1}" for n in range(executions)]
    scripts: dict[str, list[dict[str, object]]] = {i: [] for i in ids}
    data = []
    for n, (who, side, quantity, price) in enumerate(orders, start=1):
        scripts[ids[who % executions]].append(market(f"o{n}", side, str(quantity), at=n))
        data.append(trade(n, str(price)))
    data.append(trade(len(orders) + 1, str(Decimal(mark).scaleb(-2))))
    config = node_config(*(scripted(*scripts[i], execution_id=i) for i in ids), balance={"USDT": "10000000"})
    scenario = run(config, data)

    fills = [e for i in ids for e in scenario.strategy(i).order_events if isinstance(e, OrderFilled)]
    assert len(fills) == len(orders)  # every market order filled once
    for i in ids:
        mine = set(scenario.strategy(i).ids.values())
        for event in scenario.strategy(i).order_events:
            assert event.execution_id == i
            assert event.client_order_id in mine
    ledgers = [scenario.execution_ledger(i) for i in ids]
    account = scenario.ledger
    assert sum(ledger.signed_quantity(EX, SYM) for ledger in ledgers) == account.signed_quantity(EX, SYM)
    assert sum(net(ledger) for ledger in ledgers) == net(account)
    assert sum(ledger.fees_paid for ledger in ledgers) == account.fees_paid
    assert account.account.total_pnl == account.realized_pnl - account.fees_paid
    assert scenario.venue.account.balance == scenario.node.store.get_account(ACC).balance
    scenario.assert_healthy()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=market_data(), scripts=st.lists(st.data(), min_size=2, max_size=3))
def test_any_orders_of_several_executions_on_one_account_add_up_to_the_account(data, scripts):
    # every order type, brackets, cancels and times in force, from two or three executions at once
    ids = [f"s{n + 1}" for n in range(len(scripts))]
    steps = {i: drawer.draw(script(len(data))) for i, drawer in zip(ids, scripts, strict=True)}
    config = node_config(*(scripted(*steps[i], execution_id=i) for i in ids), balance={"USDT": "10000000"})
    scenario = run(config, data)
    scenario.assert_healthy()

    ledgers = [scenario.execution_ledger(i) for i in ids]
    account = scenario.ledger
    assert sum(ledger.signed_quantity(EX, SYM) for ledger in ledgers) == account.signed_quantity(EX, SYM)
    assert sum(net(ledger) for ledger in ledgers) == net(account)
    assert sum(ledger.fees_paid for ledger in ledgers) == account.fees_paid
    assert scenario.venue.account.balance == scenario.node.store.get_account(ACC).balance
    assert scenario.venue.signed_quantity(EX, SYM) == account.signed_quantity(EX, SYM)
