"""The store admits an entity only if the spec's constraints hold, and refuses naming the rule and value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ConstraintViolation, ValidationError
from engine.model import (
    CONSTRAINT_CODES,
    AmountError,
    DuplicateId,
    InstrumentError,
    InstrumentNotOnExchange,
    LeverageError,
    OrderStatus,
    PositionStatus,
    QuantityNotPositive,
    Store,
    UnknownReference,
)

if TYPE_CHECKING:
    from tests.model.conftest import Make

T1 = datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)
D = Decimal


def _with_bybit(store: Store, make: type[Make]) -> None:
    """Bybit also lists BTCUSDT; ``acc-1`` stays on Binance."""
    store.add_exchange(make.exchange(id="bybit", name="Bybit"))
    store.add_instrument(make.instrument(exchange_id="bybit"))


@dataclass(frozen=True)
class Case:
    """``refuse`` must raise ``error`` with ``rule`` and ``value``; ``accept`` is the same add made valid."""

    rule: str
    error: type[ConstraintViolation]
    value: object
    refuse: Callable[[Store, type[Make]], object]
    accept: Callable[[Store, type[Make]], object]


CASES: list[Case] = [
    Case(
        "exchange.duplicate",
        DuplicateId,
        "binance",
        lambda s, make: s.add_exchange(make.exchange()),
        lambda s, make: s.add_exchange(make.exchange(id="bybit")),
    ),
    Case(
        "instrument.duplicate",
        DuplicateId,
        ("binance", "BTCUSDT"),
        lambda s, make: s.add_instrument(make.instrument()),
        lambda s, make: s.add_instrument(make.instrument(symbol="ETHUSDT")),
    ),
    Case(
        "instrument.exchange.unknown",
        UnknownReference,
        "kraken",
        lambda s, make: s.add_instrument(make.instrument(exchange_id="kraken")),
        _with_bybit,
    ),
    Case(
        "account.duplicate",
        DuplicateId,
        "acc-1",
        lambda s, make: s.add_account(make.account()),
        lambda s, make: s.add_account(make.account(account_id="acc-2")),
    ),
    Case(
        "account.exchange.unknown",
        UnknownReference,
        "kraken",
        lambda s, make: s.add_account(make.account(account_id="acc-2", exchange_id="kraken")),
        lambda s, make: s.add_account(make.account(account_id="acc-2", exchange_id="binance")),
    ),
    Case(
        "strategy.duplicate",
        DuplicateId,
        "strat-1",
        lambda s, make: s.add_strategy(make.strategy()),
        lambda s, make: s.add_strategy(make.strategy(strategy_id="strat-2")),
    ),
    Case(
        "execution.duplicate",
        DuplicateId,
        "exec-1",
        lambda s, make: (s.add_execution(make.execution()), s.add_execution(make.execution())),
        lambda s, make: (
            s.add_execution(make.execution()),
            s.add_execution(make.execution(execution_id="e2")),
        ),
    ),
    Case(
        "execution.strategy.unknown",
        UnknownReference,
        "strat-9",
        lambda s, make: s.add_execution(make.execution(strategy_id="strat-9")),
        lambda s, make: s.add_execution(make.execution(strategy_id="strat-1")),
    ),
    Case(
        "execution.account.unknown",
        UnknownReference,
        "acc-9",
        lambda s, make: s.add_execution(make.execution(trading_account_id="acc-9")),
        lambda s, make: s.add_execution(make.execution(trading_account_id="acc-1")),
    ),
    Case(
        "order.duplicate",
        DuplicateId,
        "ord-1",
        lambda s, make: (s.add_order(make.order()), s.add_order(make.order())),
        lambda s, make: (s.add_order(make.order()), s.add_order(make.order(order_id="ord-2"))),
    ),
    Case(
        "order.account.unknown",
        UnknownReference,
        "acc-9",
        lambda s, make: s.add_order(make.order(trading_account_id="acc-9")),
        lambda s, make: s.add_order(make.order(trading_account_id="acc-1")),
    ),
    Case(
        "order.instrument.unknown",
        UnknownReference,
        ("binance", "ETHUSDT"),
        lambda s, make: s.add_order(make.order(instrument=make.instrument(symbol="ETHUSDT"))),
        lambda s, make: s.add_order(make.order(instrument=make.instrument(symbol="BTCUSDT"))),
    ),
    Case(
        "order.instrument.exchange",
        InstrumentNotOnExchange,
        ("bybit", "BTCUSDT"),
        lambda s, make: (
            _with_bybit(s, make),
            s.add_order(make.order(instrument=make.instrument(exchange_id="bybit"))),
        ),
        lambda s, make: (_with_bybit(s, make), s.add_order(make.order())),
    ),
    Case(
        "order.quantity.positive",
        QuantityNotPositive,
        D("0"),
        lambda s, make: s.add_order(make.order(quantity=D("0"))),
        lambda s, make: s.add_order(make.order(quantity=D("0.001"))),
    ),
    Case(
        "position.duplicate",
        DuplicateId,
        "pos-1",
        lambda s, make: (s.add_position(make.position()), s.add_position(make.position())),
        lambda s, make: (s.add_position(make.position()), s.add_position(make.position(position_id="pos-2"))),
    ),
    Case(
        "position.account.unknown",
        UnknownReference,
        "acc-9",
        lambda s, make: s.add_position(make.position(trading_account_id="acc-9")),
        lambda s, make: s.add_position(make.position(trading_account_id="acc-1")),
    ),
    Case(
        "position.instrument.unknown",
        UnknownReference,
        ("binance", "ETHUSDT"),
        lambda s, make: s.add_position(make.position(instrument=make.instrument(symbol="ETHUSDT"))),
        lambda s, make: s.add_position(make.position(instrument=make.instrument(symbol="BTCUSDT"))),
    ),
    Case(
        "position.instrument.exchange",
        InstrumentNotOnExchange,
        ("bybit", "BTCUSDT"),
        lambda s, make: (
            _with_bybit(s, make),
            s.add_position(make.position(instrument=make.instrument(exchange_id="bybit"))),
        ),
        lambda s, make: (_with_bybit(s, make), s.add_position(make.position())),
    ),
    Case(
        "position.quantity.positive",
        QuantityNotPositive,
        D("-1"),
        lambda s, make: s.add_position(make.position(quantity=D("-1"))),
        lambda s, make: s.add_position(make.position(quantity=D("0.001"))),
    ),
]


def test_every_constraint_code_has_a_case() -> None:
    assert sorted(case.rule for case in CASES) == sorted(CONSTRAINT_CODES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_constraint_refuses_with_its_code_and_the_offending_value(
    store: Store, make: type[Make], case: Case
) -> None:
    with pytest.raises(case.error) as caught:
        case.refuse(store, make)
    error = caught.value
    assert (error.rule, error.value) == (case.rule, case.value)
    assert str(error).startswith(f"{case.rule}: {case.value!r}")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_constraint_accepts_the_same_add_made_valid(store: Store, make: type[Make], case: Case) -> None:
    case.accept(store, make)


def test_a_refused_add_stores_nothing(store: Store, make: type[Make]) -> None:
    with pytest.raises(ConstraintViolation):
        store.add_order(make.order(trading_account_id="acc-9"))
    assert store.get_order("ord-1") is None
    assert store.list_orders() == []


# -- the store also applies the entities' own validation rules ------------------------------


def test_an_instrument_breaking_its_own_rules_is_refused(store: Store, make: type[Make]) -> None:
    with pytest.raises(InstrumentError, match=r"instrument\.order_size\.range"):
        store.add_instrument(make.instrument(symbol="ETHUSDT", min_order_size=D(2), max_order_size=D(1)))
    assert store.get_instrument("binance", "ETHUSDT") is None


def test_an_account_balance_may_be_zero_but_not_negative(store: Store, make: type[Make]) -> None:
    store.add_account(make.account(account_id="acc-2", balance={"USDT": D(0)}))
    with pytest.raises(AmountError, match=r"amount\.non_negative: Decimal\('-1'\) \(used_balance\[BTC\]"):
        store.add_account(make.account(account_id="acc-3", used_balance={"BTC": D(-1)}))


def test_a_position_above_max_leverage_is_refused(store: Store, make: type[Make]) -> None:
    with pytest.raises(LeverageError, match=r"position\.leverage\.max: 50"):
        store.add_position(make.position(leverage=50))


def test_an_order_failing_validation_rules_is_still_stored_so_it_can_be_rejected(
    store: Store, make: type[Make]
) -> None:
    """Validation is the RiskEngine's call; a refused order lives on as ``rejected`` with its reason."""
    order = make.order(price=D("100.001"))
    store.add_order(order)
    order.reject("order.price.precision", T1)
    assert store.get_order("ord-1") is order


def test_constraint_violations_are_validation_errors() -> None:
    assert issubclass(ConstraintViolation, ValidationError)


# -- reading back ---------------------------------------------------------------------------


def test_get_returns_the_stored_entity_or_none(store: Store, make: type[Make]) -> None:
    assert store.get_exchange("binance") is not None
    assert store.get_instrument("binance", "BTCUSDT") is not None
    assert store.get_account("acc-1") is not None
    assert store.get_strategy("strat-1") is not None
    assert store.get_execution("exec-1") is None
    store.add_execution(make.execution())
    assert store.get_execution("exec-1") == make.execution()
    assert store.get_position("pos-1") is None


def test_lists_keep_insertion_order(store: Store, make: type[Make]) -> None:
    _with_bybit(store, make)
    assert [e.id for e in store.list_exchanges()] == ["binance", "bybit"]
    assert [i.exchange_id for i in store.list_instruments()] == ["binance", "bybit"]
    assert [i.exchange_id for i in store.list_instruments("bybit")] == ["bybit"]
    assert [a.account_id for a in store.list_accounts()] == ["acc-1"]
    assert [s.strategy_id for s in store.list_strategies()] == ["strat-1"]
    assert store.list_executions() == store.list_positions() == []


def test_orders_for_an_account_with_open_only(store: Store, make: type[Make]) -> None:
    store.add_account(make.account(account_id="acc-2"))
    for order_id, account_id, status in [
        ("o1", "acc-1", OrderStatus.PENDING),
        ("o2", "acc-1", OrderStatus.PARTIAL),
        ("o3", "acc-1", OrderStatus.FILLED),
        ("o4", "acc-1", OrderStatus.CANCELLED),
        ("o5", "acc-2", OrderStatus.PENDING),
    ]:
        store.add_order(make.order(order_id=order_id, trading_account_id=account_id, status=status))
    assert [o.order_id for o in store.orders_for("acc-1")] == ["o1", "o2", "o3", "o4"]
    assert [o.order_id for o in store.orders_for("acc-1", open_only=True)] == ["o1", "o2"]
    assert [o.order_id for o in store.orders_for("acc-2")] == ["o5"]


def test_positions_for_an_account_with_open_only(store: Store, make: type[Make]) -> None:
    store.add_account(make.account(account_id="acc-2"))
    store.add_position(make.position(position_id="p1"))
    store.add_position(make.position(position_id="p2", status=PositionStatus.CLOSED))
    store.add_position(make.position(position_id="p3", trading_account_id="acc-2"))
    assert [p.position_id for p in store.positions_for("acc-1")] == ["p1", "p2"]
    assert [p.position_id for p in store.positions_for("acc-1", open_only=True)] == ["p1"]


def test_stored_entities_are_live_references(store: Store, make: type[Make]) -> None:
    store.add_order(make.order())
    stored = store.get_order("ord-1")
    assert stored is not None
    stored.cancel("user", T1)
    assert store.orders_for("acc-1", open_only=True) == []


_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["order", "position", "end order", "end position", "read"]),
        st.sampled_from(["acc-1", "acc-2"]),
        st.integers(0, 30),  # which earlier order or position an ending picks
    ),
    max_size=60,
)


@given(actions=_ACTIONS)
def test_open_only_reads_always_equal_a_scan_of_everything_stored(
    make: type[Make], actions: list[tuple[str, str, int]]
) -> None:
    # the Store keeps an index of what was open when last read; whatever ends in between, and
    # whenever the reads come, they must say what a scan of every order and position says
    store = Store()
    store.add_exchange(make.exchange())
    store.add_instrument(make.instrument())
    for account_id in ("acc-1", "acc-2"):
        store.add_account(make.account(account_id=account_id))
    for n, (action, account_id, pick) in enumerate(actions):
        orders, positions = store.list_orders(), store.list_positions()
        if action == "order":
            status = OrderStatus.PENDING if pick % 3 else OrderStatus.FILLED  # some stored already ended
            store.add_order(make.order(order_id=f"o{n}", trading_account_id=account_id, status=status))
        elif action == "position":
            store.add_position(make.position(position_id=f"p{n}", trading_account_id=account_id))
        elif action == "end order" and orders and orders[pick % len(orders)].is_open:
            orders[pick % len(orders)].cancel("test", T1)
        elif action == "end position" and positions:
            position = positions[pick % len(positions)]
            if position.status is PositionStatus.OPEN:
                position.close(T1)
        for account in ("acc-1", "acc-2"):
            if action == "read" or n == len(actions) - 1:
                open_orders = [
                    o for o in store.list_orders() if o.trading_account_id == account and o.is_open
                ]
                open_positions = [
                    p
                    for p in store.list_positions()
                    if p.trading_account_id == account and p.status is PositionStatus.OPEN
                ]
                assert store.orders_for(account, open_only=True) == open_orders
                assert store.positions_for(account, open_only=True) == open_positions
