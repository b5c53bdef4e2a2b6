"""A trade (a position round trip, as the report and its metrics count them) pays every fee of its
fills: the one that opened it, those that grew or reduced it, and the one that closed it; a flip's
fill is the closed trade's. So once an execution is flat, its trades add up to its realized PnL
less its fees. Taker fee 0.2 % (``scenario_world``), futures, 1x."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_world import TAKER_FEE, D, market, market_script, node_config, run, scripted, trade

from engine.metrics import ClosedTrade


def trades(scenario) -> list[ClosedTrade]:
    return scenario.node.recorder.records["s1"].trades


def test_a_round_trip_from_flat_pays_its_opening_and_its_closing_fee():
    config = node_config(scripted(market("open", "buy", "2", at=1), market("close", "sell", "2", at=2)))
    scenario = run(config, [trade(1, "100"), trade(2, "110")])
    # realized (110 - 100) x 2 = 20; fees 200 x 0.2 % + 220 x 0.2 % = 0.84
    [round_trip] = trades(scenario)
    assert round_trip.pnl == D(20) - (D(200) + D(220)) * TAKER_FEE == D("19.16")


def test_a_flip_charges_its_fee_to_the_trade_it_closes_and_the_next_trade_its_own():
    config = node_config(
        scripted(
            market("open", "buy", "1", at=1),
            market("flip", "sell", "2", at=2),  # closes the long, opens a short of 1
            market("add", "sell", "1", at=3),
            market("close", "buy", "2", at=4),
        )
    )
    scenario = run(config, [trade(1, "100"), trade(2, "110"), trade(3, "120"), trade(4, "100")])
    long, short = trades(scenario)
    assert long.pnl == D(10) - (D(100) + D(220)) * TAKER_FEE  # its open and the whole flip
    # the short: entered at 110 (the flip) and 120, closed at 100: (110 - 100) + (120 - 100) = 30
    assert short.pnl == D(30) - (D(120) + D(200)) * TAKER_FEE


def test_hedge_mode_slots_keep_their_own_fees():
    config = node_config(
        scripted(
            market("long", "buy", "1", at=1, position_side="long"),
            market("short", "sell", "3", at=2, position_side="short"),
            market("close long", "sell", "1", at=3, position_side="long"),
            market("close short", "buy", "3", at=4, position_side="short"),
        ),
        hedge_mode=True,
        balance={"USDT": "100000"},
    )
    scenario = run(config, [trade(1, "100"), trade(2, "100"), trade(3, "110"), trade(4, "90")])
    long, short = trades(scenario)
    assert long.pnl == D(10) - (D(100) + D(110)) * TAKER_FEE
    assert short.pnl == D(30) - (D(300) + D(270)) * TAKER_FEE


def test_a_liquidation_of_a_position_two_executions_built_charges_each_its_share_of_the_fee():
    # s1 buys 2 and s2 buys 1 at 199, 10x; a trade at 150 liquidates the account's long 3 at 180
    # (taker fee 540 x 0.2 % = 1.08, booked on s1's order by the venue, shared 2:1 by quantity)
    config = node_config(
        scripted(market("a", "buy", "2", at=1, leverage=10), execution_id="s1"),
        scripted(market("b", "buy", "1", at=2, leverage=10), execution_id="s2"),
    )
    scenario = run(config, [trade(1, "199"), trade(2, "199"), trade(3, "150")])
    records = scenario.node.recorder.records
    [s1_trade], [s2_trade] = records["s1"].trades, records["s2"].trades
    assert s1_trade.pnl == D(-38) - D(398) * TAKER_FEE - D("0.72")
    assert s2_trade.pnl == D(-19) - D(199) * TAKER_FEE - D("0.36")
    s1, s2 = scenario.node.performance("s1"), scenario.node.performance("s2")
    assert (s1.fees, s2.fees) == (D("0.796") + D("0.72"), D("0.398") + D("0.36"))


ORDERS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell"]),
        st.sampled_from(["long", "short"]),  # the slot, in hedge mode
        st.integers(1, 3000).map(lambda n: Decimal(n).scaleb(-3)),
        st.integers(9000, 11000).map(lambda n: str(Decimal(n).scaleb(-2))),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders=ORDERS, hedge=st.booleans())
def test_once_flat_the_trades_add_up_to_realized_pnl_less_fees(orders, hedge):
    steps, held = market_script(((side, slot, quantity) for side, slot, quantity, _ in orders), hedge=hedge)
    prices = [trade(n, price) for n, (*_, price) in enumerate(orders, 1)]
    end = len(orders) + 1
    if hedge:  # flatten both slots at the end
        for slot, quantity in held.items():
            if quantity:
                side = "sell" if slot == "long" else "buy"
                steps.append(market(f"flat {slot}", side, str(quantity), at=end, position_side=slot))
    else:
        steps.append({"at": end, "do": "close", "name": "flat"})
    config = node_config(scripted(*steps), hedge_mode=hedge, balance={"USDT": "10000000"})
    scenario = run(config, [*prices, trade(end, "100"), trade(end + 1, "100")])
    scenario.assert_healthy()

    ledger = scenario.execution_ledger("s1")
    assert ledger.open_positions() == []
    assert sum((t.pnl for t in trades(scenario)), D(0)) == ledger.realized_pnl - ledger.fees_paid
    assert ledger.fees_paid == sum((f.fee for f in scenario.node.recorder.records["s1"].fills), D(0))
    metrics = scenario.node.performance("s1")
    assert metrics.final_equity - metrics.initial_equity == ledger.realized_pnl - ledger.fees_paid
    assert (
        metrics.trades
        == len(trades(scenario))
        == metrics.wins + metrics.losses + sum(1 for t in trades(scenario) if t.pnl == 0)
    )
