"""Every validation rule accepts a value on its boundary and refuses one past it, naming rule and value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ValidationError
from engine.model import (
    RULE_CODES,
    AmountError,
    ContractSpecifications,
    FillError,
    InstrumentError,
    LeverageError,
    MissingField,
    OrderSide,
    OrderType,
    PriceError,
    QuantityError,
    StopLossTakeProfitError,
    TimeInForce,
    TrailingStopError,
    check_leverage,
    check_price,
    check_quantity,
    check_stop_loss_take_profit,
    require_non_negative,
    require_positive,
    validate_account,
    validate_instrument,
    validate_order,
    validate_position,
)

if TYPE_CHECKING:
    from tests.model.conftest import Make

T0 = datetime(2024, 1, 1, tzinfo=UTC)
D = Decimal


@dataclass(frozen=True)
class Case:
    """One rule: ``refuse`` raises ``error`` for ``value``; ``accept`` is the nearest value it passes."""

    rule: str
    error: type[ValidationError]
    value: object
    refuse: Callable[[type[Make]], object]
    accept: Callable[[type[Make]], object]


def _coarse(make: type[Make]) -> Any:
    """BTCUSDT with a 0.05 tick, so a price can be within precision (2) yet off the tick."""
    return make.instrument(tick_size=D("0.05"))


# How to put a value in each price field of an otherwise valid order (limit buy at 100.00).
PRICE_FIELD_ORDERS: dict[str, dict[str, Any]] = {
    "price": {},
    "stop_price": {"order_type": OrderType.STOP, "price": None},
    "stop_loss_price": {},
    "take_profit_price": {},
    "trailing_stop_activation_price": {
        "order_type": OrderType.TRAILING_STOP,
        "price": None,
        "trailing_stop_callback_rate": D("1"),
    },
}
# field -> (not positive, too fine for precision 2, off the 0.05 tick, accepted); SL below and TP above 100.
PRICE_FIELD_VALUES: dict[str, tuple[str, str, str, str]] = {
    "price": ("0", "100.001", "100.01", "100.05"),
    "stop_price": ("-1", "99.001", "99.01", "99.05"),
    "stop_loss_price": ("-1", "99.001", "99.01", "99.05"),
    "take_profit_price": ("0", "100.001", "100.01", "100.05"),
    "trailing_stop_activation_price": ("-1", "99.001", "99.01", "99.05"),
}


def _price_cases() -> list[Case]:
    cases = []
    for field, (negative, fine, off_tick, good) in PRICE_FIELD_VALUES.items():

        def order_with(value: str, field: str = field) -> Callable[[type[Make]], object]:
            changes = PRICE_FIELD_ORDERS[field] | {field: D(value)}
            return lambda make: validate_order(make.order(instrument=_coarse(make), **changes), None)

        for check, bad in (("positive", negative), ("precision", fine), ("tick", off_tick)):
            cases.append(
                Case(f"order.{field}.{check}", PriceError, D(bad), order_with(bad), order_with(good))
            )
    return cases


CASES: list[Case] = [
    Case(
        "amount.positive",
        AmountError,
        D("0"),
        lambda make: require_positive("tick_size", D("0")),
        lambda make: require_positive("tick_size", D("0.00000001")),
    ),
    Case(
        "amount.non_negative",
        AmountError,
        D("-0.01"),
        lambda make: validate_account(make.account(balance={"USDT": D("-0.01")})),
        lambda make: validate_account(make.account(balance={"USDT": D("0")})),
    ),
    Case(
        "instrument.order_size.range",
        InstrumentError,
        D("0.5"),
        lambda make: validate_instrument(make.instrument(min_order_size=D("1"), max_order_size=D("0.5"))),
        lambda make: validate_instrument(make.instrument(min_order_size=D("1"), max_order_size=D("1"))),
    ),
    Case(
        "instrument.precision.range",
        InstrumentError,
        -1,
        lambda make: validate_instrument(make.instrument(quantity_precision=-1)),
        lambda make: validate_instrument(make.instrument(quantity_precision=0)),
    ),
    Case(
        "instrument.max_leverage.range",
        InstrumentError,
        0,
        lambda make: validate_instrument(
            make.instrument(contract_specifications=ContractSpecifications(max_leverage=0))
        ),
        lambda make: validate_instrument(
            make.instrument(contract_specifications=ContractSpecifications(max_leverage=1))
        ),
    ),
    Case(
        "order.quantity.min",
        QuantityError,
        D("0.009"),
        lambda make: check_quantity(D("0.009"), make.instrument(min_order_size=D("0.01"))),
        lambda make: check_quantity(D("0.010"), make.instrument(min_order_size=D("0.01"))),
    ),
    Case(
        "order.quantity.max",
        QuantityError,
        D("100.001"),
        lambda make: check_quantity(D("100.001"), make.instrument()),
        lambda make: check_quantity(D("100.000"), make.instrument()),
    ),
    Case(
        "order.quantity.precision",
        QuantityError,
        D("1.0001"),
        lambda make: check_quantity(D("1.0001"), make.instrument()),
        lambda make: check_quantity(D("1.0010"), make.instrument()),
    ),
    Case(
        "order.price.missing",
        MissingField,
        None,
        lambda make: validate_order(
            make.order(order_type=OrderType.STOP_LIMIT, price=None, stop_price=D(99)), None
        ),
        lambda make: validate_order(make.order(order_type=OrderType.STOP_LIMIT, stop_price=D(99)), None),
    ),
    Case(
        "order.stop_price.missing",
        MissingField,
        None,
        lambda make: validate_order(make.order(order_type=OrderType.STOP, price=None), None),
        lambda make: validate_order(
            make.order(order_type=OrderType.STOP, price=None, stop_price=D(99)), None
        ),
    ),
    Case(
        "order.trailing_stop_callback_rate.missing",
        MissingField,
        None,
        lambda make: validate_order(make.order(order_type=OrderType.TRAILING_STOP, price=None), None),
        lambda make: validate_order(
            make.order(order_type=OrderType.TRAILING_STOP, price=None, trailing_stop_callback_rate=D("0.1")),
            None,
        ),
    ),
    Case(
        "order.trailing_stop_callback_rate.range",
        TrailingStopError,
        D("10.1"),
        lambda make: validate_order(
            make.order(order_type=OrderType.TRAILING_STOP, price=None, trailing_stop_callback_rate=D("10.1")),
            None,
        ),
        lambda make: validate_order(
            make.order(order_type=OrderType.TRAILING_STOP, price=None, trailing_stop_callback_rate=D("10")),
            None,
        ),
    ),
    Case(
        "order.expire_time.missing",
        MissingField,
        None,
        lambda make: validate_order(make.order(time_in_force=TimeInForce.GTD), None),
        lambda make: validate_order(make.order(time_in_force=TimeInForce.GTD, expire_time=T0), None),
    ),
    Case(
        "order.stop_loss.side",
        StopLossTakeProfitError,
        D("100.00"),
        lambda make: validate_order(make.order(stop_loss_price=D("100.00")), None),
        lambda make: validate_order(make.order(stop_loss_price=D("99.99")), None),
    ),
    Case(
        "order.take_profit.side",
        StopLossTakeProfitError,
        D("100.00"),
        lambda make: validate_order(make.order(take_profit_price=D("100.00")), None),
        lambda make: validate_order(make.order(take_profit_price=D("100.01")), None),
    ),
    Case(
        "order.fill.quantity",
        FillError,
        D("0"),
        lambda make: make.order().apply_fill(D("0"), D("100"), T0),
        lambda make: make.order().apply_fill(D("0.001"), D("100"), T0),
    ),
    Case(
        "order.fill.price",
        FillError,
        D("0"),
        lambda make: make.order().apply_fill(D("1"), D("0"), T0),
        lambda make: make.order().apply_fill(D("1"), D("0.01"), T0),
    ),
    Case(
        "order.fill.overfill",
        FillError,
        D("1.001"),
        lambda make: make.order().apply_fill(D("1.001"), D("100"), T0),
        lambda make: make.order().apply_fill(D("1.000"), D("100"), T0),
    ),
    Case(
        "position.leverage.min",
        LeverageError,
        0,
        lambda make: check_leverage(0, make.instrument()),
        lambda make: check_leverage(1, make.instrument()),
    ),
    Case(
        "position.leverage.max",
        LeverageError,
        21,
        lambda make: check_leverage(21, make.instrument()),
        lambda make: check_leverage(20, make.instrument()),
    ),
    *_price_cases(),
]


def test_every_rule_code_has_a_case() -> None:
    assert sorted(case.rule for case in CASES) == sorted(RULE_CODES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_refuses_with_its_code_and_the_offending_value(make: type[Make], case: Case) -> None:
    with pytest.raises(case.error) as caught:
        case.refuse(make)
    error = caught.value
    assert (error.rule, error.value) == (case.rule, case.value)
    assert str(error).startswith(f"{case.rule}: {case.value!r}")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_accepts_the_nearest_valid_value(make: type[Make], case: Case) -> None:
    case.accept(make)


# -- the rest, by example ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_amounts_are_refused(value: str) -> None:
    with pytest.raises(AmountError):
        require_positive("price", D(value))
    with pytest.raises(AmountError):
        require_non_negative("balance", D(value))


def test_callback_rate_zero_is_out_of_range(make: type[Make]) -> None:
    order = make.order(order_type=OrderType.TRAILING_STOP, price=None, trailing_stop_callback_rate=D("0"))
    with pytest.raises(TrailingStopError, match=r"order\.trailing_stop_callback_rate\.range: Decimal\('0'\)"):
        validate_order(order, None)


def test_order_leverage_above_the_instrument_cap_is_refused(make: type[Make]) -> None:
    with pytest.raises(LeverageError, match=r"position\.leverage\.max: 125"):
        validate_order(make.order(leverage=125), None)
    validate_order(make.order(leverage=20), None)


def test_position_leverage_above_the_instrument_cap_is_refused(make: type[Make]) -> None:
    with pytest.raises(LeverageError, match=r"position\.leverage\.max: 21"):
        validate_position(make.position(leverage=21))
    validate_position(make.position(leverage=20))


def test_position_pnl_may_be_negative(make: type[Make]) -> None:
    validate_position(make.position(unrealized_pnl=D("-50"), realized_pnl=D("-1")))


def test_account_total_pnl_may_be_negative(make: type[Make]) -> None:
    validate_account(make.account(total_pnl=D("-250")))


def test_maker_fee_may_be_negative_as_a_rebate(make: type[Make]) -> None:
    validate_instrument(
        make.instrument(contract_specifications=ContractSpecifications(maker_fee=D("-0.0001")))
    )


def test_a_sell_needs_take_profit_below_and_stop_loss_above(make: type[Make]) -> None:
    sell = {"side": OrderSide.SELL}
    validate_order(make.order(**sell, stop_loss_price=D("100.01"), take_profit_price=D("99.99")), None)
    with pytest.raises(StopLossTakeProfitError, match=r"order\.stop_loss\.side: Decimal\('99\.99'\)"):
        validate_order(make.order(**sell, stop_loss_price=D("99.99")), None)
    with pytest.raises(StopLossTakeProfitError, match=r"order\.take_profit\.side: Decimal\('100\.01'\)"):
        validate_order(make.order(**sell, take_profit_price=D("100.01")), None)


def test_a_market_order_is_checked_against_the_market_price(make: type[Make]) -> None:
    order = make.order(order_type=OrderType.MARKET, price=None, stop_loss_price=D("105.00"))
    validate_order(order, market_price=D("110"))
    with pytest.raises(StopLossTakeProfitError, match=r"order\.stop_loss\.side"):
        validate_order(order, market_price=D("104"))


def test_without_a_reference_price_the_side_check_is_skipped(make: type[Make]) -> None:
    validate_order(make.order(order_type=OrderType.MARKET, price=None, stop_loss_price=D("105.00")), None)


# -- the rest, by hypothesis ------------------------------------------------------------------


def _decimals_with_places(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.integers(0, 6).flatmap(
        lambda places: st.decimals(min_value=D(low), max_value=D(high), places=places)
    )


@st.composite
def price_cases(draw: st.DrawFn) -> tuple[Decimal, int, Decimal]:
    """A tick, a precision and a price that is often, but not always, on both."""
    tick = draw(st.sampled_from([D("0.01"), D("0.05"), D("0.5"), D("1"), D("25"), D("0.0001")]))
    precision = draw(st.integers(0, 6))
    on_tick = st.integers(-3, 10_000).map(lambda k: k * tick)
    price = draw(st.one_of(on_tick, _decimals_with_places("-10", "10000")))
    return tick, precision, price


@settings(max_examples=200)
@given(price_cases())
def test_a_price_is_accepted_iff_a_positive_multiple_of_tick_within_precision(
    make: type[Make], case: tuple[Decimal, int, Decimal]
) -> None:
    tick, precision, price = case
    instrument = make.instrument(tick_size=tick, price_precision=precision)
    expected = (
        price > 0
        and (Fraction(price) * 10**precision).denominator == 1
        and (Fraction(price) / Fraction(tick)).denominator == 1
    )
    try:
        check_price(price, instrument)
    except PriceError as error:
        assert error.rule in RULE_CODES
        assert not expected
    else:
        assert expected


@st.composite
def quantity_cases(draw: st.DrawFn) -> tuple[Decimal, Decimal, int, Decimal]:
    minimum = draw(st.sampled_from([D("0.001"), D("0.01"), D("1")]))
    maximum = draw(st.sampled_from([D("1"), D("100"), D("9000")]))
    precision = draw(st.integers(0, 5))
    step = D(1).scaleb(-precision)
    on_step = st.integers(-2, 10_000).map(lambda k: k * step)
    quantity = draw(
        st.one_of(on_step, _decimals_with_places("-1", "10000"), st.sampled_from([minimum, maximum]))
    )
    return minimum, maximum, precision, quantity


@settings(max_examples=200)
@given(quantity_cases())
def test_a_quantity_is_accepted_iff_within_min_max_and_on_precision(
    make: type[Make], case: tuple[Decimal, Decimal, int, Decimal]
) -> None:
    minimum, maximum, precision, quantity = case
    instrument = make.instrument(min_order_size=minimum, max_order_size=maximum, quantity_precision=precision)
    expected = minimum <= quantity <= maximum and (Fraction(quantity) * 10**precision).denominator == 1
    try:
        check_quantity(quantity, instrument)
    except ValidationError as error:
        assert error.rule in RULE_CODES
        assert not expected
    else:
        assert expected


OPTIONAL_PRICES = st.none() | st.decimals(min_value=D("90"), max_value=D("110"), places=1)


@settings(max_examples=200)
@given(
    side=st.sampled_from(OrderSide),
    reference=st.decimals(min_value=D("95"), max_value=D("105"), places=1),
    stop_loss=OPTIONAL_PRICES,
    take_profit=OPTIONAL_PRICES,
)
def test_stop_loss_and_take_profit_are_accepted_iff_on_their_side_of_the_reference(
    side: OrderSide, reference: Decimal, stop_loss: Decimal | None, take_profit: Decimal | None
) -> None:
    below, above = (stop_loss, take_profit) if side is OrderSide.BUY else (take_profit, stop_loss)
    expected = (below is None or below < reference) and (above is None or above > reference)
    try:
        check_stop_loss_take_profit(side, reference, stop_loss, take_profit)
    except StopLossTakeProfitError:
        assert not expected
    else:
        assert expected
