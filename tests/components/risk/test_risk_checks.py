"""Every pre-trade check of the RiskEngine: what it lets through, and what it refuses with which code."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from risk_world import ACC, EX, SECOND, SYM, D, World, account, exchange, instrument, reason_code

from engine import topics
from engine.components.risk import RiskConfig
from engine.messages import CancelOrder, OrderCancelled, OrderDenied
from engine.model import (
    ContractSpecifications,
    ExchangeStatus,
    OrderSide,
    OrderType,
    Permission,
    PositionSide,
    TradingType,
    datetime_from_ns,
)


def test_an_order_that_passes_every_check_reaches_the_oms_unchanged() -> None:
    world = World(RiskConfig(max_order_notional=D(1000), max_open_orders=5, max_position_size=D(10)))
    command = world.command()

    world.send(command)

    assert world.sent == [command]
    assert world.sent[0] is command
    assert (world.engine.approved, world.engine.denied) == (1, 0)


def test_a_denied_order_reaches_the_oms_as_order_denied_with_code_and_reason() -> None:
    world = World(RiskConfig(max_order_notional=D(5)))
    command = world.command()

    world.send(command)

    [denied] = world.sent
    assert isinstance(denied, OrderDenied)
    assert denied.command is command
    assert denied.reason_code == "risk.order_notional"
    assert "10.000" in denied.reason and "max_order_notional 5" in denied.reason
    assert world.engine.denials == {"risk.order_notional": 1}


def test_a_strategy_order_carrying_the_emulators_trigger_price_is_refused() -> None:
    # trigger_price tells the simulated venue where a released stop met a bar: a strategy setting it
    # would choose its own fill price
    outcome = World().submit(order_type=OrderType.MARKET, price=None, trigger_price=D(90))
    assert reason_code(outcome) == "risk.trigger_price"


# -- the spec's entities -------------------------------------------------------------------


def test_an_exchange_not_in_the_store_is_refused() -> None:
    assert reason_code(World().submit(exchange_id="bybit")) == "exchange.unknown"


@pytest.mark.parametrize("status", [ExchangeStatus.MAINTENANCE, ExchangeStatus.OFFLINE])
def test_an_exchange_that_is_not_online_takes_no_orders(status: ExchangeStatus) -> None:
    outcome = World(exchange=exchange(status=status)).submit()

    assert reason_code(outcome) == "exchange.status"
    assert str(status) in outcome.reason


def test_an_account_not_in_the_store_is_refused() -> None:
    assert reason_code(World().submit(trading_account_id="nobody")) == "account.unknown"


def test_an_account_trades_only_on_its_own_exchange() -> None:
    world = World()
    world.store.add_exchange(exchange(id="bybit", name="Bybit"))
    world.store.add_instrument(instrument(exchange_id="bybit"))

    assert reason_code(world.submit(exchange_id="bybit")) == "account.exchange"


def test_an_account_without_the_trade_permission_cannot_place_orders() -> None:
    outcome = World(account=account(permissions=[Permission.READ])).submit()

    assert reason_code(outcome) == "account.permission"
    assert "has: read" in outcome.reason


def test_an_instrument_not_listed_on_the_exchange_is_refused() -> None:
    assert reason_code(World().submit(symbol="ETHUSDT")) == "instrument.unknown"


def test_the_instrument_must_list_the_accounts_trading_type() -> None:
    spot_only = instrument(trading_types=[TradingType.SPOT])

    outcome = World(instrument=spot_only).submit()

    assert reason_code(outcome) == "instrument.trading_type"
    assert "futures" in outcome.reason
    assert (
        reason_code(World(instrument=spot_only, account=account(account_type="spot")).submit()) == "approved"
    )


# -- the spec's validation rules -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"quantity": D("0.0001")}, "rule.order.quantity.min"),
        ({"quantity": D("101")}, "rule.order.quantity.max"),
        ({"quantity": D("0.0015")}, "rule.order.quantity.precision"),
        ({"price": D("100.005")}, "rule.order.price.precision"),
        ({"price": D("-1")}, "rule.order.price.positive"),
        ({"price": None}, "rule.order.price.missing"),
        ({"leverage": 21}, "rule.position.leverage.max"),
        ({"stop_loss_price": D("101.00")}, "rule.order.stop_loss.side"),
        ({"take_profit_price": D("99.00")}, "rule.order.take_profit.side"),
    ],
)
def test_a_broken_validation_rule_is_refused_as_rule_and_its_code(
    changes: dict[str, object], code: str
) -> None:
    outcome = World().submit(**changes)

    assert reason_code(outcome) == code
    assert code.removeprefix("rule.") in outcome.reason


def test_prices_off_the_tick_grid_are_refused() -> None:
    world = World(instrument=instrument(tick_size=D("0.05")))

    assert reason_code(world.submit(price=D("100.05"))) == "approved"
    assert reason_code(world.submit(price=D("100.01"))) == "rule.order.price.tick"


def test_the_stop_loss_of_a_market_order_is_judged_against_the_last_trade() -> None:
    world = World()
    market = {"order_type": OrderType.MARKET, "price": None}
    world.trade("100.00")

    assert reason_code(world.submit(**market, stop_loss_price=D("99.00"))) == "approved"
    assert reason_code(world.submit(**market, stop_loss_price=D("100.50"))) == "rule.order.stop_loss.side"


@pytest.mark.parametrize(
    ("feed", "expected"),
    [
        (lambda w: w.trade("100.00"), D("100.00")),
        (lambda w: w.quote("99.00", "101.00"), D("100.00")),
        (lambda w: w.bar("100.00"), D("100.00")),
    ],
    ids=["trade", "quote mid", "bar close"],
)
def test_the_market_price_is_the_last_trade_quote_mid_or_bar_close(
    feed: Callable[[World], None], expected: D
) -> None:
    world = World()
    world.trade("50.00")
    feed(world)

    assert world.engine.market_price(EX, SYM) == expected
    assert world.engine.market_price(EX, "ETHUSDT") is None


# -- configured limits ---------------------------------------------------------------------


def test_max_order_notional_allows_the_limit_and_refuses_above_it() -> None:
    world = World(RiskConfig(max_order_notional=D(100)))

    assert reason_code(world.submit(quantity=D("1"), price=D("100.00"))) == "approved"
    assert reason_code(world.submit(quantity=D("1"), price=D("100.01"))) == "risk.order_notional"


def test_a_market_orders_notional_uses_the_market_price() -> None:
    world = World(RiskConfig(max_order_notional=D(100)))
    market = {"order_type": OrderType.MARKET, "price": None, "quantity": D(1)}

    assert reason_code(world.submit(**market)) == "risk.no_market_price"
    world.trade("100.00")
    assert reason_code(world.submit(**market)) == "approved"
    world.trade("100.01")
    assert reason_code(world.submit(**market)) == "risk.order_notional"


def test_notional_counts_the_contract_size() -> None:
    world = World(
        RiskConfig(max_order_notional=D(100)),
        instrument=instrument(
            contract_specifications=ContractSpecifications(max_leverage=20, contract_size=D(10))
        ),
    )

    assert reason_code(world.submit(quantity=D("0.1"), price=D("100.00"))) == "approved"
    assert reason_code(world.submit(quantity=D("0.2"), price=D("100.00"))) == "risk.order_notional"


def test_max_open_orders_counts_the_accounts_open_orders_and_frees_a_slot_when_one_ends() -> None:
    world = World(RiskConfig(max_open_orders=2))
    resting = world.rest("resting-1")

    assert reason_code(world.submit()) == "approved"
    outcome = world.submit()
    assert reason_code(outcome) == "risk.open_orders"
    assert "2 open orders" in outcome.reason

    # the OMS cancels it in the Store, then publishes the cancel: the slot is free once that is heard
    resting.cancel("user", datetime_from_ns(world.clock.timestamp_ns()))
    assert reason_code(world.submit()) == "risk.open_orders"
    world.order_event(OrderCancelled, resting, reason="user")
    assert reason_code(world.submit()) == "approved"


def test_orders_sent_in_one_handler_count_each_other_before_the_oms_stores_them() -> None:
    world = World(RiskConfig(max_open_orders=1))
    commands = [world.command(), world.command()]

    def strategy_handler(_: object) -> None:
        for command in commands:
            world.bus.send(topics.RISK_ENGINE, command)

    world.bus.subscribe("data.trade.*.*", strategy_handler)
    world.trade("100.00")

    assert [reason_code(m) for m in world.sent] == ["approved", "risk.open_orders"]


def test_orders_and_positions_the_store_holds_at_start_count_from_the_first_order() -> None:
    world = World(RiskConfig(max_open_orders=2, max_position_size=D(1)), start=False)
    world.rest("recovered-1", accepted=False, quantity=D("0.5"))
    world.open_position(PositionSide.LONG, "0.4")
    world.engine.start()

    assert reason_code(world.submit(quantity=D("0.2"))) == "risk.position_size"
    assert reason_code(world.submit(quantity=D("0.1"))) == "approved"
    assert reason_code(world.submit(quantity=D("0.1"))) == "risk.open_orders"


def test_max_position_size_counts_the_position_and_open_orders_on_the_same_side() -> None:
    world = World(RiskConfig(max_position_size=D(1)))
    world.open_position(PositionSide.LONG, "0.5")
    world.rest("resting-buy", quantity=D("0.3"))
    world.rest("resting-sell", side=OrderSide.SELL, quantity=D("0.4"))

    assert reason_code(world.submit(quantity=D("0.2"))) == "approved"  # 0.5 + 0.3 + 0.2 = 1
    outcome = world.submit(quantity=D("0.001"))
    assert reason_code(outcome) == "risk.position_size"
    assert "1.001" in outcome.reason


def test_max_position_size_applies_to_shorts_too() -> None:
    world = World(RiskConfig(max_position_size=D(1)))
    world.open_position(PositionSide.SHORT, "0.9")

    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("0.1"))) == "approved"
    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("0.1"))) == "risk.position_size"


def test_an_order_that_reduces_the_position_is_never_refused_for_position_size() -> None:
    world = World(RiskConfig(max_position_size=D(1)))
    world.open_position(PositionSide.LONG, "3")  # above the limit, e.g. since the limit was lowered

    assert reason_code(world.submit(side=OrderSide.SELL, quantity=D("1"))) == "approved"
    assert reason_code(world.submit(quantity=D("0.001"))) == "risk.position_size"


def test_hedge_mode_counts_only_the_orders_position_slot() -> None:
    world = World(RiskConfig(max_position_size=D(1)))
    world.open_position(PositionSide.SHORT, "1", position_id="pos-short")

    long_buy = {"quantity": D("1"), "position_side": PositionSide.LONG}
    assert reason_code(world.submit(**long_buy)) == "approved"
    assert reason_code(world.submit(**long_buy)) == "risk.position_size"


def test_the_order_rate_allows_n_per_window_refuses_one_more_and_allows_again_after_it() -> None:
    world = World(RiskConfig(max_orders_per_interval=3, interval_ns=SECOND))

    assert [reason_code(world.submit()) for _ in range(3)] == ["approved"] * 3
    world.advance(SECOND - 1)
    outcome = world.submit()
    assert reason_code(outcome) == "risk.rate"
    assert "max_orders_per_interval is 3" in outcome.reason
    world.advance(1)
    assert reason_code(world.submit()) == "approved"


def test_denied_orders_do_not_use_up_the_rate() -> None:
    world = World(RiskConfig(max_orders_per_interval=1))

    assert reason_code(world.submit(quantity=D("0.0001"))) == "rule.order.quantity.min"
    assert reason_code(world.submit()) == "approved"


# -- strategy risk controls ----------------------------------------------------------------


def test_a_strategys_risk_controls_stricter_than_the_node_win() -> None:
    world = World(RiskConfig(max_order_notional=D(1000)), risk_controls={"max_order_notional": "50"})

    assert reason_code(world.submit(quantity=D("0.5"))) == "approved"  # 50
    outcome = world.submit(quantity=D("0.6"))
    assert reason_code(outcome) == "risk.order_notional"
    assert "max_order_notional 50" in outcome.reason


def test_the_node_limit_wins_when_it_is_the_stricter() -> None:
    world = World(
        RiskConfig(max_open_orders=1), risk_controls={"max_open_orders": 10, "max_position_size": 5}
    )

    assert reason_code(world.submit()) == "approved"
    assert reason_code(world.submit()) == "risk.open_orders"


def test_a_strategy_limit_applies_where_the_node_sets_none() -> None:
    world = World(risk_controls={"max_position_size": "0.15"})

    assert reason_code(world.submit()) == "approved"
    assert reason_code(world.submit()) == "risk.position_size"


def test_orders_of_no_known_execution_get_the_node_limits() -> None:
    world = World(RiskConfig(max_order_notional=D(1000)), risk_controls={"max_order_notional": "5"})

    assert reason_code(world.submit(execution_id="external")) == "approved"
    assert reason_code(world.submit()) == "risk.order_notional"


@pytest.mark.parametrize(
    ("controls", "named"),
    [
        ({"max_order_notional": "-5"}, "max_order_notional"),
        ({"max_open_orders": "three"}, "max_open_orders"),
        ({"max_orders": 3}, "max_orders"),
    ],
)
def test_invalid_risk_controls_deny_the_strategys_orders_naming_the_field(
    controls: dict[str, object], named: str
) -> None:
    outcome = World(risk_controls=controls).submit()

    assert reason_code(outcome) == "risk.config"
    assert named in outcome.reason and "strat-1" in outcome.reason


# -- commands that never add risk ----------------------------------------------------------


def test_unknown_commands_are_reported_as_handler_errors() -> None:
    world = World()

    world.send(object())

    assert [e.error_type for e in world.errors] == ["TypeError"]


def test_cancels_and_queries_pass_unchanged() -> None:
    world = World()
    cancel = CancelOrder(
        ts_event=0,
        ts_init=0,
        execution_id="exec-1",
        trading_account_id=ACC,
        exchange_id=EX,
        symbol=SYM,
        client_order_id="o",
    )

    assert world.send(cancel) == [cancel]
