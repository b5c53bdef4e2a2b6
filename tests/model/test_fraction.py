"""``fraction``: amounts finer than the accounting quantum are rounded to it, all others kept exactly
as they are (digits and exponent), whatever the value."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from engine.model.accounting import FRACTION_QUANTUM, fraction


def by_definition(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < FRACTION_QUANTUM.as_tuple().exponent:
        return value.quantize(FRACTION_QUANTUM)
    return value


values = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(int(d) for d in str(digits)), exponent)),
    st.integers(0, 1),
    st.integers(0, 10**40),
    st.integers(-45, 45),
)


@given(values)
@example(Decimal("-0.00000000000000"))  # a zero finer than the quantum: no digit to drop, still rounded
@example(Decimal("1E+60"))  # longer than the quick test's precision once padded
@example(Decimal("Infinity"))
@example(Decimal("NaN"))
def test_fraction_is_its_definition_digit_for_digit(value: Decimal) -> None:
    assert outcome(fraction, value) == outcome(by_definition, value)


def outcome(function: Callable[[Decimal], Decimal], value: Decimal) -> str:
    """The result's exact text, or the exception's type (a value too long for the context to round)."""
    try:
        return str(function(value))
    except ArithmeticError as exc:
        return type(exc).__name__
