"""The ledger's rules, one worked example each: positions, PnL, fees, margin, liquidation, reservations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest
from accounting_world import (
    T0,
    T1,
    D,
    account,
    futures_instrument,
    futures_ledger,
    spot_instrument,
    spot_ledger,
)

from engine.errors import ConfigError
from engine.model import LeverageError, OrderSide, PositionSide, PositionStatus, TradingType
from engine.model.accounting import (
    INSUFFICIENT_BALANCE,
    INSUFFICIENT_MARGIN,
    AccountingError,
    FillResult,
    Ledger,
    PositionChange,
    liquidation_price,
)

BUY, SELL = OrderSide.BUY, OrderSide.SELL
LONG, SHORT = PositionSide.LONG, PositionSide.SHORT
FUT = futures_instrument()
SPOT = spot_instrument()
EX, SYM = "binance", "BTCUSDT"


def fill(ledger: Ledger, side: OrderSide, qty: str, price: str, fee: str = "0", **kw: Any) -> FillResult:
    """A fill on BTCUSDT (spot or futures, as the ledger), fee in USDT, at T1."""
    instrument = SPOT if ledger.is_spot else FUT
    return ledger.apply_fill(instrument, side, D(qty), D(price), D(fee), "USDT", T1, **kw)


def balances(ledger: Ledger, currency: str = "USDT") -> tuple[Decimal, Decimal, Decimal]:
    acc = ledger.account
    return acc.balance[currency], acc.used_balance[currency], acc.available_balance[currency]


# -- futures, one-way ------------------------------------------------------------------------------


def test_opening_a_long_sets_entry_margin_and_liquidation_price_and_charges_the_fee() -> None:
    ledger = futures_ledger()
    result = fill(ledger, BUY, "2", "100", "0.08", leverage=10)

    (update,) = result.updates
    position = update.position
    assert update.change is PositionChange.OPENED
    assert (position.side, position.quantity, position.entry_price) == (LONG, D(2), D(100))
    assert position.margin_used == D(20)  # 200 notional / 10x
    assert position.liquidation_price == D("90.45226130653266331658291457")  # 100 * 0.9 / 0.995
    assert position.status is PositionStatus.OPEN
    assert position.position_id == "acc-1-binance-BTCUSDT-1"
    assert balances(ledger) == (D("9999.92"), D(20), D("9979.92"))
    assert ledger.account.total_pnl == D("-0.08")
    assert result.realized_pnl == 0
    assert result.currencies == ("USDT",)


def test_increasing_averages_the_entry_price_by_quantity_and_recomputes_margin() -> None:
    ledger = futures_ledger()
    fill(ledger, BUY, "1", "100", leverage=10)
    result = fill(ledger, BUY, "3", "108", leverage=10)

    position = result.updates[0].position
    assert result.updates[0].change is PositionChange.INCREASED
    assert position.quantity == D(4)
    assert position.entry_price == D(106)  # (100 + 3 * 108) / 4
    assert position.margin_used == D("42.4")  # 424 / 10
    assert ledger.account.used_balance["USDT"] == D("42.4")


def test_reducing_a_long_realizes_price_minus_entry_times_quantity() -> None:
    ledger = futures_ledger()
    fill(ledger, BUY, "2", "100", leverage=10)
    result = fill(ledger, SELL, "0.5", "110", "0.02")

    update = result.updates[0]
    assert update.change is PositionChange.REDUCED
    assert update.realized_pnl == result.realized_pnl == D(5)  # (110 - 100) * 0.5
    assert (update.position.quantity, update.position.entry_price) == (D("1.5"), D(100))
    assert update.position.margin_used == D(15)
    assert balances(ledger) == (D("10004.98"), D(15), D("9989.98"))
    assert ledger.account.total_pnl == D("4.98")


def test_closing_a_long_ends_the_position_closed_and_frees_its_margin() -> None:
    ledger = futures_ledger()
    fill(ledger, BUY, "2", "100", leverage=10)
    result = fill(ledger, SELL, "2", "90")

    position = result.updates[0].position
    assert result.updates[0].change is PositionChange.CLOSED
    assert position.status is PositionStatus.CLOSED
    assert (position.quantity, position.margin_used, position.unrealized_pnl) == (0, 0, 0)
    assert position.realized_pnl == D(-20)
    assert balances(ledger) == (D(9980), D(0), D(9980))
    assert not ledger.has_open_position(EX, SYM)
    assert ledger.position(EX, SYM) is None
    assert ledger.positions() == [position]


def test_a_short_gains_when_the_price_falls_and_loses_when_it_rises() -> None:
    ledger = futures_ledger()
    opened = fill(ledger, SELL, "2", "100", leverage=5).updates[0].position
    assert (opened.side, opened.margin_used) == (SHORT, D(40))
    assert opened.liquidation_price == D("119.4029850746268656716417910")  # 100 * 1.2 / 1.005

    assert fill(ledger, BUY, "1", "90").realized_pnl == D(10)
    assert fill(ledger, BUY, "1", "105").realized_pnl == D(-5)
    assert opened.status is PositionStatus.CLOSED
    assert opened.realized_pnl == D(5)
    assert ledger.account.balance["USDT"] == D(10005)


def test_a_one_way_fill_larger_than_the_position_flips_it_at_the_fill_price() -> None:
    ledger = futures_ledger()
    fill(ledger, BUY, "1", "100", leverage=10)
    result = fill(ledger, SELL, "3", "110", "0.3", leverage=10)

    closed, opened = result.updates
    assert (closed.change, closed.quantity, closed.realized_pnl) == (PositionChange.CLOSED, D(1), D(10))
    assert closed.position.status is PositionStatus.CLOSED
    assert (opened.change, opened.quantity) == (PositionChange.FLIPPED, D(2))
    assert result.flipped
    new = opened.position
    assert (new.side, new.quantity, new.entry_price, new.margin_used) == (SHORT, D(2), D(110), D(22))
    assert new.position_id == "acc-1-binance-BTCUSDT-2"
    assert ledger.position(EX, SYM) is new
    assert ledger.signed_quantity(EX, SYM) == D(-2)
    assert balances(ledger) == (D("10009.7"), D(22), D("9987.7"))


def test_marking_revalues_open_positions_times_contract_size() -> None:
    instrument = futures_instrument(contract_size=D("0.01"))
    ledger = futures_ledger()
    long = ledger.apply_fill(instrument, BUY, D(300), D(100), D(0), "USDT", T1, leverage=2).updates[0]
    assert long.position.margin_used == D(150)  # 300 contracts * 0.01 * 100 / 2

    assert ledger.mark(EX, SYM, D("104.5"))
    assert long.position.current_price == D("104.5")
    assert long.position.unrealized_pnl == D("13.5")  # 4.5 * 300 * 0.01
    assert ledger.equity("USDT") == D("10013.5")
    assert not ledger.mark(EX, "ETHUSDT", D(1))


def test_a_short_marked_above_its_entry_shows_a_loss() -> None:
    ledger = futures_ledger()
    fill(ledger, SELL, "2", "100")
    ledger.mark(EX, SYM, D(103))
    assert ledger.unrealized_pnl == D(-6)
    assert ledger.equity("USDT") == D(9994)


def test_mark_all_revalues_what_has_a_price_and_leaves_the_rest_at_its_last_mark() -> None:
    ledger = futures_ledger(hedge_mode=True)
    eth = msgspec.structs.replace(FUT, symbol="ETHUSDT", base_currency="ETH")
    btc_long = ledger.apply_fill(FUT, BUY, D(2), D(100), D(0), "USDT", T1, position_side=PositionSide.LONG)
    btc_short = ledger.apply_fill(FUT, SELL, D(1), D(100), D(0), "USDT", T1, position_side=PositionSide.SHORT)
    eth_long = ledger.apply_fill(eth, BUY, D(3), D(10), D(0), "USDT", T1, position_side=PositionSide.LONG)
    ledger.mark(EX, "ETHUSDT", D(11))

    ledger.mark_all({EX: {SYM: D(104), "SOLUSDT": D(1)}, "bybit": {"ETHUSDT": D(50)}})
    long, short, eth_position = (r.updates[0].position for r in (btc_long, btc_short, eth_long))
    assert (long.current_price, long.unrealized_pnl) == (D(104), D(8))  # both slots of BTCUSDT
    assert (short.current_price, short.unrealized_pnl) == (D(104), D(-4))
    assert (eth_position.current_price, eth_position.unrealized_pnl) == (D(11), D(3))  # no binance price
    assert ledger.equity("USDT") == D(10007)


def test_fees_in_another_currency_come_off_that_balance_and_stay_out_of_total_pnl() -> None:
    ledger = futures_ledger(USDT=D(1000), BNB=D(1))
    ledger.apply_fill(FUT, BUY, D(1), D(100), D("0.01"), "BNB", T1)
    assert ledger.account.balance == {"USDT": D(1000), "BNB": D("0.99")}
    assert ledger.account.total_pnl == 0
    assert ledger.fees_paid == 0


def test_a_maker_rebate_is_a_negative_fee_that_adds_to_the_balance() -> None:
    ledger = futures_ledger()
    fill(ledger, BUY, "1", "100", "-0.02")
    assert ledger.account.balance["USDT"] == D("10000.02")
    assert ledger.account.total_pnl == D("0.02")


# -- liquidation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "entry", "leverage", "rate", "expected"),
    [
        (LONG, "100", 10, "0.005", "90.45226130653266331658291457"),
        (SHORT, "100", 10, "0.005", "109.4527363184079601990049751"),
        (LONG, "100", 20, "0.004", "95.38152610441767068273092369"),
        (SHORT, "100", 20, "0.004", "104.5816733067729083665338645"),
        (LONG, "100", 10, "0", "90"),
        (SHORT, "100", 10, "0", "110"),
        (SHORT, "100", 1, "0", "200"),
    ],
)
def test_liquidation_price_follows_the_isolated_linear_formula(
    side: PositionSide, entry: str, leverage: int, rate: str, expected: str
) -> None:
    assert liquidation_price(side, D(entry), leverage, D(rate)) == D(expected)


def test_a_long_at_1x_cannot_be_liquidated() -> None:
    assert liquidation_price(LONG, D(100), 1, D("0.005")) is None
    assert liquidation_price(LONG, D(100), 10, D(1)) is None
    ledger = futures_ledger()
    assert fill(ledger, BUY, "1", "100", leverage=1).updates[0].position.liquidation_price is None


def test_liquidation_is_due_at_or_beyond_the_liquidation_price() -> None:
    ledger = futures_ledger(hedge_mode=True)
    long = fill(ledger, BUY, "1", "100", leverage=10, position_side=LONG).updates[0].position
    short = fill(ledger, SELL, "1", "100", leverage=10, position_side=SHORT).updates[0].position

    assert ledger.liquidation_due(EX, SYM, D("90.46")) == []
    assert ledger.liquidation_due(EX, SYM, D("90.45")) == [long]
    assert ledger.liquidation_due(EX, SYM, D("109.45")) == []
    assert ledger.liquidation_due(EX, SYM, D("109.46")) == [short]
    assert ledger.liquidation_due(EX, "ETHUSDT", D(1)) == []


def test_a_liquidation_fill_ends_the_position_liquidated() -> None:
    ledger = futures_ledger()
    fill(ledger, BUY, "1", "100", leverage=10)
    result = fill(ledger, SELL, "1", "90.46", liquidation=True)
    position = result.updates[0].position
    assert result.updates[0].change is PositionChange.LIQUIDATED
    assert position.status is PositionStatus.LIQUIDATED
    assert position.realized_pnl == D("-9.54")
    assert ledger.account.balance["USDT"] == D("9990.46")


def test_a_liquidation_fill_may_only_reduce() -> None:
    ledger = futures_ledger()
    with pytest.raises(AccountingError) as refused:
        fill(ledger, SELL, "1", "90", liquidation=True)
    assert refused.value.rule == "accounting.liquidation.not_reducing"
    fill(ledger, BUY, "1", "100")
    with pytest.raises(AccountingError):
        fill(ledger, SELL, "2", "90", liquidation=True)
    assert ledger.signed_quantity(EX, SYM) == D(1)


# -- hedge mode ------------------------------------------------------------------------------------


def test_hedge_mode_holds_long_and_short_apart() -> None:
    ledger = futures_ledger(hedge_mode=True)
    fill(ledger, BUY, "2", "100", leverage=10, position_side=LONG)
    fill(ledger, SELL, "1", "102", leverage=10, position_side=SHORT)

    long, short = ledger.position(EX, SYM, LONG), ledger.position(EX, SYM, SHORT)
    assert long is not None and short is not None
    assert (long.side, long.quantity, short.side, short.quantity) == (LONG, D(2), SHORT, D(1))
    assert ledger.position(EX, SYM) is None
    assert ledger.signed_quantity(EX, SYM) == D(1)
    assert ledger.account.used_balance["USDT"] == D("30.2")  # 20 + 10.2

    result = fill(ledger, SELL, "1", "105", position_side=LONG)  # reduces the long slot only
    assert result.updates[0].position is long
    assert result.realized_pnl == D(5)
    assert short.quantity == D(1)


def test_hedge_mode_refuses_a_reduce_larger_than_the_slot() -> None:
    ledger = futures_ledger(hedge_mode=True)
    fill(ledger, BUY, "1", "100", position_side=LONG)
    before = balances(ledger)
    with pytest.raises(AccountingError) as refused:
        fill(ledger, SELL, "2", "100", position_side=LONG)
    assert refused.value.rule == "accounting.reduce.exceeds_position"
    with pytest.raises(AccountingError) as refused:
        fill(ledger, BUY, "1", "100", position_side=SHORT)
    assert refused.value.rule == "accounting.reduce.no_position"
    assert balances(ledger) == before
    assert ledger.signed_quantity(EX, SYM) == D(1)


def test_hedge_mode_needs_the_position_side() -> None:
    with pytest.raises(AccountingError) as refused:
        fill(futures_ledger(hedge_mode=True), BUY, "1", "100")
    assert refused.value.rule == "accounting.position_side.missing"


def test_one_way_mode_ignores_the_position_side() -> None:
    ledger = futures_ledger()
    fill(ledger, BUY, "1", "100", position_side=SHORT)
    assert ledger.signed_quantity(EX, SYM) == D(1)


# -- spot ------------------------------------------------------------------------------------------


def test_a_spot_buy_pays_quote_plus_fee_and_receives_base() -> None:
    ledger = spot_ledger()
    result = fill(ledger, BUY, "0.5", "100", "0.05")

    position = result.updates[0].position
    assert (position.side, position.quantity, position.entry_price) == (LONG, D("0.5"), D(100))
    assert (position.margin_used, position.liquidation_price, position.leverage) == (0, None, 1)
    assert ledger.account.balance == {"USDT": D("9949.95"), "BTC": D("0.5")}
    assert result.currencies == ("BTC", "USDT")


def test_a_spot_sell_pays_base_and_receives_quote_minus_fee() -> None:
    ledger = spot_ledger()
    fill(ledger, BUY, "0.5", "100", "0.05")
    result = fill(ledger, SELL, "0.5", "120", "0.06")

    assert result.realized_pnl == D(10)
    assert result.updates[0].change is PositionChange.CLOSED
    assert ledger.account.balance == {"USDT": D("10009.89"), "BTC": D(0)}
    assert ledger.account.total_pnl == D("9.89")  # 10 realized - 0.11 fees
    assert ledger.fees_paid == D("0.11")


def test_a_spot_buy_beyond_the_quote_balance_is_refused_and_changes_nothing() -> None:
    ledger = spot_ledger(USDT=D(100))
    with pytest.raises(AccountingError) as refused:
        fill(ledger, BUY, "1", "100", "0.1")
    assert refused.value.rule == "accounting.balance.insufficient"
    assert ledger.account.balance == {"USDT": D(100)}
    assert ledger.positions() == []


def test_spot_cannot_sell_more_base_than_it_holds() -> None:
    ledger = spot_ledger()
    fill(ledger, BUY, "1", "100")
    with pytest.raises(AccountingError) as refused:
        fill(ledger, SELL, "1.5", "100")
    assert refused.value.rule == "accounting.spot.short"
    assert ledger.account.balance == {"USDT": D(9900), "BTC": D(1)}
    assert ledger.signed_quantity(EX, SYM) == D(1)


def test_spot_base_held_from_a_deposit_may_be_sold_without_opening_a_short() -> None:
    ledger = spot_ledger(USDT=D(0), BTC=D(1))
    result = fill(ledger, SELL, "1", "100", "0.1")
    assert result.updates == ()
    assert result.realized_pnl == 0
    assert ledger.account.balance == {"USDT": D("99.9"), "BTC": D(0)}
    assert ledger.positions() == []


def test_a_spot_buy_fee_charged_in_base_reduces_the_base_received() -> None:
    ledger = spot_ledger()
    ledger.apply_fill(SPOT, BUY, D(1), D(100), D("0.001"), "BTC", T1)
    assert ledger.account.balance == {"USDT": D(9900), "BTC": D("0.999")}
    assert ledger.account.total_pnl == 0  # the fee was not in the quote currency


def test_spot_ignores_hedge_mode_and_leverage() -> None:
    ledger = Ledger(account(TradingType.SPOT), hedge_mode=True)
    position = fill(ledger, BUY, "1", "100", leverage=5).updates[0].position
    assert not ledger.hedge_mode
    assert (position.leverage, position.margin_used) == (1, 0)


# -- reservations ----------------------------------------------------------------------------------


def test_a_spot_buy_order_reserves_quote_including_the_fee() -> None:
    ledger = spot_ledger()
    assert ledger.lock_order("o-1", SPOT, BUY, D(1), D(100)) == D("100.1")
    assert balances(ledger) == (D(10000), D("100.1"), D("9899.9"))
    assert ledger.locked("o-1") == D("100.1")

    assert ledger.release_order("o-1", D("0.4")) == D("40.04")
    assert balances(ledger) == (D(10000), D("60.06"), D("9939.94"))
    assert ledger.release_order("o-1") == D("60.06")
    assert balances(ledger) == (D(10000), D(0), D(10000))
    assert ledger.release_order("o-1") == 0


def test_a_spot_sell_order_reserves_base() -> None:
    ledger = spot_ledger(USDT=D(0), BTC=D(2))
    assert ledger.lock_order("o-1", SPOT, SELL, D("1.5"), D(100)) == D("1.5")
    assert balances(ledger, "BTC") == (D(2), D("1.5"), D("0.5"))
    assert ledger.can_afford(SPOT, SELL, D(1), D(100)) == INSUFFICIENT_BALANCE
    assert ledger.can_afford(SPOT, SELL, D("0.5"), D(100)) is None


def test_a_futures_order_reserves_margin_plus_fee_and_reduce_only_reserves_nothing() -> None:
    ledger = futures_ledger()
    assert ledger.lock_order("o-1", FUT, BUY, D(2), D(100), 10) == D("20.08")  # 20 + 200 * 0.0004
    assert ledger.lock_order("o-2", FUT, SELL, D(2), D(100), 10, True) == 0
    assert balances(ledger) == (D(10000), D("20.08"), D("9979.92"))


def test_a_futures_order_against_the_position_reserves_margin_only_for_what_it_opens() -> None:
    ledger = futures_ledger(hedge_mode=False)
    fill(ledger, BUY, "1", "100", leverage=10)
    _, cost = ledger.order_cost(FUT, SELL, D(3), D(100), 10)
    assert cost == D("20.12")  # 2 opening * 100 / 10 + 300 * 0.0004


def test_filling_releases_the_filled_part_of_a_reservation() -> None:
    ledger = futures_ledger()
    ledger.lock_order("o-1", FUT, BUY, D(4), D(100), 10)
    assert ledger.release_order("o-1", D(1)) == D("10.04")
    fill(ledger, BUY, "1", "100", leverage=10)
    assert ledger.account.used_balance["USDT"] == D("30.12") + D(10)


def test_locking_an_order_again_replaces_its_reservation() -> None:
    ledger = futures_ledger()
    ledger.lock_order("o-1", FUT, BUY, D(4), D(100), 10)
    ledger.lock_order("o-1", FUT, BUY, D(1), D(100), 10)
    assert ledger.account.used_balance["USDT"] == D("10.04")


def test_can_afford_names_the_shortfall() -> None:
    spot = spot_ledger(USDT=D(100))
    assert spot.can_afford(SPOT, BUY, D(1), D("99.9")) is None  # 99.9999 with the fee
    assert spot.can_afford(SPOT, BUY, D(1), D(100)) == INSUFFICIENT_BALANCE

    futures = futures_ledger(USDT=D(100))
    assert futures.can_afford(FUT, BUY, D(9), D(100), 10) is None  # 90 + 0.36
    assert futures.can_afford(FUT, BUY, D(10), D(100), 10) == INSUFFICIENT_MARGIN
    assert futures.can_afford(FUT, BUY, D(100), D(100), 10, True) is None
    futures.lock_order("o-1", FUT, BUY, D(5), D(100), 10)
    assert futures.can_afford(FUT, BUY, D(5), D(100), 10) == INSUFFICIENT_MARGIN


# -- refusals and determinism ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "price", "fee", "rule"),
    [
        ("0", "100", "0", "accounting.fill.quantity"),
        ("-1", "100", "0", "accounting.fill.quantity"),
        ("1", "0", "0", "accounting.fill.price"),
        ("1", "NaN", "0", "accounting.fill.price"),
        ("1", "100", "Infinity", "accounting.fill.fee"),
    ],
)
def test_a_fill_needs_positive_quantity_and_price_and_a_finite_fee(
    qty: str, price: str, fee: str, rule: str
) -> None:
    with pytest.raises(AccountingError) as refused:
        fill(futures_ledger(), BUY, qty, price, fee)
    assert refused.value.rule == rule


def test_leverage_above_the_instruments_maximum_is_refused() -> None:
    with pytest.raises(LeverageError):
        fill(futures_ledger(), BUY, "1", "100", leverage=21)


def test_inverse_instruments_are_not_supported() -> None:
    inverse = futures_instrument(is_inverse=True)
    with pytest.raises(AccountingError) as refused:
        futures_ledger().apply_fill(inverse, BUY, D(1), D(100), D(0), "USDT", T1)
    assert refused.value.rule == "accounting.instrument.inverse"


def test_a_ledger_keeps_spot_or_futures_accounts_only() -> None:
    with pytest.raises(ConfigError):
        Ledger(account(TradingType.MARGIN))


def test_a_new_ledger_starts_flat() -> None:
    acc = account(USDT=D(50))
    acc.used_balance["USDT"] = D(7)
    Ledger(acc)
    assert (acc.used_balance, acc.available_balance) == ({"USDT": D(0)}, {"USDT": D(50)})


def test_positions_record_the_execution_that_opened_them_and_the_fill_time() -> None:
    ledger = futures_ledger()
    position = fill(ledger, BUY, "1", "100", execution_id="exec-1").updates[0].position
    assert position.execution_id == "exec-1"
    assert (position.created_at, position.updated_at, ledger.account.updated_at) == (T1, T1, T1)
    assert position.created_at != T0


# -- sub-ledgers -----------------------------------------------------------------------------------


def test_a_sub_ledger_refuses_nothing_for_lack_of_funds_and_may_go_short_on_spot() -> None:
    view = Ledger(account(TradingType.SPOT, USDT=D(0)), strict=False, execution_id="exec-1")
    fill(view, SELL, "1", "100", "0.1")
    position = view.position(EX, SYM)
    assert position is not None and (position.side, position.quantity) == (SHORT, D(1))
    assert position.execution_id == "exec-1"
    assert view.account.balance == {"USDT": D("99.9"), "BTC": D(-1)}


def test_a_hedge_mode_sub_ledger_lets_a_slot_go_through_zero() -> None:
    view = Ledger(account(), hedge_mode=True, strict=False)
    fill(view, SELL, "1", "100", position_side=LONG)  # closes what another execution opened
    position = view.position(EX, SYM, LONG)
    assert position is not None and position.side is SHORT
    assert view.signed_quantity(EX, SYM) == D(-1)
    fill(view, BUY, "1", "90", position_side=LONG)
    assert view.position(EX, SYM, LONG) is None
    assert view.realized_pnl == D(10)
