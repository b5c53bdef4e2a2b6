"""The Portfolio actor on a real bus, clock and store: order events in, positions and balances out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import spec_entities as entities

from engine import topics
from engine.bus import MessageBus
from engine.clock import SimulatedClock
from engine.components.portfolio import Portfolio
from engine.messages import (
    AccountState,
    Balance,
    Bar,
    HandlerError,
    ModifyDenied,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    PositionChanged,
    PositionClosed,
    PositionLiquidated,
    PositionOpened,
    TradeTick,
)
from engine.model import (
    LiquiditySide,
    Order,
    OrderSide,
    OrderType,
    PositionSide,
    PositionStatus,
    Store,
    TradingType,
    datetime_from_ns,
)

D = Decimal
EX, SYM, ACC = "binance", "BTCUSDT", "acc-1"
T0 = entities.T0
T0_NS = 1_704_067_200_000_000_000
BUY, SELL = OrderSide.BUY, OrderSide.SELL


class World:
    """A store with Binance, BTCUSDT, account ``acc-1`` and executions ``e1``/``e2``; a started
    Portfolio; and a recorder of every position and account event, tagged by who it is for."""

    def __init__(
        self, account_type: TradingType = TradingType.FUTURES, *, hedge: bool = False, usdt: str = "10000"
    ) -> None:
        self.clock = SimulatedClock(T0_NS)
        self.bus = MessageBus(self.clock.timestamp_ns)
        self.store = Store()
        self.store.add_exchange(entities.exchange(id=EX))
        self.instrument = entities.instrument(
            {"maintenance_margin_rate": D("0.005"), "taker_fee": D("0.0004")},
            exchange_id=EX,
            trading_types=[account_type],
        )
        self.store.add_instrument(self.instrument)
        self.store.add_account(
            entities.account(
                account_id=ACC,
                exchange_id=EX,
                account_type=account_type,
                balance={"USDT": D(usdt)},
                hedge_mode=hedge,
            )
        )
        self.store.add_strategy(entities.strategy(strategy_id="s"))
        for execution in ("e1", "e2"):
            self.store.add_execution(
                entities.execution(execution_id=execution, strategy_id="s", trading_account_id=ACC)
            )
        self.portfolio = Portfolio(self.bus, self.clock, self.store)
        self.portfolio.start()
        self.seen: list[tuple[str, Any]] = []
        self.bus.subscribe("events.position.*", lambda m: self.seen.append(("execution", m)))
        self.bus.subscribe("events.position.account.*", lambda m: self.seen.append(("account", m)))
        self.bus.subscribe("events.account.*", lambda m: self.seen.append(("balances", m)))
        self.bus.subscribe(topics.ERRORS, lambda m: self.seen.append(("error", m)))
        self._orders = 0

    # -- what the OMS would do ---------------------------------------------------------------------

    def order(
        self,
        side: OrderSide,
        quantity: str,
        price: str | None = "100",
        *,
        execution: str = "e1",
        leverage: int | None = 10,
        order_type: OrderType = OrderType.LIMIT,
        **fields: Any,
    ) -> Order:
        self._orders += 1
        order = Order(
            order_id=f"o-{self._orders}",
            instrument=self.instrument,
            side=side,
            order_type=order_type,
            quantity=D(quantity),
            price=None if price is None else D(price),
            trading_account_id=ACC,
            created_at=T0,
            updated_at=T0,
            execution_id=execution,
            leverage=leverage,
            **fields,
        )
        self.store.add_order(order)
        return order

    def accept(self, order: Order) -> None:
        self.bus.publish(
            topics.order_events(order.execution_id), OrderAccepted(**self._ids(order), exchange_order_id="x")
        )

    def cancel(self, order: Order) -> None:
        order.cancel("user", T0)
        self.bus.publish(topics.order_events(order.execution_id), OrderCancelled(**self._ids(order)))

    def fill(self, order: Order, quantity: str, price: str, fee: str = "0", **fields: Any) -> None:
        order.apply_fill(D(quantity), D(price), T0)
        event = OrderFilled(
            **self._ids(order),
            exchange_order_id="x",
            fill_id=f"{order.order_id}-{order.filled_quantity}",
            side=order.side,
            price=D(price),
            quantity=D(quantity),
            fee=D(fee),
            fee_currency="USDT",
            liquidity_side=LiquiditySide.TAKER,
            **fields,
        )
        self.bus.publish(topics.order_events(order.execution_id or "external"), event)

    def trade(self, price: str) -> None:
        self.bus.publish(
            topics.trades(EX, SYM),
            TradeTick(
                ts_event=T0_NS, ts_init=T0_NS, exchange_id=EX, symbol=SYM, price=D(price), quantity=D(1)
            ),
        )

    def bar(self, close: str) -> None:
        price = D(close)
        bar = Bar(
            ts_event=T0_NS,
            ts_init=T0_NS,
            exchange_id=EX,
            symbol=SYM,
            interval="1m",
            open=price,
            high=price,
            low=price,
            close=price,
            volume=D(1),
        )
        self.bus.publish(topics.bars(EX, SYM, "1m"), bar)

    def _ids(self, order: Order) -> dict[str, Any]:
        return {
            "ts_event": T0_NS + 5,
            "ts_init": T0_NS + 5,
            "client_order_id": order.order_id,
            "trading_account_id": ACC,
            "exchange_id": EX,
            "symbol": SYM,
            "execution_id": order.execution_id,
        }

    # -- reading -----------------------------------------------------------------------------------

    def take(self) -> list[tuple[str, Any]]:
        seen, self.seen = self.seen, []
        return seen

    def kinds(self) -> list[tuple[str, str]]:
        return [(who, type(msg).__name__) for who, msg in self.take()]


def usdt(state: AccountState) -> Balance:
    (balance,) = [b for b in state.balances if b.currency == "USDT"]
    return balance


def test_an_accepted_order_reserves_its_cost_and_publishes_the_account_state() -> None:
    world = World()
    world.accept(world.order(BUY, "2", "100"))

    ((who, state),) = world.take()
    assert who == "balances"
    assert isinstance(state, AccountState)
    assert state.balances == (Balance("USDT", D(10000), D("9979.92"), D("20.08")),)  # 20 margin + 0.08 fee
    assert (state.trading_account_id, state.exchange_id, state.total_pnl) == (ACC, EX, D(0))
    assert state.ts_event == T0_NS + 5
    assert world.store.get_account(ACC).used_balance == {"USDT": D("20.08")}  # type: ignore[union-attr]


@pytest.mark.parametrize("end", ["cancel", "reject"])
def test_a_cancelled_or_rejected_order_releases_its_reservation(end: str) -> None:
    world = World()
    order = world.order(BUY, "2", "100")
    world.accept(order)
    world.take()
    if end == "cancel":
        world.cancel(order)
    else:
        event = OrderRejected(**world._ids(order), reason_code="x", reason="venue said no")
        world.bus.publish(topics.order_events("e1"), event)

    ((_, state),) = world.take()
    assert state.balances == (Balance("USDT", D(10000), D(10000), D(0)),)


def test_a_fill_publishes_the_execution_view_then_the_account_view_then_the_account_state() -> None:
    world = World()
    order = world.order(BUY, "2", "100")
    world.accept(order)
    world.take()
    world.fill(order, "2", "100", "0.08")

    seen = world.take()
    assert [(who, type(msg)) for who, msg in seen] == [
        ("execution", PositionOpened),
        ("account", PositionOpened),
        ("balances", AccountState),
    ]
    (_, mine), (_, account_view), (_, state) = seen
    assert mine.position_id == "acc-1-e1-binance-BTCUSDT-1"
    assert account_view.position_id == "acc-1-binance-BTCUSDT-1"
    for event in (mine, account_view):
        assert (event.side, event.status, event.quantity, event.entry_price) == (
            PositionSide.LONG,
            PositionStatus.OPEN,
            D(2),
            D(100),
        )
        assert (event.execution_id, event.trading_account_id, event.ts_event) == ("e1", ACC, T0_NS + 5)
    assert state.balances == (Balance("USDT", D("9999.92"), D("9979.92"), D(20)),)  # reservation -> margin
    assert state.total_pnl == D("-0.08")

    (stored,) = world.store.list_positions()
    assert stored.position_id == account_view.position_id
    assert stored.created_at == datetime_from_ns(T0_NS + 5)
    assert world.portfolio.positions(ACC) == [stored]


def test_a_partial_fill_releases_the_filled_part_of_the_reservation() -> None:
    world = World()
    order = world.order(BUY, "4", "100")
    world.accept(order)  # 40 + 0.16
    world.fill(order, "1", "100")
    state = world.take()[-1][1]
    assert usdt(state).used == D("30.12") + D(10)  # three quarters still reserved, plus the margin


def test_changes_to_a_position_are_published_as_changed_closed_and_flipped() -> None:
    world = World()
    world.fill(world.order(BUY, "2", "100"), "2", "100")
    world.take()
    world.fill(world.order(SELL, "1", "110"), "1", "110")
    assert world.kinds() == [
        ("execution", "PositionChanged"),
        ("account", "PositionChanged"),
        ("balances", "AccountState"),
    ]

    world.fill(world.order(SELL, "3", "120"), "3", "120")  # closes 1, opens a short of 2
    seen = world.take()
    assert [(who, type(msg)) for who, msg in seen] == [
        ("execution", PositionClosed),
        ("execution", PositionOpened),
        ("account", PositionClosed),
        ("account", PositionOpened),
        ("balances", AccountState),
    ]
    closed, opened = seen[2][1], seen[3][1]
    assert (closed.status, closed.quantity, closed.realized_pnl) == (PositionStatus.CLOSED, D(0), D(30))
    assert (opened.side, opened.quantity, opened.entry_price) == (PositionSide.SHORT, D(2), D(120))
    assert seen[4][1].total_pnl == D(30)
    assert [p.status for p in world.store.list_positions()] == [PositionStatus.CLOSED, PositionStatus.OPEN]


def test_a_liquidation_fill_publishes_position_liquidated() -> None:
    world = World()
    world.fill(world.order(BUY, "1", "100"), "1", "100")
    world.take()
    world.fill(world.order(SELL, "1", None, order_type=OrderType.MARKET), "1", "90.45", liquidation=True)

    seen = world.take()
    assert [type(msg) for _, msg in seen] == [PositionLiquidated, PositionLiquidated, AccountState]
    assert world.store.list_positions()[0].status is PositionStatus.LIQUIDATED


def test_a_liquidation_of_a_position_two_executions_built_liquidates_each_executions_part() -> None:
    # e1 long 2 and e2 long 1 at 100: the account's long 3 is liquidated at 90 (fee 0.27), booked on
    # e1's order; each execution's part goes at 90, the fee shared 2:1
    world = World()
    world.fill(world.order(BUY, "2", "100", execution="e1"), "2", "100")
    world.fill(world.order(BUY, "1", "100", execution="e2"), "1", "100")
    world.take()
    liquidation = world.order(SELL, "3", None, order_type=OrderType.MARKET, execution="e1")
    world.fill(liquidation, "3", "90", "0.27", liquidation=True)

    seen = world.take()
    assert [(who, type(msg).__name__, msg.execution_id) for who, msg in seen[:3]] == [
        ("execution", "PositionLiquidated", "e1"),
        ("execution", "PositionLiquidated", "e2"),
        ("account", "PositionLiquidated", "e1"),
    ]
    portfolio = world.portfolio
    e1, e2 = portfolio.execution_ledger(ACC, "e1"), portfolio.execution_ledger(ACC, "e2")
    assert (e1.realized_pnl, e1.fees_paid) == (D(-20), D("0.18"))
    assert (e2.realized_pnl, e2.fees_paid) == (D(-10), D("0.09"))
    assert e1.open_positions() == e2.open_positions() == portfolio.positions(ACC) == []
    assert portfolio.realized_pnl(ACC) == D(-30)


def test_a_partial_liquidation_takes_the_same_share_of_every_executions_part_whatever_its_side() -> None:
    # e1 long 3 and e2 short 1 at 100: the account is long 2. The venue liquidates 1 of it at 90 (fee
    # 0.4): every part gives up half. e1 sells 1.5 (realized -15), e2 buys 0.5 (realized +5); the fee
    # goes 3:1 by the quantity each traded.
    world = World()
    world.fill(world.order(BUY, "3", "100", execution="e1"), "3", "100")
    world.fill(world.order(SELL, "1", "100", execution="e2"), "1", "100")
    world.take()
    liquidation = world.order(SELL, "1", None, order_type=OrderType.MARKET, execution="e1")
    world.fill(liquidation, "1", "90", "0.4", liquidation=True)

    assert world.kinds() == [
        ("execution", "PositionChanged"),
        ("execution", "PositionChanged"),
        ("account", "PositionChanged"),
        ("balances", "AccountState"),
    ]
    portfolio = world.portfolio
    e1, e2 = portfolio.execution_ledger(ACC, "e1"), portfolio.execution_ledger(ACC, "e2")
    assert (e1.signed_quantity(EX, SYM), e2.signed_quantity(EX, SYM)) == (D("1.5"), D("-0.5"))
    assert portfolio.ledger(ACC).signed_quantity(EX, SYM) == D(1)
    assert (e1.realized_pnl, e1.fees_paid) == (D(-15), D("0.3"))
    assert (e2.realized_pnl, e2.fees_paid) == (D(5), D("0.1"))
    assert portfolio.realized_pnl(ACC) == D(-10)


def test_a_market_order_reserves_at_the_last_trade_price() -> None:
    world = World()
    world.trade("200")
    world.accept(world.order(BUY, "1", None, order_type=OrderType.MARKET))
    ((_, state),) = world.take()
    assert usdt(state).used == D("20.08")  # 200 / 10 + 200 * 0.0004


def test_a_market_order_with_no_price_known_reserves_nothing() -> None:
    world = World()
    world.accept(world.order(BUY, "1", None, order_type=OrderType.MARKET))
    assert world.take() == []


def test_a_trade_tick_only_records_the_price_and_a_read_marks_the_positions() -> None:
    world = World()
    world.fill(world.order(BUY, "2", "100"), "2", "100")
    world.take()
    world.trade("110")

    assert world.take() == []
    stored = world.store.list_positions()[0]
    assert stored.unrealized_pnl == 0  # not marked yet: a tick costs one dict assignment
    position = world.portfolio.position(ACC, EX, SYM)
    assert position is stored
    assert (position.current_price, position.unrealized_pnl) == (D(110), D(20))
    assert world.portfolio.unrealized_pnl(ACC) == D(20)
    assert world.portfolio.equity(ACC) == D(10020)


def test_every_read_sees_the_latest_price_whatever_moved_it_since_the_last_read() -> None:
    # a read marks what a trade or a bar moved since the last mark; a fill marks at once
    world = World()
    world.fill(world.order(BUY, "2", "100"), "2", "100")
    portfolio = world.portfolio
    e1_equity = portfolio.equity_reader(ACC, "e1", "USDT")
    seen = []
    for move in (
        lambda: world.trade("110"),
        lambda: world.trade("120"),
        lambda: None,  # nothing moved: the same answer
        lambda: world.bar("90"),
        lambda: world.trade("95"),
        lambda: world.fill(world.order(BUY, "1", "100"), "1", "100"),  # last trade 95 marks all 3
    ):
        move()
        seen.append((portfolio.unrealized_pnl(ACC), e1_equity()))
    # the account's view and e1's sub-ledger (whose equity is its own PnL: no fees here) agree
    assert seen == [(D(pnl), D(pnl)) for pnl in (20, 40, 40, -20, -10, -15)]


def test_a_bar_marks_a_ledger_when_it_is_read_and_no_sooner() -> None:
    world = World()
    world.fill(world.order(BUY, "2", "100"), "2", "100")
    world.bar("95")
    stored = world.store.list_positions()[0]  # the account ledger's own position object
    assert stored.unrealized_pnl == D(0)  # marked at the fill; the bar only recorded its close
    assert world.portfolio.execution_ledger(ACC, "e1").unrealized_pnl == D(-10)
    assert stored.unrealized_pnl == D(0)  # reading e1's sub-ledger leaves the account's alone
    assert world.portfolio.positions(ACC) == [stored] and stored.unrealized_pnl == D(-10)
    assert stored.current_price == D(95)


def test_a_fill_marks_at_the_last_trade_price() -> None:
    world = World()
    world.trade("101")
    world.fill(world.order(BUY, "1", "100"), "1", "100")
    opened = world.take()[0][1]
    assert (opened.current_price, opened.unrealized_pnl) == (D(101), D(1))


def test_two_executions_net_in_the_account_and_keep_their_own_views() -> None:
    world = World()
    world.fill(world.order(BUY, "1", "100", execution="e1"), "1", "100", "0.04")
    world.take()
    world.fill(world.order(SELL, "1", "110", execution="e2"), "1", "110", "0.044")

    assert world.kinds() == [
        ("execution", "PositionOpened"),
        ("account", "PositionClosed"),
        ("balances", "AccountState"),
    ]
    world.bar("105")
    portfolio = world.portfolio
    assert portfolio.positions(ACC) == []
    (mine,) = portfolio.positions(ACC, "e1")
    (theirs,) = portfolio.positions(ACC, "e2")
    assert (mine.side, mine.unrealized_pnl, theirs.side, theirs.unrealized_pnl) == (
        PositionSide.LONG,
        D(5),
        PositionSide.SHORT,
        D(5),
    )
    assert portfolio.realized_pnl(ACC) == D(10)
    assert portfolio.realized_pnl(ACC, "e1") == portfolio.realized_pnl(ACC, "e2") == 0
    views = [portfolio.execution_ledger(ACC, e) for e in ("e1", "e2")]
    account_pnl = (
        portfolio.realized_pnl(ACC) + portfolio.unrealized_pnl(ACC) - portfolio.ledger(ACC).fees_paid
    )
    assert sum(v.realized_pnl + v.unrealized_pnl - v.fees_paid for v in views) == account_pnl == D("9.916")
    assert len(world.store.list_positions()) == 1  # execution views stay out of the store


def test_the_portfolio_books_a_fill_before_strategies_handle_the_same_event() -> None:
    world = World()
    seen_by_strategy: list[Any] = []
    world.bus.subscribe(
        topics.order_events("e1"), lambda _: seen_by_strategy.append(world.portfolio.position(ACC, EX, SYM))
    )
    world.fill(world.order(BUY, "1", "100"), "1", "100")
    assert seen_by_strategy[0] is not None


def test_a_refused_fill_changes_nothing_and_is_reported_as_a_handler_error() -> None:
    world = World(TradingType.SPOT, usdt="100")
    world.fill(world.order(BUY, "2", "100", leverage=None), "2", "100")

    ((who, error),) = world.take()
    assert who == "error"
    assert isinstance(error, HandlerError)
    assert "accounting.balance.insufficient" in error.error
    assert world.store.list_positions() == []
    assert world.store.get_account(ACC).balance == {"USDT": D(100)}  # type: ignore[union-attr]


def test_a_spot_fill_publishes_base_and_quote_balances() -> None:
    world = World(TradingType.SPOT)
    world.fill(world.order(BUY, "2", "100", leverage=None), "2", "100", "0.2")
    state = world.take()[-1][1]
    assert state.balances == (
        Balance("BTC", D(2), D(2), D(0)),
        Balance("USDT", D("9799.8"), D("9799.8"), D(0)),
    )
    assert world.portfolio.equity(ACC, "USDT") == D("9999.8")


def test_a_hedge_mode_account_keeps_long_and_short_apart() -> None:
    world = World(hedge=True)
    world.fill(
        world.order(BUY, "1", "100", position_side=PositionSide.LONG),
        "1",
        "100",
        position_side=PositionSide.LONG,
    )
    world.fill(
        world.order(SELL, "1", "100", position_side=PositionSide.SHORT),
        "1",
        "100",
        position_side=PositionSide.SHORT,
    )
    portfolio = world.portfolio
    assert [p.side for p in portfolio.positions(ACC)] == [PositionSide.LONG, PositionSide.SHORT]
    assert portfolio.position(ACC, EX, SYM, PositionSide.SHORT) is not None
    assert portfolio.position(ACC, EX, SYM) is None


def test_a_fill_without_an_execution_belongs_to_the_external_execution() -> None:
    world = World()
    world.fill(world.order(BUY, "1", "100", execution=""), "1", "100")
    assert (
        world.portfolio.positions(ACC, topics.EXTERNAL_EXECUTION)[0].execution_id == topics.EXTERNAL_EXECUTION
    )


def test_other_order_events_change_nothing() -> None:
    world = World()
    order = world.order(BUY, "1", "100")
    world.bus.publish(topics.order_events("e1"), OrderStatusUnknown(**world._ids(order), reason="timeout"))
    world.bus.publish(
        topics.order_events("e1"), ModifyDenied(**world._ids(order), reason_code="x", reason="y")
    )
    world.bus.publish(topics.order_events("e1"), OrderCancelled(**world._ids(order)))  # nothing reserved
    assert world.take() == []


def test_the_account_is_the_stores_own_object() -> None:
    world = World()
    assert world.portfolio.account(ACC) is world.store.get_account(ACC)
    assert world.portfolio.account("nobody") is None


def test_a_stopped_portfolio_hears_nothing() -> None:
    world = World()
    world.portfolio.stop()
    world.fill(world.order(BUY, "1", "100"), "1", "100")
    assert world.take() == []
    assert world.store.list_positions() == []


def test_the_same_events_give_the_same_publications() -> None:
    def run() -> list[tuple[str, Any]]:
        world = World()
        world.trade("100")
        for n, (side, price) in enumerate([(BUY, "100"), (SELL, "104"), (SELL, "99"), (BUY, "101")]):
            order = world.order(side, "1.5", price, execution=f"e{n % 2 + 1}")
            world.accept(order)
            world.fill(order, "1.5", price, "0.01")
            world.bar(price)
        return world.take()

    assert run() == run()


def test_changed_is_published_for_an_increase() -> None:
    world = World()
    world.fill(world.order(BUY, "1", "100"), "1", "100")
    world.take()
    world.fill(world.order(BUY, "1", "110"), "1", "110")
    changed = world.take()[1][1]
    assert isinstance(changed, PositionChanged)
    assert (changed.quantity, changed.entry_price) == (D(2), D(105))
