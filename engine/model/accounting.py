"""Accounting as pure bookkeeping, so the Portfolio and the simulated exchange cannot disagree on a balance.

A ``Ledger`` keeps one trading account's positions, balances and order reservations. It has no bus,
no clock and no I/O: callers hand it fills, order reservations and marks, and it updates the
``TradingAccount`` it was given (the Store's own object, if the caller wants the Store updated) and
the ``Position`` entities it creates.

Positions are keyed by ``(exchange_id, symbol, slot)``: ``slot`` is ``PositionSide.LONG`` /
``PositionSide.SHORT`` in hedge mode and ``None`` in one-way (netting) mode, so both modes take one
code path. Spot accounts are always one-way.

Money (linear instruments only, settled in the quote currency):

- Spot. Buy: quote -= qty * price + fee, base += qty. Sell: base -= qty, quote += qty * price - fee.
  A strict ledger refuses any fill that would leave a balance below zero (so no shorting); a sell
  reduces the long position the ledger opened through fills, and base held from elsewhere (a
  deposit) may be sold without opening a short (no PnL is realized on that part: its cost is unknown).
- Futures. The wallet balance (quote currency) pays each fee and receives realized PnL on
  reduce/close/flip. ``margin_used`` = entry notional / leverage; ``used_balance`` = position margin
  + order reservations; ``available_balance`` = balance - used (it may go below zero on futures when
  losses eat into margin: that is what liquidation is for); equity = balance + unrealized PnL.
- A fee charged in another currency than the quote (a spot buy paid in base) is deducted from that
  currency's balance; ``total_pnl`` and ``fees_paid`` count only quote-currency fees.
- ``position.realized_pnl`` is gross of fees; ``total_pnl`` = realized PnL - fees.

Exactness: each open position keeps its cost (entry notional, the exact sum of price * qty *
contract_size of what is open), and ``entry_price`` is cost / (qty * contract_size). A reduce removes
the proportional part of the cost (all of it on a close), so realized + unrealized PnL always equals
the exact cash flow of the fills plus the open quantity at the mark: it never drifts with rounding,
and ledgers fed a split of the same fills (one per strategy execution) sum to the account's. The one
rounding is ``fraction``: a quotient that does not come out even (the cost of a third of a position,
margin at 3x, what is left of a reservation) keeps 12 decimals, so the sums built from it stay exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Context, Decimal, InvalidOperation, Rounded
from enum import StrEnum

import msgspec

from engine.errors import ConfigError, ValidationError
from engine.model.account import TradingAccount
from engine.model.enums import OrderSide, PositionSide, TradingType
from engine.model.instrument import TradingInstrument
from engine.model.position import Position
from engine.model.rules import check_leverage

ZERO = Decimal(0)
ONE = Decimal(1)
# Where a division does not come out even (a third of a cost, margin at 3x), keep 12 decimals: sums
# of such amounts then stay exact within Decimal's 28 digits, which a 28-digit quotient would not.
FRACTION_QUANTUM = Decimal("1e-12")
_FRACTION_EXPONENT = -12
# fraction()'s quick test: a value at or above the quantum quantizes without Rounded (padding it to 64
# digits or fewer); traps, not flags, so nothing needs clearing between calls
_QUANTUM_PROBE = Context(prec=64, traps=[Rounded, InvalidOperation])

ACCOUNTING_CODES: tuple[str, ...] = (
    "accounting.fill.quantity",
    "accounting.fill.price",
    "accounting.fill.fee",
    "accounting.instrument.inverse",
    "accounting.position_side.missing",
    "accounting.reduce.no_position",
    "accounting.reduce.exceeds_position",
    "accounting.liquidation.not_reducing",
    "accounting.balance.insufficient",
    "accounting.spot.short",
    "accounting.order.quantity",
    "accounting.order.price",
)

# Reasons ``can_afford`` gives (the RiskEngine and the simulated exchange pass them on as reason codes).
INSUFFICIENT_BALANCE = "insufficient_balance"
INSUFFICIENT_MARGIN = "insufficient_margin"

Slot = PositionSide | None
PositionKey = tuple[str, str, Slot]  # (exchange_id, symbol, slot)


class AccountingError(ValidationError):
    """The ledger refused a fill or a reservation; ``rule`` is one of ``ACCOUNTING_CODES``.

    A refused call changes nothing.
    """


class PositionChange(StrEnum):
    """What one fill did to one position."""

    OPENED = "opened"
    INCREASED = "increased"
    REDUCED = "reduced"
    CLOSED = "closed"
    FLIPPED = "flipped"  # opened on the other side by a one-way fill larger than the old position
    LIQUIDATED = "liquidated"


class PositionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """One position a fill touched. ``quantity`` is the part of the fill applied to it and
    ``realized_pnl`` what that part realized (gross of fees)."""

    position: Position
    change: PositionChange
    quantity: Decimal
    realized_pnl: Decimal


class FillResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a fill did: positions touched in order (for a flip: the closed one, then the new one),
    realized PnL of the fill (gross of fees), and the currencies whose balances changed (sorted)."""

    updates: tuple[PositionUpdate, ...]
    realized_pnl: Decimal
    fee: Decimal
    currencies: tuple[str, ...]

    @property
    def balances_changed(self) -> bool:
        return bool(self.currencies)

    @property
    def flipped(self) -> bool:
        return any(u.change is PositionChange.FLIPPED for u in self.updates)


class _Holding:
    """An open position plus what exact accounting needs and ``Position`` does not carry."""

    __slots__ = ("contract_size", "cost", "key", "marked_at", "position", "settle", "sign", "unit")

    def __init__(self, key: PositionKey, position: Position, cost: Decimal) -> None:
        self.key = key
        self.position = position
        self.cost = cost  # entry notional of the open quantity, exact
        self.sign = 1 if position.side is PositionSide.LONG else -1
        self.contract_size = position.instrument.contract_specifications.contract_size
        # a contract size of exactly Decimal(1) (exponent 0) leaves a product's digits and exponent
        # as they are: the mark, run on every bar, skips that multiplication
        self.unit = _is_exactly_one(self.contract_size)
        self.settle = position.instrument.quote_currency
        # the price object of the last mark; None once quantity or cost changed since
        self.marked_at: Decimal | None = None

    def mark(self, price: Decimal) -> None:
        if price is self.marked_at:  # marked at this very price, nothing changed since: same result
            return
        position = self.position
        position.current_price = price
        value = price * position.quantity
        if not self.unit:
            value *= self.contract_size
        # subtract in the position's direction rather than multiply by the sign: no Decimal("-0")
        position.unrealized_pnl = value - self.cost if self.sign > 0 else self.cost - value
        self.marked_at = price


class _Lock:
    """Funds reserved for one open order; released in proportion to the quantity filled or cancelled."""

    __slots__ = ("amount", "currency", "quantity", "released")

    def __init__(self, currency: str, amount: Decimal, quantity: Decimal) -> None:
        self.currency = currency
        self.amount = amount
        self.quantity = quantity
        self.released = ZERO

    @property
    def held(self) -> Decimal:
        if self.released == 0:
            return self.amount
        return fraction(self.amount * (self.quantity - self.released) / self.quantity)


def _is_exactly_one(value: Decimal) -> bool:
    """``Decimal("1")`` itself (not ``1.0``): multiplying by it changes neither digits nor exponent."""
    return value == ONE and value.same_quantum(ONE)


def fraction(value: Decimal) -> Decimal:
    """``value`` rounded (half even) to ``FRACTION_QUANTUM`` if it is finer, else unchanged."""
    if value:  # quantizing signals Rounded when it drops digits (a zero has none to drop)
        try:
            value.quantize(FRACTION_QUANTUM, None, _QUANTUM_PROBE)
        except (Rounded, InvalidOperation):  # finer, too long or not finite: as_tuple (slow) decides
            pass
        else:
            return value
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < _FRACTION_EXPONENT:
        return value.quantize(FRACTION_QUANTUM)
    return value


def liquidation_price(
    side: PositionSide, entry_price: Decimal, leverage: int, maintenance_margin_rate: Decimal
) -> Decimal | None:
    """Isolated margin, linear contract, fees ignored.

    long: entry * (1 - 1/L) / (1 - m); short: entry * (1 + 1/L) / (1 + m). ``None`` when nothing
    can liquidate the position: a long at 1x (the formula gives 0: the price cannot fall below
    zero) or a maintenance rate of 100 % or more.
    """
    inverse_leverage = ONE / leverage
    rate = maintenance_margin_rate
    if side is PositionSide.LONG:
        if rate >= 1:
            return None
        price = entry_price * (ONE - inverse_leverage) / (ONE - rate)
    else:
        price = entry_price * (ONE + inverse_leverage) / (ONE + rate)
    return price if price > 0 else None


class Ledger:
    """Positions, balances and order reservations of one trading account (see the module docstring).

    ``account`` is updated in place: ``balance``, ``available_balance``, ``used_balance``,
    ``total_pnl`` and ``updated_at``. The ledger assumes it starts flat (no positions, no
    reservations): construction sets ``used_balance`` to zero and ``available_balance`` to
    ``balance`` for every currency.

    ``hedge_mode`` (futures only; spot is always one-way) keys positions by the fill's
    ``position_side``. ``strict=False`` makes a sub-ledger: the view of one strategy execution
    within an account. It refuses nothing for lack of funds, its balances are the net cash flows of
    that execution's fills (start from whatever the given account holds, usually nothing, and may go
    below zero), and a spot sell beyond its long position opens a short, so that the signed
    positions of every execution's sub-ledger sum to the account's. For the same reason a sub-ledger
    in hedge mode lets a slot go through zero: a reduce larger than the slot (the execution closing
    what another one opened) leaves a position of the other side in that slot.

    Position ids are ``f"{position_id_prefix}-{exchange_id}-{symbol}-{n}"`` with ``n`` counting the
    positions this ledger opened (from 1): deterministic, and unique per prefix (default: the
    account id).
    """

    def __init__(
        self,
        account: TradingAccount,
        *,
        hedge_mode: bool = False,
        strict: bool = True,
        execution_id: str = "",
        position_id_prefix: str | None = None,
    ) -> None:
        if account.account_type not in (TradingType.SPOT, TradingType.FUTURES):
            raise ConfigError(
                "account_type", f"the ledger keeps spot or futures accounts, not {account.account_type}"
            )
        self.account = account
        self.is_spot = account.account_type is TradingType.SPOT
        self.hedge_mode = hedge_mode and not self.is_spot
        self.strict = strict
        self.execution_id = execution_id
        self.position_id_prefix = account.account_id if position_id_prefix is None else position_id_prefix
        self.realized_pnl = ZERO  # gross, every position this ledger ever held
        self.fees_paid = ZERO  # fees charged in the instrument's quote currency
        self._opened = 0
        self._positions: list[Position] = []  # every position, in opening order
        # the open ones, in opening order: strategies ask for them on every bar, so never a scan of
        # every position the ledger ever held
        self._live: dict[str, Position] = {}
        # (exchange_id, symbol) -> slot -> holding; an instrument with nothing open has no entry, so
        # "is anything open here?" is one dict lookup
        self._open: dict[tuple[str, str], dict[Slot, _Holding]] = {}
        self._locks: dict[str, _Lock] = {}
        for currency in sorted(account.balance):
            self._refresh(currency)

    # -- reading ------------------------------------------------------------------------------

    def has_open_position(self, exchange_id: str, symbol: str) -> bool:
        """O(1): whether marking this instrument would change anything."""
        return (exchange_id, symbol) in self._open

    def position(self, exchange_id: str, symbol: str, slot: PositionSide | None = None) -> Position | None:
        """The open position in a slot (``None`` in one-way mode), or ``None``."""
        slots = self._open.get((exchange_id, symbol))
        holding = slots.get(slot) if slots else None
        return holding.position if holding else None

    def positions_in(self, exchange_id: str, symbol: str) -> list[Position]:
        """The open positions on one instrument (one per slot)."""
        slots = self._open.get((exchange_id, symbol))
        return [holding.position for holding in slots.values()] if slots else []

    def open_positions(self) -> list[Position]:
        """Open positions, in the order they were opened."""
        return list(self._live.values())

    def positions(self) -> list[Position]:
        """Every position this ledger opened, closed and liquidated ones included, in opening order."""
        return list(self._positions)

    def signed_quantity(self, exchange_id: str, symbol: str) -> Decimal:
        """Net open quantity on an instrument: long positive, short negative (hedge slots netted)."""
        slots = self._open.get((exchange_id, symbol))
        if not slots:
            return ZERO
        return sum((h.position.quantity * h.sign for h in slots.values()), ZERO)

    @property
    def unrealized_pnl(self) -> Decimal:
        """Unrealized PnL of every open position at its last mark."""
        return sum((h.position.unrealized_pnl for s in self._open.values() for h in s.values()), ZERO)

    def equity(self, currency: str) -> Decimal:
        """What the account is worth in ``currency`` at the last marks.

        Futures: balance + unrealized PnL of the positions settled in ``currency``. Spot: balance +
        market value of the open positions quoted in ``currency`` (holdings the ledger did not
        open through fills, such as deposited base, are not valued).
        """
        total = self.account.balance.get(currency, ZERO)
        for slots in self._open.values():
            for holding in slots.values():
                if holding.settle != currency:
                    continue
                position = holding.position
                if self.is_spot:
                    total += position.current_price * position.quantity * holding.contract_size * holding.sign
                else:
                    total += position.unrealized_pnl
        return total

    def locked(self, order_id: str) -> Decimal:
        """What an order still holds reserved (0 for an unknown order)."""
        lock = self._locks.get(order_id)
        return lock.held if lock else ZERO

    # -- marks and liquidation ------------------------------------------------------------------

    def mark(self, exchange_id: str, symbol: str, price: Decimal) -> bool:
        """Revalue the open positions on an instrument at ``price``; False (and nothing done) if none."""
        slots = self._open.get((exchange_id, symbol))
        if not slots:
            return False
        for holding in slots.values():
            if holding.marked_at is not price:  # _Holding.mark's own test, without the call
                holding.mark(price)
        return True

    def mark_all(self, last: Mapping[str, Mapping[str, Decimal]]) -> None:
        """Revalue every open position at ``last[exchange_id][symbol]``; those without a price keep
        their mark."""
        for (exchange_id, symbol), slots in self._open.items():
            prices = last.get(exchange_id)
            price = prices.get(symbol) if prices else None
            if price is not None:
                for holding in slots.values():
                    if holding.marked_at is not price:  # _Holding.mark's own test, without the call
                        holding.mark(price)

    def liquidation_due(self, exchange_id: str, symbol: str, price: Decimal) -> list[Position]:
        """Open positions ``price`` liquidates: a long at or below its liquidation price, a short at or
        above."""
        slots = self._open.get((exchange_id, symbol))
        if not slots:
            return []
        due: list[Position] = []
        for holding in slots.values():
            liquidation = holding.position.liquidation_price
            if liquidation is not None and (price - liquidation) * holding.sign <= 0:
                due.append(holding.position)
        return due

    # -- reservations ---------------------------------------------------------------------------

    def order_cost(  # noqa: PLR0917 -- the signature callers share with the simulated exchange
        self,
        instrument: TradingInstrument,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal,
        leverage: int = 1,
        reduce_only: bool = False,
        position_side: PositionSide | None = None,
    ) -> tuple[str, Decimal]:
        """The currency and amount an order needs reserved while it is open.

        Spot buy: quote quantity * price * (1 + fee rate); spot sell: base quantity. Futures: the
        margin of the part that opens or increases a position (quantity * price * contract_size /
        leverage; a one-way order against the position, or a hedge-mode order on the opposite slot,
        needs none for what it closes) plus the fee on the whole notional; reduce-only: nothing.
        The fee rate is the larger of the instrument's maker and taker rates (never below zero), so
        a reservation always covers the fill's fee.
        """
        _check_order(quantity, price)
        specs = instrument.contract_specifications
        fee_rate = max(specs.maker_fee, specs.taker_fee, ZERO)
        if self.is_spot:
            if side is OrderSide.SELL:
                return instrument.base_currency, quantity
            return instrument.quote_currency, quantity * price * (ONE + fee_rate)
        if reduce_only:
            return instrument.quote_currency, ZERO
        notional = quantity * price * specs.contract_size
        opening = quantity - self._reducible(instrument, side, quantity, position_side)
        margin = fraction(opening * price * specs.contract_size / leverage) if opening else ZERO
        return instrument.quote_currency, margin + notional * fee_rate

    def can_afford(  # noqa: PLR0917 -- the signature callers share with the simulated exchange
        self,
        instrument: TradingInstrument,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal,
        leverage: int = 1,
        reduce_only: bool = False,
        position_side: PositionSide | None = None,
    ) -> str | None:
        """``None`` if the available balance covers ``order_cost``, else ``INSUFFICIENT_BALANCE``
        (spot) or ``INSUFFICIENT_MARGIN`` (futures)."""
        currency, amount = self.order_cost(
            instrument, side, quantity, price, leverage, reduce_only, position_side
        )
        return self.shortfall(currency, amount)

    def shortfall(self, currency: str, amount: Decimal) -> str | None:
        """``can_afford`` for a cost already computed with ``order_cost``."""
        if amount <= 0 or amount <= self.account.available_balance.get(currency, ZERO):
            return None
        return INSUFFICIENT_BALANCE if self.is_spot else INSUFFICIENT_MARGIN

    def lock_order(  # noqa: PLR0917 -- the signature callers share with the simulated exchange
        self,
        order_id: str,
        instrument: TradingInstrument,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal,
        leverage: int = 1,
        reduce_only: bool = False,
        position_side: PositionSide | None = None,
    ) -> Decimal:
        """Reserve ``order_cost`` for an open order (``quantity`` is what is still open) and return it.

        It does not check affordability (ask ``can_afford`` first): a reservation may push the
        available balance below zero. Locking an order id again replaces its reservation.
        """
        currency, amount = self.order_cost(
            instrument, side, quantity, price, leverage, reduce_only, position_side
        )
        return self.lock_cost(order_id, currency, amount, quantity)

    def lock_cost(self, order_id: str, currency: str, amount: Decimal, quantity: Decimal) -> Decimal:
        """``lock_order`` for a cost already computed with ``order_cost`` (for ``quantity``)."""
        previous = self._locks.pop(order_id, None)
        self._locks[order_id] = _Lock(currency, amount, quantity)
        if previous is not None and previous.currency != currency:
            self._refresh(previous.currency)
        self._refresh(currency)
        return amount

    def release_order(self, order_id: str, quantity: Decimal | None = None) -> Decimal:
        """Free an order's reservation: all of it (``None``: cancelled, rejected, done) or the part
        for ``quantity`` (filled). Returns what was freed; an unknown order frees nothing."""
        lock = self._locks.get(order_id)
        if lock is None:
            return ZERO
        before = lock.held
        if quantity is None or lock.released + quantity >= lock.quantity:
            del self._locks[order_id]
            freed = before
        else:
            lock.released += quantity
            freed = before - lock.held
        self._refresh(lock.currency)
        return freed

    # -- fills ----------------------------------------------------------------------------------

    def apply_fill(  # noqa: PLR0917 -- the signature callers share with the simulated exchange
        self,
        instrument: TradingInstrument,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        fee_currency: str,
        ts: datetime,
        *,
        position_side: PositionSide | None = None,
        leverage: int = 1,
        execution_id: str = "",
        liquidation: bool = False,
    ) -> FillResult:
        """Book one fill: positions, balances, ``total_pnl``; all or nothing (``AccountingError``).

        One-way: a fill against the position reduces it, closes it, or closes it and opens the
        excess on the other side at the fill price (a flip). Hedge mode: ``position_side`` names the
        slot; a fill on the slot's side opens or increases it, the other side reduces it, and a
        reduce larger than the slot is refused. ``leverage`` applies to what the fill opens or
        increases (the whole position's margin is then recomputed with it); reduces keep the
        position's leverage. ``liquidation=True`` must reduce (a sub-ledger books it anyway: it may
        hold another part of the netted position); a position it closes ends ``liquidated``.
        ``execution_id`` is recorded on the positions this fill opens. A fill is a trade, so it marks
        the instrument's open positions at ``price``.
        """
        _check_fill(quantity, price, fee)
        specs = instrument.contract_specifications
        if specs.is_inverse:
            raise AccountingError(
                "accounting.instrument.inverse", instrument.symbol, "only linear instruments"
            )
        if self.is_spot:
            leverage = 1
        else:
            check_leverage(leverage, instrument)
        key_slot = self._slot(side, position_side) if self.hedge_mode else None
        slots = self._open.get((instrument.exchange_id, instrument.symbol), {})
        holding = slots.get(key_slot)
        contract_size = specs.contract_size
        sign = 1 if side is OrderSide.BUY else -1  # side.sign, read once

        # -- plan: how much closes, how much opens, what it realizes (nothing mutated yet)
        closing = ZERO
        cost_removed = ZERO
        realized = ZERO
        if holding is not None and holding.sign != sign:
            closing = min(quantity, holding.position.quantity)
            cost_removed = (
                holding.cost
                if closing == holding.position.quantity
                else fraction(holding.cost * closing / holding.position.quantity)
            )
            proceeds = price * closing * contract_size
            realized = proceeds - cost_removed if holding.sign > 0 else cost_removed - proceeds
        opening = quantity - closing
        if self.strict and key_slot is not None and sign != _SIGN[key_slot]:
            if holding is None:
                raise AccountingError(
                    "accounting.reduce.no_position",
                    quantity,
                    f"no {key_slot} position in {instrument.symbol}",
                )
            if opening:
                raise AccountingError(
                    "accounting.reduce.exceeds_position",
                    quantity,
                    f"the {key_slot} position in {instrument.symbol} holds {holding.position.quantity}",
                )
        uncovered = ZERO  # strict spot: base sold beyond the position, from holdings of unknown cost
        if self.is_spot and self.strict and side is OrderSide.SELL:
            uncovered, opening = opening, ZERO
        if liquidation and self.strict and (closing == 0 or opening or uncovered):
            raise AccountingError(
                "accounting.liquidation.not_reducing", quantity, "a liquidation fill only reduces a position"
            )

        deltas = self._balance_deltas(instrument, side, quantity, price, realized)
        deltas[fee_currency] = deltas.get(fee_currency, ZERO) - fee
        quote_fee = fee if fee_currency == instrument.quote_currency else ZERO
        if self.strict and self.is_spot:
            self._check_balances(instrument, side, deltas)

        # -- commit
        updates: list[PositionUpdate] = []
        exchange_id, symbol = instrument.exchange_id, instrument.symbol
        if closing:
            assert holding is not None
            updates.append(
                self._reduce(
                    holding,
                    closing=closing,
                    cost_removed=cost_removed,
                    realized=realized,
                    price=price,
                    ts=ts,
                    liquidation=liquidation,
                    fee=quote_fee,  # a flip's too: its fill closed this position first
                )
            )
        if opening:
            same = holding if holding is not None and holding.sign == sign else None
            if same is not None:
                updates.append(self._increase(same, opening, price, leverage, ts, quote_fee))
            else:
                change = PositionChange.FLIPPED if closing else PositionChange.OPENED
                side_opened = PositionSide.LONG if side is OrderSide.BUY else PositionSide.SHORT
                updates.append(
                    self._open_position(
                        instrument,
                        slot=key_slot,
                        side=side_opened,
                        quantity=opening,
                        price=price,
                        leverage=leverage,
                        ts=ts,
                        execution_id=execution_id,
                        change=change,
                        fee=ZERO if closing else quote_fee,
                    )
                )
        self.mark(exchange_id, symbol, price)

        account = self.account
        for currency, delta in deltas.items():
            account.balance[currency] = account.balance.get(currency, ZERO) + delta
        self.realized_pnl += realized
        self.fees_paid += quote_fee
        account.total_pnl += realized - quote_fee
        account.updated_at = ts
        touched = set(deltas)
        if not self.is_spot:
            touched.add(instrument.quote_currency)  # margin moved
        currencies = tuple(sorted(touched))
        for currency in currencies:
            self._refresh(currency)
        return FillResult(updates=tuple(updates), realized_pnl=realized, fee=fee, currencies=currencies)

    # -- internals ------------------------------------------------------------------------------

    def _slot(self, side: OrderSide, position_side: PositionSide | None) -> Slot:
        if not self.hedge_mode:
            return None
        if position_side is None:
            raise AccountingError(
                "accounting.position_side.missing", side, "a hedge-mode fill names its slot"
            )
        return position_side

    def _reducible(
        self,
        instrument: TradingInstrument,
        side: OrderSide,
        quantity: Decimal,
        position_side: PositionSide | None,
    ) -> Decimal:
        """How much of an order would close an open position rather than open one."""
        slots = self._open.get((instrument.exchange_id, instrument.symbol))
        if not slots:
            return ZERO
        if self.hedge_mode:
            if position_side is None:
                return ZERO
            holding = slots.get(position_side)
        else:
            holding = slots.get(None)
        if holding is None or holding.sign == side.sign:
            return ZERO
        return min(quantity, holding.position.quantity)

    def _balance_deltas(
        self,
        instrument: TradingInstrument,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal,
        realized: Decimal,
    ) -> dict[str, Decimal]:
        if self.is_spot:
            notional = quantity * price * instrument.contract_specifications.contract_size
            return {
                instrument.base_currency: quantity * side.sign,
                instrument.quote_currency: -notional * side.sign,
            }
        return {instrument.quote_currency: realized}

    def _check_balances(
        self, instrument: TradingInstrument, side: OrderSide, deltas: dict[str, Decimal]
    ) -> None:
        for currency in sorted(deltas):
            held = self.account.balance.get(currency, ZERO)
            if held + deltas[currency] < 0:
                selling_base = side is OrderSide.SELL and currency == instrument.base_currency
                raise AccountingError(
                    "accounting.spot.short" if selling_base else "accounting.balance.insufficient",
                    -deltas[currency],
                    f"{self.account.account_id} holds {held} {currency}",
                )

    def _reduce(
        self,
        holding: _Holding,
        *,
        closing: Decimal,
        cost_removed: Decimal,
        realized: Decimal,
        price: Decimal,
        ts: datetime,
        liquidation: bool,
        fee: Decimal,
    ) -> PositionUpdate:
        position = holding.position
        position.quantity -= closing
        position.realized_pnl += realized
        position.fees += fee
        position.updated_at = ts
        holding.cost -= cost_removed
        holding.marked_at = None
        if position.quantity:
            position.margin_used = self._margin(holding.cost, position.leverage)
            change = PositionChange.REDUCED
        else:
            position.margin_used = ZERO
            position.unrealized_pnl = ZERO
            position.current_price = price
            if liquidation:
                position.liquidate(ts)
                change = PositionChange.LIQUIDATED
            else:
                position.close(ts)
                change = PositionChange.CLOSED
            key = (position.instrument.exchange_id, position.instrument.symbol)
            slots = self._open[key]
            del slots[holding.key[2]]
            del self._live[position.position_id]
            if not slots:
                del self._open[key]
        return PositionUpdate(position=position, change=change, quantity=closing, realized_pnl=realized)

    def _increase(  # noqa: PLR0917 -- one fill's facts, in the order apply_fill has them
        self, holding: _Holding, quantity: Decimal, price: Decimal, leverage: int, ts: datetime, fee: Decimal
    ) -> PositionUpdate:
        position = holding.position
        position.fees += fee
        holding.cost += price * quantity * holding.contract_size
        holding.marked_at = None
        position.quantity += quantity
        position.entry_price = holding.cost / (position.quantity * holding.contract_size)
        position.leverage = leverage
        position.margin_used = self._margin(holding.cost, leverage)
        position.liquidation_price = self._liquidation_price(position)
        position.updated_at = ts
        return PositionUpdate(
            position=position, change=PositionChange.INCREASED, quantity=quantity, realized_pnl=ZERO
        )

    def _open_position(
        self,
        instrument: TradingInstrument,
        *,
        slot: Slot,
        side: PositionSide,
        quantity: Decimal,
        price: Decimal,
        leverage: int,
        ts: datetime,
        execution_id: str,
        change: PositionChange,
        fee: Decimal,
    ) -> PositionUpdate:
        self._opened += 1
        cost = price * quantity * instrument.contract_specifications.contract_size
        position = Position(
            position_id=f"{self.position_id_prefix}-{instrument.exchange_id}-{instrument.symbol}-{self._opened}",
            instrument=instrument,
            side=side,
            quantity=quantity,
            entry_price=price,
            current_price=price,
            trading_account_id=self.account.account_id,
            created_at=ts,
            updated_at=ts,
            leverage=leverage,
            margin_used=self._margin(cost, leverage),
            execution_id=execution_id or self.execution_id,
            fees=fee,
        )
        position.liquidation_price = self._liquidation_price(position)
        key = (instrument.exchange_id, instrument.symbol)
        self._open.setdefault(key, {})[slot] = _Holding((*key, slot), position, cost)
        self._positions.append(position)
        self._live[position.position_id] = position
        return PositionUpdate(position=position, change=change, quantity=quantity, realized_pnl=ZERO)

    def _margin(self, cost: Decimal, leverage: int) -> Decimal:
        if self.is_spot:
            return ZERO
        # cost / 1 is cost itself (same digits, same exponent): skip the division
        return fraction(cost if leverage == 1 else cost / leverage)

    def _liquidation_price(self, position: Position) -> Decimal | None:
        if self.is_spot:
            return None
        rate = position.instrument.contract_specifications.maintenance_margin_rate
        return liquidation_price(position.side, position.entry_price, position.leverage, rate)

    def _refresh(self, currency: str) -> None:
        """Recompute used and available for a currency from positions and reservations (no drift)."""
        used = ZERO
        if not self.is_spot:
            for slots in self._open.values():
                for holding in slots.values():
                    if holding.settle == currency:
                        used += holding.position.margin_used
        for lock in self._locks.values():
            if lock.currency == currency:
                used += lock.held
        account = self.account
        account.used_balance[currency] = used
        account.available_balance[currency] = account.balance.get(currency, ZERO) - used


_SIGN = {PositionSide.LONG: 1, PositionSide.SHORT: -1}


def _check_fill(quantity: Decimal, price: Decimal, fee: Decimal) -> None:
    if not quantity.is_finite() or quantity <= 0:
        raise AccountingError("accounting.fill.quantity", quantity, "fill quantity must be > 0")
    if not price.is_finite() or price <= 0:
        raise AccountingError("accounting.fill.price", price, "fill price must be > 0")
    if not fee.is_finite():
        raise AccountingError("accounting.fill.fee", fee, "fee must be finite (it may be negative: a rebate)")


def _check_order(quantity: Decimal, price: Decimal) -> None:
    if not quantity.is_finite() or quantity <= 0:
        raise AccountingError("accounting.order.quantity", quantity, "order quantity must be > 0")
    if not price.is_finite() or price <= 0:
        raise AccountingError("accounting.order.price", price, "order price must be > 0")
