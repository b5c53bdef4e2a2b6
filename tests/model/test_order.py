"""An order moves only as the spec's table allows: fills, cancels, rejects and acceptance, all-or-nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import engine.model.order as order_module
from engine.errors import InvalidTransition
from engine.model import FillError, Order, OrderStatus, StateMachine

if TYPE_CHECKING:
    from tests.model.conftest import Make

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(seconds=1)


def test_a_fill_below_quantity_makes_a_pending_order_partial(make: type[Make]) -> None:
    order = make.order(quantity=Decimal("2"))
    order.apply_fill(Decimal("0.5"), Decimal("100.00"), T1)
    assert order.status is OrderStatus.PARTIAL
    assert order.filled_quantity == Decimal("0.5")
    assert order.remaining_quantity == Decimal("1.5")
    assert order.average_fill_price == Decimal("100.00")
    assert order.updated_at == T1


def test_a_fill_of_the_whole_quantity_makes_a_pending_order_filled(make: type[Make]) -> None:
    order = make.order(quantity=Decimal("2"))
    order.apply_fill(Decimal("2"), Decimal("100.00"), T1)
    assert order.status is OrderStatus.FILLED
    assert order.remaining_quantity == 0


def test_the_last_fill_makes_a_partial_order_filled(make: type[Make]) -> None:
    order = make.order(quantity=Decimal("2"))
    order.apply_fill(Decimal("0.5"), Decimal("100.00"), T1)
    order.apply_fill(Decimal("1.5"), Decimal("100.00"), T1)
    assert order.status is OrderStatus.FILLED


def test_further_fills_while_partial_stay_partial_without_a_transition(
    make: type[Make], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[OrderStatus, OrderStatus]] = []
    real = order_module.transition

    def spy(
        machine: StateMachine[OrderStatus], from_state: OrderStatus, to_state: OrderStatus
    ) -> OrderStatus:
        calls.append((from_state, to_state))
        return real(machine, from_state, to_state)

    monkeypatch.setattr(order_module, "transition", spy)
    order = make.order(quantity=Decimal("3"))
    order.apply_fill(Decimal("1"), Decimal("100.00"), T1)
    order.apply_fill(Decimal("1"), Decimal("100.00"), T1)
    assert order.status is OrderStatus.PARTIAL
    assert calls == [(OrderStatus.PENDING, OrderStatus.PARTIAL)]


def test_average_fill_price_is_weighted_by_quantity(make: type[Make]) -> None:
    order = make.order(quantity=Decimal("4"))
    order.apply_fill(Decimal("1"), Decimal("100.00"), T1)
    order.apply_fill(Decimal("3"), Decimal("200.00"), T1)
    assert order.average_fill_price == Decimal("175")


def test_an_overfill_is_refused_and_changes_nothing(make: type[Make]) -> None:
    order = make.order(quantity=Decimal("1"))
    order.apply_fill(Decimal("0.6"), Decimal("100.00"), T1)
    before = copy.deepcopy(order)
    with pytest.raises(FillError, match=r"order\.fill\.overfill: Decimal\('0\.5'\)") as caught:
        order.apply_fill(Decimal("0.5"), Decimal("100.00"), T1 + timedelta(seconds=1))
    assert caught.value.rule == "order.fill.overfill"
    assert order == before


@pytest.mark.parametrize("quantity", ["0", "-1", "NaN"])
def test_a_fill_quantity_must_be_positive(make: type[Make], quantity: str) -> None:
    order = make.order()
    with pytest.raises(FillError, match=rf"order\.fill\.quantity: Decimal\('{quantity}'\)"):
        order.apply_fill(Decimal(quantity), Decimal("100.00"), T1)
    assert order == make.order()


@pytest.mark.parametrize("price", ["0", "-100"])
def test_a_fill_price_must_be_positive(make: type[Make], price: str) -> None:
    order = make.order()
    with pytest.raises(FillError, match=rf"order\.fill\.price: Decimal\('{price}'\)"):
        order.apply_fill(Decimal("1"), Decimal(price), T1)
    assert order == make.order()


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REJECTED])
def test_a_closed_order_takes_no_fill(make: type[Make], status: OrderStatus) -> None:
    order = make.order(status=status)
    with pytest.raises(InvalidTransition, match=f"Order: invalid transition {status} -> filled"):
        order.apply_fill(Decimal("1"), Decimal("100.00"), T1)
    assert order == make.order(status=status)


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.PARTIAL])
def test_an_open_order_can_be_cancelled_with_a_reason(make: type[Make], status: OrderStatus) -> None:
    order = make.order(status=status)
    order.cancel("user request", T1)
    assert order.status is OrderStatus.CANCELLED
    assert order.status_reason == "user request"
    assert order.updated_at == T1


@pytest.mark.parametrize("status", [OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED])
def test_a_terminal_order_cannot_be_cancelled(make: type[Make], status: OrderStatus) -> None:
    order = make.order(status=status)
    with pytest.raises(InvalidTransition, match=f"Order: invalid transition {status} -> cancelled"):
        order.cancel("late", T1)
    assert order == make.order(status=status)


def test_a_pending_order_can_be_rejected_with_a_reason(make: type[Make]) -> None:
    order = make.order()
    order.reject("order.price.tick: Decimal('100.001')", T1)
    assert order.status is OrderStatus.REJECTED
    assert order.status_reason.startswith("order.price.tick")


def test_a_partially_filled_order_cannot_be_rejected(make: type[Make]) -> None:
    order = make.order(status=OrderStatus.PARTIAL)
    with pytest.raises(InvalidTransition, match="Order: invalid transition partial -> rejected"):
        order.reject("too late", T1)
    assert order.status is OrderStatus.PARTIAL


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.PARTIAL])
def test_acceptance_keeps_the_status_and_records_the_exchange_order_id(
    make: type[Make], status: OrderStatus
) -> None:
    order = make.order(status=status)
    order.accept("8389765", T1)
    assert order.status is status
    assert order.exchange_order_id == "8389765"
    assert order.updated_at == T1


@pytest.mark.parametrize("status", [OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED])
def test_a_terminal_order_cannot_be_accepted(make: type[Make], status: OrderStatus) -> None:
    order = make.order(status=status)
    with pytest.raises(InvalidTransition, match=f"Order: invalid transition {status} -> accepted"):
        order.accept("8389765", T1)
    assert order.exchange_order_id == ""


@pytest.mark.parametrize(
    ("status", "is_open"),
    [
        (OrderStatus.PENDING, True),
        (OrderStatus.PARTIAL, True),
        (OrderStatus.FILLED, False),
        (OrderStatus.CANCELLED, False),
        (OrderStatus.REJECTED, False),
    ],
)
def test_an_order_is_open_until_it_reaches_a_terminal_status(
    make: type[Make], status: OrderStatus, is_open: bool
) -> None:
    order = make.order(status=status)
    assert order.is_open is is_open
    assert order.is_terminal is not is_open


# -- the lifecycle as a state machine ---------------------------------------------------------

FILL_QUANTITIES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1.5"), places=3)
FILL_PRICES = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("1000.00"), places=2)


class OrderLifecycle(RuleBasedStateMachine):
    """Random fills, overfills, cancels, rejects and acceptances against a 1.000 BTC order."""

    def __init__(self, order: Order) -> None:
        super().__init__()
        self.order = order
        self.prices: list[Decimal] = []
        self.terminal: Order | None = None

    def _refused(self, error: type[Exception], action: Callable[[], None]) -> None:
        """``action`` raises ``error`` and leaves the order exactly as it was."""
        before = copy.deepcopy(self.order)
        with pytest.raises(error):
            action()
        assert self.order == before

    @rule(quantity=FILL_QUANTITIES, price=FILL_PRICES)
    def fill(self, quantity: Decimal, price: Decimal) -> None:
        order = self.order
        if quantity > order.remaining_quantity:
            self._refused(FillError, lambda: order.apply_fill(quantity, price, T1))
        elif order.is_terminal:
            self._refused(InvalidTransition, lambda: order.apply_fill(quantity, price, T1))
        else:
            filled_before = order.filled_quantity
            order.apply_fill(quantity, price, T1)
            self.prices.append(price)
            assert order.filled_quantity == filled_before + quantity

    @rule(price=FILL_PRICES)
    def fill_the_rest(self, price: Decimal) -> None:
        order = self.order
        if order.is_open:
            order.apply_fill(order.remaining_quantity, price, T1)
            self.prices.append(price)
            assert order.status is OrderStatus.FILLED

    @rule(extra=FILL_QUANTITIES)
    def overfill(self, extra: Decimal) -> None:
        order = self.order
        self._refused(FillError, lambda: order.apply_fill(order.remaining_quantity + extra, Decimal(1), T1))

    @rule()
    def cancel(self) -> None:
        if self.order.is_open:
            self.order.cancel("user", T1)
            assert self.order.status is OrderStatus.CANCELLED
        else:
            self._refused(InvalidTransition, lambda: self.order.cancel("user", T1))

    @rule()
    def reject(self) -> None:
        if self.order.status is OrderStatus.PENDING:
            self.order.reject("venue", T1)
            assert self.order.status is OrderStatus.REJECTED
        else:
            self._refused(InvalidTransition, lambda: self.order.reject("venue", T1))

    @rule(exchange_order_id=st.text(min_size=1, max_size=8))
    def accept(self, exchange_order_id: str) -> None:
        if self.order.is_open:
            status = self.order.status
            self.order.accept(exchange_order_id, T1)
            assert self.order.status is status
            assert self.order.exchange_order_id == exchange_order_id
        else:
            self._refused(InvalidTransition, lambda: self.order.accept(exchange_order_id, T1))

    @invariant()
    def filled_quantity_stays_within_the_order(self) -> None:
        assert 0 <= self.order.filled_quantity <= self.order.quantity

    @invariant()
    def status_agrees_with_filled_quantity(self) -> None:
        order = self.order
        assert (order.status is OrderStatus.FILLED) == (order.filled_quantity == order.quantity)
        if order.status is OrderStatus.PARTIAL:
            assert 0 < order.filled_quantity < order.quantity
        if order.status in (OrderStatus.PENDING, OrderStatus.REJECTED):
            assert order.filled_quantity == 0

    @invariant()
    def average_fill_price_lies_between_the_fill_prices(self) -> None:
        if self.prices:
            assert self.order.average_fill_price is not None
            assert min(self.prices) <= self.order.average_fill_price <= max(self.prices)
        else:
            assert self.order.average_fill_price is None

    @invariant()
    def terminal_states_never_change(self) -> None:
        if self.terminal is None and self.order.is_terminal:
            self.terminal = copy.deepcopy(self.order)
        if self.terminal is not None:
            assert self.order == self.terminal


def test_order_lifecycle_keeps_its_invariants(make: type[Make]) -> None:
    run_state_machine_as_test(
        lambda: OrderLifecycle(make.order(quantity=Decimal("1"))),
        settings=settings(max_examples=150, stateful_step_count=30, deadline=None),
    )
