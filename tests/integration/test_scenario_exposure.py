"""Exposure time: the share of the run with at least one position open. Positions that are open at
the same time (hedge mode's two slots) count once, so it never passes 100 %."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_world import D, at, market, market_script, node_config, run, scripted, trade


def test_a_long_and_a_short_open_together_count_once():
    config = node_config(
        scripted(
            market("long", "buy", "1", at=1, position_side="long"),
            market("short", "sell", "1", at=1, position_side="short"),
            market("close short", "buy", "1", at=6, position_side="short"),
        ),
        hedge_mode=True,
        balance={"USDT": "100000"},
    )
    scenario = run(config, [trade(1, "100"), trade(6, "100"), trade(11, "100")])
    execution_id = scenario.node.strategies[0].execution_id
    record = scenario.node.recorder.records[execution_id]
    assert record.open_exposure(at(11)) == at(11) - at(1)  # the long was open from 1 s on
    assert scenario.node.performance(execution_id).exposure_time == D(10) / D(11)


STEPS = st.lists(
    st.tuples(st.sampled_from(["buy", "sell"]), st.sampled_from(["long", "short"]), st.integers(1, 3)),
    min_size=1,
    max_size=10,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, hedge=st.booleans())
def test_exposure_is_the_union_of_the_times_positions_were_open(steps, hedge):
    script, _ = market_script(((side, slot, Decimal(size)) for side, slot, size in steps), hedge=hedge)
    end = len(steps) + 2
    config = node_config(scripted(*script), hedge_mode=hedge, balance={"USDT": "10000000"})
    scenario = run(config, [trade(n, "100") for n in range(1, end + 1)])
    scenario.assert_healthy()

    spans: dict[str, list[int]] = {}  # position id -> [opened, closed or the end]
    for event in scenario.strategy().position_events:
        if type(event).__name__ == "PositionOpened":
            spans[event.position_id] = [event.ts_event, at(end)]
        elif type(event).__name__ in {"PositionClosed", "PositionLiquidated"}:
            spans[event.position_id][1] = event.ts_event
    covered, reach = 0, 0
    for start, stop in sorted(spans.values()):  # the union of the spans, by a sweep
        covered += max(0, stop - max(start, reach))
        reach = max(reach, stop)
    execution_id = scenario.node.strategies[0].execution_id
    assert scenario.node.recorder.records[execution_id].open_exposure(at(end)) == covered
    assert scenario.node.performance(execution_id).exposure_time <= 1
