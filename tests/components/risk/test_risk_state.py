"""Trading state: loss limits, the operator, the kill switch, and the commands that pass in every state."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_world import ACC, DAY, EX, SECOND, SYM, T0, D, World, account, reason_code

from engine import topics
from engine.components.risk import RiskConfig
from engine.messages import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ModifyDenied,
    ModifyOrder,
    QueryOrder,
    SetTradingState,
    TradingStateChanged,
)
from engine.model import OrderSide, OrderType, PositionSide, TradingType
from engine.model.enums import TradingState

NEXT_MIDNIGHT = (T0 // DAY + 1) * DAY


def set_state(state: TradingState, *, cancel_all: bool = False, reason: str = "operator") -> SetTradingState:
    return SetTradingState(ts_event=0, ts_init=0, state=state, reason=reason, cancel_all=cancel_all)


def states(world: World) -> list[TradingState]:
    return [e.state for e in world.risk_events if isinstance(e, TradingStateChanged)]


def order_command(kind: type, **changes: object) -> object:
    fields: dict[str, object] = {
        "ts_event": 0,
        "ts_init": 0,
        "execution_id": "exec-1",
        "trading_account_id": ACC,
        "exchange_id": EX,
        "symbol": SYM,
    }
    return kind(**(fields | changes))


# -- the operator --------------------------------------------------------------------------


def test_halted_denies_every_new_order() -> None:
    world = World()
    world.send(set_state(TradingState.HALTED, reason="maintenance window"))

    outcome = world.submit(side=OrderSide.SELL, reduce_only=True)

    assert reason_code(outcome) == "risk.halted"
    assert "maintenance window" in outcome.reason
    assert states(world) == [TradingState.HALTED]


def test_reduce_only_lets_through_only_orders_that_reduce_a_position() -> None:
    world = World()
    world.open_position(PositionSide.LONG, "1")
    world.send(set_state(TradingState.REDUCE_ONLY))

    assert reason_code(world.submit(side=OrderSide.BUY)) == "risk.reduce_only"
    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("1.001"))) == "risk.reduce_only"
    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("0.6"))) == "approved"
    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("0.5"))) == "risk.reduce_only"  # 1.1 > 1
    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("0.4"))) == "approved"
    assert reason_code(world.submit(side=OrderSide.BUY, reduce_only=True)) == "approved"


def test_the_operator_can_set_active_again() -> None:
    world = World()
    world.send(set_state(TradingState.HALTED))
    world.send(set_state(TradingState.ACTIVE))

    assert reason_code(world.submit()) == "approved"
    assert states(world) == [TradingState.HALTED, TradingState.ACTIVE]


def test_setting_the_current_state_again_publishes_nothing() -> None:
    world = World()

    world.send(set_state(TradingState.ACTIVE))

    assert world.risk_events == []


@pytest.mark.parametrize("state", list(TradingState))
def test_cancels_queries_and_closes_pass_in_every_state(state: TradingState) -> None:
    world = World()
    world.send(set_state(state))
    commands = [
        order_command(CancelOrder, client_order_id="o-1"),
        order_command(CancelAllOrders),
        order_command(QueryOrder, client_order_id="o-1"),
        order_command(ClosePosition),
    ]

    for command in commands:
        assert world.send(command) == [command]


# -- the kill switch -----------------------------------------------------------------------


def test_the_kill_switch_cancels_every_open_order_per_execution_account_and_exchange_then_halts() -> None:
    world = World()
    world.store.add_account(account(account_id="acc-2"))
    world.rest("a", execution_id="exec-1")
    world.rest("b", execution_id="exec-1")
    world.rest("c", execution_id="exec-2")
    world.rest("d", execution_id="exec-1", trading_account_id="acc-2")
    world.rest("done", execution_id="exec-3").cancel("user", world.store.get_order("a").created_at)  # type: ignore[union-attr]
    world.risk_events.clear()

    world.send(set_state(TradingState.HALTED, cancel_all=True, reason="kill"))

    cancels = [(m.execution_id, m.trading_account_id, m.exchange_id, m.symbol) for m in world.sent]
    assert cancels == [("exec-1", ACC, EX, ""), ("exec-2", ACC, EX, ""), ("exec-1", "acc-2", EX, "")]
    assert all(isinstance(m, CancelAllOrders) and m.reason == "kill" for m in world.sent)
    assert states(world) == [TradingState.HALTED]
    assert reason_code(world.submit()) == "risk.halted"


def test_kill_also_cancels_orders_still_on_their_way_to_the_oms() -> None:
    world = World()
    world.submit()
    world.sent.clear()

    world.engine.kill("operator pressed the button")

    assert [(type(m), m.execution_id) for m in world.sent] == [(CancelAllOrders, "exec-1")]
    assert world.engine.state is TradingState.HALTED
    assert world.risk_events[-1].reason == "operator pressed the button"


# -- modify --------------------------------------------------------------------------------


def modify(**changes: object) -> object:
    return order_command(ModifyOrder, client_order_id="o-1", **changes)


def test_a_valid_modify_is_forwarded_unchanged() -> None:
    world = World()
    world.rest("o-1")
    command = modify(price=D("101.00"), quantity=D("0.2"))

    assert world.send(command) == [command]


def test_a_denied_modify_goes_nowhere_and_is_published_as_modify_denied() -> None:
    world = World()
    world.rest("o-1")
    world.order_events.clear()

    assert world.send(modify(price=D("101.005"))) == []

    [event] = world.order_events
    assert isinstance(event, ModifyDenied)
    assert (event.client_order_id, event.execution_id) == ("o-1", "exec-1")
    assert event.reason_code == "rule.order.price.precision"
    assert world.store.get_order("o-1").price == D("100.00")  # type: ignore[union-attr]
    assert world.engine.modifies_denied == 1


def test_a_modify_is_held_to_the_notional_and_position_limits() -> None:
    world = World(RiskConfig(max_order_notional=D(50), max_position_size=D(1)))
    world.rest("o-1", quantity=D("0.4"))

    assert world.send(modify(quantity=D("0.5"))) != []
    assert world.send(modify(quantity=D("0.6"))) == []
    assert world.order_events[-1].reason_code == "risk.order_notional"


def test_while_halted_an_order_may_shrink_but_not_grow() -> None:
    world = World()
    world.rest("o-1", quantity=D("0.4"))
    world.send(set_state(TradingState.HALTED))

    assert world.send(modify(quantity=D("0.3"))) != []
    assert world.send(modify(quantity=D("0.5"))) == []
    assert world.order_events[-1].reason_code == "risk.halted"


# -- the order rate keeps time by the clock ------------------------------------------------


def test_the_rate_window_slides_with_the_clock() -> None:
    world = World(RiskConfig(max_orders_per_interval=2, interval_ns=10 * SECOND))

    world.submit()
    world.advance(6 * SECOND)
    world.submit()
    world.advance(4 * SECOND)  # the first left the window, the second has not

    assert reason_code(world.submit()) == "approved"
    assert reason_code(world.submit()) == "risk.rate"


# -- loss limits ---------------------------------------------------------------------------


def test_daily_loss_goes_reduce_only_then_halted_once_flat_then_active_the_next_utc_day() -> None:
    world = World(RiskConfig(daily_loss_limit=D(100)))
    world.account_state("10000")
    position = world.open_position(PositionSide.LONG, "1", entry="1000.00")

    world.mark(position, "901.00", "-99")
    assert world.engine.state is TradingState.ACTIVE

    world.mark(position, "900.00", "-100")
    assert states(world) == [TradingState.REDUCE_ONLY]
    assert "lost 100.00 today; daily_loss_limit is 100" in world.risk_events[-1].reason
    assert reason_code(world.submit(side=OrderSide.BUY)) == "risk.reduce_only"
    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("1"))) == "approved"

    world.close(position, realized="-100")
    world.account_state("9900")
    assert states(world) == [TradingState.REDUCE_ONLY, TradingState.HALTED]
    assert reason_code(world.submit(side=OrderSide.SELL)) == "risk.halted"

    world.clock.advance_to(NEXT_MIDNIGHT - 1)
    assert world.engine.state is TradingState.HALTED
    world.clock.advance_to(NEXT_MIDNIGHT)
    assert states(world)[-1] is TradingState.ACTIVE
    assert reason_code(world.submit()) == "approved"


def test_a_loss_stops_the_next_order_even_before_the_portfolio_reports_it() -> None:
    world = World(RiskConfig(daily_loss_limit=D(100)))
    world.account_state("10000")
    world.open_position(PositionSide.LONG, "1", entry="1000.00")
    world.trade("950.00")
    assert reason_code(world.submit()) == "approved"

    world.trade("900.00")  # the Portfolio has not marked the position: only the RiskEngine saw the price

    assert reason_code(world.submit()) == "risk.reduce_only"
    assert world.engine.account_equity(ACC) == D("9900.00")


def test_the_daily_loss_is_measured_from_the_equity_at_the_start_of_the_utc_day() -> None:
    world = World(RiskConfig(daily_loss_limit=D(100)))
    world.account_state("10000")
    world.account_state("9950")  # lost 50 yesterday
    world.clock.advance_to(NEXT_MIDNIGHT + SECOND)

    world.account_state("9860")  # 90 today
    assert world.engine.state is TradingState.ACTIVE
    world.account_state("9850")
    assert states(world) == [TradingState.REDUCE_ONLY, TradingState.HALTED]  # no position: flat at once


def test_a_spot_account_counts_what_it_holds_at_market_value() -> None:
    spot = account(account_type=TradingType.SPOT)
    world = World(RiskConfig(daily_loss_limit=D(100)), account=spot)
    world.account_state("10000")
    position = world.open_position(PositionSide.LONG, "1", entry="1000.00")
    world.account_state("9000")  # paid 1000 for the coin: no loss

    assert world.engine.account_equity(ACC) == D(10000)
    assert world.engine.state is TradingState.ACTIVE
    world.mark(position, "900.00", "-100")
    assert world.engine.state is TradingState.REDUCE_ONLY


def test_drawdown_from_peak_goes_reduce_only_and_waits_for_the_operator() -> None:
    world = World(RiskConfig(max_drawdown_pct=D(10)))
    world.account_state("10000")
    world.account_state("12000")  # the peak
    world.account_state("10801")
    assert world.engine.state is TradingState.ACTIVE

    world.account_state("10800")  # 10 % below 12000
    assert states(world) == [TradingState.REDUCE_ONLY, TradingState.HALTED]  # flat already
    assert "max_drawdown_pct is 10" in world.risk_events[0].reason

    world.clock.advance_to(NEXT_MIDNIGHT + DAY)
    world.account_state("10800")
    assert world.engine.state is TradingState.HALTED

    world.send(set_state(TradingState.ACTIVE))
    world.account_state("10800")
    assert world.engine.state is TradingState.ACTIVE
    assert reason_code(world.submit()) == "approved"


def test_a_new_day_does_not_lift_a_drawdown_reached_together_with_the_daily_loss() -> None:
    world = World(RiskConfig(daily_loss_limit=D(100), max_drawdown_pct=D(1)))
    world.account_state("10000")
    world.account_state("9800")
    assert world.engine.state is TradingState.HALTED

    world.clock.advance_to(NEXT_MIDNIGHT)

    assert world.engine.state is TradingState.HALTED


def test_a_halt_set_by_the_operator_is_not_lifted_by_a_new_day() -> None:
    world = World(RiskConfig(daily_loss_limit=D(100)))
    world.account_state("10000")
    world.account_state("9900")
    world.send(set_state(TradingState.HALTED, reason="investigating"))

    world.clock.advance_to(NEXT_MIDNIGHT)
    world.account_state("9900")

    assert world.engine.state is TradingState.HALTED


def test_without_loss_limits_account_events_change_nothing() -> None:
    world = World()
    world.account_state("10000")
    world.account_state("1")

    assert world.risk_events == []
    assert world.engine.account_equity(ACC) == Decimal(1)


def test_a_stopped_engine_takes_no_commands() -> None:
    world = World()
    world.engine.stop()

    world.bus.send(topics.EXEC_ENGINE, "probe")  # the OMS endpoint is still there
    with pytest.raises(KeyError):
        world.bus.send(topics.RISK_ENGINE, world.command(order_type=OrderType.MARKET))
