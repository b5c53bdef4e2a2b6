"""Position sizing: every helper returns a tradable quantity, rounded down, within the limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
import spec_entities as entities
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ValidationError
from engine.model import TradingType
from engine.sizing import fixed_base, fixed_quote, percent_of_equity, risk_based

D = Decimal
BTC = entities.instrument(price_precision=1, tick_size=D("0.1"), trading_types=[TradingType.FUTURES])


def test_fixed_base_rounds_down_to_the_step() -> None:
    assert fixed_base(D("0.0129"), BTC) == D("0.012")


def test_fixed_quote_buys_what_the_amount_pays_for() -> None:
    assert fixed_quote(D(1000), D(40000), BTC) == D("0.025")


def test_percent_of_equity_with_leverage() -> None:
    # 10 % of 50,000 USDT at 5x leverage = 25,000 USDT notional = 0.625 BTC at 40,000
    assert percent_of_equity(D(10), D(50000), D(40000), BTC, leverage=5) == D("0.625")


def test_risk_based_loses_the_percent_at_the_stop() -> None:
    # risk 1 % of 20,000 = 200 USDT; stop 500 below entry -> 0.4 BTC
    assert risk_based(D(1), D(20000), D(40000), D(39500), BTC) == D("0.4")


def test_below_the_minimum_is_zero_meaning_too_small() -> None:
    assert fixed_quote(D(10), D(40000), BTC) == 0


def test_above_the_maximum_is_capped() -> None:
    assert fixed_base(D(500), BTC) == D(100)


def test_zero_stop_distance_is_refused_with_the_rule() -> None:
    with pytest.raises(ValidationError, match=r"sizing\.positive"):
        risk_based(D(1), D(20000), D(40000), D(40000), BTC)


@given(
    st.decimals(min_value=D("0.01"), max_value=D("1e7"), places=2),
    st.decimals(min_value=D("1"), max_value=D("1e6"), places=1),
)
def test_fixed_quote_never_spends_more_than_the_amount(amount: Decimal, price: Decimal) -> None:
    quantity = fixed_quote(amount, price, BTC)
    assert quantity == 0 or BTC.min_order_size <= quantity <= BTC.max_order_size
    assert quantity * price <= amount
    assert quantity == quantity.quantize(D("0.001"))
